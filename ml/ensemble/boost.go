package ensemble

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/weirhq/weir/ml"
	"github.com/weirhq/weir/ml/internal/check"
	"github.com/weirhq/weir/ml/tree"
)

// BoostOptions are the options shared by the boosting models.
type BoostOptions struct {
	// NEstimators is the number of boosting rounds, ≥ 1; 0 means 100.
	NEstimators int `json:"n_estimators,omitempty"`
	// LearningRate shrinks each tree's contribution, a finite number > 0;
	// 0 means 0.1 (a zero rate would learn nothing).
	LearningRate float64 `json:"learning_rate,omitempty"`
	// MaxDepth limits each tree's depth, ≥ 1; 0 means 3 (scikit-learn's
	// GradientBoosting default).
	MaxDepth int `json:"max_depth,omitempty"`
	// MinSamplesLeaf is the least number of rows per leaf, ≥ 1; 0 means
	// 1.
	MinSamplesLeaf int `json:"min_samples_leaf,omitempty"`
	// L2 is the L2 penalty on leaf values (λ in G²/(H+λ)), a finite
	// number ≥ 0; 0 is no penalty.
	L2 float64 `json:"l2,omitempty"`
	// MaxBins is the number of bins per feature, in [2, 256]; 0 means 256.
	MaxBins int `json:"max_bins,omitempty"`
	// Subsample is the fraction of the training rows each round's trees
	// are grown on, drawn without replacement (scikit-learn's
	// GradientBoosting subsample), in (0, 1]; 0 means 1 (every row).
	// The scores of every row are still updated by every tree.
	Subsample float64 `json:"subsample,omitempty"`
	// EarlyStopping holds out ValidationFraction of the rows and stops
	// boosting when the validation loss has not improved by more than Tol
	// for NIterNoChange rounds: scikit-learn's HistGradientBoosting
	// early_stopping=True with scoring="loss". The trees grown up to the
	// stop are kept. Off by default (scikit-learn's "auto" turns it on
	// above 10,000 rows).
	EarlyStopping bool `json:"early_stopping,omitempty"`
	// ValidationFraction is the share of the rows held out for early
	// stopping (stratified by class for classifiers), in (0, 1); 0 means
	// 0.1.
	ValidationFraction float64 `json:"validation_fraction,omitempty"`
	// NIterNoChange is the number of rounds without improvement that stop
	// boosting, ≥ 1; 0 means 10.
	NIterNoChange int `json:"n_iter_no_change,omitempty"`
	// Tol is the least improvement of the validation score (the negated
	// loss) that counts, a finite number ≥ 0; nil means 1e-7.
	Tol *float64 `json:"tol,omitempty"`
	// Seed seeds the validation split and the subsampling.
	Seed uint64 `json:"seed,omitempty"`
}

// BoostResult is what a boosting fit reports besides its trees.
type BoostResult struct {
	// NIter is the number of rounds fitted (scikit-learn's n_iter_): at
	// most NEstimators, fewer after an early stop.
	NIter int `json:"n_iter"`
	// TrainScore and ValidationScore are, with EarlyStopping, the negated
	// loss on the training and validation rows before the first round and
	// after each round (train_score_, validation_score_); nil otherwise.
	TrainScore      []float64 `json:"train_score,omitempty"`
	ValidationScore []float64 `json:"validation_score,omitempty"`
}

// resolved checks the options and returns a copy with the defaults filled
// in; the options themselves are left as the caller set them.
func (o BoostOptions) resolved(est string) (BoostOptions, error) {
	if o.LearningRate != 0 {
		if err := check.Positive(est, "LearningRate", o.LearningRate); err != nil {
			return o, err
		}
	}
	err := check.First(
		check.IntAtLeast(est, "NEstimators", o.NEstimators, 1, true),
		check.IntAtLeast(est, "MaxDepth", o.MaxDepth, 1, true),
		check.IntAtLeast(est, "MinSamplesLeaf", o.MinSamplesLeaf, 1, true),
		check.NonNegative(est, "L2", o.L2),
		check.IntAtLeast(est, "MaxBins", o.MaxBins, 2, true),
	)
	if err == nil && o.Subsample != 0 && !(o.Subsample > 0 && o.Subsample <= 1) {
		err = &ml.ParamError{Estimator: est, Field: "Subsample", Value: o.Subsample, Rule: "a number in (0, 1] (or 0 for 1)"}
	}
	if err == nil && o.ValidationFraction != 0 {
		err = check.OpenUnit(est, "ValidationFraction", o.ValidationFraction)
	}
	if err == nil {
		err = check.IntAtLeast(est, "NIterNoChange", o.NIterNoChange, 1, true)
	}
	if err == nil && o.Tol != nil {
		err = check.NonNegative(est, "Tol", *o.Tol)
	}
	if err == nil && o.MaxBins > tree.MaxBins {
		err = &ml.ParamError{Estimator: est, Field: "MaxBins", Value: o.MaxBins, Rule: fmt.Sprintf("an integer in [2, %d] (or 0 for %d)", tree.MaxBins, tree.MaxBins)}
	}
	if err != nil {
		return o, err
	}
	if o.NEstimators == 0 {
		o.NEstimators = 100
	}
	if o.LearningRate == 0 {
		o.LearningRate = 0.1
	}
	if o.MaxDepth == 0 {
		o.MaxDepth = 3
	}
	return o, nil
}

