package pyworker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/weirhq/weir/ml/frame"
	"github.com/weirhq/weir/ml/model"
)

// Flavors a Spec can name.
const (
	FlavorSklearn        = "sklearn"
	FlavorPythonFunction = "python_function"
)

// Spec says how to load one model: its directory and the fields of one flavor of its
// MLmodel file. The JSON names are the MLmodel's, and the worker reads them.
type Spec struct {
	// Dir is the model directory, the one holding the MLmodel file. Load makes it absolute.
	Dir string `json:"dir"`
	// Flavor is FlavorSklearn or FlavorPythonFunction. For a model with both blocks,
	// prefer sklearn: it needs nothing but scikit-learn.
	Flavor string `json:"flavor"`
	// PickledModel is the sklearn flavor's pickled_model, relative to Dir; empty means
	// "model.pkl".
	PickledModel string `json:"pickled_model,omitempty"`
	// SerializationFormat is the sklearn flavor's serialization_format, "pickle" or
	// "cloudpickle"; empty means "pickle". Cloudpickle files load with cloudpickle when
	// the interpreter has it (Debian: python3-cloudpickle), else with pickle, which reads
	// them unless they hold code cloudpickle serialised by value.
	SerializationFormat string `json:"serialization_format,omitempty"`
	// LoaderModule is the python_function flavor's loader_module. "mlflow.sklearn" is
	// served without mlflow, by unpickling Data (with SerializationFormat, taken from the
	// sklearn block when the MLmodel has one); any other module, or a PythonModel, needs
	// the mlflow package in the interpreter (mlflow.pyfunc.load_model).
	LoaderModule string `json:"loader_module,omitempty"`
	// Data is the python_function flavor's model_path, or data in older MLmodel files,
	// relative to Dir.
	Data string `json:"data,omitempty"`
	// PythonModel is the python_function flavor's python_model (a custom PythonModel).
	PythonModel string `json:"python_model,omitempty"`
	// Code lists the flavor's code paths (its code field), relative to Dir; they are put
	// on the worker's sys.path before loading.
	Code []string `json:"code,omitempty"`
	// Columns are the signature's input column names, in order. When set, Predict sends
	// these columns of the frame in this order and a missing one is an ErrInput naming
	// it; when empty, Predict sends all of the frame's columns in the frame's order.
	Columns []string `json:"-"`
}

// Info describes a loaded model as the worker saw it.
type Info struct {
	// Task is "classification" for a model with classes_ (its predictions are Labels),
	// else "" (Values, or Labels when predict returns text).
	Task string `json:"task"`
	// Classes are the model's classes_, as text, in the order of Probabilities' columns.
	Classes []string `json:"classes"`
	// Probabilities says whether predictions carry class probabilities (the model has
	// predict_proba and classes_).
	Probabilities bool `json:"proba"`
	// Features are the model's feature_names_in_, when it was fitted on a DataFrame.
	Features []string `json:"features"`
	// NumFeatures is the model's n_features_in_, 0 when unknown.
	NumFeatures int `json:"n_features"`
	// PyFunc says the model was loaded through mlflow.pyfunc.load_model.
	PyFunc bool `json:"pyfunc"`
}

// Model is a model loaded by every worker of a Pool. It is safe for concurrent use.
type Model struct {
	pool   *Pool
	id     string
	spec   Spec
	info   Info
	closed atomic.Bool
}

// dirOr is the model's directory for error messages, "" for no model.
func (m *Model) dirOr() string {
	if m == nil {
		return ""
	}
	return m.spec.Dir
}

// Spec returns the model's spec, with Dir made absolute.
func (m *Model) Spec() Spec { return m.spec }

// Info describes the model as the workers loaded it.
func (m *Model) Info() Info { return m.info }

