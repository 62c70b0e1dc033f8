package tree

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"unsafe"

	"github.com/weirhq/weir/ml"
	"github.com/weirhq/weir/ml/internal/check"
)

// Criterion selects what a split optimises.
type Criterion int

const (
	// Gini minimises the weighted Gini impurity of class counts; leaves
	// hold class frequencies.
	Gini Criterion = iota
	// SquaredError minimises the sum of squared errors; leaves hold means.
	SquaredError
	// Newton maximises the second-order gain of gradient boosting,
	// G²/(H+λ); leaves hold -G/(H+λ).
	Newton
)

// Targets are the per-row training targets for a criterion.
type Targets struct {
	// Class holds class indexes 0…K-1 for Gini.
	Class []int32
	// K is the number of classes for Gini.
	K int
	// Y holds the values for SquaredError.
	Y []float64
	// Grad and Hess hold gradients and Hessians for Newton.
	Grad, Hess []float64
	// Weight holds a weight per row for Gini and SquaredError (nil means
	// 1 each): class counts and sums become weighted, as scikit-learn's
	// sample_weight. MinSamplesLeaf still counts rows. Newton takes
	// weights folded into Grad and Hess instead.
	Weight []float64
}

// GrowConfig limits tree growth. The zero value grows a full tree.
type GrowConfig struct {
	// MaxDepth limits the depth (root = 0); 0 means unlimited.
	MaxDepth int
	// MinSamplesSplit is the least number of rows a node needs to be
	// split; values below 2 mean 2.
	MinSamplesSplit int
	// MinSamplesLeaf is the least number of rows in each child; values
	// below 1 mean 1.
	MinSamplesLeaf int
	// MaxFeatures is the number of features drawn at random for each
	// split; 0 means all.
	MaxFeatures int
	// L2 is the λ of the Newton criterion.
	L2 float64
	// MinHessian is the least sum of Hessians in a Newton child; 0 means
	// 1e-3.
	MinHessian float64
	// Seed seeds the feature sampling.
	Seed uint64
	// Leaves, when non-nil, receives for every row grown on (an index
	// into it) the node index of the row's leaf.
	Leaves []int32
	// ParallelFeatures builds the histograms of large nodes on all cores,
	// one feature per task (for a single tree at a time, as in boosting;
	// forests parallelise over trees instead). Results do not change.
	ParallelFeatures bool
}

// Check refuses options out of range, naming them as fields of the
// estimator est, for a data set of p features: MaxDepth, MinSamplesSplit,
// MinSamplesLeaf and MaxFeatures must be 0 (the default) or at least 1,
// 2, 1 and 1; MaxFeatures at most p; L2 and MinHessian finite and ≥ 0.
func (c GrowConfig) Check(est string, p int) error {
	err := check.First(
		check.IntAtLeast(est, "MaxDepth", c.MaxDepth, 1, true),
		check.IntAtLeast(est, "MinSamplesSplit", c.MinSamplesSplit, 2, true),
		check.IntAtLeast(est, "MinSamplesLeaf", c.MinSamplesLeaf, 1, true),
		check.IntAtLeast(est, "MaxFeatures", c.MaxFeatures, 1, true),
		check.NonNegative(est, "L2", c.L2),
		check.NonNegative(est, "MinHessian", c.MinHessian),
	)
	if err == nil && c.MaxFeatures > p {
		err = &ml.ParamError{Estimator: est, Field: "MaxFeatures", Value: c.MaxFeatures, Rule: fmt.Sprintf("at most the number of features, %d", p)}
	}
	return err
}

// smallNode is the node size below which splits are found by sorting the
// node's rows instead of scanning full histograms.
const smallNode = 96

type grower struct {
	data    *Binned
	t       Targets
	crit    Criterion
	cfg     GrowConfig
	s       int  // stats per bin
	wtd     bool // Gini or SquaredError with row weights: one more stat, the row count
	rng     *rand.Rand
	tree    *Tree
	feats   []int
	histLen int
	offsets []int // start of each feature in a histogram
	scratch []pair
	nOut    int
	// gathered targets of the node being histogrammed
	gathA, gathB []float64
	gathC        []int32
}