// boost runs the boosting rounds: for each round and output k it computes
// gradients from the raw scores f (n × k, row-major), grows a Newton tree
// on the training rows (all of them, or a Subsample of them), scales its
// leaves by the learning rate and adds it to f. With a validation set it
// records the loss after every round and stops early (see BoostOptions).
func boost(o BoostOptions, x *mat.Dense, hasNaN bool, w []float64, sp split, k int, f []float64, grad func(f, g, h []float64, k int), loss func(f []float64, rows []int32) float64) ([][]*tree.Tree, boostInfo, error) {
	n, _ := x.Dims()
	var info boostInfo
	data, err := tree.FitBinnerHint(x, o.MaxBins, 200000, hasNaN).Transform(x)
	if err != nil {
		return nil, info, err
	}
	g := make([]float64, n*k)
	h := make([]float64, n*k)
	gk := make([]float64, n)
	hk := make([]float64, n)
	rows := make([]int32, n)
	leaves := make([]int32, n)
	subsample := o.Subsample
	if subsample == 0 {
		subsample = 1
	}
	simple := sp.val == nil && subsample == 1 // every row grown on, every round
	var rng *rand.Rand
	var inBag []bool
	var nBag int
	if !simple {
		rng = rand.New(rand.NewPCG(o.Seed, 0x5ab5a3b1e))
		inBag = make([]bool, n)
		nBag = max(1, int(subsample*float64(len(sp.train))))
	}
	var scores []float64 // validation scores, higher is better (−loss)
	record := func() bool {
		if sp.val == nil {
			return false
		}
		info.train = append(info.train, -loss(f, sp.train))
		scores = append(scores, -loss(f, sp.val))
		return o.shouldStop(scores)
	}
	record()
	rounds := make([][]*tree.Tree, 0, o.NEstimators)
	for it := 0; it < o.NEstimators; it++ {
		grad(f, g, h, k)
		if w != nil {
			// Row weights scale each row's gradient and Hessian, as in
			// scikit-learn's HistGradientBoosting.
			for i := 0; i < n; i++ {
				for c := 0; c < k; c++ {
					g[i*k+c] *= w[i]
					h[i*k+c] *= w[i]
				}
			}
		}
		bag := rows[:n]
		if !simple {
			// Draw the rows of this round (GradientBoosting's subsample:
			// without replacement), from the training part.
			clear(inBag)
			if nBag == len(sp.train) {
				for _, r := range sp.train {
					inBag[r] = true
				}
			} else {
				for _, j := range rng.Perm(len(sp.train))[:nBag] {
					inBag[sp.train[j]] = true
				}
			}
			bag = rows[:nBag]
		}
		round := make([]*tree.Tree, k)
		for c := 0; c < k; c++ {
			if simple {
				for i := 0; i < n; i++ {
					gk[i], hk[i] = g[i*k+c], h[i*k+c]
					rows[i] = int32(i)
				}
			} else {
				for i := 0; i < n; i++ {
					gk[i], hk[i] = g[i*k+c], h[i*k+c]
				}
				m := 0
				for i, in := range inBag {
					if in {
						rows[m] = int32(i)
						m++
					}
				}
			}
			t := tree.Grow(data, bag, tree.Targets{Grad: gk, Hess: hk}, tree.Newton, tree.GrowConfig{
				MaxDepth: o.MaxDepth, MinSamplesLeaf: o.MinSamplesLeaf, L2: o.L2, ParallelFeatures: true, Leaves: leaves,
			})
			for j := range t.Value {
				t.Value[j] *= o.LearningRate
			}
			// Update the scores with each row's leaf, known from growing
			// for the rows grown on and looked up for the others.
			if simple {
				for i, leaf := range leaves {
					f[i*k+c] += t.Value[leaf]
				}
			} else {
				parallelRows(n, 4096, func(lo, hi int) {
					for i := lo; i < hi; i++ {
						leaf := leaves[i]
						if !inBag[i] {
							leaf = int32(t.LeafBinned(data, i))
						}
						f[i*k+c] += t.Value[leaf]
					}
				})
			}
			round[c] = t
		}
		rounds = append(rounds, round)
		if record() {
			break
		}
	}
	info.validation = scores
	return rounds, info, nil
}

