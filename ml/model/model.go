package model

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"strings"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/weirhq/weir/ml"
	"github.com/weirhq/weir/ml/cluster"
	"github.com/weirhq/weir/ml/ensemble"
	"github.com/weirhq/weir/ml/frame"
	"github.com/weirhq/weir/ml/linear"
	"github.com/weirhq/weir/ml/preprocess"
	"github.com/weirhq/weir/ml/tree"
)

// Format and FormatVersion identify saved models.
const (
	Format        = "weir.model"
	FormatVersion = 1
)

// Tasks.
const (
	Regression     = "regression"
	Classification = "classification"
	Clustering     = "clustering"
)

// Regressor is an estimator of a numeric target.
type Regressor interface {
	// Fit learns from the rows of x and the targets y.
	Fit(x *mat.Dense, y []float64) error
	// Predict returns one prediction per row of x.
	Predict(x *mat.Dense) ([]float64, error)
}

// Classifier is an estimator of class labels with probabilities.
type Classifier interface {
	// Fit learns from the rows of x and the class indexes y (0…k-1).
	Fit(x *mat.Dense, y []int) error
	// Predict returns the most probable class of each row.
	Predict(x *mat.Dense) ([]int, error)
	// PredictProba returns each row's class probabilities.
	PredictProba(x *mat.Dense) ([][]float64, error)
}

// Clusterer assigns rows to clusters without a target.
type Clusterer interface {
	// Fit learns clusters from the rows of x.
	Fit(x *mat.Dense) error
	// Predict returns the cluster of each row.
	Predict(x *mat.Dense) ([]int, error)
}

// kinds maps each saved kind to a constructor of an empty estimator.
var kinds = map[string]func() any{
	"linear.LinearRegression":     func() any { return &linear.LinearRegression{} },
	"linear.Ridge":                func() any { return &linear.Ridge{} },
	"linear.Lasso":                func() any { return &linear.Lasso{} },
	"linear.ElasticNet":           func() any { return &linear.ElasticNet{} },
	"linear.LogisticRegression":   func() any { return &linear.LogisticRegression{} },
	"tree.Classifier":             func() any { return &tree.Classifier{} },
	"tree.Regressor":              func() any { return &tree.Regressor{} },
	"ensemble.ForestClassifier":   func() any { return &ensemble.ForestClassifier{} },
	"ensemble.ForestRegressor":    func() any { return &ensemble.ForestRegressor{} },
	"ensemble.BoostingClassifier": func() any { return &ensemble.BoostingClassifier{} },
	"ensemble.BoostingRegressor":  func() any { return &ensemble.BoostingRegressor{} },
	"cluster.KMeans":              func() any { return &cluster.KMeans{} },
}

func kindOf(est any) (string, error) {
	k := strings.TrimPrefix(fmt.Sprintf("%T", est), "*")
	if _, ok := kinds[k]; !ok {
		return "", fmt.Errorf("model: estimator type %s cannot be saved", k)
	}
	return k, nil
}

func taskOf(est any) string {
	switch est.(type) {
	case Classifier:
		return Classification
	case Regressor:
		return Regression
	case Clusterer:
		return Clustering
	}
	return ""
}

// Signature describes the data a model takes and gives.
type Signature struct {
	// Inputs are the columns Predict needs, with their types.
	Inputs frame.Schema `json:"inputs"`
	// Features are the columns after preprocessing, in the order of the
	// estimator's matrix columns.
	Features []string `json:"features"`
	// Target is the target column of supervised models.
	Target *frame.Field `json:"target,omitempty"`
	// Classes are the class labels, as text, of classifiers; class i of the
	// estimator is Classes[i].
	Classes []string `json:"classes,omitempty"`
}