// Load checks spec, has every worker load the model (each keeps its own copy, and a
// restarted worker loads it again at its next request), and returns it. A model Python
// cannot load is an *Error wrapping ErrLoad with Python's message.
func (p *Pool) Load(ctx context.Context, spec Spec) (*Model, error) {
	if p.closed() {
		return nil, fmt.Errorf("pyworker: load %s: %w", spec.Dir, ErrClosed)
	}
	if err := spec.check(); err != nil {
		return nil, err
	}
	m := &Model{pool: p, id: strconv.FormatUint(p.nextID.Add(1), 10), spec: spec}
	deadline := time.Now().Add(p.cfg.StartTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	infos := make([]*Info, len(p.workers))
	errs := make([]error, len(p.workers))
	var wg sync.WaitGroup
	for i, w := range p.workers {
		wg.Go(func() {
			resp, err := m.roundTrip(ctx, w.direct, request{Op: "load", Model: m.id, Spec: &m.spec}, deadline)
			if err == nil {
				infos[i] = resp.Info
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err == nil && infos[i] == nil {
			errs[i] = &Error{Kind: ErrProtocol, Model: spec.Dir, Worker: i, Msg: "the load answer has no model info"}
		}
	}
	if err := firstErr(errs); err != nil {
		m.unload()
		return nil, err
	}
	m.info = *infos[0]
	return m, nil
}

func firstErr(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// check validates the spec and makes Dir absolute.
func (s *Spec) check() error {
	if s.Dir == "" {
		return errors.New("pyworker: Spec.Dir is empty; give the model directory (the one holding MLmodel)")
	}
	abs, err := filepath.Abs(s.Dir)
	if err != nil {
		return fmt.Errorf("pyworker: model directory %s: %w", s.Dir, err)
	}
	s.Dir = abs
	if st, err := os.Stat(abs); err != nil || !st.IsDir() {
		return fmt.Errorf("pyworker: model directory %s does not exist or is not a directory", abs)
	}
	need := ""
	switch s.Flavor {
	case FlavorSklearn:
		if s.PickledModel == "" {
			s.PickledModel = "model.pkl"
		}
		need = s.PickledModel
	case FlavorPythonFunction:
		if s.LoaderModule == "" && s.PythonModel == "" {
			return fmt.Errorf("pyworker: model %s: the python_function flavor has neither loader_module nor python_model", abs)
		}
		if s.LoaderModule == "mlflow.sklearn" {
			if s.Data == "" {
				s.Data = s.PickledModel
			}
			if s.Data == "" {
				s.Data = "model.pkl"
			}
			need = s.Data
		}
	default:
		return fmt.Errorf("pyworker: model %s: flavor %q is not %q or %q", abs, s.Flavor, FlavorSklearn, FlavorPythonFunction)
	}
	switch s.SerializationFormat {
	case "", "pickle", "cloudpickle":
	default:
		return fmt.Errorf("pyworker: model %s: serialization_format %q is not pickle or cloudpickle", abs, s.SerializationFormat)
	}
	if need != "" {
		if _, err := os.Stat(filepath.Join(abs, need)); err != nil {
			return fmt.Errorf("pyworker: model %s: the %s flavor's model file %s is missing: %w", abs, s.Flavor, need, err)
		}
	}
	return nil
}

// Close drops the model from the workers (best effort: a busy worker drops it later) and
// makes Predict fail with ErrClosed. It is idempotent.
func (m *Model) Close() error {
	if m.closed.CompareAndSwap(false, true) {
		m.unload()
	}
	return nil
}

func (m *Model) unload() {
	for _, w := range m.pool.workers {
		select {
		case w.unloads <- m.id:
		default: // the worker is far behind; its copy goes when it restarts
		}
	}
}

func (m *Model) newCall(ctx context.Context, req request, deadline time.Time) *call {
	return &call{req: req, model: m, deadline: deadline, cause: ErrTimeout, reply: make(chan callDone, 1), gone: ctx.Done()}
}

// roundTrip sends req to a worker through ch and waits for its answer. When the worker
// dies, the request is sent once more; a failed answer becomes an *Error.
func (m *Model) roundTrip(ctx context.Context, ch chan<- *call, req request, deadline time.Time) (*response, error) {
	retried := false
	for {
		resp, err := m.newCall(ctx, req, deadline).await(ctx, ch, m.pool.done)
		switch {
		case errors.Is(err, errUndelivered):
			continue // bounded by the deadline: each try costs a worker restart
		case errors.Is(err, ErrWorkerDied) && !retried:
			retried = true
			m.pool.cfg.Logger.Warn("python worker died during a request; retrying it once", "model", m.spec.Dir, "op", req.Op, "err", err)
			continue
		}
		return resp, err
	}
}

// await hands c to a worker through ch, then waits for its answer, the deadline, the
// caller's context or the pool's closing, and turns a failed answer into an *Error.
func (c *call) await(ctx context.Context, ch chan<- *call, done <-chan struct{}) (*response, error) {
	dir := c.model.spec.Dir
	t := time.NewTimer(time.Until(c.deadline))
	defer t.Stop()
	gaveUp := func() error {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return &Error{Kind: ErrTimeout, Model: dir, Worker: -1, Msg: "no answer before the caller's deadline", cause: ctx.Err()}
		}
		return &Error{Kind: ctx.Err(), Model: dir, Worker: -1, Msg: "the caller gave up"}
	}
	select {
	case ch <- c:
	case <-t.C:
		return nil, &Error{Kind: c.cause, Model: dir, Worker: -1, Msg: "no worker was free before the deadline; all are busy or restarting"}
	case <-ctx.Done():
		return nil, gaveUp()
	case <-done:
		return nil, &Error{Kind: ErrClosed, Model: dir, Worker: -1, Msg: "the pool was closed"}
	}
	var d callDone
	select {
	case d = <-c.reply:
	case <-ctx.Done():
		return nil, gaveUp()
	}
	if d.err != nil {
		var e *Error
		if errors.As(d.err, &e) && errors.Is(e.Kind, ErrTimeout) && ctx.Err() != nil {
			e.cause = ctx.Err()
		}
		return nil, d.err
	}
	if !d.resp.OK {
		kind, ok := kinds[d.resp.Kind]
		if !ok {
			kind = ErrProtocol
		}
		return nil, &Error{Kind: kind, Model: dir, Worker: d.worker, Msg: d.resp.Error, Traceback: d.resp.Traceback}
	}
	return d.resp, nil
}

// Predict sends f's columns to a free worker and returns the model's predictions: Values
// for a regressor, Labels (and Probabilities, in the order of Info().Classes, when the
// model has predict_proba) for a classifier. Float columns' missing values become NaN;
// Time columns are sent as RFC 3339 text. Errors are *Error values: ErrInput for input
// the model cannot take (serving answers 400), ErrPredict for other exceptions,
// ErrTimeout, ErrWorkerDied (when a retry died too), ErrClosed.
func (m *Model) Predict(ctx context.Context, f *frame.Frame) (*model.Prediction, error) {
	p := m.pool
	if m.closed.Load() || p.closed() {
		return nil, &Error{Kind: ErrClosed, Model: m.spec.Dir, Worker: -1, Msg: "Predict after Close"}
	}
	cols := f.Columns()
	if len(m.spec.Columns) > 0 {
		cols = make([]*frame.Column, len(m.spec.Columns))
		for i, name := range m.spec.Columns {
			c, err := f.Column(name)
			if err != nil {
				return nil, &Error{Kind: ErrInput, Model: m.spec.Dir, Worker: -1, Column: name, Msg: "missing: the model's signature needs this input column"}
			}
			cols[i] = c
		}
	}
	if f.NumRows() == 0 {
		return &model.Prediction{}, nil
	}
	req := request{Op: "predict", Model: m.id, Spec: &m.spec, Columns: make([]string, len(cols)), Data: make([]json.RawMessage, len(cols))}
	for i, c := range cols {
		req.Columns[i] = c.Name()
		req.Data[i] = encodeColumn(c)
	}
	deadline := time.Now().Add(p.cfg.RequestTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	resp, err := m.roundTrip(ctx, p.calls, req, deadline)
	if err != nil {
		return nil, err
	}
	n := f.NumRows()
	out := &model.Prediction{}
	switch {
	case resp.Labels != nil:
		if len(resp.Labels) != n {
			return nil, &Error{Kind: ErrProtocol, Model: m.spec.Dir, Worker: -1, Msg: fmt.Sprintf("%d labels for %d rows", len(resp.Labels), n)}
		}
		out.Labels = resp.Labels
		if resp.Probabilities != nil {
			out.Probabilities = make([][]float64, len(resp.Probabilities))
			for i, row := range resp.Probabilities {
				out.Probabilities[i] = floats(row)
			}
		}
	case resp.Values != nil:
		if len(resp.Values) != n {
			return nil, &Error{Kind: ErrProtocol, Model: m.spec.Dir, Worker: -1, Msg: fmt.Sprintf("%d values for %d rows", len(resp.Values), n)}
		}
		out.Values = floats(resp.Values)
	default:
		return nil, &Error{Kind: ErrProtocol, Model: m.spec.Dir, Worker: -1, Msg: "the answer has neither values nor labels"}
	}
	return out, nil
}

// number is a float in the worker's JSON: a number, null (NaN) or "NaN", "Infinity",
// "-Infinity".
type number float64

// UnmarshalJSON decodes a number, null or a non-finite float's name.
func (n *number) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case "null", `"NaN"`:
		*n = number(math.NaN())
	case `"Infinity"`:
		*n = number(math.Inf(1))
	case `"-Infinity"`:
		*n = number(math.Inf(-1))
	default:
		v, err := strconv.ParseFloat(string(b), 64)
		if err != nil {
			return fmt.Errorf("pyworker: %q is not a number", b)
		}
		*n = number(v)
	}
	return nil
}

func floats(ns []number) []float64 {
	out := make([]float64, len(ns))
	for i, v := range ns {
		out[i] = float64(v)
	}
	return out
}

// encodeColumn writes a column as a JSON list; missing values and NaN are null, ±Inf are
// ±1e999 (which Python reads as ±inf), and floats are written with the fewest digits that read back to the same float64.
func encodeColumn(c *frame.Column) json.RawMessage {
	n := c.Len()
	b := make([]byte, 0, 2+n*20)
	b = append(b, '[')
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		if c.IsNull(i) {
			b = append(b, "null"...)
			continue
		}
		switch c.Type() {
		case frame.Float:
			switch v := c.Float(i); {
			case math.IsNaN(v):
				b = append(b, "null"...)
			case math.IsInf(v, 1):
				b = append(b, "1e999"...) // Python reads it as inf
			case math.IsInf(v, -1):
				b = append(b, "-1e999"...)
			default:
				b = strconv.AppendFloat(b, v, 'g', -1, 64)
			}
		case frame.Int:
			b = strconv.AppendInt(b, c.Int(i), 10)
		case frame.Bool:
			b = strconv.AppendBool(b, c.Bool(i))
		case frame.Time:
			b = appendString(b, c.Time(i).UTC().Format(time.RFC3339Nano))
		default:
			b = appendString(b, c.Str(i))
		}
	}
	return append(b, ']')
}

func appendString(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always encodes
	return append(b, q...)
}
