package ensemble

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/mat"

	"github.com/weirhq/weir/ml"
	"github.com/weirhq/weir/ml/internal/check"
	"github.com/weirhq/weir/ml/tree"
)

// ForestOptions are the options shared by the forests. The zero value is
// scikit-learn's default forest.
type ForestOptions struct {
	// NEstimators is the number of trees, ≥ 1; 0 means 100.
	NEstimators int `json:"n_estimators,omitempty"`
	// MaxDepth limits each tree's depth, ≥ 1; 0 means unlimited.
	MaxDepth int `json:"max_depth,omitempty"`
	// MinSamplesSplit is the least number of rows to split a node, ≥ 2;
	// 0 means 2.
	MinSamplesSplit int `json:"min_samples_split,omitempty"`
	// MinSamplesLeaf is the least number of rows per leaf, ≥ 1; 0 means
	// 1.
	MinSamplesLeaf int `json:"min_samples_leaf,omitempty"`
	// MaxFeatures is the number of features tried per split, in [1, p];
	// 0 means √p for classification and p for regression (scikit-learn's
	// defaults).
	MaxFeatures int `json:"max_features,omitempty"`
	// NoBootstrap grows every tree on all rows instead of a bootstrap
	// sample.
	NoBootstrap bool `json:"no_bootstrap,omitempty"`
	// Seed makes the forest reproducible.
	Seed uint64 `json:"seed"`
	// Workers is the number of trees grown at once; 0 means GOMAXPROCS.
	Workers int `json:"-"`
}

// resolved checks the options for p features and returns a copy with
// the defaults filled in; the options themselves are left as set.
func (o ForestOptions) resolved(est string, p int) (ForestOptions, error) {
	cfg := tree.GrowConfig{MaxDepth: o.MaxDepth, MinSamplesSplit: o.MinSamplesSplit, MinSamplesLeaf: o.MinSamplesLeaf, MaxFeatures: o.MaxFeatures}
	if err := check.First(
		check.IntAtLeast(est, "NEstimators", o.NEstimators, 1, true),
		cfg.Check(est, p),
	); err != nil {
		return o, err
	}
	if o.NEstimators == 0 {
		o.NEstimators = 100
	}
	return o, nil
}

// forestImportances is scikit-learn's forest feature_importances_: the
// mean over the trees that split at least once of each tree's normalised
// impurity importances, normalised again.
func forestImportances(trees []*tree.Tree, p int) []float64 {
	out := make([]float64, p)
	for _, t := range trees {
		if len(t.Feature) <= 1 {
			continue
		}
		for j, v := range tree.Normalize(t.GainByFeature(p)) {
			out[j] += v
		}
	}
	return tree.Normalize(out)
}

// FeatureImportances returns the impurity importance of each feature,
// summing to 1 (scikit-learn's feature_importances_).
func (m *ForestClassifier) FeatureImportances() []float64 {
	return forestImportances(m.Trees, m.NFeatures)
}

// FeatureImportances returns the impurity importance of each feature,
// summing to 1 (scikit-learn's feature_importances_).
func (m *ForestRegressor) FeatureImportances() []float64 {
	return forestImportances(m.Trees, m.NFeatures)
}

// treeSeed derives tree i's seed from the forest's (SplitMix64).
func treeSeed(seed uint64, i int) uint64 {
	z := seed + uint64(i+1)*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// growForest grows the trees in parallel.
func growForest(o ForestOptions, data *tree.Binned, n int, t tree.Targets, crit tree.Criterion, maxFeatures int) []*tree.Tree {
	trees := make([]*tree.Tree, o.NEstimators)
	workers := o.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	next := make(chan int, o.NEstimators)
	for i := range trees {
		next <- i
	}
	close(next)
	var wg sync.WaitGroup
	for w := 0; w < min(workers, o.NEstimators); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rows := make([]int32, n)
			for i := range next {
				seed := treeSeed(o.Seed, i)
				r := rand.New(rand.NewPCG(seed, 1))
				for k := range rows {
					if o.NoBootstrap {
						rows[k] = int32(k)
					} else {
						rows[k] = int32(r.IntN(n))
					}
				}
				trees[i] = tree.Grow(data, rows, t, crit, tree.GrowConfig{
					MaxDepth: o.MaxDepth, MinSamplesSplit: o.MinSamplesSplit, MinSamplesLeaf: o.MinSamplesLeaf,
					MaxFeatures: maxFeatures, Seed: seed,
				})
			}
		}()
	}
	wg.Wait()
	return trees
}

// ForestClassifier is a random forest of Gini trees whose class
// probabilities are the mean of the trees' leaf class frequencies.
type ForestClassifier struct {
	ForestOptions
	// ClassWeight weights each class's rows (nil: all 1; ml.Balanced():
	// scikit-learn's class_weight="balanced", computed on all of y, not
	// per bootstrap sample).
	ClassWeight *ml.ClassWeight `json:"class_weight,omitempty"`
	// Classes are the sorted class labels.
	Classes []int `json:"classes"`
	// NFeatures is the number of input columns.
	NFeatures int `json:"n_features"`
	// Trees are the fitted trees.
	Trees []*tree.Tree `json:"trees"`
}

