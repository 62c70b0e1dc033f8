package tree

import (
	"fmt"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/mat"

	"github.com/weirhq/weir/ml"
	"github.com/weirhq/weir/ml/internal/check"
)

// Tree is a fitted binary tree stored as parallel arrays indexed by node;
// node 0 is the root.
type Tree struct {
	// Feature is the split feature of each node, -1 for a leaf.
	Feature []int32 `json:"feature"`
	// Threshold sends a row left when its feature value is ≤ Threshold.
	Threshold []float64 `json:"threshold"`
	// Bin is the split expressed in bins: left when the bin is ≤ Bin. It is
	// used while training and not saved.
	Bin []uint8 `json:"-"`
	// Left is the left child of each split node, -1 for a leaf.
	Left []int32 `json:"left"`
	// Right is the right child of each split node, -1 for a leaf.
	Right []int32 `json:"right"`
	// Value holds NOut values per node (class frequencies, a mean, or a
	// boosting step); only leaves' values are used to predict.
	Value []float64 `json:"value"`
	// NOut is the number of values per node.
	NOut int `json:"n_out"`
	// Samples is the number of training rows (with repeats) in each node.
	Samples []int32 `json:"samples"`
	// Gain is each split's improvement of the criterion.
	Gain []float64 `json:"gain"`
	// MissingLeft sends, at each split, a missing value (NaN) left rather
	// than right: the direction learned from the training rows with
	// missing values, or for a feature that had none, the child with more
	// training rows. Nil (a tree saved before missing values were
	// supported) means the child with more Samples.
	MissingLeft []bool `json:"missing_left,omitempty"`

	once     sync.Once
	packed   []packedNode
	nanRight []bool // per packed node: a missing value goes right
}

// packedNode keeps what prediction reads of a node in 16 bytes. Nodes are
// packed in breadth-first order with the two children of a split adjacent:
// a split's left child is at next and its right child at next+1; a leaf's
// next is its index in the arrays of Tree.
type packedNode struct {
	threshold float64
	feature   int32
	next      int32
}

func (t *Tree) nodes() []packedNode {
	t.once.Do(func() {
		packed := make([]packedNode, 1, len(t.Feature))
		nanRight := make([]bool, 1, len(t.Feature))
		queue := []int32{0}
		for k := 0; k < len(queue); k++ {
			orig := queue[k]
			if t.Feature[orig] < 0 {
				packed[k] = packedNode{feature: -1, next: orig}
				continue
			}
			packed[k] = packedNode{threshold: t.Threshold[orig], feature: t.Feature[orig], next: int32(len(queue))}
			nanRight[k] = !t.missingLeft(orig)
			queue = append(queue, t.Left[orig], t.Right[orig])
			packed = append(packed, packedNode{}, packedNode{})
			nanRight = append(nanRight, false, false)
		}
		t.packed, t.nanRight = packed, nanRight
	})
	return t.packed
}

// Leaf returns the index of the leaf that row x falls in.
func (t *Tree) Leaf(x []float64) int {
	nodes := t.nodes()
	n := int32(0)
	for {
		nd := &nodes[n]
		if nd.feature < 0 {
			return int(nd.next)
		}
		n = nd.next
		if x[nd.feature] > nd.threshold {
			n++
		}
	}
}

// missingLeft reports whether split node n sends a missing value left.
func (t *Tree) missingLeft(n int32) bool {
	if t.MissingLeft != nil {
		return t.MissingLeft[n]
	}
	return t.Samples != nil && t.Samples[t.Left[n]] > t.Samples[t.Right[n]]
}

// LeafMissing is Leaf for a row that may hold missing values (NaN), which
// follow each split's MissingLeft. It is slower than Leaf, which sends
// NaN left everywhere; use it only for rows with NaN.
func (t *Tree) LeafMissing(x []float64) int {
	nodes := t.nodes()
	n := int32(0)
	for {
		nd := &nodes[n]
		if nd.feature < 0 {
			return int(nd.next)
		}
		next := nd.next
		if v := x[nd.feature]; v > nd.threshold || (v != v && t.nanRight[n]) {
			next++
		}
		n = next
	}
}

// LeavesMissing is Leaves for rows that may hold missing values.
func (t *Tree) LeavesMissing(rows [][]float64, out []int32) {
	for i, r := range rows {
		out[i] = int32(t.LeafMissing(r))
	}
}

