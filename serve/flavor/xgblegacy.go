package flavor

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
)

// XGBoost's legacy binary model format (what Booster.save_model writes for names other
// than .json and .ubj before XGBoost 2.1, so mlflow.xgboost's model.xgb), read as XGBoost
// 1.x reads it (src/learner.cc LearnerIO::LoadModel, src/gbm/gbtree_model.cc,
// src/tree/tree_model.cc), little-endian:
//
//	"binf"                          (XGBoost ≥ 1.0; absent before)
//	LearnerModelParamLegacy         136 bytes: base_score f32, num_feature u32, num_class i32, …
//	objective, booster              strings: u64 length + bytes
//	GBTreeModelParam                160 bytes: num_trees i32, …
//	each tree: TreeParam            148 bytes: _, num_nodes i32, num_deleted i32, _, num_feature i32, size_leaf_vector i32, …
//	           nodes                20 bytes each: parent i32, left i32, right i32, sindex u32 (bit 31: default left), value f32
//	           stats                16 bytes each (unused here)
//	tree_info                       i32 per tree
const (
	xgbLearnerParamSize = 136
	xgbGBTreeParamSize  = 160
	xgbTreeParamSize    = 148
	xgbNodeSize         = 20
	xgbStatSize         = 16
)

type leReader struct {
	b   []byte
	off int
}

var errShort = errors.New("the file ends too soon")

func (r *leReader) take(n int) ([]byte, error) {
	if n < 0 || n > len(r.b)-r.off {
		return nil, errShort
	}
	p := r.b[r.off : r.off+n]
	r.off += n
	return p, nil
}

func (r *leReader) str() (string, error) {
	p, err := r.take(8)
	if err != nil {
		return "", err
	}
	n := binary.LittleEndian.Uint64(p)
	if n > 1<<16 {
		return "", fmt.Errorf("a name of %d bytes", n)
	}
	p, err = r.take(int(n))
	return string(p), err
}

func i32(p []byte, k int) int32 { return int32(binary.LittleEndian.Uint32(p[4*k:])) }

// isXGBoostLegacy says b looks like the legacy binary format: "binf", or (before 1.0) a
// learner parameter block followed by a plausible objective name.
func isXGBoostLegacy(b []byte) bool {
	if len(b) >= 4 && string(b[:4]) == "binf" {
		return true
	}
	if len(b) < xgbLearnerParamSize+8 {
		return false
	}
	n := binary.LittleEndian.Uint64(b[xgbLearnerParamSize:])
	return n > 0 && n < 64
}

// parseXGBoostLegacy reads a gbtree model in the legacy binary format.
func parseXGBoostLegacy(b []byte) (*Booster, error) {
	r := &leReader{b: b}
	if len(b) >= 4 && string(b[:4]) == "binf" {
		r.off = 4
	}
	lp, err := r.take(xgbLearnerParamSize)
	if err != nil {
		return nil, err
	}
	base := math.Float32frombits(binary.LittleEndian.Uint32(lp))
	nf, nclass := int(i32(lp, 1)), int(i32(lp, 2))
	if nf <= 0 || nf > 1<<24 {
		return nil, fmt.Errorf("num_feature %d", nf)
	}
	obj, err := r.str()
	if err != nil {
		return nil, err
	}
	gbm, err := r.str()
	if err != nil {
		return nil, err
	}
	if gbm != "gbtree" {
		return nil, fmt.Errorf("booster %q is not served (weir serves gbtree boosters from the legacy binary format; save the model as JSON for dart)", gbm)
	}
	gp, err := r.take(xgbGBTreeParamSize)
	if err != nil {
		return nil, err
	}
	ntrees := int(i32(gp, 0))
	if ntrees <= 0 {
		return nil, errNoTrees
	}
	if ntrees > (len(b)-r.off)/(xgbTreeParamSize+xgbNodeSize+xgbStatSize) {
		return nil, fmt.Errorf("%d trees do not fit in the file", ntrees)
	}
	trees := make([]xgbTree, ntrees)
	for i := range trees {
		tp, err := r.take(xgbTreeParamSize)
		if err != nil {
			return nil, fmt.Errorf("tree %d: %w", i, err)
		}
		nn := int(i32(tp, 1))
		if i32(tp, 5) != 0 {
			return nil, fmt.Errorf("tree %d: leaf vectors are not served", i)
		}
		if nn <= 0 || nn > (len(b)-r.off)/(xgbNodeSize+xgbStatSize) {
			return nil, fmt.Errorf("tree %d: %d nodes do not fit in the file", i, nn)
		}
		np, err := r.take(nn * xgbNodeSize)
		if err != nil {
			return nil, fmt.Errorf("tree %d: %w", i, err)
		}
		if _, err := r.take(nn * xgbStatSize); err != nil {
			return nil, fmt.Errorf("tree %d: %w", i, err)
		}
		t := xgbTree{left: make([]int32, nn), right: make([]int32, nn), feat: make([]int32, nn),
			cond: make([]float32, nn), defLeft: make([]bool, nn), weight: 1}
		for k := range nn {
			node := np[k*xgbNodeSize:]
			t.left[k], t.right[k] = i32(node, 1), i32(node, 2)
			sindex := binary.LittleEndian.Uint32(node[12:])
			t.feat[k] = int32(sindex & (1<<31 - 1))
			t.defLeft[k] = sindex>>31 != 0
			t.cond[k] = math.Float32frombits(binary.LittleEndian.Uint32(node[16:]))
			if t.left[k] < 0 {
				t.left[k], t.right[k] = -1, -1
			}
		}
		if err := t.check(nf); err != nil {
			return nil, fmt.Errorf("tree %d: %w", i, err)
		}
		trees[i] = t
	}
	ti, err := r.take(4 * ntrees)
	if err != nil {
		return nil, fmt.Errorf("tree_info: %w", err)
	}
	info := make([]int, ntrees)
	for i := range info {
		info[i] = int(i32(ti, i))
	}
	return newXGBooster(obj, nf, nclass, strconv.FormatFloat(float64(base), 'g', -1, 32), nil, trees, info)
}
