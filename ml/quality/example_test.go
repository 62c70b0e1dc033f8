package quality_test

import (
	"fmt"
	"strings"

	"github.com/weirhq/weir/ml/frame"
	"github.com/weirhq/weir/ml/quality"
)

func ExampleSuite_Run() {
	suite, err := quality.ParseYAML([]byte(`
expectations:
  - rule: not_null
    column: age
  - rule: between
    column: age
    min: 0
    max: 120
    severity: warn
`))
	if err != nil {
		panic(err)
	}
	f, _ := frame.ReadCSV(strings.NewReader("name,age\nann,34\nbob,\ncid,150\n"), frame.CSVOptions{})
	report, _ := suite.Run(f, quality.Options{})
	fmt.Print(report.Table())
	// Output:
	// STATUS  SEVERITY  EXPECTATION    FAILING  DETAIL
	// FAILED  fail      not_null(age)  1/3      1 of 3 rows fail
	// WARN    warn      between(age)   1/3      1 of 3 rows fail
	//
	// not_null(age): sample of failing rows
	//   row 2: age=null name=bob
	//
	// between(age): sample of failing rows
	//   row 3: age=150 name=cid
	//
	// FAILED: 3 rows, 2 expectations, 1 failed, 1 warnings
}