// Leaves stores in out[i] the leaf of rows[i]. It walks four rows at a
// time so that their memory accesses overlap, which is much faster than
// calling Leaf row by row on deep trees.
func (t *Tree) Leaves(rows [][]float64, out []int32) {
	nodes := t.nodes()
	i := 0
	for ; i+4 <= len(rows); i += 4 {
		x0, x1, x2, x3 := rows[i], rows[i+1], rows[i+2], rows[i+3]
		var n0, n1, n2, n3 int32
		for {
			a, b, c, d := &nodes[n0], &nodes[n1], &nodes[n2], &nodes[n3]
			moved := false
			if a.feature >= 0 {
				n0 = a.next
				if x0[a.feature] > a.threshold {
					n0++
				}
				moved = true
			}
			if b.feature >= 0 {
				n1 = b.next
				if x1[b.feature] > b.threshold {
					n1++
				}
				moved = true
			}
			if c.feature >= 0 {
				n2 = c.next
				if x2[c.feature] > c.threshold {
					n2++
				}
				moved = true
			}
			if d.feature >= 0 {
				n3 = d.next
				if x3[d.feature] > d.threshold {
					n3++
				}
				moved = true
			}
			if !moved {
				break
			}
		}
		out[i], out[i+1], out[i+2], out[i+3] = nodes[n0].next, nodes[n1].next, nodes[n2].next, nodes[n3].next
	}
	for ; i < len(rows); i++ {
		out[i] = int32(t.Leaf(rows[i]))
	}
}

// LeafBinned returns the leaf that row i of binned data falls in.
func (t *Tree) LeafBinned(b *Binned, i int) int {
	n := int32(0)
	for t.Feature[n] >= 0 {
		f := t.Feature[n]
		v := b.Cols[f][i]
		left := v <= t.Bin[n]
		if b.Binner.HasMissing(int(f)) && int(v) == b.NBins[f] {
			left = t.missingLeft(n)
		}
		if left {
			n = t.Left[n]
		} else {
			n = t.Right[n]
		}
	}
	return int(n)
}

// GainByFeature returns the sum of the split gains of each of p features.
// A split's Gain is its decrease of the node impurity weighted by the
// node's (weighted) row count, N·I(parent) - N_L·I(left) - N_R·I(right),
// for Gini and SquaredError, so normalised it is scikit-learn's impurity
// importance (feature_importances_).
func (t *Tree) GainByFeature(p int) []float64 {
	out := make([]float64, p)
	for n, f := range t.Feature {
		if f >= 0 && int(f) < p {
			out[f] += t.Gain[n]
		}
	}
	return out
}

// Normalize scales v to sum to 1 in place (all zeros stay zeros) and
// returns it.
func Normalize(v []float64) []float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	if s > 0 {
		for i := range v {
			v[i] /= s
		}
	}
	return v
}

// NodeValue returns the values of node n.
func (t *Tree) NodeValue(n int) []float64 { return t.Value[n*t.NOut : (n+1)*t.NOut] }

// Depth returns the depth of the tree (a single leaf has depth 0).
func (t *Tree) Depth() int {
	var walk func(n int32) int
	walk = func(n int32) int {
		if t.Feature[n] < 0 {
			return 0
		}
		return 1 + max(walk(t.Left[n]), walk(t.Right[n]))
	}
	return walk(0)
}

// validate checks the structure of a loaded tree so that prediction cannot
// index out of range or loop.
func (t *Tree) validate(nFeatures int) error {
	n := len(t.Feature)
	if n == 0 || len(t.Threshold) != n || len(t.Left) != n || len(t.Right) != n || t.NOut < 1 || len(t.Value) != n*t.NOut ||
		(t.MissingLeft != nil && len(t.MissingLeft) != n) || (t.Samples != nil && len(t.Samples) != n) {
		return fmt.Errorf("tree: inconsistent node arrays")
	}
	for i := 0; i < n; i++ {
		if t.Feature[i] < 0 {
			continue
		}
		if int(t.Feature[i]) >= nFeatures || t.Left[i] <= int32(i) || t.Right[i] <= int32(i) || int(t.Left[i]) >= n || int(t.Right[i]) >= n {
			return fmt.Errorf("tree: node %d is malformed", i)
		}
	}
	return nil
}

// Validate checks that the tree is well formed for nFeatures inputs:
// children come after their parent and every index is in range.
func (t *Tree) Validate(nFeatures int) error { return t.validate(nFeatures) }

// ForRows calls fn(i, row) for every row of x, split over the cores.
func ForRows(x *mat.Dense, fn func(i int, row []float64)) {
	n, p := x.Dims()
	raw := x.RawMatrix()
	workers := min(runtime.GOMAXPROCS(0), max(1, n/1024))
	var wg sync.WaitGroup
	chunk := (n + workers - 1) / workers
	for w := 0; w < workers; w++ {
		lo, hi := w*chunk, min(n, (w+1)*chunk)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				fn(i, raw.Data[i*raw.Stride:i*raw.Stride+p])
			}
		}()
	}
	wg.Wait()
}

