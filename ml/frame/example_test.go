package frame_test

import (
	"fmt"
	"strings"

	"github.com/weirhq/weir/ml/frame"
)

func ExampleReadCSV() {
	data := "city,temp,rain\nOslo,3.5,true\nRome,,false\nLima,19.25,false\n"
	f, err := frame.ReadCSV(strings.NewReader(data), frame.CSVOptions{})
	if err != nil {
		panic(err)
	}
	fmt.Println(f.Schema())
	temp, _ := f.Column("temp")
	fmt.Println(temp.NullCount(), temp.Float(2))
	// Output:
	// city:string, temp:float, rain:bool
	// 1 19.25
}

func ExampleFrame_Filter() {
	f, _ := frame.New(
		frame.NewString("name", []string{"a", "b", "c"}, nil),
		frame.NewInt("n", []int64{5, 12, 7}, nil),
	)
	n, _ := f.Column("n")
	big := f.Filter(func(i int) bool { return n.Int(i) > 6 })
	fmt.Print(big)
	// Output:
	// name  n
	// b     12
	// c     7
}