// boostInfo is what a boosting run reports besides its trees.
type boostInfo struct {
	train, validation []float64
}

// split is the partition of the rows into training and validation rows;
// val is nil without early stopping (train is then every row).
type split struct {
	train, val []int32
}

// split draws the validation rows when early stopping is on: a
// ValidationFraction of the rows (rounded up, as scikit-learn's
// train_test_split), stratified by class when y is not nil.
func (o BoostOptions) split(est string, n int, y []int) (split, error) {
	all := make([]int32, n)
	for i := range all {
		all[i] = int32(i)
	}
	if !o.EarlyStopping {
		return split{train: all}, nil
	}
	frac := o.ValidationFraction
	if frac == 0 {
		frac = 0.1
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x7a11da7e))
	isVal := make([]bool, n)
	if y == nil {
		nVal := min(n-1, int(math.Ceil(frac*float64(n))))
		for _, i := range rng.Perm(n)[:nVal] {
			isVal[i] = true
		}
	} else {
		byClass := map[int][]int{}
		var classes []int
		for i, c := range y {
			if _, ok := byClass[c]; !ok {
				classes = append(classes, c)
			}
			byClass[c] = append(byClass[c], i)
		}
		slices.Sort(classes)
		for _, c := range classes {
			idx := byClass[c]
			nVal := min(len(idx)-1, int(math.Round(frac*float64(len(idx)))))
			rng.Shuffle(len(idx), func(a, b int) { idx[a], idx[b] = idx[b], idx[a] })
			for _, i := range idx[:max(nVal, 0)] {
				isVal[i] = true
			}
		}
	}
	var sp split
	for i, v := range isVal {
		if v {
			sp.val = append(sp.val, int32(i))
		} else {
			sp.train = append(sp.train, int32(i))
		}
	}
	if len(sp.val) == 0 || len(sp.train) == 0 {
		return sp, fmt.Errorf("%s: EarlyStopping with ValidationFraction %v leaves %d training and %d validation rows of %d; use more rows or a larger fraction", est, frac, len(sp.train), len(sp.val), n)
	}
	return sp, nil
}

// shouldStop is scikit-learn's HistGradientBoosting rule: stop when none
// of the last NIterNoChange scores beats the score NIterNoChange+1 rounds
// back (the first is the score before any tree) by more than Tol.
func (o BoostOptions) shouldStop(scores []float64) bool {
	nc := o.NIterNoChange
	if nc == 0 {
		nc = 10
	}
	ref := nc + 1
	if len(scores) < ref {
		return false
	}
	tol := 1e-7
	if o.Tol != nil {
		tol = *o.Tol
	}
	reference := scores[len(scores)-ref] + tol
	for _, s := range scores[len(scores)-ref+1:] {
		if s > reference {
			return false
		}
	}
	return true
}

// boostImportances is the mean over the trees that split at least once of
// each tree's split gains per feature divided by its row count, normalised
// to sum to 1: scikit-learn's GradientBoosting feature_importances_. With
// squared error (and L2 = 0) a Newton gain is the squared-error decrease,
// so the regressor's values are scikit-learn's; the classifier's use the
// Newton gain G²/H of the log-loss (what XGBoost and LightGBM call gain
// importance) where scikit-learn uses the squared-error decrease of the
// residuals.
func boostImportances(trees []*tree.Tree, p int) []float64 {
	out := make([]float64, p)
	for _, t := range trees {
		if len(t.Feature) <= 1 || t.Samples[0] == 0 {
			continue
		}
		for j, v := range t.GainByFeature(p) {
			out[j] += v / float64(t.Samples[0])
		}
	}
	return tree.Normalize(out)
}

// FeatureImportances returns the impurity importance of each feature,
// summing to 1 (see boostImportances).
func (m *BoostingRegressor) FeatureImportances() []float64 {
	return boostImportances(m.Trees, m.NFeatures)
}

// FeatureImportances returns the gain importance of each feature, summing
// to 1 (see boostImportances).
func (m *BoostingClassifier) FeatureImportances() []float64 {
	var all []*tree.Tree
	for _, r := range m.Trees {
		all = append(all, r...)
	}
	return boostImportances(all, m.NFeatures)
}

