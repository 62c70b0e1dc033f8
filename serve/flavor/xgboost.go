package flavor

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/weirhq/weir/ml/frame"
	"github.com/weirhq/weir/ml/model"
)

// Booster is a tree ensemble (XGBoost's or LightGBM's) evaluated in Go.
type Booster struct {
	platform  string
	objective string
	names     []string     // the booster's feature names; nil when it has none
	inputs    frame.Schema // what requests are checked against
	feature   []int        // feature j of the booster is inputs[feature[j]]
	nFeatures int
	nGroups   int  // outputs per row: 1, or the number of classes
	labels    bool // answer classes (the scikit-learn API's classifiers)

	// XGBoost's trees (nil for a leaves ensemble).
	trees []xgbTree
	group []int     // tree i adds to output group[i]
	base  []float32 // the base margin per group
	// row computes the outputs of one row (after the objective's transformation).
	row func(x []float64, x32 []float32, out []float64)
}

// Inputs returns the columns requests must carry: the MLmodel signature's when bound to
// one, else the booster's feature names (or f0, f1, … when it has none), as floats.
func (b *Booster) Inputs() frame.Schema { return b.inputs }

// Close does nothing: a booster is only memory.
func (b *Booster) Close() error { return nil }

// Describe returns the platform ("xgboost", "lightgbm") and what it answers: "labels"
// (classes), else "values".
func (b *Booster) Describe() (string, string) {
	if b.nGroups > 1 || b.labels {
		return b.platform, "labels"
	}
	return b.platform, "values"
}

// Predict evaluates every row. A regression, or a binary model without class labels,
// answers Values (for binary:logistic the probability of class 1, as Booster.predict
// does); a multi-class model answers Labels (the class index, as text) and
// Probabilities; the scikit-learn API's classifiers answer Labels and Probabilities.
func (b *Booster) Predict(ctx context.Context, f *frame.Frame) (*model.Prediction, error) {
	cols := make([]*frame.Column, len(b.inputs))
	for k, in := range b.inputs {
		c, err := f.Column(in.Name)
		if err != nil {
			return nil, &InputError{Err: fmt.Errorf("input column %q is missing", in.Name)}
		}
		switch c.Type() {
		case frame.Float, frame.Int, frame.Bool:
		default:
			return nil, &InputError{Err: fmt.Errorf("input column %q is %s; a booster takes numbers", in.Name, c.Type())}
		}
		cols[k] = c
	}
	n := f.NumRows()
	x := make([]float64, b.nFeatures)
	x32 := make([]float32, b.nFeatures)
	out := make([]float64, n*b.nGroups)
	for i := range n {
		if i%1024 == 1023 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		for j, k := range b.feature {
			v := math.NaN()
			if k >= 0 {
				v = cols[k].Float(i)
			}
			x[j], x32[j] = v, float32(v)
		}
		b.row(x, x32, out[i*b.nGroups:(i+1)*b.nGroups])
	}
	p := &model.Prediction{}
	switch {
	case b.nGroups > 1:
		p.Probabilities = make([][]float64, n)
		p.Labels = make([]string, n)
		for i := range n {
			row := out[i*b.nGroups : (i+1)*b.nGroups]
			p.Probabilities[i] = row
			best := 0
			for g, v := range row {
				if v > row[best] {
					best = g
				}
			}
			p.Labels[i] = strconv.Itoa(best)
		}
	case b.labels:
		p.Probabilities = make([][]float64, n)
		p.Labels = make([]string, n)
		for i, v := range out {
			p.Probabilities[i] = []float64{1 - v, v}
			p.Labels[i] = "0"
			if v > 0.5 {
				p.Labels[i] = "1"
			}
		}
	default:
		p.Values = out
	}
	return p, nil
}

