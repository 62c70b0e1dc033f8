package linear_test

import (
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/weirhq/weir/ml/linear"
)

func ExampleLinearRegression() {
	x := mat.NewDense(4, 1, []float64{1, 2, 3, 4})
	y := []float64{3, 5, 7, 9} // y = 2x + 1
	m := &linear.LinearRegression{}
	if err := m.Fit(x, y); err != nil {
		panic(err)
	}
	fmt.Printf("coef %.3f intercept %.3f\n", m.Coef[0], m.Intercept)
	// Output: coef 2.000 intercept 1.000
}

func ExampleLogisticRegression() {
	x := mat.NewDense(6, 1, []float64{-3, -2, -1, 1, 2, 3})
	y := []int{0, 0, 0, 1, 1, 1}
	m := &linear.LogisticRegression{}
	if err := m.Fit(x, y); err != nil {
		panic(err)
	}
	pred, _ := m.Predict(mat.NewDense(2, 1, []float64{-5, 5}))
	fmt.Println(pred)
	// Output: [0 1]
}