// Metadata records how a model was trained.
type Metadata struct {
	// LibraryVersion is the version of weir's ML library (ml.Version).
	LibraryVersion string `json:"library_version"`
	// GoVersion is the Go release that trained the model.
	GoVersion string `json:"go_version"`
	// CreatedAt is when training finished, in UTC.
	CreatedAt time.Time `json:"created_at"`
	// Rows is the number of training rows.
	Rows int `json:"rows"`
	// DataFingerprint is "sha256:" and the hash of the training frame's
	// schema and values (see Fingerprint).
	DataFingerprint string `json:"data_fingerprint"`
	// Params are free-form training parameters.
	Params map[string]any `json:"params,omitempty"`
	// Metrics are evaluation results, such as test accuracy.
	Metrics map[string]float64 `json:"metrics,omitempty"`
	// Reference summarises each input column of the training data (see
	// ReferenceStats): what drift checks compare serving data with.
	Reference []ColumnStats `json:"reference,omitempty"`
}

// Model is a trained model: preprocessing, estimator, signature and
// metadata.
type Model struct {
	// Kind names the estimator type, such as "linear.Ridge".
	Kind string
	// Task is Regression, Classification or Clustering.
	Task string
	// Signature describes the inputs and outputs.
	Signature Signature
	// Preprocess is the fitted pipeline applied before the estimator; it
	// may be nil.
	Preprocess *preprocess.Pipeline
	// Estimator is the fitted estimator: a Regressor, Classifier or
	// Clusterer from ml/linear, ml/tree, ml/ensemble or ml/cluster.
	Estimator any
	// Metadata describes the training.
	Metadata Metadata
}

// Config says what to train.
type Config struct {
	// Target is the target column; empty for clustering.
	Target string
	// Inputs are the input columns; empty means all columns but Target.
	Inputs []string
	// Preprocess is an unfitted pipeline fitted on the inputs; nil means
	// none (the inputs must then be numeric).
	Preprocess *preprocess.Pipeline
	// Estimator is the unfitted estimator, with its options set.
	Estimator any
	// Params are recorded in the metadata.
	Params map[string]any
}

// Train fits cfg.Preprocess and cfg.Estimator on f and returns the model.
func Train(f *frame.Frame, cfg Config) (*Model, error) {
	kind, err := kindOf(cfg.Estimator)
	if err != nil {
		return nil, err
	}
	task := taskOf(cfg.Estimator)
	if f.NumRows() == 0 {
		return nil, errors.New("model: empty training set: the frame has no rows")
	}
	inputs := cfg.Inputs
	if len(inputs) == 0 {
		for _, n := range f.Names() {
			if n != cfg.Target {
				inputs = append(inputs, n)
			}
		}
	}
	in, err := f.Select(inputs...)
	if err != nil {
		return nil, fmt.Errorf("model: inputs: %w", err)
	}
	m := &Model{Kind: kind, Task: task, Preprocess: cfg.Preprocess, Estimator: cfg.Estimator}
	m.Signature.Inputs = in.Schema()
	var target *frame.Column
	if task != Clustering {
		if cfg.Target == "" {
			return nil, errors.New("model: Config.Target is empty; supervised estimators need a target column")
		}
		if target, err = f.Column(cfg.Target); err != nil {
			return nil, fmt.Errorf("model: target: %w", err)
		}
		m.Signature.Target = &frame.Field{Name: target.Name(), Type: target.Type()}
	}
	x, features, err := m.matrix(in, true)
	if err != nil {
		return nil, err
	}
	m.Signature.Features = features
	switch est := cfg.Estimator.(type) {
	case Classifier:
		var le preprocess.LabelEncoder
		if err := le.Fit(target); err != nil {
			return nil, fmt.Errorf("model: %w", err)
		}
		y, err := le.Encode(target)
		if err != nil {
			return nil, fmt.Errorf("model: %w", err)
		}
		if len(le.Classes) < 2 {
			return nil, fmt.Errorf("model: target column %q has only one class (%q); a classifier needs at least two", target.Name(), le.Classes[0])
		}
		m.Signature.Classes = le.Classes
		if err := est.Fit(x, y); err != nil {
			return nil, fmt.Errorf("model: %s: %w", kind, err)
		}
	case Regressor:
		y, err := target.Floats()
		if err != nil {
			return nil, fmt.Errorf("model: target: %w", err)
		}
		for i, v := range y {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, &frame.ValueError{Column: target.Name(), Row: i + 1, Value: target.Format(i), Problem: "is not a finite number (targets must be present and finite)"}
			}
		}
		if err := est.Fit(x, y); err != nil {
			return nil, fmt.Errorf("model: %s: %w", kind, err)
		}
	case Clusterer:
		if err := est.Fit(x); err != nil {
			return nil, fmt.Errorf("model: %s: %w", kind, err)
		}
	}
	m.Metadata = Metadata{
		LibraryVersion: ml.Version, GoVersion: runtime.Version(), CreatedAt: time.Now().UTC(),
		Rows: f.NumRows(), DataFingerprint: Fingerprint(f), Params: cfg.Params,
		Reference: ReferenceStats(in, 0),
	}
	return m, nil
}

