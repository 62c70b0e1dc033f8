// Package check validates the inputs of the model packages, so that every
// model reports bad data with the same clear errors instead of panicking.
package check

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"

	"gonum.org/v1/gonum/mat"

	"github.com/weirhq/weir/ml"
)

// ErrEmpty is returned (wrapped) for a training set without rows.
var ErrEmpty = errors.New("empty training set")

// X checks that X is non-nil, has rows and columns, and holds only finite
// values; the error names the 0-based column and 1-based row of the first
// bad value.
func X(x *mat.Dense) error {
	_, err := scan(x, false)
	return err
}

// XMissing is X for models that accept missing values: NaN is allowed
// (and reported by hasNaN), an infinite value is not.
func XMissing(x *mat.Dense) (hasNaN bool, err error) { return scan(x, true) }

func scan(x *mat.Dense, allowNaN bool) (bool, error) {
	if x == nil || x.IsEmpty() {
		return false, fmt.Errorf("%w: X has no rows", ErrEmpty)
	}
	r, c := x.Dims()
	if r == 0 || c == 0 {
		return false, fmt.Errorf("%w: X is %d×%d", ErrEmpty, r, c)
	}
	raw := x.RawMatrix()
	// Fast path: v*0 is 0 for finite v and NaN otherwise, so a block's sum
	// of v*0 is non-zero only when the block holds a bad value. Blocks are
	// checked in parallel; the first bad value is then located.
	const block = 8192
	nb := (r + block - 1) / block
	bad := make([]bool, nb)
	workers := min(runtime.GOMAXPROCS(0), nb)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := w; b < nb; b += workers {
				var s float64
				for i := b * block; i < min(r, (b+1)*block); i++ {
					for _, v := range raw.Data[i*raw.Stride : i*raw.Stride+c] {
						s += v * 0
					}
				}
				bad[b] = s != 0
			}
		}()
	}
	wg.Wait()
	hasNaN := false
	for b, isBad := range bad {
		if !isBad {
			continue
		}
		for i := b * block; i < min(r, (b+1)*block); i++ {
			for j, v := range raw.Data[i*raw.Stride : i*raw.Stride+c] {
				if allowNaN && math.IsNaN(v) {
					hasNaN = true
					continue
				}
				if math.IsNaN(v) || math.IsInf(v, 0) {
					hint := "impute or drop it first"
					if allowNaN {
						hint = "NaN marks a missing value; an infinite one is not allowed"
					}
					return false, fmt.Errorf("X column %d, row %d: value %v is not finite (%s)", j, i+1, v, hint)
				}
			}
		}
	}
	return hasNaN, nil
}

// Features checks X for prediction: valid, and with the number of columns
// the model was fitted on (0 means the model is not fitted).
func Features(x *mat.Dense, want int) error {
	_, err := features(x, want, false)
	return err
}

// FeaturesMissing is Features for models that accept missing values (NaN).
func FeaturesMissing(x *mat.Dense, want int) (hasNaN bool, err error) {
	return features(x, want, true)
}

func features(x *mat.Dense, want int, allowNaN bool) (bool, error) {
	if want == 0 {
		return false, errors.New("model is not fitted")
	}
	hasNaN, err := scan(x, allowNaN)
	if err != nil {
		return false, err
	}
	if _, c := x.Dims(); c != want {
		return false, fmt.Errorf("X has %d columns; the model was fitted on %d", c, want)
	}
	return hasNaN, nil
}

// XY checks X and a regression target y of the same length, finite.
func XY(x *mat.Dense, y []float64) error { return xy(x, y, false) }

// XYMissing is XY for models that accept missing values (NaN) in X; it
// reports whether X holds any.
func XYMissing(x *mat.Dense, y []float64) (hasNaN bool, err error) {
	hasNaN, err = scan(x, true)
	if err != nil {
		return false, err
	}
	return hasNaN, target(x, y)
}

func xy(x *mat.Dense, y []float64, allowNaN bool) error {
	if _, err := scan(x, allowNaN); err != nil {
		return err
	}
	return target(x, y)
}

// target checks a regression target for the rows of a scanned X.
func target(x *mat.Dense, y []float64) error {
	if r, _ := x.Dims(); r != len(y) {
		return fmt.Errorf("X has %d rows but y has %d values", r, len(y))
	}
	for i, v := range y {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("y row %d: value %v is not finite", i+1, v)
		}
	}
	return nil
}

// Classes checks X and a class target y of the same length with at least
// two classes, and returns the sorted classes and y as class indexes.
func Classes(x *mat.Dense, y []int) (classes []int, yi []int, err error) {
	return classesOf(x, y, false)
}

// ClassesMissing is Classes for models that accept missing values (NaN)
// in X; it reports whether X holds any.
func ClassesMissing(x *mat.Dense, y []int) (classes []int, yi []int, hasNaN bool, err error) {
	hasNaN, err = scan(x, true)
	if err != nil {
		return nil, nil, false, err
	}
	classes, yi, err = labels(x, y)
	return classes, yi, hasNaN, err
}

