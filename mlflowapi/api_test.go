package mlflowapi

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weirhq/weir/store/sqlite"
)

// harness is an API on a fresh SQLite store and artifact folder, behind an HTTP server.
type harness struct {
	t       *testing.T
	api     *API
	srv     *httptest.Server
	dir     string // the test's temporary folder; the artifact root is dir/artifacts
	artRoot string
}

type harnessOpt func(*Config)

// setup returns a harness; the test's end closes it.
func setup(t *testing.T, opts ...harnessOpt) *harness {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlite.Open(t.Context(), filepath.Join(dir, "weir.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Store: st.Tracking(), ArtifactRoot: filepath.Join(dir, "artifacts")}
	for _, o := range opts {
		o(&cfg)
	}
	api, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(func() {
		srv.Close()
		_ = api.Close()
		_ = st.Close()
	})
	return &harness{t: t, api: api, srv: srv, dir: dir, artRoot: cfg.ArtifactRoot}
}

// call sends a request with a JSON body (or a query string for GET) and returns the
// status and the decoded JSON response.
func (h *harness) call(method, path string, body any) (int, map[string]any) {
	h.t.Helper()
	var rd io.Reader
	if body != nil {
		if s, ok := body.(string); ok {
			rd = strings.NewReader(s)
		} else {
			b, err := json.Marshal(body)
			if err != nil {
				h.t.Fatal(err)
			}
			rd = bytes.NewReader(b)
		}
	}
	req, err := http.NewRequestWithContext(h.t.Context(), method, h.srv.URL+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		h.t.Fatalf("%s %s: status %d, body %q is not a JSON object", method, path, resp.StatusCode, b)
	}
	return resp.StatusCode, out
}

// ok is call failing the test unless the status is 200.
func (h *harness) ok(method, path string, body any) map[string]any {
	h.t.Helper()
	status, out := h.call(method, path, body)
	if status != http.StatusOK {
		h.t.Fatalf("%s %s: status %d: %v", method, path, status, out)
	}
	return out
}

// raw sends a request with a raw body and returns the response (closed by the test's end).
func (h *harness) raw(method, path string, body io.Reader) (*http.Response, []byte) {
	h.t.Helper()
	req, err := http.NewRequestWithContext(h.t.Context(), method, h.srv.URL+path, body)
	if err != nil {
		h.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func get(m map[string]any, path ...string) any {
	var v any = m
	for _, p := range path {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[p]
	}
	return v
}

func TestFlow(t *testing.T) {
	t.Parallel()
	h := setup(t)
	exp := h.ok("POST", "/api/2.0/mlflow/experiments/create", map[string]any{"name": "iris", "tags": []any{map[string]string{"key": "team", "value": "ml"}}})["experiment_id"].(string)
	e := h.ok("GET", "/api/2.0/mlflow/experiments/get-by-name?experiment_name=iris", nil)
	if get(e, "experiment", "experiment_id") != exp || get(e, "experiment", "artifact_location") != "mlflow-artifacts:/"+exp {
		t.Errorf("get-by-name: %v", e)
	}
	run := h.ok("POST", "/api/2.0/mlflow/runs/create", map[string]any{"experiment_id": exp, "run_name": "r1", "start_time": 1700000000000, "tags": []any{map[string]string{"key": "mlflow.user", "value": "ann"}}})
	runID := get(run, "run", "info", "run_id").(string)
	if get(run, "run", "info", "artifact_uri") != "mlflow-artifacts:/"+exp+"/"+runID+"/artifacts" || get(run, "run", "info", "user_id") != "ann" {
		t.Errorf("created run: %v", run)
	}
	h.ok("POST", "/api/2.0/mlflow/runs/log-parameter", map[string]any{"run_id": runID, "key": "lr", "value": "0.1"})
	h.ok("POST", "/api/2.0/mlflow/runs/log-metric", map[string]any{"run_id": runID, "key": "acc", "value": 0.5, "timestamp": 1, "step": 0})
	h.ok("POST", "/api/2.0/mlflow/runs/log-metric", map[string]any{"run_uuid": runID, "key": "acc", "value": "NaN", "timestamp": "2", "step": "1"})
	h.ok("POST", "/api/2.0/mlflow/runs/log-batch", map[string]any{"run_id": runID,
		"metrics": []any{map[string]any{"key": "acc", "value": 0.9, "timestamp": 3, "step": 2}},
		"params":  []any{map[string]any{"key": "depth", "value": "4"}},
		"tags":    []any{map[string]any{"key": "stage", "value": "dev"}}})
	h.ok("POST", "/api/2.0/mlflow/runs/set-tag", map[string]any{"run_id": runID, "key": "t", "value": "v"})
	h.ok("POST", "/api/2.0/mlflow/runs/delete-tag", map[string]any{"run_id": runID, "key": "t"})
	hist := h.ok("GET", "/api/2.0/mlflow/metrics/get-history?run_id="+runID+"&metric_key=acc", nil)
	ms := hist["metrics"].([]any)
	if len(ms) != 3 || get(ms[1].(map[string]any), "value") != "NaN" || get(ms[2].(map[string]any), "value") != 0.9 {
		t.Errorf("history: %v", hist)
	}
	bulk := h.ok("GET", "/api/2.0/mlflow/metrics/get-history-bulk-interval?run_ids="+runID+"&metric_key=acc&max_results=2", nil)
	if n := len(bulk["metrics"].([]any)); n != 2 {
		t.Errorf("bulk interval: %d points: %v", n, bulk)
	}
	upd := h.ok("POST", "/api/2.0/mlflow/runs/update", map[string]any{"run_id": runID, "status": "FINISHED", "end_time": 1700000001000})
	if get(upd, "run_info", "status") != "FINISHED" || get(upd, "run_info", "end_time") != float64(1700000001000) {
		t.Errorf("update: %v", upd)
	}
	found := h.ok("POST", "/api/2.0/mlflow/runs/search", map[string]any{"experiment_ids": []string{exp}, "filter": "metrics.acc > 0.8 AND params.lr = '0.1' AND attributes.status = 'FINISHED'", "order_by": []string{"metrics.acc DESC"}})
	if runs := found["runs"].([]any); len(runs) != 1 {
		t.Errorf("search: %v", found)
	}
	empty := h.ok("POST", "/api/2.0/mlflow/runs/search", map[string]any{"experiment_ids": []string{exp}, "filter": "metrics.acc > 0.95"})
	if len(empty) != 0 {
		t.Errorf("empty search is %v, want {}", empty)
	}

	// Artifacts through the proxy, listed by the run.
	content := bytes.Repeat([]byte{0, 1, 2, 255}, 1000)
	resp, _ := h.raw("PUT", "/api/2.0/mlflow-artifacts/artifacts/"+exp+"/"+runID+"/artifacts/model/model.bin", bytes.NewReader(content))
	if resp.StatusCode != 200 {
		t.Fatalf("upload: %d", resp.StatusCode)
	}
	resp, got := h.raw("GET", "/api/2.0/mlflow-artifacts/artifacts/"+exp+"/"+runID+"/artifacts/model/model.bin", nil)
	if resp.StatusCode != 200 || !bytes.Equal(got, content) {
		t.Errorf("download: %d, %d bytes", resp.StatusCode, len(got))
	}
	list := h.ok("GET", "/api/2.0/mlflow/artifacts/list?run_id="+runID, nil)
	if files := list["files"].([]any); len(files) != 1 || get(files[0].(map[string]any), "path") != "model" || get(files[0].(map[string]any), "is_dir") != true {
		t.Errorf("list root: %v", list)
	}
	list = h.ok("GET", "/api/2.0/mlflow/artifacts/list?run_id="+runID+"&path=model", nil)
	if files := list["files"].([]any); len(files) != 1 || get(files[0].(map[string]any), "path") != "model/model.bin" || get(files[0].(map[string]any), "file_size") != float64(len(content)) {
		t.Errorf("list model: %v", list)
	}
	plist := h.ok("GET", "/api/2.0/mlflow-artifacts/artifacts?path="+exp+"/"+runID+"/artifacts/model", nil)
	if files := plist["files"].([]any); len(files) != 1 || get(files[0].(map[string]any), "path") != "model.bin" {
		t.Errorf("proxy list: %v", plist)
	}

	// Registry: register, alias, resolve models:/NAME@ALIAS to files.
	h.ok("POST", "/api/2.0/mlflow/registered-models/create", map[string]any{"name": "iris-model"})
	mv := h.ok("POST", "/api/2.0/mlflow/model-versions/create", map[string]any{"name": "iris-model", "source": "runs:/" + runID + "/model", "run_id": runID})
	if get(mv, "model_version", "version") != "1" || get(mv, "model_version", "status") != "READY" {
		t.Errorf("model version: %v", mv)
	}
	h.ok("POST", "/api/2.0/mlflow/registered-models/alias", map[string]any{"name": "iris-model", "alias": "champion", "version": "1"})
	byAlias := h.ok("GET", "/api/2.0/mlflow/registered-models/alias?name=iris-model&alias=champion", nil)
	if get(byAlias, "model_version", "version") != "1" {
		t.Errorf("by alias: %v", byAlias)
	}
	uri := h.ok("GET", "/api/2.0/mlflow/model-versions/get-download-uri?name=iris-model&version=1", nil)
	if uri["artifact_uri"] != "mlflow-artifacts:/"+exp+"/"+runID+"/artifacts/model" {
		t.Errorf("download uri: %v", uri)
	}
	h.ok("POST", "/api/2.0/mlflow/model-versions/transition-stage", map[string]any{"name": "iris-model", "version": "1", "stage": "Production", "archive_existing_versions": true})
	latest := h.ok("POST", "/api/2.0/mlflow/registered-models/get-latest-versions", map[string]any{"name": "iris-model", "stages": []string{"Production"}})
	if len(latest["model_versions"].([]any)) != 1 {
		t.Errorf("latest: %v", latest)
	}
	h.ok("DELETE", "/api/2.0/mlflow/registered-models/alias", map[string]any{"name": "iris-model", "alias": "champion"})
	status, errBody := h.call("GET", "/api/2.0/mlflow/registered-models/alias?name=iris-model&alias=champion", nil)
	if status != 404 || errBody["error_code"] != "RESOURCE_DOES_NOT_EXIST" {
		t.Errorf("deleted alias: %d %v", status, errBody)
	}
	resp, _ = h.raw("DELETE", "/api/2.0/mlflow-artifacts/artifacts/"+exp+"/"+runID+"/artifacts/model", nil)
	if resp.StatusCode != 200 {
		t.Errorf("delete artifact: %d", resp.StatusCode)
	}
	if _, err := os.Stat(filepath.Join(h.artRoot, exp, runID, "artifacts", "model")); !os.IsNotExist(err) {
		t.Errorf("deleted artifact folder still there: %v", err)
	}
}

// TestErrors checks MLflow's error codes and statuses.
func TestErrors(t *testing.T) {
	t.Parallel()
	h := setup(t)
	run := h.ok("POST", "/api/2.0/mlflow/runs/create", map[string]any{"experiment_id": "0"})
	runID := get(run, "run", "info", "run_id").(string)
	h.ok("POST", "/api/2.0/mlflow/runs/log-parameter", map[string]any{"run_id": runID, "key": "lr", "value": "0.1"})
	for _, c := range []struct {
		method, path string
		body         any
		status       int
		code         string
	}{
		{"GET", "/api/2.0/mlflow/experiments/get?experiment_id=42", nil, 404, "RESOURCE_DOES_NOT_EXIST"},
		{"GET", "/api/2.0/mlflow/experiments/get", nil, 400, "INVALID_PARAMETER_VALUE"},
		{"POST", "/api/2.0/mlflow/experiments/create", map[string]any{"name": "Default"}, 400, "RESOURCE_ALREADY_EXISTS"},
		{"POST", "/api/2.0/mlflow/experiments/create", map[string]any{}, 400, "INVALID_PARAMETER_VALUE"},
		{"GET", "/api/2.0/mlflow/runs/get?run_id=nope", nil, 404, "RESOURCE_DOES_NOT_EXIST"},
		{"POST", "/api/2.0/mlflow/runs/log-parameter", map[string]any{"run_id": runID, "key": "lr", "value": "0.2"}, 400, "INVALID_PARAMETER_VALUE"},
		{"POST", "/api/2.0/mlflow/runs/log-parameter", map[string]any{"run_id": runID, "key": "long", "value": strings.Repeat("x", 6001)}, 400, "INVALID_PARAMETER_VALUE"},
		{"POST", "/api/2.0/mlflow/runs/log-metric", map[string]any{"run_id": runID, "key": "m", "value": 1}, 400, "INVALID_PARAMETER_VALUE"},
		{"POST", "/api/2.0/mlflow/runs/log-batch", map[string]any{"run_id": runID, "params": make([]map[string]string, 101)}, 400, "INVALID_PARAMETER_VALUE"},
		{"POST", "/api/2.0/mlflow/runs/log-batch", "{not json", 400, "INVALID_PARAMETER_VALUE"},
		{"POST", "/api/2.0/mlflow/runs/search", map[string]any{"experiment_ids": []string{"0"}, "filter": "metrics.a >"}, 400, "INVALID_PARAMETER_VALUE"},
		{"POST", "/api/2.0/mlflow/runs/search", map[string]any{"experiment_ids": []string{"0"}, "max_results": 50001}, 400, "INVALID_PARAMETER_VALUE"},
		{"POST", "/api/2.0/mlflow/registered-models/create", map[string]any{"name": "a/b"}, 400, "INVALID_PARAMETER_VALUE"},
		{"GET", "/api/2.0/mlflow/registered-models/get?name=nope", nil, 404, "RESOURCE_DOES_NOT_EXIST"},
		{"POST", "/api/2.0/mlflow/nope", map[string]any{}, 404, "ENDPOINT_NOT_FOUND"},
	} {
		status, out := h.call(c.method, c.path, c.body)
		if status != c.status || out["error_code"] != c.code || out["message"] == "" {
			t.Errorf("%s %s: %d %v, want %d %s", c.method, c.path, status, out, c.status, c.code)
		}
	}
}