type pair struct {
	bin uint8
	row int32
}

type split struct {
	feature int
	bin     int // rows with bin ≤ bin go left
	loBin   int // the highest non-empty bin of the node going left
	hiBin   int // the lowest non-empty bin of the node going right
	gain    float64
	left    []float64 // stats of the rows going left
	// missingLeft sends the missing values left (with the bins ≤ bin);
	// otherwise they go right.
	missingLeft bool
}

// Grow builds a tree on the given rows (indexes into data; duplicates
// count as weights, as in a bootstrap sample). The rows slice is
// reordered.
func Grow(data *Binned, rows []int32, t Targets, crit Criterion, cfg GrowConfig) *Tree {
	g := &grower{data: data, t: t, crit: crit, cfg: cfg}
	if g.cfg.MinSamplesSplit < 2 {
		g.cfg.MinSamplesSplit = 2
	}
	if g.cfg.MinSamplesLeaf < 1 {
		g.cfg.MinSamplesLeaf = 1
	}
	if g.cfg.MinHessian == 0 {
		g.cfg.MinHessian = 1e-3
	}
	p := len(data.Cols)
	if g.cfg.MaxFeatures <= 0 || g.cfg.MaxFeatures > p {
		g.cfg.MaxFeatures = p
	}
	switch crit {
	case Gini:
		g.s, g.nOut = t.K, t.K
	case SquaredError:
		g.s, g.nOut = 2, 1
	case Newton:
		g.s, g.nOut = 3, 1
	}
	if t.Weight != nil && crit != Newton {
		g.wtd = true
		g.s++
	}
	g.rng = rand.New(rand.NewPCG(cfg.Seed, 0xda3e39cb94b95bdb))
	g.offsets = make([]int, p+1)
	// Every feature gets MaxBins cells, so that the hot loops index a
	// fixed-size array without bounds checks.
	for j := 0; j < p; j++ {
		g.offsets[j+1] = g.offsets[j] + MaxBins*g.s
	}
	g.histLen = g.offsets[p]
	g.feats = make([]int, p)
	for j := range g.feats {
		g.feats[j] = j
	}
	g.tree = &Tree{NOut: g.nOut}
	total := make([]float64, g.s)
	g.accumulate(rows, total)
	g.node(rows, total, nil, 0)
	return g.tree
}

// accumulate adds the stats of rows to s.
func (g *grower) accumulate(rows []int32, s []float64) {
	if g.wtd {
		for _, r := range rows {
			g.addRow(r, s)
		}
		return
	}
	switch g.crit {
	case Gini:
		for _, r := range rows {
			s[g.t.Class[r]]++
		}
	case SquaredError:
		for _, r := range rows {
			s[0] += g.t.Y[r]
			s[1]++
		}
	case Newton:
		for _, r := range rows {
			s[0] += g.t.Grad[r]
			s[1] += g.t.Hess[r]
			s[2]++
		}
	}
}

// addRow adds the stats of row r to s.
func (g *grower) addRow(r int32, s []float64) {
	if g.wtd {
		w := g.t.Weight[r]
		if g.crit == Gini {
			s[g.t.Class[r]] += w
		} else {
			s[0] += w * g.t.Y[r]
			s[1] += w
		}
		s[g.s-1]++
		return
	}
	switch g.crit {
	case Gini:
		s[g.t.Class[r]]++
	case SquaredError:
		s[0] += g.t.Y[r]
		s[1]++
	default:
		s[0] += g.t.Grad[r]
		s[1] += g.t.Hess[r]
		s[2]++
	}
}

// score is the criterion's proxy of a node's quality; a split's gain is
// score(left) + score(right) - score(parent).
func (g *grower) score(s []float64) float64 {
	switch g.crit {
	case Gini:
		var n, sq float64
		for _, c := range s[:g.t.K] {
			n += c
			sq += c * c
		}
		if n == 0 {
			return 0
		}
		return sq / n
	case SquaredError:
		if s[1] == 0 {
			return 0
		}
		return s[0] * s[0] / s[1]
	default:
		return s[0] * s[0] / (s[1] + g.cfg.L2)
	}
}