// matrix preprocesses the input frame and returns the estimator's matrix.
func (m *Model) matrix(in *frame.Frame, fit bool) (*mat.Dense, []string, error) {
	out := in
	var err error
	if m.Preprocess != nil {
		if fit {
			out, err = m.Preprocess.FitTransform(in)
		} else {
			out, err = m.Preprocess.Transform(in)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("model: preprocess: %w", err)
		}
	}
	names := out.Names()
	if !fit {
		names = m.Signature.Features
	}
	matrix := out.Matrix
	if acceptsMissing(m.Estimator) {
		matrix = out.MatrixMissing
	}
	x, err := matrix(names...)
	if err != nil {
		return nil, nil, fmt.Errorf("model: %w", err)
	}
	return x, names, nil
}

// acceptsMissing reports whether the estimator takes missing values (NaN)
// in X, so that missing values in the frame reach it as NaN instead of
// failing: the trees and tree ensembles.
func acceptsMissing(est any) bool {
	switch est.(type) {
	case *tree.Classifier, *tree.Regressor, *ensemble.ForestClassifier, *ensemble.ForestRegressor,
		*ensemble.BoostingClassifier, *ensemble.BoostingRegressor:
		return true
	}
	return false
}

// Prediction holds a model's output for each input row.
type Prediction struct {
	// Values are the regression predictions.
	Values []float64 `json:"values,omitempty"`
	// Labels are the predicted classes (as text) of a classifier.
	Labels []string `json:"labels,omitempty"`
	// Probabilities are a classifier's class probabilities, one row per
	// input row, in the order of Signature.Classes.
	Probabilities [][]float64 `json:"probabilities,omitempty"`
	// Clusters are the cluster indexes of a clusterer.
	Clusters []int `json:"clusters,omitempty"`
}

// CheckInputs checks f against the signature: every input column present
// with a compatible type (Int and Bool columns are accepted for Float
// inputs).
func (m *Model) CheckInputs(f *frame.Frame) error {
	for _, want := range m.Signature.Inputs {
		c, err := f.Column(want.Name)
		if err != nil {
			return fmt.Errorf("model: input %w", err)
		}
		got := c.Type()
		if got == want.Type || (want.Type == frame.Float && (got == frame.Int || got == frame.Bool)) {
			continue
		}
		return fmt.Errorf("model: column %q is %s; the model was trained on %s", want.Name, got, want.Type)
	}
	return nil
}

// Predict applies the preprocessing and the estimator to f.
func (m *Model) Predict(f *frame.Frame) (*Prediction, error) {
	if err := m.CheckInputs(f); err != nil {
		return nil, err
	}
	names := make([]string, len(m.Signature.Inputs))
	for i, in := range m.Signature.Inputs {
		names[i] = in.Name
	}
	in, err := f.Select(names...)
	if err != nil {
		return nil, err
	}
	if in.NumRows() == 0 {
		return &Prediction{}, nil
	}
	x, _, err := m.matrix(in, false)
	if err != nil {
		return nil, err
	}
	switch est := m.Estimator.(type) {
	case Classifier:
		proba, err := est.PredictProba(x)
		if err != nil {
			return nil, fmt.Errorf("model: %w", err)
		}
		labels := make([]string, len(proba))
		for i, p := range proba {
			best := 0
			for k, v := range p {
				if v > p[best] {
					best = k
				}
			}
			labels[i] = m.Signature.Classes[best]
		}
		return &Prediction{Labels: labels, Probabilities: proba}, nil
	case Regressor:
		v, err := est.Predict(x)
		if err != nil {
			return nil, fmt.Errorf("model: %w", err)
		}
		return &Prediction{Values: v}, nil
	case Clusterer:
		v, err := est.Predict(x)
		if err != nil {
			return nil, fmt.Errorf("model: %w", err)
		}
		return &Prediction{Clusters: v}, nil
	}
	return nil, fmt.Errorf("model: estimator %T cannot predict", m.Estimator)
}

