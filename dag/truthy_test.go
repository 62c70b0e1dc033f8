package dag_test

import (
	"testing"

	"github.com/weirhq/weir/dag"
)

func TestTruthy(t *testing.T) {
	t.Parallel()
	for _, v := range []any{nil, false, 0.0, int64(0), "", []any{}, map[string]any{}} {
		if dag.Truthy(v) {
			t.Errorf("%#v is truthy", v)
		}
	}
	for _, v := range []any{true, 1.5, int64(-1), "x", []any{nil}, map[string]any{"a": nil}} {
		if !dag.Truthy(v) {
			t.Errorf("%#v is not truthy", v)
		}
	}
}