func (g *grower) count(s []float64) float64 {
	if g.wtd {
		return s[g.s-1]
	}
	switch g.crit {
	case Gini:
		var n float64
		for _, c := range s {
			n += c
		}
		return n
	case SquaredError:
		return s[1]
	default:
		return s[2]
	}
}

func (g *grower) okChild(s []float64) bool {
	if g.count(s) < float64(g.cfg.MinSamplesLeaf) {
		return false
	}
	return g.crit != Newton || s[1] >= g.cfg.MinHessian
}

func (g *grower) leafValue(s []float64) []float64 {
	out := make([]float64, g.nOut)
	switch g.crit {
	case Gini:
		var n float64
		for _, c := range s[:g.t.K] {
			n += c
		}
		if n == 0 {
			n = 1
		}
		for k, c := range s[:g.t.K] {
			out[k] = c / n
		}
	case SquaredError:
		out[0] = s[0] / s[1]
	default:
		out[0] = -s[0] / (s[1] + g.cfg.L2)
	}
	return out
}

func (g *grower) pure(s []float64) bool {
	if g.crit != Gini {
		return false
	}
	nonzero := 0
	for _, c := range s[:g.t.K] {
		if c > 0 {
			nonzero++
		}
	}
	return nonzero <= 1
}

// histPool recycles histograms across nodes, trees and goroutines; boosting
// would otherwise allocate hundreds of megabytes of them.
var histPool sync.Pool

func (g *grower) getHist() []float64 {
	if v, ok := histPool.Get().(*[]float64); ok && len(*v) == g.histLen {
		h := *v
		clear(h)
		return h
	}
	return make([]float64, g.histLen)
}

func (g *grower) putHist(h []float64) {
	if h != nil {
		histPool.Put(&h)
	}
}

// histogram accumulates the stats of rows per feature and bin. The rows'
// targets are first gathered into contiguous buffers, so that the loop
// over each feature reads them sequentially.
func (g *grower) histogram(rows []int32, feats []int, h []float64) {
	n := len(rows)
	if cap(g.gathA) < n {
		g.gathA = make([]float64, n, max(n, cap(g.gathA)*2))
		g.gathB = make([]float64, n, cap(g.gathA))
		g.gathC = make([]int32, n, cap(g.gathA))
	}
	a, b, c := g.gathA[:n], g.gathB[:n], g.gathC[:n]
	if g.wtd {
		for k, r := range rows {
			b[k] = g.t.Weight[r]
		}
	}
	switch g.crit {
	case Gini:
		for k, r := range rows {
			c[k] = g.t.Class[r]
		}
	case SquaredError:
		for k, r := range rows {
			a[k] = g.t.Y[r]
		}
	default:
		for k, r := range rows {
			a[k], b[k] = g.t.Grad[r], g.t.Hess[r]
		}
	}
	workers := runtime.GOMAXPROCS(0)
	if !g.cfg.ParallelFeatures || workers < 2 || n < 2048 || len(feats) < 2 {
		for _, j := range feats {
			g.histogramFeature(rows, j, h, a, b, c)
		}
		return
	}
	var wg sync.WaitGroup
	next := make(chan int, len(feats))
	for _, j := range feats {
		next <- j
	}
	close(next)
	for w := 0; w < min(workers, len(feats)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				g.histogramFeature(rows, j, h, a, b, c)
			}
		}()
	}
	wg.Wait()
}