// Fit grows the forest on X and the class labels y.
func (m *ForestClassifier) Fit(x *mat.Dense, y []int) error { return m.FitWeighted(x, y, nil) }

// FitWeighted grows the forest with a weight per row (nil means 1 each),
// multiplied by ClassWeight; a row drawn twice into a bootstrap sample
// counts twice its weight, as in scikit-learn's fit(X, y, sample_weight).
func (m *ForestClassifier) FitWeighted(x *mat.Dense, y []int, w []float64) error {
	classes, yi, _, err := check.ClassesMissing(x, y)
	if err != nil {
		return err
	}
	n, p := x.Dims()
	if err := check.Weights(w, n); err != nil {
		return err
	}
	var cw []float64
	if m.ClassWeight != nil {
		if cw, err = m.ClassWeight.PerClass(classes, yi); err != nil {
			return fmt.Errorf("ensemble.ForestClassifier: %w", err)
		}
	}
	w = check.RowWeights(w, cw, yi)
	o, err := m.resolved("ensemble.ForestClassifier", p)
	if err != nil {
		return err
	}
	data, err := tree.FitBinner(x, tree.MaxBins, 0).Transform(x)
	if err != nil {
		return err
	}
	cls := make([]int32, n)
	for i, v := range yi {
		cls[i] = int32(v)
	}
	mf := m.MaxFeatures
	if mf == 0 {
		mf = max(1, int(math.Sqrt(float64(p))))
	}
	m.Classes, m.NFeatures = classes, p
	m.Trees = growForest(o, data, n, tree.Targets{Class: cls, K: len(classes), Weight: w}, tree.Gini, mf)
	return nil
}

// PredictProba returns the mean class frequencies of each row's leaves.
func (m *ForestClassifier) PredictProba(x *mat.Dense) ([][]float64, error) {
	hasNaN, err := check.FeaturesMissing(x, m.NFeatures)
	if err != nil {
		return nil, err
	}
	n, _ := x.Dims()
	k := len(m.Classes)
	flat := make([]float64, n*k)
	sumLeaves(x, m.Trees, nil, k, flat, hasNaN)
	out := make([][]float64, n)
	inv := 1 / float64(len(m.Trees))
	for i := range out {
		out[i] = flat[i*k : i*k+k : i*k+k]
		for c := range out[i] {
			out[i][c] *= inv
		}
	}
	return out, nil
}

// Predict returns the most probable class of each row.
func (m *ForestClassifier) Predict(x *mat.Dense) ([]int, error) {
	p, err := m.PredictProba(x)
	if err != nil {
		return nil, err
	}
	return tree.ArgMax(p, m.Classes), nil
}

// ForestRegressor is a random forest of squared-error trees whose
// prediction is the mean of the trees' leaf means.
type ForestRegressor struct {
	ForestOptions
	// NFeatures is the number of input columns.
	NFeatures int `json:"n_features"`
	// Trees are the fitted trees.
	Trees []*tree.Tree `json:"trees"`
}

// Fit grows the forest on X and y.
func (m *ForestRegressor) Fit(x *mat.Dense, y []float64) error { return m.FitWeighted(x, y, nil) }

// FitWeighted grows the forest with a weight per row (nil means 1 each),
// as in scikit-learn's fit(X, y, sample_weight).
func (m *ForestRegressor) FitWeighted(x *mat.Dense, y, w []float64) error {
	if _, err := check.XYMissing(x, y); err != nil {
		return err
	}
	n, p := x.Dims()
	if err := check.Weights(w, n); err != nil {
		return err
	}
	o, err := m.resolved("ensemble.ForestRegressor", p)
	if err != nil {
		return err
	}
	data, err := tree.FitBinner(x, tree.MaxBins, 0).Transform(x)
	if err != nil {
		return err
	}
	mf := m.MaxFeatures
	if mf == 0 {
		mf = p
	}
	m.NFeatures = p
	m.Trees = growForest(o, data, n, tree.Targets{Y: y, Weight: w}, tree.SquaredError, mf)
	return nil
}

// Predict returns the mean of the trees' predictions.
func (m *ForestRegressor) Predict(x *mat.Dense) ([]float64, error) {
	hasNaN, err := check.FeaturesMissing(x, m.NFeatures)
	if err != nil {
		return nil, err
	}
	n, _ := x.Dims()
	out := make([]float64, n)
	sumLeaves(x, m.Trees, nil, 1, out, hasNaN)
	inv := 1 / float64(len(m.Trees))
	for i := range out {
		out[i] *= inv
	}
	return out, nil
}