// defaultInputs names the booster's features for requests.
func (b *Booster) defaultInputs() {
	b.inputs = make(frame.Schema, b.nFeatures)
	b.feature = make([]int, b.nFeatures)
	for j := range b.nFeatures {
		name := "f" + strconv.Itoa(j)
		if b.names != nil {
			name = b.names[j]
		}
		b.inputs[j] = frame.Field{Name: name, Type: frame.Float}
		b.feature[j] = j
	}
}

// bind makes the signature's columns the inputs: by name when the booster has feature
// names, else by position.
func (b *Booster) bind(sig frame.Schema) error {
	for _, in := range sig {
		switch in.Type {
		case frame.Float, frame.Int, frame.Bool:
		default:
			return fmt.Errorf("signature input %q is %s; a %s booster takes numbers: fix the model's signature", in.Name, in.Type, b.platform)
		}
	}
	feature := make([]int, b.nFeatures)
	if b.names != nil {
		at := make(map[string]int, len(sig))
		for k, in := range sig {
			at[in.Name] = k
		}
		for j, name := range b.names {
			k, ok := at[name]
			if !ok {
				return fmt.Errorf("the booster's feature %q is not among the signature's inputs (%s): fix the model's signature", name, sig)
			}
			feature[j] = k
		}
	} else {
		if len(sig) != b.nFeatures {
			return fmt.Errorf("the signature has %d inputs (%s) and the booster %d unnamed features: fix the model's signature", len(sig), sig, b.nFeatures)
		}
		for j := range feature {
			feature[j] = j
		}
	}
	b.inputs, b.feature = sig, feature
	return nil
}

// xgbTree is one XGBoost regression tree, as arrays indexed by node (XGBoost's JSON).
type xgbTree struct {
	left, right []int32
	feat        []int32
	cond        []float32 // the split's threshold, or the leaf's value
	defLeft     []bool
	weight      float32 // DART's tree weight; 1 for gbtree
}

// leaf walks the tree for one row: x < threshold goes left, a missing value (NaN) goes
// the default way, as XGBoost's RegTree does.
func (t *xgbTree) leaf(x []float32) float32 {
	n := int32(0)
	for t.left[n] >= 0 {
		v := x[t.feat[n]]
		switch {
		case v != v:
			if t.defLeft[n] {
				n = t.left[n]
			} else {
				n = t.right[n]
			}
		case v < t.cond[n]:
			n = t.left[n]
		default:
			n = t.right[n]
		}
	}
	return t.cond[n]
}

// The parts of XGBoost's JSON model format (doc/model.schema in XGBoost) weir reads.
type xgbDoc struct {
	Learner *struct {
		FeatureNames      []string `json:"feature_names"`
		FeatureTypes      []string `json:"feature_types"`
		LearnerModelParam struct {
			BaseScore  string `json:"base_score"`
			NumClass   string `json:"num_class"`
			NumFeature string `json:"num_feature"`
			NumTarget  string `json:"num_target"`
		} `json:"learner_model_param"`
		Objective struct {
			Name string `json:"name"`
		} `json:"objective"`
		GradientBooster struct {
			Name       string                      `json:"name"`
			Model      *xgbGBTree                  `json:"model"`
			GBTree     *struct{ Model *xgbGBTree } `json:"gbtree"`
			WeightDrop []float64                   `json:"weight_drop"`
		} `json:"gradient_booster"`
	} `json:"learner"`
	Version []int `json:"version"`
}

type xgbGBTree struct {
	Trees    []xgbJSONTree `json:"trees"`
	TreeInfo []int         `json:"tree_info"`
}

type xgbJSONTree struct {
	LeftChildren    []int32    `json:"left_children"`
	RightChildren   []int32    `json:"right_children"`
	SplitIndices    []int32    `json:"split_indices"`
	SplitConditions []float64  `json:"split_conditions"`
	DefaultLeft     []flexBool `json:"default_left"`
	SplitType       []int      `json:"split_type"`
}

// flexBool reads true/false or 1/0 (XGBoost writes either, by version and format).
type flexBool bool

