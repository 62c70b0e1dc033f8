package pyworker_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/weirhq/weir/ml/frame"
	"github.com/weirhq/weir/serve/pyworker"
)

// mlmodel is the part of an MLmodel file the tests read to build a Spec, as serving's
// MLmodel parser does.
type mlmodel struct {
	Flavors struct {
		Sklearn *struct {
			PickledModel        string `yaml:"pickled_model"`
			SerializationFormat string `yaml:"serialization_format"`
			Code                string `yaml:"code"`
		} `yaml:"sklearn"`
		PythonFunction *struct {
			LoaderModule string `yaml:"loader_module"`
			ModelPath    string `yaml:"model_path"`
			Data         string `yaml:"data"`
			Code         string `yaml:"code"`
		} `yaml:"python_function"`
	} `yaml:"flavors"`
	Signature *struct {
		Inputs string `yaml:"inputs"`
	} `yaml:"signature"`
	MLflowVersion string `yaml:"mlflow_version"`
	ModelUUID     string `yaml:"model_uuid"`
	Created       string `yaml:"utc_time_created"`
}

// specOf reads dir/MLmodel and returns the Spec of one of its flavors.
func specOf(t testing.TB, dir, flavor string) pyworker.Spec {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "MLmodel"))
	if err != nil {
		t.Fatal(err)
	}
	var m mlmodel
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s/MLmodel: %v", dir, err)
	}
	if m.MLflowVersion == "" || m.ModelUUID == "" || m.Created == "" || m.Flavors.Sklearn == nil || m.Flavors.PythonFunction == nil {
		t.Fatalf("%s/MLmodel lacks what MLflow writes:\n%s", dir, b)
	}
	s := pyworker.Spec{Dir: dir, Flavor: flavor, SerializationFormat: m.Flavors.Sklearn.SerializationFormat}
	switch flavor {
	case pyworker.FlavorSklearn:
		s.PickledModel = m.Flavors.Sklearn.PickledModel
		if m.Flavors.Sklearn.Code != "" {
			s.Code = []string{m.Flavors.Sklearn.Code}
		}
	case pyworker.FlavorPythonFunction:
		pf := m.Flavors.PythonFunction
		s.LoaderModule, s.Data = pf.LoaderModule, pf.ModelPath
		if pf.Code != "" {
			s.Code = []string{pf.Code}
		}
	}
	if m.Signature != nil {
		var cols []struct {
			Name string `json:"name"`
		}
		if err := json.Unmarshal([]byte(m.Signature.Inputs), &cols); err != nil {
			t.Fatalf("%s/MLmodel signature inputs: %v", dir, err)
		}
		for _, c := range cols {
			s.Columns = append(s.Columns, c.Name)
		}
	}
	if flavor == pyworker.FlavorSklearn { // SpecFor picks the same from the raw flavors block
		var raw struct {
			Flavors map[string]map[string]any `yaml:"flavors"`
		}
		if err := yaml.Unmarshal(b, &raw); err != nil {
			t.Fatal(err)
		}
		got, err := pyworker.SpecFor(dir, raw.Flavors, s.Columns)
		if err != nil || fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", s) {
			t.Fatalf("SpecFor(%s): %+v, %v; want %+v", dir, got, err, s)
		}
	}
	return s
}

// expected is scikit-learn's own answer for a fixture's held-out rows.
type expected struct {
	Columns       []string    `json:"columns"`
	Data          [][]float64 `json:"data"`
	Values        []float64   `json:"values"`
	Labels        []string    `json:"labels"`
	Classes       []string    `json:"classes"`
	Probabilities [][]float64 `json:"probabilities"`
}

func loadExpected(t testing.TB, name string) (*expected, *frame.Frame) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtures(t), name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var e expected
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	cols := make([]*frame.Column, len(e.Columns))
	for i, n := range e.Columns {
		cols[i] = frame.NewFloat(n, e.Data[i], nil)
	}
	f, err := frame.New(cols...)
	if err != nil {
		t.Fatal(err)
	}
	return &e, f
}

