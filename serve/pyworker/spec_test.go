package pyworker_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/weirhq/weir/serve/pyworker"
)

func TestSpecFor(t *testing.T) {
	t.Parallel()
	sk := map[string]any{"code": nil, "pickled_model": "model.pkl", "serialization_format": "cloudpickle", "sklearn_version": "1.2.1"}
	pf := map[string]any{"loader_module": "mlflow.sklearn", "model_path": "model.pkl", "predict_fn": "predict"}
	tests := []struct {
		name    string
		flavors map[string]map[string]any
		want    pyworker.Spec
		err     string
	}{
		{"both blocks: sklearn", map[string]map[string]any{"sklearn": sk, "python_function": pf},
			pyworker.Spec{Dir: "d", Flavor: "sklearn", PickledModel: "model.pkl", SerializationFormat: "cloudpickle"}, ""},
		{"python_function only", map[string]map[string]any{"python_function": {"loader_module": "mlflow.pyfunc.model", "python_model": "python_model.pkl", "code": []any{"src", "lib"}}},
			pyworker.Spec{Dir: "d", Flavor: "python_function", LoaderModule: "mlflow.pyfunc.model", PythonModel: "python_model.pkl", Code: []string{"src", "lib"}}, ""},
		{"older data field", map[string]map[string]any{"python_function": {"loader_module": "mlflow.sklearn", "data": "model.pkl", "code": "code"}},
			pyworker.Spec{Dir: "d", Flavor: "python_function", LoaderModule: "mlflow.sklearn", Data: "model.pkl", Code: []string{"code"}}, ""},
		{"neither", map[string]map[string]any{"xgboost": {}, "onnx": {}}, pyworker.Spec{}, "has no sklearn or python_function flavor (its MLmodel has: onnx, xgboost)"},
	}
	for _, tt := range tests {
		got, err := pyworker.SpecFor("d", tt.flavors, nil)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: error %v, want %q", tt.name, err, tt.err)
			}
			continue
		}
		if err != nil || fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", tt.want) {
			t.Errorf("%s: %+v, %v; want %+v", tt.name, got, err, tt.want)
		}
	}
}
