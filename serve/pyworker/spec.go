package pyworker

import (
	"fmt"
	"slices"
	"strings"
)

// SpecFor builds the Spec of the model in dir from its MLmodel file's flavors block
// (flavor name → that flavor's fields, as parsed from YAML) and its signature's input
// column names (nil when it has no signature). It prefers the sklearn flavor, which
// needs nothing but scikit-learn, then python_function; the serialization_format of a
// python_function model with loader_module mlflow.sklearn comes from its sklearn block
// when there is one.
func SpecFor(dir string, flavors map[string]map[string]any, columns []string) (Spec, error) {
	s := Spec{Dir: dir, Columns: columns}
	sk, hasSk := flavors[FlavorSklearn]
	pf, hasPf := flavors[FlavorPythonFunction]
	if hasSk {
		s.SerializationFormat = str(sk["serialization_format"])
	}
	switch {
	case hasSk:
		s.Flavor = FlavorSklearn
		s.PickledModel = str(sk["pickled_model"])
		s.Code = paths(sk["code"])
	case hasPf:
		s.Flavor = FlavorPythonFunction
		s.LoaderModule = str(pf["loader_module"])
		s.Data = str(pf["model_path"])
		if s.Data == "" {
			s.Data = str(pf["data"])
		}
		s.PythonModel = str(pf["python_model"])
		s.Code = paths(pf["code"])
	default:
		names := make([]string, 0, len(flavors))
		for n := range flavors {
			names = append(names, n)
		}
		slices.Sort(names)
		return Spec{}, fmt.Errorf("pyworker: model %s has no sklearn or python_function flavor (its MLmodel has: %s); weir's Python workers serve those two", dir, strings.Join(names, ", "))
	}
	return s, nil
}

func str(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return ""
}

// paths reads a flavor's code field: null, one path, or a list of paths.
func paths(v any) []string {
	switch v := v.(type) {
	case string:
		if v != "" {
			return []string{v}
		}
	case []any:
		var out []string
		for _, e := range v {
			if s := str(e); s != "" {
				out = append(out, s)
			}
		}
		return out
	case []string:
		return v
	}
	return nil
}
