package flavor

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/goccy/go-yaml"

	"github.com/weirhq/weir/ml/frame"
)

// MLmodel is an MLflow model directory's MLmodel file (mlflow/models/model.py), as the
// Python client writes it: YAML with the model's flavors and, optionally, its signature.
type MLmodel struct {
	// ArtifactPath is the model's path in its run's artifacts ("model").
	ArtifactPath string `yaml:"artifact_path,omitempty"`
	// RunID is the tracking run that logged the model.
	RunID string `yaml:"run_id,omitempty"`
	// ModelUUID identifies the model.
	ModelUUID string `yaml:"model_uuid,omitempty"`
	// UTCTimeCreated is when it was saved, as MLflow writes it ("2024-01-02 03:04:05.678901").
	UTCTimeCreated string `yaml:"utc_time_created,omitempty"`
	// MLflowVersion is the version of the client that saved it.
	MLflowVersion string `yaml:"mlflow_version,omitempty"`
	// Flavors holds each flavor's configuration by flavor name ("xgboost",
	// "python_function", …): data (the model file), loader_module, model_format, ….
	Flavors map[string]map[string]any `yaml:"flavors"`
	// Signature is the signature as written (its inputs and outputs are JSON strings);
	// nil when the model has none.
	Signature *Signature `yaml:"signature,omitempty"`

	// Inputs are the signature's input columns in weir's types; nil when the model has no
	// signature or its inputs are not named columns (a tensor signature), and then any
	// columns are accepted.
	Inputs frame.Schema `yaml:"-"`
}

// Signature is an MLmodel file's signature (mlflow/models/signature.py): inputs, outputs
// and params, each a JSON string (mlflow/types/schema.py's Schema.to_json).
type Signature struct {
	// Inputs is the input schema: a JSON list of column specs
	// ([{"type": "double", "name": "x", "required": true}, …]) or of tensor specs.
	Inputs string `yaml:"inputs,omitempty"`
	// Outputs is the output schema, in the same form.
	Outputs string `yaml:"outputs,omitempty"`
	// Params is the inference parameters' schema, or empty.
	Params string `yaml:"params,omitempty"`
}

// FlavorNames returns the model's flavors, sorted.
func (m *MLmodel) FlavorNames() []string {
	names := make([]string, 0, len(m.Flavors))
	for k := range m.Flavors {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// ReadMLmodel reads dir's MLmodel file and its signature's input columns.
func ReadMLmodel(dir string) (*MLmodel, error) {
	p := filepath.Join(dir, MLmodelFile)
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("MLflow model %s: %w (an MLflow model directory has an MLmodel file)", dir, err)
	}
	return ParseMLmodel(b, p)
}

// ParseMLmodel parses the content of an MLmodel file; where names it in errors.
func ParseMLmodel(b []byte, where string) (*MLmodel, error) {
	var m MLmodel
	if err := yaml.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: not an MLmodel file: %w", where, err)
	}
	if len(m.Flavors) == 0 {
		return nil, fmt.Errorf("%s: no flavors (an MLmodel file lists them under flavors:)", where)
	}
	if m.Signature != nil && m.Signature.Inputs != "" {
		in, err := ParseSchema(m.Signature.Inputs)
		if err != nil {
			return nil, fmt.Errorf("%s: signature inputs: %w", where, err)
		}
		m.Inputs = in
	}
	return &m, nil
}

// colSpec is one entry of an MLflow schema: a column spec {"type": "double", "name": "x",
// "required": true} or a tensor spec {"type": "tensor", "tensor-spec": {...}}.
type colSpec struct {
	Type     string `json:"type"`
	Name     string `json:"name"`
	Required *bool  `json:"required"`
}

// ParseSchema turns an MLflow schema's JSON (a list of column specs) into weir's schema:
// boolean → bool; integer, long → int; float, double → float; string → string; datetime
// → time. A schema of tensors, of unnamed columns, or with binary, array, object or map
// columns is not a table weir can check: it gives nil (any columns are accepted).
func ParseSchema(js string) (frame.Schema, error) {
	var specs []colSpec
	if err := json.Unmarshal([]byte(js), &specs); err != nil {
		return nil, fmt.Errorf("want a JSON list of column specs like [{\"type\": \"double\", \"name\": \"x\"}]: %w", err)
	}
	out := make(frame.Schema, 0, len(specs))
	for _, s := range specs {
		if s.Name == "" {
			return nil, nil
		}
		var t frame.Type
		switch s.Type {
		case "boolean":
			t = frame.Bool
		case "integer", "long":
			t = frame.Int
		case "float", "double":
			t = frame.Float
		case "string":
			t = frame.String
		case "datetime":
			t = frame.Time
		default:
			return nil, nil
		}
		out = append(out, frame.Field{Name: s.Name, Type: t})
	}
	return out, nil
}