// ForRowsLeaves calls fn(i, leaf) for every row of x with its leaf in t,
// split over the cores; hasNaN selects the slower walk that follows the
// missing-value directions.
func ForRowsLeaves(x *mat.Dense, t *Tree, hasNaN bool, fn func(i, leaf int)) {
	if hasNaN {
		ForRows(x, func(i int, row []float64) { fn(i, t.LeafMissing(row)) })
		return
	}
	ForRows(x, func(i int, row []float64) { fn(i, t.Leaf(row)) })
}

// Classifier is a CART decision tree for classification with the Gini
// criterion (scikit-learn's DecisionTreeClassifier), on features binned
// into at most 256 bins. X may hold missing values (NaN), in training and
// prediction, as in scikit-learn 1.3's trees: see the package doc.
type Classifier struct {
	// MaxDepth limits the depth, ≥ 1; 0 means unlimited.
	MaxDepth int `json:"max_depth,omitempty"`
	// MinSamplesSplit is the least number of rows to split a node, ≥ 2;
	// 0 means 2.
	MinSamplesSplit int `json:"min_samples_split,omitempty"`
	// MinSamplesLeaf is the least number of rows per leaf, ≥ 1; 0 means
	// 1.
	MinSamplesLeaf int `json:"min_samples_leaf,omitempty"`
	// MaxFeatures is the number of features tried per split, in [1, p];
	// 0 means all.
	MaxFeatures int `json:"max_features,omitempty"`
	// Seed seeds feature sampling.
	Seed uint64 `json:"seed,omitempty"`
	// ClassWeight weights each class's rows (nil: all 1; ml.Balanced():
	// scikit-learn's class_weight="balanced").
	ClassWeight *ml.ClassWeight `json:"class_weight,omitempty"`
	// Classes are the sorted class labels.
	Classes []int `json:"classes"`
	// NFeatures is the number of input columns.
	NFeatures int `json:"n_features"`
	// Tree is the fitted tree; its leaves hold class frequencies.
	Tree *Tree `json:"tree"`
}

// Fit grows the tree on X and the class labels y.
func (m *Classifier) Fit(x *mat.Dense, y []int) error { return m.FitWeighted(x, y, nil) }

// FitWeighted grows the tree with a weight per row (nil means 1 each),
// multiplied by ClassWeight: class counts are weighted sums, as in
// scikit-learn's fit(X, y, sample_weight).
func (m *Classifier) FitWeighted(x *mat.Dense, y []int, w []float64) error {
	classes, yi, _, err := check.ClassesMissing(x, y)
	if err != nil {
		return err
	}
	if err := check.Weights(w, len(y)); err != nil {
		return err
	}
	var cw []float64
	if m.ClassWeight != nil {
		if cw, err = m.ClassWeight.PerClass(classes, yi); err != nil {
			return fmt.Errorf("tree.Classifier: %w", err)
		}
	}
	w = check.RowWeights(w, cw, yi)
	if err := m.growConfig().Check("tree.Classifier", x.RawMatrix().Cols); err != nil {
		return err
	}
	data, err := FitBinner(x, MaxBins, 0).Transform(x)
	if err != nil {
		return err
	}
	cls := make([]int32, len(yi))
	for i, v := range yi {
		cls[i] = int32(v)
	}
	rows := make([]int32, len(y))
	for i := range rows {
		rows[i] = int32(i)
	}
	_, p := x.Dims()
	m.Classes, m.NFeatures = classes, p
	m.Tree = Grow(data, rows, Targets{Class: cls, K: len(classes), Weight: w}, Gini, m.growConfig())
	return nil
}

// FeatureImportances returns the impurity (Gini) importance of each
// feature, summing to 1: scikit-learn's feature_importances_.
func (m *Classifier) FeatureImportances() []float64 {
	if m.Tree == nil {
		return nil
	}
	return Normalize(m.Tree.GainByFeature(m.NFeatures))
}

func (m *Classifier) growConfig() GrowConfig {
	return GrowConfig{
		MaxDepth: m.MaxDepth, MinSamplesSplit: m.MinSamplesSplit, MinSamplesLeaf: m.MinSamplesLeaf,
		MaxFeatures: m.MaxFeatures, Seed: m.Seed,
	}
}