func classesOf(x *mat.Dense, y []int, allowNaN bool) (classes []int, yi []int, err error) {
	if _, err := scan(x, allowNaN); err != nil {
		return nil, nil, err
	}
	return labels(x, y)
}

func labels(x *mat.Dense, y []int) (classes []int, yi []int, err error) {
	if r, _ := x.Dims(); r != len(y) {
		return nil, nil, fmt.Errorf("X has %d rows but y has %d values", r, len(y))
	}
	seen := map[int]bool{}
	for _, v := range y {
		if !seen[v] {
			seen[v] = true
			classes = append(classes, v)
		}
	}
	slices.Sort(classes)
	if len(classes) < 2 {
		return nil, nil, fmt.Errorf("y has only one class (%d); a classifier needs at least two", classes[0])
	}
	index := make(map[int]int, len(classes))
	for k, c := range classes {
		index[c] = k
	}
	yi = make([]int, len(y))
	for i, v := range y {
		yi[i] = index[v]
	}
	return classes, yi, nil
}

// Shape checks X for prediction without scanning its values: non-empty,
// and with the number of columns the model was fitted on (0 means the
// model is not fitted). Callers that skip the value scan for speed must
// call Row for any row whose output is not finite.
func Shape(x *mat.Dense, want int) error {
	if want == 0 {
		return errors.New("model is not fitted")
	}
	if x == nil || x.IsEmpty() {
		return fmt.Errorf("%w: X has no rows", ErrEmpty)
	}
	if _, c := x.Dims(); c != want {
		return fmt.Errorf("X has %d columns; the model was fitted on %d", c, want)
	}
	return nil
}

// Row returns an error naming the first NaN or infinite value of row i
// (0-based) of X, or nil when the row is finite.
func Row(x *mat.Dense, i int) error {
	for j, v := range x.RawRowView(i) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("X column %d, row %d: value %v is not finite (impute or drop it first)", j, i+1, v)
		}
	}
	return nil
}

// Finite returns the Row error of the first row i in [0, n) for which
// bad(i) is true and the row holds a non-finite value.
func Finite(x *mat.Dense, n int, bad func(i int) bool) error {
	for i := 0; i < n; i++ {
		if bad(i) {
			if err := Row(x, i); err != nil {
				return err
			}
		}
	}
	return nil
}

// NonNegative refuses a NaN, infinite or negative float option.
func NonNegative(est, field string, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return &ml.ParamError{Estimator: est, Field: field, Value: v, Rule: "a finite number ≥ 0"}
	}
	return nil
}

// Positive refuses a NaN, infinite, zero or negative float option.
func Positive(est, field string, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) || v <= 0 {
		return &ml.ParamError{Estimator: est, Field: field, Value: v, Rule: "a finite number > 0"}
	}
	return nil
}

// Unit refuses a float option outside [0, 1] (or NaN).
func Unit(est, field string, v float64) error {
	if !(v >= 0 && v <= 1) {
		return &ml.ParamError{Estimator: est, Field: field, Value: v, Rule: "a number in [0, 1]"}
	}
	return nil
}

// OpenUnit refuses a float option outside (0, 1) (or NaN).
func OpenUnit(est, field string, v float64) error {
	if !(v > 0 && v < 1) {
		return &ml.ParamError{Estimator: est, Field: field, Value: v, Rule: "a number in (0, 1)"}
	}
	return nil
}

// IntAtLeast refuses an integer option below lo; zero, the "default"
// value of the option, is allowed when zeroOK is true.
func IntAtLeast(est, field string, v, lo int, zeroOK bool) error {
	if v < lo && !(zeroOK && v == 0) {
		rule := fmt.Sprintf("an integer ≥ %d", lo)
		if zeroOK {
			rule += " (or 0 for the default)"
		}
		return &ml.ParamError{Estimator: est, Field: field, Value: v, Rule: rule}
	}
	return nil
}

// First returns the first non-nil error.
func First(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// Or returns *p, or def when p is nil.
func Or[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

// Weights checks sample weights for n rows: nil (every row weighs 1), or
// n finite values ≥ 0 with a positive sum.
func Weights(w []float64, n int) error {
	if w == nil {
		return nil
	}
	if len(w) != n {
		return fmt.Errorf("sample weights have %d values but X has %d rows", len(w), n)
	}
	var sum float64
	for i, v := range w {
		if !(v >= 0) || math.IsInf(v, 0) {
			return fmt.Errorf("sample weight row %d: %v is not a finite number ≥ 0", i+1, v)
		}
		sum += v
	}
	if sum <= 0 {
		return errors.New("sample weights sum to 0; at least one row needs a positive weight")
	}
	return nil
}

// RowWeights combines sample weights sw (nil means 1) with per-class
// weights cw (nil means none) for the class indexes yi: nil when both are
// nil, else sw[i]·cw[yi[i]] per row.
func RowWeights(sw []float64, cw []float64, yi []int) []float64 {
	if cw == nil {
		return sw
	}
	out := make([]float64, len(yi))
	for i, c := range yi {
		out[i] = cw[c]
		if sw != nil {
			out[i] *= sw[i]
		}
	}
	return out
}