func (f *flexBool) UnmarshalJSON(b []byte) error {
	switch s := string(bytes.TrimSpace(b)); s {
	case "true":
		*f = true
	case "false", "0":
		*f = false
	default:
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("want a boolean, got %s", s)
		}
		*f = v != 0
	}
	return nil
}

func isXGBoostJSON(head []byte) bool {
	head = bytes.TrimLeft(head, " \t\r\n")
	return bytes.HasPrefix(head, []byte("{")) && bytes.Contains(head, []byte(`"learner"`))
}

// openXGBoostFile reads an XGBoost model file by its content, whatever its extension:
// JSON, UBJSON (what XGBoost ≥ 2.1 writes as model.xgb) or the legacy binary format (what
// XGBoost < 2.1 writes as model.xgb).
func openXGBoostFile(path, format string) (*Booster, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("XGBoost model: %w", err)
	}
	var doc []byte
	switch {
	case isXGBoostJSON(b[:min(len(b), 4096)]):
		doc = b
	case len(b) > 1 && b[0] == '{' && strings.IndexByte("iUIlL$#", b[1]) >= 0:
		v, err := decodeUBJSON(b)
		if err != nil {
			return nil, fmt.Errorf("XGBoost model %s (UBJSON): %w", path, err)
		}
		if doc, err = json.Marshal(v); err != nil {
			return nil, fmt.Errorf("XGBoost model %s (UBJSON): %w", path, err)
		}
	case isXGBoostLegacy(b):
		bst, err := parseXGBoostLegacy(b)
		if err != nil {
			return nil, fmt.Errorf("XGBoost model %s (legacy binary format): %w; if XGBoost loads it, save it again with booster.save_model(%q)", path, err, "model.json")
		}
		return bst, nil
	default:
		return nil, fmt.Errorf("XGBoost model %s (format %q): not one of XGBoost's model formats (JSON, UBJSON, legacy binary)",
			path, cmp.Or(format, strings.TrimPrefix(filepath.Ext(path), ".")))
	}
	bst, err := parseXGBoostJSON(doc)
	if err != nil {
		return nil, fmt.Errorf("XGBoost model %s: %w", path, err)
	}
	return bst, nil
}

// ParseXGBoost reads a model in XGBoost's JSON format (Booster.save_model("model.json")).
func ParseXGBoost(doc []byte) (*Booster, error) { return parseXGBoostJSON(doc) }

func parseXGBoostJSON(b []byte) (*Booster, error) {
	var doc xgbDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("not an XGBoost JSON model: %w", err)
	}
	l := doc.Learner
	if l == nil {
		return nil, errors.New("not an XGBoost JSON model: no learner")
	}
	gb := l.GradientBooster
	var m *xgbGBTree
	switch gb.Name {
	case "gbtree":
		m = gb.Model
	case "dart":
		if gb.GBTree != nil {
			m = gb.GBTree.Model
		}
	default:
		return nil, fmt.Errorf("booster %q is not served (weir serves gbtree and dart boosters; gblinear is not a tree model)", gb.Name)
	}
	if m == nil || len(m.Trees) == 0 {
		return nil, errNoTrees
	}
	for _, t := range l.FeatureTypes {
		if t == "c" {
			return nil, errors.New("the model has categorical features, which weir does not serve: train it without enable_categorical")
		}
	}
	mp := l.LearnerModelParam
	nf, err := strconv.Atoi(mp.NumFeature)
	if err != nil || nf <= 0 {
		return nil, fmt.Errorf("learner_model_param.num_feature %q is not a positive count", mp.NumFeature)
	}
	if nt, _ := strconv.Atoi(mp.NumTarget); nt > 1 {
		return nil, fmt.Errorf("the model has %d targets; weir serves single-target models", nt)
	}
	nclass, _ := strconv.Atoi(mp.NumClass)
	trees := make([]xgbTree, len(m.Trees))
	for i, jt := range m.Trees {
		w := float32(1)
		if gb.Name == "dart" && i < len(gb.WeightDrop) {
			w = float32(gb.WeightDrop[i])
		}
		t, err := convertTree(jt, nf, w)
		if err != nil {
			return nil, fmt.Errorf("tree %d: %w", i, err)
		}
		trees[i] = t
	}
	if len(l.FeatureNames) > 0 && len(l.FeatureNames) != nf {
		return nil, fmt.Errorf("%d feature names for %d features", len(l.FeatureNames), nf)
	}
	return newXGBooster(l.Objective.Name, nf, nclass, mp.BaseScore, l.FeatureNames, trees, m.TreeInfo)
}