// histogramFeature accumulates feature j's histogram from the gathered
// targets a, b (values; gradients and Hessians) or c (classes).
func (g *grower) histogramFeature(rows []int32, j int, h, a, b []float64, c []int32) {
	col := g.data.Cols[j]
	base := h[g.offsets[j]:g.offsets[j+1]]
	if g.wtd {
		// Weighted stats with the row count last: a slower, separate loop
		// so that the unweighted loops below stay as they are.
		k := g.s
		for i, r := range rows {
			cell := base[int(col[r])*k : int(col[r])*k+k]
			if g.crit == Gini {
				cell[c[i]] += b[i]
			} else {
				cell[0] += b[i] * a[i]
				cell[1] += b[i]
			}
			cell[k-1]++
		}
		return
	}
	switch g.crit {
	case Gini:
		k := g.s
		for i, r := range rows {
			base[int(col[r])*k+int(c[i])]++
		}
	case SquaredError:
		for i, r := range rows {
			bin := int(col[r]) * 2
			base[bin] += a[i]
			base[bin+1]++
		}
	default:
		// Two histograms, for even and odd rows, so that consecutive rows
		// falling in the same bin do not wait on each other's stores.
		_ = base[MaxBins*3-1]
		hp := (*[MaxBins][3]float64)(unsafe.Pointer(&base[0]))
		var odd [MaxBins][3]float64
		n := len(rows)
		b = b[:n]
		a = a[:n]
		i := 0
		for ; i+2 <= n; i += 2 {
			c0 := &hp[col[rows[i]]]
			c1 := &odd[col[rows[i+1]]]
			c0[0] += a[i]
			c0[1] += b[i]
			c0[2]++
			c1[0] += a[i+1]
			c1[1] += b[i+1]
			c1[2]++
		}
		if i < n {
			c0 := &hp[col[rows[i]]]
			c0[0] += a[i]
			c0[1] += b[i]
			c0[2]++
		}
		for k := range odd {
			hp[k][0] += odd[k][0]
			hp[k][1] += odd[k][1]
			hp[k][2] += odd[k][2]
		}
	}
}

