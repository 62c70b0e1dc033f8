package model_test

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/weirhq/weir/ml/frame"
	"github.com/weirhq/weir/ml/linear"
	"github.com/weirhq/weir/ml/model"
	"github.com/weirhq/weir/ml/preprocess"
)

func ExampleTrain() {
	// price = 5·size + 250 in Paris.
	data := `size,city,price
50,Paris,500
80,Paris,650
60,Lyon,300
100,Lyon,500
70,Paris,600
`
	f, _ := frame.ReadCSV(strings.NewReader(data), frame.CSVOptions{})
	m, err := model.Train(f, model.Config{
		Target:     "price",
		Preprocess: &preprocess.Pipeline{Steps: []preprocess.Transformer{&preprocess.OneHotEncoder{}}},
		Estimator:  &linear.LinearRegression{},
	})
	if err != nil {
		panic(err)
	}
	var saved bytes.Buffer
	_ = m.Save(&saved)
	loaded, _ := model.Load(&saved)
	query, _ := frame.ReadCSV(strings.NewReader("size,city\n90,Paris\n"), frame.CSVOptions{})
	p, _ := loaded.Predict(query)
	fmt.Printf("%s %.0f\n", loaded.Signature.Features, p.Values[0])
	// Output: [size city=Lyon city=Paris] 700
}
