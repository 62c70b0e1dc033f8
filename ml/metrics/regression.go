package metrics

import (
	"errors"
	"fmt"
	"math"
)

// Errors returned (wrapped) by the metric functions.
var (
	// ErrLength reports inputs of different lengths.
	ErrLength = errors.New("metrics: inputs have different lengths")
	// ErrEmpty reports an empty input.
	ErrEmpty = errors.New("metrics: empty input")
	// ErrNotFinite reports a NaN or infinite value.
	ErrNotFinite = errors.New("metrics: value is NaN or infinite")
)

func checkPair(yTrue, yPred []float64) error {
	if len(yTrue) != len(yPred) {
		return fmt.Errorf("%w: y_true has %d values, y_pred has %d", ErrLength, len(yTrue), len(yPred))
	}
	if len(yTrue) == 0 {
		return ErrEmpty
	}
	for i := range yTrue {
		if math.IsNaN(yTrue[i]) || math.IsInf(yTrue[i], 0) {
			return fmt.Errorf("%w: y_true[%d] = %v", ErrNotFinite, i, yTrue[i])
		}
		if math.IsNaN(yPred[i]) || math.IsInf(yPred[i], 0) {
			return fmt.Errorf("%w: y_pred[%d] = %v", ErrNotFinite, i, yPred[i])
		}
	}
	return nil
}

// MSE returns the mean squared error, mean((yTrue-yPred)²).
func MSE(yTrue, yPred []float64) (float64, error) {
	if err := checkPair(yTrue, yPred); err != nil {
		return 0, err
	}
	var s float64
	for i := range yTrue {
		d := yTrue[i] - yPred[i]
		s += d * d
	}
	return s / float64(len(yTrue)), nil
}

// RMSE returns the root mean squared error, the square root of MSE.
func RMSE(yTrue, yPred []float64) (float64, error) {
	m, err := MSE(yTrue, yPred)
	return math.Sqrt(m), err
}

// MAE returns the mean absolute error, mean(|yTrue-yPred|).
func MAE(yTrue, yPred []float64) (float64, error) {
	if err := checkPair(yTrue, yPred); err != nil {
		return 0, err
	}
	var s float64
	for i := range yTrue {
		s += math.Abs(yTrue[i] - yPred[i])
	}
	return s / float64(len(yTrue)), nil
}

// R2 returns the coefficient of determination, 1 - SS_res/SS_tot. As in
// scikit-learn, a constant yTrue gives 1 when the predictions are perfect
// and 0 otherwise.
func R2(yTrue, yPred []float64) (float64, error) {
	if err := checkPair(yTrue, yPred); err != nil {
		return 0, err
	}
	var mean float64
	for _, v := range yTrue {
		mean += v
	}
	mean /= float64(len(yTrue))
	var res, tot float64
	for i := range yTrue {
		d := yTrue[i] - yPred[i]
		res += d * d
		e := yTrue[i] - mean
		tot += e * e
	}
	if tot == 0 {
		if res == 0 {
			return 1, nil
		}
		return 0, nil
	}
	return 1 - res/tot, nil
}

// MAPE returns the mean absolute percentage error,
// mean(|yTrue-yPred| / max(|yTrue|, eps)) with eps the float64 machine
// epsilon, as scikit-learn does. It is a fraction, not a percentage.
func MAPE(yTrue, yPred []float64) (float64, error) {
	if err := checkPair(yTrue, yPred); err != nil {
		return 0, err
	}
	const eps = 2.220446049250313e-16
	var s float64
	for i := range yTrue {
		s += math.Abs(yTrue[i]-yPred[i]) / math.Max(math.Abs(yTrue[i]), eps)
	}
	return s / float64(len(yTrue)), nil
}
