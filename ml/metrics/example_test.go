package metrics_test

import (
	"fmt"

	"github.com/weirhq/weir/ml/metrics"
)

func ExampleR2() {
	r2, err := metrics.R2([]float64{3, -0.5, 2, 7}, []float64{2.5, 0, 2, 8})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%.4f\n", r2)
	// Output: 0.9486
}

func ExampleF1() {
	yTrue := []string{"spam", "ham", "spam", "ham", "spam"}
	yPred := []string{"spam", "ham", "ham", "ham", "spam"}
	f1, _ := metrics.F1(yTrue, yPred, metrics.Macro)
	fmt.Printf("%.4f\n", f1)
	// Output: 0.8000
}