// newXGBooster assembles a booster from a model's parts, whatever its file format.
func newXGBooster(obj string, nf, nclass int, baseScore string, names []string, trees []xgbTree, treeInfo []int) (*Booster, error) {
	groups := max(nclass, 1)
	bst := &Booster{platform: "xgboost", objective: obj, nFeatures: nf, nGroups: groups}
	if len(names) > 0 {
		bst.names = names
	}
	link, err := xgbLink(obj, groups)
	if err != nil {
		return nil, err
	}
	base, err := parseBaseScore(baseScore, groups)
	if err != nil {
		return nil, err
	}
	for g := range base {
		base[g] = link.probToMargin(base[g])
	}
	bst.base = base
	if len(treeInfo) != len(trees) {
		return nil, fmt.Errorf("tree_info has %d entries for %d trees", len(treeInfo), len(trees))
	}
	for i, g := range treeInfo {
		if g < 0 || g >= groups {
			return nil, fmt.Errorf("tree %d: output group %d out of %d", i, g, groups)
		}
	}
	bst.trees, bst.group = trees, treeInfo
	bst.row = bst.xgbRow(link)
	bst.defaultInputs()
	return bst, nil
}

// xgbRow returns the row function summing the trees in float32, as XGBoost's CPU
// predictor does, from the base margin, in tree order.
func (b *Booster) xgbRow(link xgbLinkFn) func([]float64, []float32, []float64) {
	return func(_ []float64, x []float32, out []float64) {
		var buf [16]float32
		var sum []float32
		if b.nGroups <= len(buf) {
			sum = buf[:b.nGroups]
		} else {
			sum = make([]float32, b.nGroups)
		}
		copy(sum, b.base)
		for i := range b.trees {
			t := &b.trees[i]
			if t.weight == 1 {
				sum[b.group[i]] += t.leaf(x)
			} else {
				sum[b.group[i]] += t.weight * t.leaf(x)
			}
		}
		link.transform(sum, out)
	}
}

func convertTree(jt xgbJSONTree, nf int, w float32) (xgbTree, error) {
	n := len(jt.LeftChildren)
	if n == 0 || len(jt.RightChildren) != n || len(jt.SplitIndices) != n || len(jt.SplitConditions) != n || len(jt.DefaultLeft) != n {
		return xgbTree{}, fmt.Errorf("node arrays of different lengths (left_children %d, right_children %d, split_indices %d, split_conditions %d, default_left %d)",
			n, len(jt.RightChildren), len(jt.SplitIndices), len(jt.SplitConditions), len(jt.DefaultLeft))
	}
	for _, st := range jt.SplitType {
		if st != 0 {
			return xgbTree{}, errors.New("a categorical split, which weir does not serve")
		}
	}
	t := xgbTree{left: jt.LeftChildren, right: jt.RightChildren, feat: jt.SplitIndices,
		cond: make([]float32, n), defLeft: make([]bool, n), weight: w}
	for i := range n {
		t.cond[i] = float32(jt.SplitConditions[i])
		t.defLeft[i] = bool(jt.DefaultLeft[i])
	}
	return t, t.check(nf)
}

