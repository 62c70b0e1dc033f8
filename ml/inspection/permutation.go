// Package inspection explains fitted models. Permutation computes
// scikit-learn's permutation importance (sklearn.inspection.
// permutation_importance): how much a model's score drops when one
// feature's values are shuffled, breaking its link with the target while
// keeping its distribution. Impurity importances, computed from the
// training splits, are the FeatureImportances methods of ml/tree and
// ml/ensemble.
//
// Permutation importance is computed on held-out data, works for any
// model, and is not biased towards features with many distinct values, as
// impurity importance is; correlated features share (and so each
// understate) their importance.
package inspection

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/weirhq/weir/ml"
)

// Options configure Permutation.
type Options struct {
	// NRepeats is the number of shuffles per feature, ≥ 1; 0 means 5
	// (scikit-learn's n_repeats).
	NRepeats int `json:"n_repeats,omitempty"`
	// Seed seeds the shuffles; the same seed gives the same importances.
	Seed uint64 `json:"seed"`
	// Permutations, when set, are the row orders to use instead of
	// seeded shuffles: one per repeat, each a permutation of 0…n-1; the
	// shuffled column of repeat r is column[Permutations[r][i]]. As in
	// scikit-learn, every feature gets the same row orders. Set them to
	// reproduce scikit-learn's numbers exactly.
	Permutations [][]int `json:"-"`
}

// Importances are the result of Permutation.
type Importances struct {
	// Baseline is the score on the unshuffled data.
	Baseline float64 `json:"baseline"`
	// Mean is, per feature, the mean over repeats of Baseline minus the
	// score with the feature shuffled (importances_mean).
	Mean []float64 `json:"mean"`
	// Std is, per feature, the population standard deviation of those
	// drops (importances_std).
	Std []float64 `json:"std"`
	// Raw holds every drop, one row per feature and one column per
	// repeat (importances).
	Raw [][]float64 `json:"raw"`
}

// Permutation returns the permutation importance of each column of x for
// a fitted model given by its predict function, scored against y by score
// (higher is better, as scikit-learn's scorers: metrics.R2 for
// regressors, metrics.Accuracy for classifiers, or a negated loss). x is
// not modified.
func Permutation[T any](predict func(*mat.Dense) ([]T, error), x *mat.Dense, y []T, score func(yTrue, yPred []T) (float64, error), o Options) (*Importances, error) {
	if x == nil || x.IsEmpty() {
		return nil, errors.New("inspection: X has no rows")
	}
	n, p := x.Dims()
	if len(y) != n {
		return nil, fmt.Errorf("inspection: X has %d rows but y has %d values", n, len(y))
	}
	repeats := o.NRepeats
	if o.Permutations != nil {
		if repeats != 0 && repeats != len(o.Permutations) {
			return nil, &ml.ParamError{Estimator: "inspection.Options", Field: "NRepeats", Value: repeats, Rule: fmt.Sprintf("0 or len(Permutations) = %d", len(o.Permutations))}
		}
		repeats = len(o.Permutations)
		for r, perm := range o.Permutations {
			if err := checkPerm(perm, n); err != nil {
				return nil, fmt.Errorf("inspection: Permutations[%d]: %w", r, err)
			}
		}
	}
	if repeats < 0 || (repeats == 0 && o.Permutations != nil) {
		return nil, &ml.ParamError{Estimator: "inspection.Options", Field: "NRepeats", Value: repeats, Rule: "an integer ≥ 1 (or 0 for 5)"}
	}
	if repeats == 0 {
		repeats = 5
	}
	perms := o.Permutations
	if perms == nil {
		rng := rand.New(rand.NewPCG(o.Seed, 0x5045524d))
		perms = make([][]int, repeats)
		for r := range perms {
			perms[r] = rng.Perm(n)
		}
	}
	pred, err := predict(x)
	if err != nil {
		return nil, fmt.Errorf("inspection: predict: %w", err)
	}
	base, err := score(y, pred)
	if err != nil {
		return nil, fmt.Errorf("inspection: score: %w", err)
	}
	out := &Importances{Baseline: base, Mean: make([]float64, p), Std: make([]float64, p), Raw: make([][]float64, p)}
	xp := mat.DenseCopyOf(x)
	orig := make([]float64, n)
	for j := 0; j < p; j++ {
		mat.Col(orig, j, x)
		drops := make([]float64, repeats)
		for r, perm := range perms {
			for i, src := range perm {
				xp.Set(i, j, orig[src])
			}
			pred, err := predict(xp)
			if err != nil {
				return nil, fmt.Errorf("inspection: predict with column %d shuffled: %w", j, err)
			}
			s, err := score(y, pred)
			if err != nil {
				return nil, fmt.Errorf("inspection: score with column %d shuffled: %w", j, err)
			}
			drops[r] = base - s
		}
		xp.SetCol(j, orig)
		var mean, ss float64
		for _, d := range drops {
			mean += d
		}
		mean /= float64(repeats)
		for _, d := range drops {
			ss += (d - mean) * (d - mean)
		}
		out.Mean[j], out.Std[j], out.Raw[j] = mean, math.Sqrt(ss/float64(repeats)), drops
	}
	return out, nil
}

func checkPerm(perm []int, n int) error {
	if len(perm) != n {
		return fmt.Errorf("has %d entries, want %d (the rows of X)", len(perm), n)
	}
	seen := make([]bool, n)
	for _, v := range perm {
		if v < 0 || v >= n || seen[v] {
			return fmt.Errorf("is not a permutation of 0…%d (entry %d)", n-1, v)
		}
		seen[v] = true
	}
	return nil
}