func newPool(t testing.TB, cfg pyworker.Config) *pyworker.Pool {
	t.Helper()
	if cfg.Python == "" {
		cfg.Python = python
	}
	p, err := pyworker.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func load(t testing.TB, p *pyworker.Pool, spec pyworker.Spec) *pyworker.Model {
	t.Helper()
	m, err := p.Load(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return m
}

// check compares a prediction with scikit-learn's: values to 1e-12, labels exactly.
func check(t *testing.T, name string, m *pyworker.Model, e *expected, f *frame.Frame) {
	t.Helper()
	got, err := m.Predict(context.Background(), f)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if e.Values != nil {
		if len(got.Values) != len(e.Values) {
			t.Fatalf("%s: %d values, want %d", name, len(got.Values), len(e.Values))
		}
		for i := range e.Values {
			if math.Abs(got.Values[i]-e.Values[i]) > 1e-12 {
				t.Fatalf("%s: row %d: %v, scikit-learn says %v", name, i+1, got.Values[i], e.Values[i])
			}
		}
		return
	}
	if fmt.Sprint(got.Labels) != fmt.Sprint(e.Labels) {
		t.Fatalf("%s: labels %v, scikit-learn says %v", name, got.Labels, e.Labels)
	}
	if fmt.Sprint(m.Info().Classes) != fmt.Sprint(e.Classes) {
		t.Fatalf("%s: classes %v, want %v", name, m.Info().Classes, e.Classes)
	}
	if len(got.Probabilities) != len(e.Probabilities) {
		t.Fatalf("%s: %d probability rows, want %d", name, len(got.Probabilities), len(e.Probabilities))
	}
	for i := range e.Probabilities {
		for k := range e.Probabilities[i] {
			if math.Abs(got.Probabilities[i][k]-e.Probabilities[i][k]) > 1e-12 {
				t.Fatalf("%s: row %d class %s: p=%v, scikit-learn says %v", name, i+1, e.Classes[k], got.Probabilities[i][k], e.Probabilities[i][k])
			}
		}
	}
}

var fixtureModels = []string{"diabetes_linear", "diabetes_ridge", "iris_logreg", "iris_forest"}

func TestPredictionsMatchScikitLearn(t *testing.T) {
	t.Parallel()
	p := newPool(t, pyworker.Config{})
	if !p.Interpreter().Cloudpickle {
		t.Log("python3-cloudpickle is missing: cloudpickle models load with pickle")
	}
	for _, name := range fixtureModels {
		for _, flavor := range []string{pyworker.FlavorSklearn, pyworker.FlavorPythonFunction} {
			e, f := loadExpected(t, name)
			m := load(t, p, specOf(t, modelDir(t, name), flavor))
			if e.Labels != nil && (m.Info().Task != "classification" || !m.Info().Probabilities) {
				t.Fatalf("%s: info %+v, want a classifier with probabilities", name, m.Info())
			}
			// Twice, so both workers answer at least once in most runs.
			check(t, name+"/"+flavor, m, e, f)
			check(t, name+"/"+flavor, m, e, f)
		}
	}
}

func TestConcurrentRequests(t *testing.T) {
	t.Parallel()
	p := newPool(t, pyworker.Config{})
	type fixture struct {
		m *pyworker.Model
		e *expected
		f *frame.Frame
	}
	var fx []fixture
	for _, name := range fixtureModels {
		e, f := loadExpected(t, name)
		fx = append(fx, fixture{load(t, p, specOf(t, modelDir(t, name), pyworker.FlavorSklearn)), e, f})
	}
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := range 5 {
				x := fx[(g+i)%len(fx)]
				t.Run("", func(t *testing.T) { check(t, fmt.Sprintf("goroutine %d request %d", g, i), x.m, x.e, x.f) })
			}
		})
	}
	wg.Wait()
}

