package tree_test

import (
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/weirhq/weir/ml/tree"
)

func ExampleClassifier() {
	x := mat.NewDense(6, 1, []float64{1, 2, 3, 10, 11, 12})
	y := []int{0, 0, 0, 1, 1, 1}
	m := &tree.Classifier{MaxDepth: 2}
	if err := m.Fit(x, y); err != nil {
		panic(err)
	}
	fmt.Printf("split x[%d] <= %v\n", m.Tree.Feature[0], m.Tree.Threshold[0])
	pred, _ := m.Predict(mat.NewDense(2, 1, []float64{0, 20}))
	fmt.Println(pred)
	// Output:
	// split x[0] <= 6.5
	// [0 1]
}