// PredictProba returns the class frequencies of each row's leaf, in the
// order of Classes.
func (m *Classifier) PredictProba(x *mat.Dense) ([][]float64, error) {
	if m.Tree == nil {
		return nil, check.Features(x, 0)
	}
	hasNaN, err := check.FeaturesMissing(x, m.NFeatures)
	if err != nil {
		return nil, err
	}
	n, _ := x.Dims()
	out := make([][]float64, n)
	ForRowsLeaves(x, m.Tree, hasNaN, func(i, leaf int) {
		out[i] = append([]float64(nil), m.Tree.NodeValue(leaf)...)
	})
	return out, nil
}

// Predict returns the most frequent class of each row's leaf.
func (m *Classifier) Predict(x *mat.Dense) ([]int, error) {
	proba, err := m.PredictProba(x)
	if err != nil {
		return nil, err
	}
	return ArgMax(proba, m.Classes), nil
}

// ArgMax returns, for each row of scores, the class of its largest entry
// (the first on ties).
func ArgMax(scores [][]float64, classes []int) []int {
	out := make([]int, len(scores))
	for i, p := range scores {
		best := 0
		for k, v := range p {
			if v > p[best] {
				best = k
			}
		}
		out[i] = classes[best]
	}
	return out
}

// Regressor is a CART decision tree for regression with the squared-error
// criterion (scikit-learn's DecisionTreeRegressor), on binned features.
// X may hold missing values (NaN), as for Classifier.
type Regressor struct {
	// MaxDepth limits the depth, ≥ 1; 0 means unlimited.
	MaxDepth int `json:"max_depth,omitempty"`
	// MinSamplesSplit is the least number of rows to split a node, ≥ 2;
	// 0 means 2.
	MinSamplesSplit int `json:"min_samples_split,omitempty"`
	// MinSamplesLeaf is the least number of rows per leaf, ≥ 1; 0 means
	// 1.
	MinSamplesLeaf int `json:"min_samples_leaf,omitempty"`
	// MaxFeatures is the number of features tried per split, in [1, p];
	// 0 means all.
	MaxFeatures int `json:"max_features,omitempty"`
	// Seed seeds feature sampling.
	Seed uint64 `json:"seed,omitempty"`
	// NFeatures is the number of input columns.
	NFeatures int `json:"n_features"`
	// Tree is the fitted tree; its leaves hold means.
	Tree *Tree `json:"tree"`
}

// Fit grows the tree on X and y.
func (m *Regressor) Fit(x *mat.Dense, y []float64) error { return m.FitWeighted(x, y, nil) }

// FitWeighted grows the tree with a weight per row (nil means 1 each):
// leaf means and squared errors are weighted, as in scikit-learn's
// fit(X, y, sample_weight).
func (m *Regressor) FitWeighted(x *mat.Dense, y, w []float64) error {
	if _, err := check.XYMissing(x, y); err != nil {
		return err
	}
	if err := check.Weights(w, len(y)); err != nil {
		return err
	}
	if err := m.growConfig().Check("tree.Regressor", x.RawMatrix().Cols); err != nil {
		return err
	}
	data, err := FitBinner(x, MaxBins, 0).Transform(x)
	if err != nil {
		return err
	}
	rows := make([]int32, len(y))
	for i := range rows {
		rows[i] = int32(i)
	}
	_, p := x.Dims()
	m.NFeatures = p
	m.Tree = Grow(data, rows, Targets{Y: y, Weight: w}, SquaredError, m.growConfig())
	return nil
}

// FeatureImportances returns the impurity (squared-error) importance of
// each feature, summing to 1: scikit-learn's feature_importances_.
func (m *Regressor) FeatureImportances() []float64 {
	if m.Tree == nil {
		return nil
	}
	return Normalize(m.Tree.GainByFeature(m.NFeatures))
}

func (m *Regressor) growConfig() GrowConfig {
	return GrowConfig{
		MaxDepth: m.MaxDepth, MinSamplesSplit: m.MinSamplesSplit, MinSamplesLeaf: m.MinSamplesLeaf,
		MaxFeatures: m.MaxFeatures, Seed: m.Seed,
	}
}

// Predict returns the mean of each row's leaf.
func (m *Regressor) Predict(x *mat.Dense) ([]float64, error) {
	if m.Tree == nil {
		return nil, check.Features(x, 0)
	}
	hasNaN, err := check.FeaturesMissing(x, m.NFeatures)
	if err != nil {
		return nil, err
	}
	n, _ := x.Dims()
	out := make([]float64, n)
	ForRowsLeaves(x, m.Tree, hasNaN, func(i, leaf int) {
		out[i] = m.Tree.Value[leaf]
	})
	return out, nil
}
