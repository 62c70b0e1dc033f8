package scoring

import (
	"errors"
	"strings"
	"testing"

	"github.com/weirhq/weir/ml/frame"
)

func TestCheckColumnsNamesColumnRowAndRule(t *testing.T) {
	t.Parallel()
	f, err := frame.New(
		frame.NewString("mixed", []string{"1", "2.5", "n/a?", "4"}, nil),
		frame.NewString("text", []string{"a", "b", "c", "d"}, nil),
		frame.NewFloat("ok", []float64{1, 2, 3, 4}, nil),
	)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		cols []string
		want string
	}{
		{[]string{"ok", "mixed"}, `column "mixed", row 3: value "n/a?" is not a number: input columns must hold numbers only (3 of its values are numbers)`},
		{[]string{"text"}, `column "text": is text (string); input columns must be numeric`},
		{[]string{"gone"}, `column "gone": missing: the input column is not in the data set (its columns: mixed, text, ok)`},
	} {
		err := CheckColumns(f, c.cols, true, "input")
		var ie *InputError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("CheckColumns(%v) = %v, want %q", c.cols, err, c.want)
		}
	}
	if err := CheckColumns(f, []string{"text", "ok"}, false, "input"); err != nil {
		t.Errorf("non-numeric check: %v", err)
	}
	if !Better(1, 2, "min") || Better(1, 2, "max") || Better(2, 2, "max") || !Lower("rmse") || Lower("r2") {
		t.Error("Better/Lower")
	}
}
