package flavor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/weirhq/weir/ml/frame"
	"github.com/weirhq/weir/ml/model"
)

// Predictor is a loaded model that serve answers requests with.
type Predictor interface {
	// Inputs returns the input columns the model takes (names and types), in order. An
	// empty schema accepts any columns: the request's columns are then taken as given.
	Inputs() frame.Schema
	// Predict predicts every row of f, whose columns are Inputs (when not empty), in that
	// order and of those types. An error the request caused (a value the model cannot
	// take) is an *InputError; any other error is the server's.
	Predict(ctx context.Context, f *frame.Frame) (*model.Prediction, error)
	// Close releases what the model holds (processes, memory). serve calls it once the
	// model is no longer served, after a drain period (a minute) for requests still on it,
	// or at Stop.
	Close() error
}

// Describer is implemented by predictors that tell what they are; serve shows it in the
// Open Inference Protocol's model metadata.
type Describer interface {
	// Describe returns the model's platform ("xgboost", "lightgbm", "weir_linear.Ridge")
	// and what its predictions hold: "values" (Prediction.Values), "labels" or "clusters".
	Describe() (platform, output string)
}

// InputError is an error of Predict that the request caused: serve answers it with a 400.
type InputError struct {
	// Err says what is wrong with the input.
	Err error
}

// Error returns the wrapped error's message.
func (e *InputError) Error() string { return e.Err.Error() }

// Unwrap returns the wrapped error.
func (e *InputError) Unwrap() error { return e.Err }

// PythonFunc loads a model of a flavor that needs Python (python_function, sklearn) from
// its local directory dir, whose MLmodel file is m.
type PythonFunc func(ctx context.Context, dir string, m *MLmodel) (Predictor, error)

// Options configures Open.
type Options struct {
	// Python serves the python_function and sklearn flavors; nil: such models are refused
	// with an error saying how to enable them.
	Python PythonFunc
}

// Weir serves a weir model (ml/model) as a Predictor.
type Weir struct {
	// Model is the model served.
	Model *model.Model
}

// NewWeir returns m as a Predictor.
func NewWeir(m *model.Model) *Weir { return &Weir{Model: m} }

// Inputs returns the model's signature's inputs.
func (w *Weir) Inputs() frame.Schema { return w.Model.Signature.Inputs }

// Predict predicts with the model; its errors are the input's (the frame's values).
func (w *Weir) Predict(_ context.Context, f *frame.Frame) (*model.Prediction, error) {
	p, err := w.Model.Predict(f)
	if err != nil {
		return nil, &InputError{Err: err}
	}
	return p, nil
}

// Close does nothing: a weir model is only memory.
func (w *Weir) Close() error { return nil }

// Describe returns "weir_" and the estimator's kind, and what the model's task answers.
func (w *Weir) Describe() (string, string) {
	out := "values"
	switch w.Model.Task {
	case model.Classification:
		out = "labels"
	case model.Clustering:
		out = "clusters"
	}
	return "weir_" + w.Model.Kind, out
}

// MLmodelFile is the name of the file describing an MLflow model directory.
const MLmodelFile = "MLmodel"

// IsModelDir reports whether dir holds an MLflow model (an MLmodel file).
func IsModelDir(dir string) bool {
	st, err := os.Stat(filepath.Join(dir, MLmodelFile))
	return err == nil && !st.IsDir()
}