// rawScores returns init + the sum of the trees for each row, n × k.
func rawScores(x *mat.Dense, init []float64, rounds [][]*tree.Tree, hasNaN bool) []float64 {
	n, _ := x.Dims()
	k := len(init)
	out := make([]float64, n*k)
	for i := 0; i < n; i++ {
		copy(out[i*k:i*k+k], init)
	}
	var trees []*tree.Tree
	var col []int
	for _, r := range rounds {
		for c, t := range r {
			trees = append(trees, t)
			col = append(col, c)
		}
	}
	sumLeaves(x, trees, col, k, out, hasNaN)
	return out
}

// BoostingRegressor is gradient-boosted regression trees with squared
// error.
type BoostingRegressor struct {
	BoostOptions
	BoostResult
	// NFeatures is the number of input columns.
	NFeatures int `json:"n_features"`
	// Init is the starting prediction (the training mean).
	Init float64 `json:"init"`
	// Trees holds one tree per round, with leaves already scaled by the
	// learning rate.
	Trees []*tree.Tree `json:"trees"`
}

// Fit boosts trees on X and y.
func (m *BoostingRegressor) Fit(x *mat.Dense, y []float64) error { return m.FitWeighted(x, y, nil) }

// FitWeighted boosts trees with a weight per row (nil means 1 each): the
// starting prediction is the weighted mean and each row's gradient and
// Hessian are scaled by its weight, as in scikit-learn's
// HistGradientBoostingRegressor.fit(X, y, sample_weight).
func (m *BoostingRegressor) FitWeighted(x *mat.Dense, y, w []float64) error {
	o, err := m.resolved("ensemble.BoostingRegressor")
	if err != nil {
		return err
	}
	hasNaN, err := check.XYMissing(x, y)
	if err != nil {
		return err
	}
	n, p := x.Dims()
	if err := check.Weights(w, n); err != nil {
		return err
	}
	sp, err := o.split("ensemble.BoostingRegressor", n, nil)
	if err != nil {
		return err
	}
	var mean, sw float64
	for _, i := range sp.train {
		wi := weightOf(w, int(i))
		mean += wi * y[i]
		sw += wi
	}
	mean /= sw
	f := make([]float64, n)
	for i := range f {
		f[i] = mean
	}
	rounds, info, err := boost(o, x, hasNaN, w, sp, 1, f, func(f, g, h []float64, _ int) {
		for i := range f {
			g[i], h[i] = f[i]-y[i], 1
		}
	}, func(f []float64, rows []int32) float64 {
		// scikit-learn's half squared error.
		var l, sw float64
		for _, i := range rows {
			d := y[i] - f[i]
			wi := weightOf(w, int(i))
			l += wi * 0.5 * d * d
			sw += wi
		}
		return l / sw
	})
	if err != nil {
		return err
	}
	m.BoostResult = BoostResult{NIter: len(rounds), TrainScore: info.train, ValidationScore: info.validation}
	m.NFeatures, m.Init, m.Trees = p, mean, make([]*tree.Tree, len(rounds))
	for i, r := range rounds {
		m.Trees[i] = r[0]
	}
	return nil
}

// Predict returns Init plus the sum of the trees.
func (m *BoostingRegressor) Predict(x *mat.Dense) ([]float64, error) {
	hasNaN, err := check.FeaturesMissing(x, m.NFeatures)
	if err != nil {
		return nil, err
	}
	rounds := make([][]*tree.Tree, len(m.Trees))
	for i, t := range m.Trees {
		rounds[i] = []*tree.Tree{t}
	}
	return rawScores(x, []float64{m.Init}, rounds, hasNaN), nil
}

// BoostingClassifier is gradient-boosted trees with log-loss: one tree per
// round for two classes (binomial), one per class per round for more
// (multinomial).
type BoostingClassifier struct {
	BoostOptions
	BoostResult
	// ClassWeight weights each class's rows (nil: all 1; ml.Balanced():
	// scikit-learn's class_weight="balanced").
	ClassWeight *ml.ClassWeight `json:"class_weight,omitempty"`
	// Classes are the sorted class labels.
	Classes []int `json:"classes"`
	// NFeatures is the number of input columns.
	NFeatures int `json:"n_features"`
	// Init is the starting raw score of each output: the log-odds of the
	// greater class for two classes, else the log of each class's prior.
	Init []float64 `json:"init"`
	// Trees holds, per round, one tree per output.
	Trees [][]*tree.Tree `json:"trees"`
}

// Fit boosts trees on X and the class labels y.
func (m *BoostingClassifier) Fit(x *mat.Dense, y []int) error { return m.FitWeighted(x, y, nil) }

