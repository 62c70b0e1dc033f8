package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/weirhq/weir/api"
	"github.com/weirhq/weir/api/client"
	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/engine"
	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/store/sqlite"
)

// env is one API served over HTTP on a real SQLite store and a real, started engine.
type env struct {
	t      *testing.T
	st     store.Store
	eng    *engine.Engine
	dags   api.StaticDAGs
	home   string
	url    string // the server's base URL, without /api/v1
	c      *client.Client
	events atomic.Int32 // OnDatasetEvent calls
}

// setup serves the DAGs of testdata/dags. Every answer is checked against the spec (a
// mismatch fails the test) and every operation called is recorded for TestMain.
func setup(t *testing.T, configure ...func(*api.Config)) *env {
	t.Helper()
	ctx := context.Background()
	home := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(home, "weir.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	eng, err := engine.New(engine.Config{Store: st, Home: home})
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eng.Stop)
	dags, err := dag.LoadDir("testdata/dags", dag.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, st: st, eng: eng, dags: dags, home: home}
	cfg := api.Config{
		Store: st, Engine: eng, DAGs: e.dags, Home: home, Version: "1.2.3",
		Consumers: func(uri string) []string {
			var ids []string
			for _, d := range dags {
				if slices.Contains(d.Datasets.URIs(), uri) {
					ids = append(ids, d.ID)
				}
			}
			return ids
		},
		OnDatasetEvent: func() { e.events.Add(1) },
	}
	for _, f := range configure {
		f(&cfg)
	}
	a, err := api.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(validating(t, a.Handler()))
	t.Cleanup(srv.Close)
	e.url = srv.URL
	if e.c, err = client.New(srv.URL, srv.Client()); err != nil {
		t.Fatal(err)
	}
	return e
}

// validating serves h, checks each answer against the spec's operation for the route that
// served it, and records the operation as tested.
func validating(t *testing.T, h http.Handler) http.Handler {
	doc, err := loadSpec()
	if err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		defer func() {
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			w.Write(rec.Body.Bytes())
		}()
		method, pattern, ok := strings.Cut(r.Pattern, " ")
		if !ok {
			// No route: the answer must still be a problem.
			if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" && rec.Code >= 400 {
				t.Errorf("%s %s: %d with Content-Type %q, want a problem", r.Method, r.URL, rec.Code, ct)
			}
			return
		}
		path := strings.TrimPrefix(pattern, api.Prefix)
		cover(method + " " + path)
		item := doc.Paths.Value(path)
		if item == nil {
			t.Errorf("%s: served, but the spec has no path %s", r.Pattern, path)
			return
		}
		op := item.GetOperation(method)
		if op == nil {
			t.Errorf("%s: served, but the spec has no %s %s", r.Pattern, method, path)
			return
		}
		params := map[string]string{}
		for _, p := range append(item.Parameters, op.Parameters...) {
			if p.Value.In == "path" {
				params[p.Value.Name] = r.PathValue(p.Value.Name)
			}
		}
		in := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{
				Request: r, PathParams: params,
				Route: &routers.Route{Spec: doc, Path: path, PathItem: item, Method: method, Operation: op},
			},
			Status: rec.Code, Header: rec.Header(),
			Body:    io.NopCloser(bytes.NewReader(rec.Body.Bytes())),
			Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
		}
		if err := openapi3filter.ValidateResponse(r.Context(), in); err != nil {
			t.Errorf("%s %s: answer %d does not follow the spec: %v\nbody: %.2000s", r.Method, r.URL, rec.Code, err, rec.Body.Bytes())
		}
	})
}

// answer is an HTTP answer.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request to the API (path below /api/v1) with a raw body ("" for none).
func (e *env) do(method, path, body string, header ...string) answer {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.url+api.Prefix+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return answer{resp.StatusCode, resp.Header, b}
}

// json sends a request, wants the status and decodes the answer into out (when not nil).
func (e *env) json(method, path, body string, want int, out any) {
	e.t.Helper()
	a := e.do(method, path, body)
	if a.status != want {
		e.t.Fatalf("%s %s: status %d, want %d: %s", method, path, a.status, want, a.body)
	}
	if out != nil {
		if err := json.Unmarshal(a.body, out); err != nil {
			e.t.Fatalf("%s %s: %v: %s", method, path, err, a.body)
		}
	}
}

// problem sends a request and wants an error answer with the status, code and field.
func (e *env) problem(method, path, body string, status int, code, field string) client.Error {
	e.t.Helper()
	a := e.do(method, path, body)
	var p client.Error
	if err := json.Unmarshal(a.body, &p); err != nil {
		e.t.Fatalf("%s %s: status %d, not a JSON error: %s", method, path, a.status, a.body)
	}
	if a.status != status || p.Status != status || p.Code != code || p.Field != field {
		e.t.Fatalf("%s %s: got %d %+v, want %d code %q field %q", method, path, a.status, p, status, code, field)
	}
	if ct := a.header.Get("Content-Type"); ct != "application/problem+json" {
		e.t.Errorf("%s %s: Content-Type %q", method, path, ct)
	}
	return p
}

// trigger triggers a run of dagID through the API and waits for it to end.
func (e *env) trigger(dagID, runID string) *client.DAGRun {
	e.t.Helper()
	ctx := context.Background()
	run, err := e.c.Trigger(ctx, dagID, client.TriggerRequest{DAGRunID: runID})
	if err != nil {
		e.t.Fatalf("trigger %s: %v", dagID, err)
	}
	return e.wait(run.DAGID, run.DAGRunID)
}

// wait waits for a run to end and returns it as the API shows it.
func (e *env) wait(dagID, runID string) *client.DAGRun {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := e.eng.Wait(ctx, dagID, runID); err != nil {
		e.t.Fatalf("wait for %s/%s: %v", dagID, runID, err)
	}
	run, err := e.c.GetRun(ctx, dagID, runID)
	if err != nil {
		e.t.Fatal(err)
	}
	return run
}

// until polls cond every 10 ms until it holds, failing the test after 30 s with what.
func (e *env) until(what string, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			e.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// states returns "task[i]=state" for each task instance of a run.
func (e *env) states(dagID, runID string) []string {
	e.t.Helper()
	tis, err := e.c.ListTaskInstances(context.Background(), dagID, runID, client.ListTIsOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, ti := range tis.TaskInstances {
		name := ti.TaskID
		if ti.MapIndex >= 0 {
			name += "[" + string(rune('0'+ti.MapIndex)) + "]"
		}
		out = append(out, name+"="+ti.StateName())
	}
	return out
}

func storeTIParams(dagID, runID string) store.ListTIParams {
	return store.ListTIParams{DAGID: dagID, RunID: runID}
}

func storeBatch(r *store.DAGRun, tis []*store.TaskInstance) *store.Batch {
	return &store.Batch{Runs: []*store.DAGRun{r}, TIs: tis}
}