func TestInputErrors(t *testing.T) {
	t.Parallel()
	p := newPool(t, pyworker.Config{Workers: 1})
	_, f := loadExpected(t, "diabetes_linear")
	spec := specOf(t, modelDir(t, "diabetes_linear"), pyworker.FlavorSklearn)

	// Without the signature's columns, the frame goes as it is: scikit-learn refuses 3 features.
	noSig := spec
	noSig.Columns = nil
	m := load(t, p, noSig)
	three, err := f.Select("age", "sex", "bmi")
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Predict(context.Background(), three)
	var pe *pyworker.Error
	if !errors.Is(err, pyworker.ErrInput) || !errors.As(err, &pe) || !strings.Contains(pe.Msg, "X has 3 features") || pe.Traceback == "" {
		t.Fatalf("3 of 10 features: got %v, want ErrInput with scikit-learn's message and a traceback", err)
	}

	// With them, a missing column is named before Python sees the request.
	ms := load(t, p, spec)
	_, err = ms.Predict(context.Background(), three)
	if !errors.Is(err, pyworker.ErrInput) || !errors.As(err, &pe) || pe.Column != "bp" {
		t.Fatalf("missing columns: got %v, want ErrInput naming column bp", err)
	}

	// Text where numbers belong.
	cols := append([]*frame.Column{}, f.Columns()...)
	text := make([]string, f.NumRows())
	for i := range text {
		text[i] = "many"
	}
	cols[2] = frame.NewString("bmi", text, nil)
	bad, err := frame.New(cols...)
	if err != nil {
		t.Fatal(err)
	}
	_, err = ms.Predict(context.Background(), bad)
	if !errors.Is(err, pyworker.ErrInput) || !strings.Contains(err.Error(), "many") {
		t.Fatalf("text column: got %v, want ErrInput quoting the value", err)
	}

	// A missing value travels as null, becomes NaN, and scikit-learn refuses it.
	withNaN := append([]*frame.Column{}, f.Columns()...)
	valid := make([]bool, f.NumRows())
	for i := range valid {
		valid[i] = i != 3
	}
	bmi, err := f.Column("bmi")
	if err != nil {
		t.Fatal(err)
	}
	v, err := bmi.Floats()
	if err != nil {
		t.Fatal(err)
	}
	withNaN[2] = frame.NewFloat("bmi", v, valid)
	nan, err := frame.New(withNaN...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err = ms.Predict(context.Background(), nan); !errors.Is(err, pyworker.ErrInput) || !strings.Contains(err.Error(), "NaN") {
		t.Fatalf("a missing value: got %v, want ErrInput about NaN", err)
	}

	// The worker still answers afterwards; a closed model does not.
	if _, err := ms.Predict(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	if err := ms.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := ms.Predict(context.Background(), f); !errors.Is(err, pyworker.ErrClosed) {
		t.Fatalf("Predict on a closed model: %v, want ErrClosed", err)
	}
	if _, err := m.Predict(context.Background(), three); !errors.Is(err, pyworker.ErrInput) {
		t.Fatalf("the other model after one closed: %v", err)
	}
}

// stderrWatch is a slog handler that reports the pid of each worker stderr line
// containing want, and each worker found dead while idle.
type stderrWatch struct {
	want   string
	pids   chan int
	deaths chan struct{}
}

func (h *stderrWatch) Enabled(context.Context, slog.Level) bool { return true }
func (h *stderrWatch) WithGroup(string) slog.Handler            { return h }
func (h *stderrWatch) WithAttrs(as []slog.Attr) slog.Handler {
	return &stderrAttrs{h, as}
}
func (h *stderrWatch) Handle(_ context.Context, r slog.Record) error {
	if r.Message == "python worker died while idle" {
		h.deaths <- struct{}{}
	}
	return nil
}

type stderrAttrs struct {
	*stderrWatch
	attrs []slog.Attr
}

func (h *stderrAttrs) Handle(_ context.Context, r slog.Record) error {
	pid := 0
	for _, a := range h.attrs {
		if a.Key == "pid" {
			pid = int(a.Value.Int64())
		}
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "line" && strings.Contains(a.Value.String(), h.want) {
			select {
			case h.pids <- pid:
			default:
			}
		}
		return true
	})
	return nil
}

// slowFrame asks the slow model to sleep for sleep seconds; it predicts 2*x.
func slowFrame(t testing.TB, x, sleep float64) *frame.Frame {
	f, err := frame.New(frame.NewFloat("x", []float64{x}, nil), frame.NewFloat("sleep", []float64{sleep}, nil))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func predictSlow(t *testing.T, m *pyworker.Model, x float64) {
	t.Helper()
	got, err := m.Predict(context.Background(), slowFrame(t, x, 0))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Values) != 1 || got.Values[0] != 2*x {
		t.Fatalf("slow model: %v, want [%v]", got.Values, 2*x)
	}
}

func TestKilledWorkerIsRestarted(t *testing.T) {
	t.Parallel()
	watch := &stderrWatch{want: "slowmodel: sleeping", pids: make(chan int, 1), deaths: make(chan struct{}, 16)}
	p := newPool(t, pyworker.Config{Logger: slog.New(watch)})
	m := load(t, p, specOf(t, modelDir(t, "slow"), pyworker.FlavorSklearn))
	predictSlow(t, m, 1)

	inflight := make(chan error, 1)
	go func() {
		_, err := m.Predict(context.Background(), slowFrame(t, 1, 300))
		inflight <- err
	}()
	// The request is retried once when its worker dies: kill the worker answering it,
	// then the one answering the retry.
	first := <-watch.pids // the worker is inside predict
	if err := syscall.Kill(first, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	second := <-watch.pids
	if second == first {
		t.Fatalf("the retry went to the killed process %d", first)
	}
	if err := syscall.Kill(second, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := <-inflight
	if !errors.Is(err, pyworker.ErrWorkerDied) || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("in-flight request of killed workers: got %v, want ErrWorkerDied saying it was killed", err)
	}
	predictSlow(t, m, 2)

	// Kill every (idle) worker: once the pool has seen them die, the next request waits
	// for a restarted one, which loads the model again from its spec. (A request sent
	// in the instant a worker dies may find it dead, count as its one retry, and fail
	// if the next worker it reaches is dying too.)
	killed := 0
	for _, pid := range p.PIDs() {
		if pid != 0 && syscall.Kill(pid, syscall.SIGKILL) == nil {
			killed++
		}
	}
	for range killed {
		<-watch.deaths
	}
	predictSlow(t, m, 3)
	predictSlow(t, m, 4)
	if p.Restarts() < 2 {
		t.Fatalf("%d restarts after killing workers, want at least 2", p.Restarts())
	}
}

func TestStuckRequestTimesOut(t *testing.T) {
	t.Parallel()
	t.Run("RequestTimeout", func(t *testing.T) {
		t.Parallel()
		p := newPool(t, pyworker.Config{Workers: 1, RequestTimeout: 2 * time.Second})
		m := load(t, p, specOf(t, modelDir(t, "slow"), pyworker.FlavorSklearn))
		start := time.Now()
		_, err := m.Predict(context.Background(), slowFrame(t, 1, 300))
		if !errors.Is(err, pyworker.ErrTimeout) {
			t.Fatalf("stuck request: got %v, want ErrTimeout", err)
		}
		if d := time.Since(start); d > time.Minute {
			t.Fatalf("the timeout took %v", d)
		}
	})
	t.Run("context", func(t *testing.T) {
		t.Parallel()
		p := newPool(t, pyworker.Config{Workers: 1})
		m := load(t, p, specOf(t, modelDir(t, "slow"), pyworker.FlavorSklearn))
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, err := m.Predict(ctx, slowFrame(t, 1, 300))
		if !errors.Is(err, pyworker.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("stuck request: got %v, want ErrTimeout and context.DeadlineExceeded", err)
		}
		predictSlow(t, m, 5) // answered by the restarted worker, which loads the model again
		if p.Restarts() != 1 {
			t.Fatalf("%d restarts, want 1", p.Restarts())
		}
	})
}

func TestCloseLeavesNoProcess(t *testing.T) {
	t.Parallel()
	p, err := pyworker.New(pyworker.Config{Python: python, Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	m, err := p.Load(context.Background(), specOf(t, modelDir(t, "slow"), pyworker.FlavorSklearn))
	if err != nil {
		t.Fatal(err)
	}
	// One worker is busy when the pool closes.
	busy := make(chan error, 1)
	go func() {
		_, err := m.Predict(context.Background(), slowFrame(t, 1, 300))
		busy <- err
	}()
	pids := p.PIDs()
	for _, pid := range pids {
		if pid == 0 {
			t.Fatalf("pids %v: a worker is not running", pids)
		}
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-busy; err == nil {
		t.Fatal("a request in flight when the pool closed succeeded")
	}
	for _, pid := range pids {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); !os.IsNotExist(err) {
			t.Errorf("worker pid %d still exists after Close (stat: %v)", pid, err)
		}
	}
	if _, err := m.Predict(context.Background(), slowFrame(t, 1, 0)); !errors.Is(err, pyworker.ErrClosed) {
		t.Fatalf("Predict after Close: %v, want ErrClosed", err)
	}
	if _, err := p.Load(context.Background(), specOf(t, modelDir(t, "slow"), pyworker.FlavorSklearn)); !errors.Is(err, pyworker.ErrClosed) {
		t.Fatalf("Load after Close: %v, want ErrClosed", err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestLoadErrors(t *testing.T) {
	t.Parallel()
	p := newPool(t, pyworker.Config{Workers: 1})
	ctx := context.Background()

	dir := t.TempDir()
	if _, err := p.Load(ctx, pyworker.Spec{Dir: dir, Flavor: pyworker.FlavorSklearn}); err == nil || !strings.Contains(err.Error(), "model.pkl is missing") {
		t.Fatalf("no pickle: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "model.pkl"), []byte("not a pickle"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := p.Load(ctx, pyworker.Spec{Dir: dir, Flavor: pyworker.FlavorSklearn})
	if !errors.Is(err, pyworker.ErrLoad) || !strings.Contains(err.Error(), "UnpicklingError") {
		t.Fatalf("garbage pickle: %v, want ErrLoad with Python's UnpicklingError", err)
	}
	if _, err := p.Load(ctx, pyworker.Spec{Dir: dir, Flavor: "keras"}); err == nil || !strings.Contains(err.Error(), `"keras"`) {
		t.Fatalf("unknown flavor: %v", err)
	}

	// The slow model's class lives in its code path: without it, the module is missing.
	spec := specOf(t, modelDir(t, "slow"), pyworker.FlavorSklearn)
	spec.Code = nil
	_, err = p.Load(ctx, spec)
	if !errors.Is(err, pyworker.ErrLoad) || !strings.Contains(err.Error(), "slowmodel") {
		t.Fatalf("missing code path: %v, want ErrLoad naming module slowmodel", err)
	}

	// A python_function model of another loader needs mlflow.
	custom := pyworker.Spec{Dir: modelDir(t, "slow"), Flavor: pyworker.FlavorPythonFunction, LoaderModule: "mlflow.pyfunc.model", PythonModel: "python_model.pkl"}
	_, err = p.Load(ctx, custom)
	if p.Interpreter().MLflow {
		t.Logf("%s has mlflow: the custom model's error is mlflow's: %v", python, err)
	} else if !errors.Is(err, pyworker.ErrLoad) || !strings.Contains(err.Error(), "mlflow.pyfunc.model") || !strings.Contains(err.Error(), "install mlflow") {
		t.Fatalf("python_function without mlflow: %v, want ErrLoad naming the loader module and saying to install mlflow", err)
	}
}

func TestInterpreterCheck(t *testing.T) {
	t.Parallel()
	_, err := pyworker.New(pyworker.Config{Python: "/nonexistent/python3"})
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/python3") || !strings.Contains(err.Error(), "Config.Python") {
		t.Fatalf("missing interpreter: %v", err)
	}
	// A real interpreter without numpy and scikit-learn: Debian's, without its site
	// packages (-S).
	wrapper := filepath.Join(t.TempDir(), "python-no-site")
	if err := os.WriteFile(wrapper, []byte("#!/bin/sh\nexec "+python+" -S \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err = pyworker.New(pyworker.Config{Python: wrapper})
	if err == nil || !strings.Contains(err.Error(), "cannot import numpy and scikit-learn") || !strings.Contains(err.Error(), wrapper) {
		t.Fatalf("interpreter without numpy: %v", err)
	}
}

func TestDefaultInterpreter(t *testing.T) {
	t.Parallel()
	p, err := pyworker.New(pyworker.Config{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	in := p.Interpreter()
	if in.Path == "" || in.Sklearn == "" || in.NumPy == "" {
		t.Fatalf("default interpreter: %+v", in)
	}
}