// node grows the subtree of rows and returns its index. hist, when
// non-nil, is the rows' histogram over all features (owned by the call).
func (g *grower) node(rows []int32, total []float64, hist []float64, depth int) int32 {
	id := int32(len(g.tree.Feature))
	g.tree.Feature = append(g.tree.Feature, -1)
	g.tree.Threshold = append(g.tree.Threshold, 0)
	g.tree.Bin = append(g.tree.Bin, 0)
	g.tree.Left = append(g.tree.Left, -1)
	g.tree.Right = append(g.tree.Right, -1)
	g.tree.Value = append(g.tree.Value, g.leafValue(total)...)
	g.tree.Samples = append(g.tree.Samples, int32(len(rows)))
	g.tree.Gain = append(g.tree.Gain, 0)
	g.tree.MissingLeft = append(g.tree.MissingLeft, false)

	n := len(rows)
	if n < g.cfg.MinSamplesSplit || (g.cfg.MaxDepth > 0 && depth >= g.cfg.MaxDepth) || g.pure(total) || n < 2*g.cfg.MinSamplesLeaf {
		g.putHist(hist)
		g.markLeaf(rows, id)
		return id
	}
	feats := g.feats
	allFeats := g.cfg.MaxFeatures == len(g.feats)
	if !allFeats {
		feats = g.sampleFeatures()
	}
	var best split
	if n <= smallNode {
		g.putHist(hist)
		hist = nil
		best = g.bestSorted(rows, total, feats)
	} else {
		if hist == nil {
			hist = g.getHist()
			g.histogram(rows, feats, hist)
		}
		best = g.bestHist(hist, total, feats)
	}
	if best.gain <= 1e-12*math.Max(1, math.Abs(g.score(total))) || best.feature < 0 {
		g.putHist(hist)
		g.markLeaf(rows, id)
		return id
	}
	// Partition rows: bin ≤ best.bin go left, and the missing bin (after
	// every bin of values) when missingLeft.
	col := g.data.Cols[best.feature]
	b := uint8(best.bin)
	i, j := 0, n-1
	if best.missingLeft {
		mb := uint8(g.data.NBins[best.feature])
		for i <= j {
			if v := col[rows[i]]; v <= b || v == mb {
				i++
			} else {
				rows[i], rows[j] = rows[j], rows[i]
				j--
			}
		}
	} else {
		for i <= j {
			if col[rows[i]] <= b {
				i++
			} else {
				rows[i], rows[j] = rows[j], rows[i]
				j--
			}
		}
	}
	left, right := rows[:i], rows[i:]
	ls := best.left
	if ls == nil {
		ls = make([]float64, g.s)
		g.accumulate(left, ls)
	}
	rs := make([]float64, g.s)
	for k := range rs {
		rs[k] = total[k] - ls[k]
	}
	g.tree.Feature[id] = int32(best.feature)
	g.tree.Bin[id] = b
	g.tree.Threshold[id] = g.threshold(best)
	g.tree.Gain[id] = best.gain
	// A feature with missing values at fit time sends them the way the
	// split search chose; for any other, a missing value met at predict
	// time goes to the child with more training rows (scikit-learn's
	// rule; a tie goes right).
	if g.data.Binner.HasMissing(best.feature) {
		g.tree.MissingLeft[id] = best.missingLeft
	} else {
		g.tree.MissingLeft[id] = len(left) > len(right)
	}

	// Children histograms: the smaller child's is built, the larger's is
	// the parent's minus it (only when every feature is used).
	var lh, rh []float64
	if allFeats && hist != nil && len(left) > smallNode && len(right) > smallNode {
		small, smallRows := &lh, left
		large := &rh
		if len(right) < len(left) {
			small, smallRows, large = &rh, right, &lh
		}
		*small = g.getHist()
		g.histogram(smallRows, feats, *small)
		for k, v := range *small {
			hist[k] -= v
		}
		*large = hist
		hist = nil
	}
	g.putHist(hist)
	if g.cfg.ParallelFeatures && allFeats && depth < parallelDepth && len(left) > 4096 && len(right) > 4096 && runtime.GOMAXPROCS(0) > 1 {
		// Grow the two subtrees concurrently, each into its own tree, and
		// graft them in the order the serial recursion would have appended
		// their nodes: the result is the same tree.
		lg, rg := g.sub(), g.sub()
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			lg.node(left, ls, lh, depth+1)
		}()
		rg.node(right, rs, rh, depth+1)
		wg.Wait()
		g.tree.Left[id] = g.graft(lg.tree, left)
		g.tree.Right[id] = g.graft(rg.tree, right)
		return id
	}
	l := g.node(left, ls, lh, depth+1)
	r := g.node(right, rs, rh, depth+1)
	g.tree.Left[id], g.tree.Right[id] = l, r
	return id
}

// parallelDepth is the depth down to which ParallelFeatures also grows
// sibling subtrees concurrently (up to 2^parallelDepth tasks).
const parallelDepth = 3

// sub returns a grower sharing g's data and configuration that grows into
// a tree of its own.
func (g *grower) sub() *grower {
	return &grower{data: g.data, t: g.t, crit: g.crit, cfg: g.cfg, s: g.s, wtd: g.wtd, rng: g.rng, tree: &Tree{NOut: g.nOut},
		feats: g.feats, histLen: g.histLen, offsets: g.offsets, nOut: g.nOut}
}

// graft appends the nodes of sub to g's tree, renumbering them, and
// returns the index of sub's root. rows are the rows grown in sub, whose
// leaf indexes are renumbered too.
func (g *grower) graft(sub *Tree, rows []int32) int32 {
	off := int32(len(g.tree.Feature))
	t := g.tree
	t.Feature = append(t.Feature, sub.Feature...)
	t.Threshold = append(t.Threshold, sub.Threshold...)
	t.Bin = append(t.Bin, sub.Bin...)
	t.Value = append(t.Value, sub.Value...)
	t.Samples = append(t.Samples, sub.Samples...)
	t.Gain = append(t.Gain, sub.Gain...)
	t.MissingLeft = append(t.MissingLeft, sub.MissingLeft...)
	for k := range sub.Left {
		l, r := sub.Left[k], sub.Right[k]
		if l >= 0 {
			l += off
			r += off
		}
		t.Left = append(t.Left, l)
		t.Right = append(t.Right, r)
	}
	if g.cfg.Leaves != nil {
		for _, r := range rows {
			g.cfg.Leaves[r] += off
		}
	}
	return off
}