// Fingerprint returns "sha256:" and the hex SHA-256 of the frame's schema
// and values (binary encoding: IEEE bits for floats, Unix nanoseconds for
// times, length-prefixed strings, a marker for missing values), so equal
// data give equal fingerprints whatever file format they came from.
func Fingerprint(f *frame.Frame) string {
	h := sha256.New()
	var buf [8]byte
	put := func(u uint64) {
		binary.LittleEndian.PutUint64(buf[:], u)
		h.Write(buf[:])
	}
	put(uint64(f.NumRows()))
	for _, c := range f.Columns() {
		put(uint64(len(c.Name())))
		io.WriteString(h, c.Name())
		put(uint64(c.Type()))
		for i := 0; i < c.Len(); i++ {
			if c.IsNull(i) {
				h.Write([]byte{0})
				continue
			}
			h.Write([]byte{1})
			switch c.Type() {
			case frame.Float:
				put(math.Float64bits(c.Float(i)))
			case frame.Int, frame.Time:
				put(uint64(c.Int(i)))
			case frame.Bool:
				if c.Bool(i) {
					h.Write([]byte{1})
				} else {
					h.Write([]byte{0})
				}
			case frame.String:
				s := c.Str(i)
				put(uint64(len(s)))
				io.WriteString(h, s)
			}
		}
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

type document struct {
	Format        string               `json:"format"`
	FormatVersion int                  `json:"format_version"`
	Kind          string               `json:"kind"`
	Task          string               `json:"task"`
	Signature     Signature            `json:"signature"`
	Preprocess    *preprocess.Pipeline `json:"preprocess,omitempty"`
	Estimator     json.RawMessage      `json:"estimator"`
	Metadata      Metadata             `json:"metadata"`
}

// Save writes the model as JSON.
func (m *Model) Save(w io.Writer) error {
	est, err := json.Marshal(m.Estimator)
	if err != nil {
		return fmt.Errorf("model: %w", err)
	}
	doc := document{Format: Format, FormatVersion: FormatVersion, Kind: m.Kind, Task: m.Task, Signature: m.Signature,
		Preprocess: m.Preprocess, Estimator: est, Metadata: m.Metadata}
	enc := json.NewEncoder(w)
	return enc.Encode(doc)
}

// SaveFile writes the model to a file, replacing it atomically.
func (m *Model) SaveFile(path string) error {
	tmp, err := os.CreateTemp(dirOf(path), ".model-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := m.Save(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func dirOf(path string) string {
	if i := strings.LastIndexAny(path, `/\`); i >= 0 {
		return path[:i+1]
	}
	return "."
}

// Load reads a model written by Save.
func Load(r io.Reader) (*Model, error) {
	var doc document
	dec := json.NewDecoder(r)
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("model: not a saved model: %w", err)
	}
	if doc.Format != Format {
		return nil, fmt.Errorf("model: format %q is not %q", doc.Format, Format)
	}
	if doc.FormatVersion < 1 || doc.FormatVersion > FormatVersion {
		return nil, fmt.Errorf("model: format version %d is not supported (this library reads up to %d)", doc.FormatVersion, FormatVersion)
	}
	mk, ok := kinds[doc.Kind]
	if !ok {
		return nil, fmt.Errorf("model: unknown estimator kind %q", doc.Kind)
	}
	est := mk()
	if err := json.Unmarshal(doc.Estimator, est); err != nil {
		return nil, fmt.Errorf("model: estimator %s: %w", doc.Kind, err)
	}
	m := &Model{Kind: doc.Kind, Task: taskOf(est), Signature: doc.Signature, Preprocess: doc.Preprocess, Estimator: est, Metadata: doc.Metadata}
	if m.Task != doc.Task {
		return nil, fmt.Errorf("model: task %q does not match kind %s", doc.Task, doc.Kind)
	}
	if err := validate(est, len(doc.Signature.Features), len(doc.Signature.Classes)); err != nil {
		return nil, fmt.Errorf("model: estimator %s: %w", doc.Kind, err)
	}
	return m, nil
}

// LoadFile reads a model file written by SaveFile.
func LoadFile(path string) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Load(f)
}

// validate checks a loaded estimator's structure against the signature so
// that Predict cannot index out of range.
func validate(est any, nFeatures, nClasses int) error {
	bad := func(what string, got, want int) error {
		return fmt.Errorf("%s has %d entries, the signature implies %d", what, got, want)
	}
	trees := func(ts []*tree.Tree, nOut int) error {
		for i, t := range ts {
			if t == nil {
				return fmt.Errorf("tree %d is missing", i)
			}
			if err := t.Validate(nFeatures); err != nil {
				return fmt.Errorf("tree %d: %w", i, err)
			}
			if t.NOut != nOut {
				return fmt.Errorf("tree %d has %d outputs, want %d", i, t.NOut, nOut)
			}
		}
		return nil
	}
	switch e := est.(type) {
	case *linear.LinearRegression:
		if len(e.Coef) != nFeatures {
			return bad("coef", len(e.Coef), nFeatures)
		}
	case *linear.Ridge:
		if len(e.Coef) != nFeatures {
			return bad("coef", len(e.Coef), nFeatures)
		}
	case *linear.Lasso:
		if len(e.Coef) != nFeatures {
			return bad("coef", len(e.Coef), nFeatures)
		}
	case *linear.ElasticNet:
		if len(e.Coef) != nFeatures {
			return bad("coef", len(e.Coef), nFeatures)
		}
	case *linear.LogisticRegression:
		rows := nClasses
		if nClasses == 2 {
			rows = 1
		}
		if len(e.Classes) != nClasses || len(e.Coef) != rows || len(e.Intercept) != rows {
			return fmt.Errorf("has %d classes and %d coefficient rows for %d classes", len(e.Classes), len(e.Coef), nClasses)
		}
		for _, c := range e.Coef {
			if len(c) != nFeatures {
				return bad("coef row", len(c), nFeatures)
			}
		}
	case *tree.Classifier:
		if e.NFeatures != nFeatures || len(e.Classes) != nClasses || e.Tree == nil {
			return errors.New("does not match the signature")
		}
		return trees([]*tree.Tree{e.Tree}, nClasses)
	case *tree.Regressor:
		if e.NFeatures != nFeatures || e.Tree == nil {
			return errors.New("does not match the signature")
		}
		return trees([]*tree.Tree{e.Tree}, 1)
	case *ensemble.ForestClassifier:
		if e.NFeatures != nFeatures || len(e.Classes) != nClasses || len(e.Trees) == 0 {
			return errors.New("does not match the signature")
		}
		return trees(e.Trees, nClasses)
	case *ensemble.ForestRegressor:
		if e.NFeatures != nFeatures || len(e.Trees) == 0 {
			return errors.New("does not match the signature")
		}
		return trees(e.Trees, 1)
	case *ensemble.BoostingRegressor:
		if e.NFeatures != nFeatures {
			return errors.New("does not match the signature")
		}
		return trees(e.Trees, 1)
	case *ensemble.BoostingClassifier:
		k := nClasses
		if nClasses == 2 {
			k = 1
		}
		if e.NFeatures != nFeatures || len(e.Classes) != nClasses || len(e.Init) != k {
			return errors.New("does not match the signature")
		}
		for i, r := range e.Trees {
			if len(r) != k {
				return fmt.Errorf("round %d has %d trees, want %d", i, len(r), k)
			}
			if err := trees(r, 1); err != nil {
				return fmt.Errorf("round %d: %w", i, err)
			}
		}
	case *cluster.KMeans:
		if len(e.Centers) == 0 {
			return errors.New("has no centres")
		}
		for _, c := range e.Centers {
			if len(c) != nFeatures {
				return bad("centre", len(c), nFeatures)
			}
		}
	}
	return nil
}
