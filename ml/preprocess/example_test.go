package preprocess_test

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/weirhq/weir/ml/frame"
	"github.com/weirhq/weir/ml/preprocess"
)

func ExamplePipeline() {
	train, _ := frame.ReadCSV(strings.NewReader("size,color\n1,red\n3,blue\n,red\n"), frame.CSVOptions{})
	p := &preprocess.Pipeline{Steps: []preprocess.Transformer{
		&preprocess.Imputer{Strategy: preprocess.Mean},
		&preprocess.OneHotEncoder{},
		&preprocess.MinMaxScaler{Columns: []string{"size"}},
	}}
	out, err := p.FitTransform(train)
	if err != nil {
		panic(err)
	}
	fmt.Print(out)
	saved, _ := json.Marshal(p) // stored with the model
	var loaded preprocess.Pipeline
	_ = json.Unmarshal(saved, &loaded)
	again, _ := loaded.Transform(train)
	fmt.Println(again.Col(0).Float(2))
	// Output:
	// size  color=blue  color=red
	// 0     0           1
	// 1     1           0
	// 0.5   0           1
	// 0.5
}
