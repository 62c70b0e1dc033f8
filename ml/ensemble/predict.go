package ensemble

import (
	"gonum.org/v1/gonum/mat"

	"github.com/weirhq/weir/ml/tree"
)

// predictBlock is the number of rows pushed through one tree before moving
// to the next: the tree's nodes then stay in cache while the rows stream
// through, which for deep forests is several times faster than walking
// every tree for one row at a time (measured best at thousands of rows).
const predictBlock = 8192

// sumLeaves adds, for every row of x, the leaf values of the trees to
// out[i*nOut : (i+1)*nOut]; trees[k] contributes to output column col[k]
// (nil means column 0…nOut-1 from the leaf's own values). Rows are split
// into blocks processed in parallel; each block walks the trees in order,
// so the sums do not depend on the number of cores. hasNaN selects the
// slower walk that follows each split's direction for missing values.
func sumLeaves(x *mat.Dense, trees []*tree.Tree, col []int, nOut int, out []float64, hasNaN bool) {
	n, p := x.Dims()
	raw := x.RawMatrix()
	nb := (n + predictBlock - 1) / predictBlock
	parallelRows(nb, 1, func(lo, hi int) {
		rows := make([][]float64, min(predictBlock, n))
		leaves := make([]int32, min(predictBlock, n))
		for b := lo; b < hi; b++ {
			r0, r1 := b*predictBlock, min(n, (b+1)*predictBlock)
			for i := r0; i < r1; i++ {
				rows[i-r0] = raw.Data[i*raw.Stride : i*raw.Stride+p]
			}
			for k, t := range trees {
				if hasNaN {
					t.LeavesMissing(rows[:r1-r0], leaves)
				} else {
					t.Leaves(rows[:r1-r0], leaves)
				}
				for i := r0; i < r1; i++ {
					leaf := int(leaves[i-r0])
					if col != nil {
						out[i*nOut+col[k]] += t.Value[leaf]
						continue
					}
					v := t.NodeValue(leaf)
					dst := out[i*nOut : i*nOut+nOut]
					for c := range dst {
						dst[c] += v[c]
					}
				}
			}
		}
	})
}