// threshold returns the split point of a split. For a feature binned
// exactly (one bin per distinct value), it is the midpoint between the
// largest value going left and the smallest going right, which is where
// scikit-learn puts it; otherwise it is the bin edge.
func (g *grower) threshold(sp split) float64 {
	if sp.hiBin >= g.data.NBins[sp.feature] {
		// Every value goes left and only the missing values right.
		return math.MaxFloat64
	}
	if vals := g.data.Binner.Values[sp.feature]; vals != nil {
		return midpoint(vals[sp.loBin], vals[sp.hiBin])
	}
	return g.data.Binner.Edges[sp.feature][sp.bin]
}

func (g *grower) markLeaf(rows []int32, id int32) {
	if g.cfg.Leaves != nil {
		for _, r := range rows {
			g.cfg.Leaves[r] = id
		}
	}
}

func (g *grower) sampleFeatures() []int {
	// Partial Fisher-Yates over a copy.
	p := len(g.feats)
	perm := make([]int, p)
	copy(perm, g.feats)
	for i := 0; i < g.cfg.MaxFeatures; i++ {
		j := i + g.rng.IntN(p-i)
		perm[i], perm[j] = perm[j], perm[i]
	}
	out := perm[:g.cfg.MaxFeatures]
	slices.Sort(out)
	return out
}

func (g *grower) bestHist(hist, total []float64, feats []int) split {
	if g.crit == Newton {
		return g.bestHistNewton(hist, total, feats)
	}
	best := split{feature: -1}
	parent := g.score(total)
	s := g.s
	left := make([]float64, s)
	right := make([]float64, s)
	for _, j := range feats {
		h := hist[g.offsets[j]:g.offsets[j+1]]
		if g.data.Binner.HasMissing(j) {
			g.scanMissing(h, total, j, &best)
			continue
		}
		clear(left)
		nb := g.data.NBins[j]
		for b := 0; b < nb-1; b++ {
			cell := h[b*s : b*s+s]
			empty := true
			for k, v := range cell {
				left[k] += v
				if v != 0 {
					empty = false
				}
			}
			if empty && b > 0 {
				continue
			}
			for k := range right {
				right[k] = total[k] - left[k]
			}
			if !g.okChild(left) {
				continue
			}
			if !g.okChild(right) {
				break
			}
			gain := g.score(left) + g.score(right) - parent
			if gain > best.gain {
				hi := b + 1
				for hi < nb-1 && g.count(h[hi*s:hi*s+s]) == 0 {
					hi++
				}
				best = split{feature: j, bin: b, loBin: b, hiBin: hi, gain: gain, left: append(best.left[:0], left...)}
			}
		}
	}
	return best
}

// bestHistNewton is bestHist for the Newton criterion with the stats in
// scalars, the hot loop of gradient boosting.
func (g *grower) bestHistNewton(hist, total []float64, feats []int) split {
	best := split{feature: -1}
	l2 := g.cfg.L2
	minH, minN := g.cfg.MinHessian, float64(g.cfg.MinSamplesLeaf)
	gt, ht, nt := total[0], total[1], total[2]
	parent := gt * gt / (ht + l2)
	for _, j := range feats {
		h := hist[g.offsets[j]:g.offsets[j+1]]
		if g.data.Binner.HasMissing(j) {
			g.scanMissing(h, total, j, &best)
			continue
		}
		nb := g.data.NBins[j]
		var gl, hl, nl float64
		for b := 0; b < nb-1; b++ {
			c := h[b*3 : b*3+3 : b*3+3]
			if c[2] == 0 {
				continue
			}
			gl += c[0]
			hl += c[1]
			nl += c[2]
			if nl < minN || hl < minH {
				continue
			}
			gr, hr, nr := gt-gl, ht-hl, nt-nl
			if nr < minN || hr < minH {
				break
			}
			gain := gl*gl/(hl+l2) + gr*gr/(hr+l2) - parent
			if gain > best.gain {
				hi := b + 1
				for hi < nb-1 && h[hi*3+2] == 0 {
					hi++
				}
				best = split{feature: j, bin: b, loBin: b, hiBin: hi, gain: gain, left: append(best.left[:0], gl, hl, nl)}
			}
		}
	}
	return best
}