// FitWeighted boosts trees with a weight per row (nil means 1 each),
// multiplied by ClassWeight: the starting scores use the weighted class
// priors and each row's gradients and Hessians are scaled by its weight,
// as in scikit-learn's HistGradientBoostingClassifier.fit(X, y,
// sample_weight).
func (m *BoostingClassifier) FitWeighted(x *mat.Dense, y []int, w []float64) error {
	o, err := m.resolved("ensemble.BoostingClassifier")
	if err != nil {
		return err
	}
	classes, yi, hasNaN, err := check.ClassesMissing(x, y)
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
			return fmt.Errorf("ensemble.BoostingClassifier: %w", err)
		}
	}
	w = check.RowWeights(w, cw, yi)
	nc := len(classes)
	sp, err := o.split("ensemble.BoostingClassifier", n, yi)
	if err != nil {
		return err
	}
	prior := make([]float64, nc)
	var total float64
	for _, i := range sp.train {
		wi := weightOf(w, int(i))
		prior[yi[i]] += wi
		total += wi
	}
	var init []float64
	k := nc
	if nc == 2 {
		k = 1
		init = []float64{math.Log(prior[1] / prior[0])}
	} else {
		init = make([]float64, nc)
		for c := range init {
			init[c] = math.Log(prior[c] / total)
		}
	}
	f := make([]float64, n*k)
	for i := 0; i < n; i++ {
		copy(f[i*k:i*k+k], init)
	}
	rounds, info, err := boost(o, x, hasNaN, w, sp, k, f, func(f, g, h []float64, k int) {
		parallelRows(n, 4096, func(lo, hi int) {
			prob := make([]float64, nc)
			for i := lo; i < hi; i++ {
				if k == 1 {
					pr := sigmoid(f[i])
					g[i] = pr - float64(yi[i])
					h[i] = max(pr*(1-pr), 1e-16)
					continue
				}
				softmax(f[i*k:i*k+k], prob)
				for c := 0; c < k; c++ {
					t := 0.0
					if yi[i] == c {
						t = 1
					}
					g[i*k+c] = prob[c] - t
					h[i*k+c] = max(prob[c]*(1-prob[c]), 1e-16)
				}
			}
		})
	}, func(f []float64, rows []int32) float64 {
		// The log-loss (cross-entropy) of the rows.
		var l, sw float64
		for _, i := range rows {
			wi := weightOf(w, int(i))
			sw += wi
			if k == 1 {
				z := f[i]
				l += wi * (softplus(z) - float64(yi[i])*z)
				continue
			}
			z := f[int(i)*k : int(i)*k+k]
			zmax := slices.Max(z)
			var s float64
			for _, v := range z {
				s += math.Exp(v - zmax)
			}
			l += wi * (math.Log(s) + zmax - z[yi[i]])
		}
		return l / sw
	})
	if err != nil {
		return err
	}
	m.BoostResult = BoostResult{NIter: len(rounds), TrainScore: info.train, ValidationScore: info.validation}
	m.Classes, m.NFeatures, m.Init, m.Trees = classes, p, init, rounds
	return nil
}

// PredictProba returns the class probabilities of each row in the order
// of Classes.
func (m *BoostingClassifier) PredictProba(x *mat.Dense) ([][]float64, error) {
	hasNaN, err := check.FeaturesMissing(x, m.NFeatures)
	if err != nil {
		return nil, err
	}
	raw := rawScores(x, m.Init, m.Trees, hasNaN)
	k := len(m.Init)
	n := len(raw) / k
	out := make([][]float64, n)
	for i := range out {
		if k == 1 {
			pr := sigmoid(raw[i])
			out[i] = []float64{1 - pr, pr}
			continue
		}
		out[i] = make([]float64, k)
		softmax(raw[i*k:i*k+k], out[i])
	}
	return out, nil
}

// Predict returns the most probable class of each row.
func (m *BoostingClassifier) Predict(x *mat.Dense) ([]int, error) {
	p, err := m.PredictProba(x)
	if err != nil {
		return nil, err
	}
	return tree.ArgMax(p, m.Classes), nil
}

func weightOf(w []float64, i int) float64 {
	if w == nil {
		return 1
	}
	return w[i]
}

func softplus(z float64) float64 {
	if z > 0 {
		return z + math.Log1p(math.Exp(-z))
	}
	return math.Log1p(math.Exp(z))
}

func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

func softmax(z, out []float64) {
	zmax := z[0]
	for _, v := range z[1:] {
		zmax = max(zmax, v)
	}
	var s float64
	for c, v := range z {
		out[c] = math.Exp(v - zmax)
		s += out[c]
	}
	for c := range out {
		out[c] /= s
	}
}