// Open loads the MLflow model in the local directory dir by its flavors: xgboost, then
// lightgbm (both evaluated in Go), then python_function or sklearn through opts.Python.
// When the MLmodel file has a column signature, the predictor's Inputs are the
// signature's.
func Open(ctx context.Context, dir string, opts Options) (Predictor, error) {
	m, err := ReadMLmodel(dir)
	if err != nil {
		return nil, err
	}
	var p Predictor
	switch {
	case m.Flavors["xgboost"] != nil:
		fl := m.Flavors["xgboost"]
		data := flavorString(fl, "data")
		if data == "" {
			return nil, fmt.Errorf("MLflow model %s: the xgboost flavor names no data file (want data: model.xgb)", dir)
		}
		b, err := openXGBoostFile(filepath.Join(dir, filepath.FromSlash(data)), flavorString(fl, "model_format"))
		if err != nil {
			return nil, fmt.Errorf("MLflow model %s: %w", dir, err)
		}
		b.labels = isClassifier(fl)
		p = b
	case m.Flavors["lightgbm"] != nil:
		data := flavorString(m.Flavors["lightgbm"], "data")
		if data == "" {
			return nil, fmt.Errorf("MLflow model %s: the lightgbm flavor names no data file (want data: model.lgb)", dir)
		}
		lp, err := OpenLightGBM(filepath.Join(dir, filepath.FromSlash(data)))
		if err != nil {
			return nil, fmt.Errorf("MLflow model %s: %w", dir, err)
		}
		lp.labels = isClassifier(m.Flavors["lightgbm"])
		p = lp
	case m.Flavors["python_function"] != nil || m.Flavors["sklearn"] != nil:
		if opts.Python == nil {
			return nil, fmt.Errorf("MLflow model %s is served by Python (its flavors: %s), and this server has no Python workers: %s",
				dir, strings.Join(m.FlavorNames(), ", "), pythonHint)
		}
		return opts.Python(ctx, dir, m)
	default:
		return nil, fmt.Errorf("MLflow model %s: no flavor weir can serve among %s (weir serves xgboost, lightgbm, sklearn and python_function)",
			dir, strings.Join(m.FlavorNames(), ", "))
	}
	if len(m.Inputs) > 0 {
		return withSignature(p, m.Inputs)
	}
	return p, nil
}

// pythonHint says how to serve Python flavors.
const pythonHint = "enable the Python worker pool (weir server's Python-flavor serving, which needs a python3 with mlflow's model's packages, e.g. scikit-learn) or log the model in the xgboost or lightgbm flavor"

// OpenFile loads a bare booster file: XGBoost's JSON (.json), UBJSON (.ubj) or legacy
// binary (.model, .bin, .xgb, .deprecated; also recognised by content), or LightGBM's
// text format (.txt, .lgb).
func OpenFile(ctx context.Context, path string) (Predictor, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".txt", ".lgb":
		return OpenLightGBM(path)
	}
	return openXGBoostFile(path, "")
}

// IsBoosterFile reports whether path names a booster file OpenFile reads: by extension,
// and for .json by content (an XGBoost model has a top-level "learner"), so that weir's
// own JSON model files are not taken for boosters.
func IsBoosterFile(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".ubj", ".model", ".bin", ".xgb", ".deprecated", ".txt", ".lgb":
		return true
	case ".json":
		b, err := readHead(path, 4096)
		return err == nil && isXGBoostJSON(b)
	}
	return false
}

// withSignature serves p with the signature's inputs; the booster maps them to its
// features by name when it knows names, else by position.
func withSignature(p Predictor, inputs frame.Schema) (Predictor, error) {
	switch b := p.(type) {
	case *Booster:
		if err := b.bind(inputs); err != nil {
			return nil, err
		}
		return b, nil
	}
	return p, nil
}

// isClassifier says the flavor's model_class is a scikit-learn API classifier
// (xgboost.sklearn.XGBClassifier, lightgbm.sklearn.LGBMClassifier), whose predict answers
// classes where a Booster's answers probabilities.
func isClassifier(fl map[string]any) bool {
	return strings.HasSuffix(flavorString(fl, "model_class"), "Classifier")
}

func flavorString(fl map[string]any, key string) string {
	if v, ok := fl[key].(string); ok {
		return v
	}
	return ""
}

func readHead(path string, n int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, n)
	k, err := f.Read(b)
	if k == 0 && err != nil {
		return nil, err
	}
	return b[:k], nil
}

var errNoTrees = errors.New("the model has no trees")