func (g *grower) bestSorted(rows []int32, total []float64, feats []int) split {
	best := split{feature: -1}
	parent := g.score(total)
	s := g.s
	left := make([]float64, s)
	right := make([]float64, s)
	if cap(g.scratch) < len(rows) {
		g.scratch = make([]pair, len(rows))
	}
	ps := g.scratch[:len(rows)]
	for _, j := range feats {
		col := g.data.Cols[j]
		if g.data.Binner.HasMissing(j) {
			h := make([]float64, (g.data.NBins[j]+1)*s)
			for _, r := range rows {
				b := int(col[r])
				g.addRow(r, h[b*s:b*s+s])
			}
			g.scanMissing(h, total, j, &best)
			continue
		}
		for i, r := range rows {
			ps[i] = pair{bin: col[r], row: r}
		}
		slices.SortFunc(ps, func(a, b pair) int { return int(a.bin) - int(b.bin) })
		if ps[0].bin == ps[len(ps)-1].bin {
			continue
		}
		clear(left)
		for i := 0; i < len(ps)-1; i++ {
			g.addRow(ps[i].row, left)
			if ps[i+1].bin == ps[i].bin {
				continue
			}
			for k := range right {
				right[k] = total[k] - left[k]
			}
			if !g.okChild(left) {
				continue
			}
			if !g.okChild(right) {
				break
			}
			gain := g.score(left) + g.score(right) - parent
			if gain > best.gain {
				best = split{feature: j, bin: int(ps[i].bin), loBin: int(ps[i].bin), hiBin: int(ps[i+1].bin), gain: gain, left: append(best.left[:0], left...)}
			}
		}
	}
	return best
}

// scanMissing finds the best split of feature j, which has missing values,
// from its histogram h (the bins of values, then the missing bin), as
// scikit-learn's histogram gradient boosting does: a scan from the left
// with the missing values going right (which includes the split of every
// value left and only the missing values right), then a scan from the
// right with the missing values going left, kept only when strictly
// better. It updates best when it finds a better split.
func (g *grower) scanMissing(h, total []float64, j int, best *split) {
	s := g.s
	nb := g.data.NBins[j]
	parent := g.score(total)
	left := make([]float64, s)
	right := make([]float64, s)
	empty := func(b int) bool { return g.count(h[b*s:b*s+s]) == 0 }
	for b := 0; b < nb; b++ {
		for k, v := range h[b*s : b*s+s] {
			left[k] += v
		}
		if empty(b) && b > 0 {
			continue
		}
		for k := range right {
			right[k] = total[k] - left[k]
		}
		if !g.okChild(left) {
			continue
		}
		if !g.okChild(right) {
			break
		}
		if gain := g.score(left) + g.score(right) - parent; gain > best.gain {
			hi := b + 1
			for hi < nb && empty(hi) {
				hi++
			}
			*best = split{feature: j, bin: b, loBin: b, hiBin: hi, gain: gain, left: append(best.left[:0], left...)}
		}
	}
	clear(right)
	for b := nb - 1; b >= 1; b-- {
		for k, v := range h[b*s : b*s+s] {
			right[k] += v
		}
		if empty(b) && b < nb-1 {
			continue
		}
		for k := range left {
			left[k] = total[k] - right[k]
		}
		if !g.okChild(right) {
			continue
		}
		if !g.okChild(left) {
			break
		}
		if gain := g.score(left) + g.score(right) - parent; gain > best.gain {
			lo := b - 1
			for lo > 0 && empty(lo) {
				lo--
			}
			*best = split{feature: j, bin: b - 1, loBin: lo, hiBin: b, gain: gain, left: append(best.left[:0], left...), missingLeft: true}
		}
	}
}