// check makes sure a walk of the tree always ends on a leaf within its arrays: from the
// root, every split's children are in range and no node is reached twice.
func (t *xgbTree) check(nf int) error {
	n := len(t.left)
	if n == 0 {
		return errors.New("a tree without nodes")
	}
	seen := make([]bool, n)
	stack := []int32{0}
	seen[0] = true
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		l, r := t.left[i], t.right[i]
		if l < 0 {
			continue
		}
		if int(l) >= n || r < 0 || int(r) >= n || seen[l] || seen[r] || l == r {
			return fmt.Errorf("node %d has children %d and %d out of range or reached twice (%d nodes)", i, l, r, n)
		}
		if t.feat[i] < 0 || int(t.feat[i]) >= nf {
			return fmt.Errorf("node %d splits on feature %d of %d", i, t.feat[i], nf)
		}
		seen[l], seen[r] = true, true
		stack = append(stack, l, r)
	}
	return nil
}

func parseBaseScore(s string, groups int) ([]float32, error) {
	s = strings.Trim(strings.TrimSpace(s), "[]")
	if s == "" {
		s = "0.5"
	}
	parts := strings.Split(s, ",")
	out := make([]float32, groups)
	for g := range out {
		p := parts[0]
		if len(parts) == groups {
			p = parts[g]
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 32)
		if err != nil {
			return nil, fmt.Errorf("learner_model_param.base_score %q is not a number", s)
		}
		out[g] = float32(v)
	}
	return out, nil
}

// xgbLinkFn is an objective's link: from probability to margin (for base_score) and from
// margins to outputs.
type xgbLinkFn struct {
	probToMargin func(float32) float32
	transform    func(sum []float32, out []float64)
}

func xgbLink(obj string, groups int) (xgbLinkFn, error) {
	ident := func(v float32) float32 { return v }
	copyOut := func(sum []float32, out []float64) {
		for g, v := range sum {
			out[g] = float64(v)
		}
	}
	if groups > 1 {
		switch obj {
		case "multi:softprob":
			return xgbLinkFn{ident, softmax}, nil
		}
		return xgbLinkFn{}, fmt.Errorf("objective %q with %d classes is not served (weir serves multi:softprob; multi:softmax answers no probabilities: train with multi:softprob)", obj, groups)
	}
	switch obj {
	case "reg:squarederror", "reg:linear", "reg:squaredlogerror", "reg:absoluteerror", "reg:pseudohubererror",
		"binary:logitraw", "rank:pairwise", "rank:ndcg", "rank:map":
		return xgbLinkFn{ident, copyOut}, nil
	case "binary:logistic", "reg:logistic":
		return xgbLinkFn{
			func(p float32) float32 { return float32(-math.Log(1/float64(p) - 1)) },
			func(sum []float32, out []float64) {
				for g, v := range sum {
					out[g] = float64(float32(1 / (1 + math.Exp(-float64(v)))))
				}
			}}, nil
	case "count:poisson", "reg:gamma", "reg:tweedie":
		return xgbLinkFn{
			func(p float32) float32 { return float32(math.Log(float64(p))) },
			func(sum []float32, out []float64) {
				for g, v := range sum {
					out[g] = float64(float32(math.Exp(float64(v))))
				}
			}}, nil
	}
	return xgbLinkFn{}, fmt.Errorf("objective %q is not served (weir serves reg:squarederror and the other identity-link regressions, binary:logistic, reg:logistic, count:poisson, reg:gamma, reg:tweedie and multi:softprob)", obj)
}

// softmax is XGBoost's: exp(x - max) over the sum, in float32.
func softmax(sum []float32, out []float64) {
	m := sum[0]
	for _, v := range sum[1:] {
		m = max(m, v)
	}
	var tot float32
	for g, v := range sum {
		e := float32(math.Exp(float64(v - m)))
		out[g] = float64(e)
		tot += e
	}
	for g := range out {
		out[g] = float64(float32(out[g]) / tot)
	}
}
