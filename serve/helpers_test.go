package serve_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/weirhq/weir/ml/ensemble"
	"github.com/weirhq/weir/ml/frame"
	"github.com/weirhq/weir/ml/linear"
	"github.com/weirhq/weir/ml/model"
	"github.com/weirhq/weir/serve"
	"github.com/weirhq/weir/steps/stepio"
	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/store/sqlite"
	"github.com/weirhq/weir/tracking"
)

// env is a real SQLite store with the tracking registry, an artifact store, and a
// Server on loopback.
type env struct {
	t    testing.TB
	dir  string
	st   *sqlite.Store
	tr   *tracking.Service
	art  tracking.ArtifactStore
	srv  *serve.Server
	http *httptest.Server
	sink *chanSink
}

// chanSink records predictions on a channel; it never blocks (a full channel drops, and
// the tests size it).
type chanSink struct {
	mu     sync.Mutex
	all    []serve.Prediction
	ch     chan serve.Prediction
	failed []serve.FailedRequest
}

// RecordError implements serve.ErrorSink: the failed requests are kept in order.
func (c *chanSink) RecordError(e serve.FailedRequest) {
	c.mu.Lock()
	c.failed = append(c.failed, e)
	c.mu.Unlock()
}

// failures returns the failed requests so far.
func (c *chanSink) failures() []serve.FailedRequest {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]serve.FailedRequest(nil), c.failed...)
}

func (c *chanSink) Record(p serve.Prediction) {
	c.mu.Lock()
	c.all = append(c.all, p)
	c.mu.Unlock()
	select {
	case c.ch <- p:
	default:
	}
}

func newEnv(t testing.TB, seed uint64) *env {
	t.Helper()
	return newEnvWith(t, seed, &chanSink{ch: make(chan serve.Prediction, 100000)})
}

// newEnvWith is newEnv with sink (nil: serve's default, NopSink); e.sink is then nil.
func newEnvWith(t testing.TB, seed uint64, sink serve.PredictionSink) *env {
	t.Helper()
	dir := t.TempDir()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "weir.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	art, err := tracking.OpenArtifactStore(ctx, filepath.Join(dir, "artifacts"), 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { art.Close() })
	tr := tracking.NewService(st.Tracking(), tracking.ServiceConfig{})
	e := &env{t: t, dir: dir, st: st, tr: tr, art: art}
	e.sink, _ = sink.(*chanSink)
	var errs serve.ErrorSink
	if e.sink != nil {
		errs = e.sink
	}
	e.srv, err = serve.New(serve.Config{Store: st, Sink: sink, Errors: errs, Seed: seed, Version: "test",
		Models: stepio.Deps{Artifacts: art, ArtifactRoot: filepath.Join(dir, "artifacts"), Tracking: tr}})
	if err != nil {
		t.Fatal(err)
	}
	e.http = httptest.NewServer(e.srv.Handler())
	t.Cleanup(func() { e.http.Close(); e.srv.Stop() })
	return e
}

// ridgeModel trains y = slope·x + 0·flag on 50 rows, with an Int and a Bool input too.
func ridgeModel(t testing.TB, slope float64) *model.Model {
	t.Helper()
	n := 50
	x, k, y := make([]float64, n), make([]int64, n), make([]float64, n)
	for i := range n {
		x[i], k[i] = float64(i), int64(i%3)
		y[i] = slope * x[i]
	}
	f, err := frame.New(frame.NewFloat("x", x, nil), frame.NewInt("k", k, nil), frame.NewFloat("y", y, nil))
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.Train(f, model.Config{Target: "y", Estimator: &linear.Ridge{}})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// boostedModel trains a 100-tree boosted regressor on 20 inputs.
func boostedModel(t testing.TB) *model.Model {
	t.Helper()
	n, p := 2000, 20
	cols := make([]*frame.Column, 0, p+1)
	y := make([]float64, n)
	for j := range p {
		v := make([]float64, n)
		for i := range n {
			v[i] = float64((i*(j+7)+j*j)%97) / 97
			y[i] += v[i] * float64(j%5)
		}
		cols = append(cols, frame.NewFloat(fmt.Sprintf("f%d", j), v, nil))
	}
	cols = append(cols, frame.NewFloat("y", y, nil))
	f, err := frame.New(cols...)
	if err != nil {
		t.Fatal(err)
	}
	est := &ensemble.BoostingRegressor{}
	est.NEstimators = 100
	m, err := model.Train(f, model.Config{Target: "y", Estimator: est})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// registerAny is register for a model held as any (the benchmark's table of cases).
func (e *env) registerAny(name string, m any) string { return e.register(name, m.(*model.Model)) }

// register saves m and registers it as a new version of name; it returns the version.
func (e *env) register(name string, m *model.Model) string {
	e.t.Helper()
	ctx := e.t.Context()
	if _, err := e.tr.CreateRegisteredModel(ctx, tracking.CreateRegisteredModelParams{Name: name}); err != nil && !errors.Is(err, tracking.ErrAlreadyExists) {
		e.t.Fatal(err)
	}
	path := filepath.Join(e.t.TempDir(), "model.json")
	if err := m.SaveFile(path); err != nil {
		e.t.Fatal(err)
	}
	mv, err := e.tr.CreateModelVersion(ctx, tracking.CreateModelVersionParams{Name: name, Source: "file://" + path})
	if err != nil {
		e.t.Fatal(err)
	}
	return mv.Version
}

func (e *env) alias(name, alias, version string) {
	e.t.Helper()
	if err := e.tr.SetRegisteredModelAlias(e.t.Context(), name, alias, version); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) deploy(d *store.Deployment) {
	e.t.Helper()
	if err := e.st.PutDeployment(e.t.Context(), d); err != nil {
		e.t.Fatal(err)
	}
	if err := e.srv.Refresh(e.t.Context()); err != nil {
		e.t.Fatal(err)
	}
}

// response is an HTTP answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("answer %d %q is not a JSON object: %v", r.status, r.body, err)
	}
	return m
}

func do(t testing.TB, c *http.Client, method, url, ctype, body string) response {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: bytes.TrimSpace(b)}
}

func (e *env) post(path, ctype, body string) response {
	return do(e.t, e.http.Client(), "POST", e.http.URL+path, ctype, body)
}

func (e *env) get(path string) response {
	return do(e.t, e.http.Client(), "GET", e.http.URL+path, "", "")
}
