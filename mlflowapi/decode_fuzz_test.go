package mlflowapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/weirhq/weir/store/sqlite"
)

// FuzzDecodeRequests sends arbitrary JSON bodies to every MLflow endpoint (each decodes
// its request with API.decode) but the webhooks' (a webhook created from a fuzzed URL would
// be called over the network): no answer is a 500 (a panic would be one, and so would a
// malformed value reaching the store), every answer is JSON, and an error answer has
// MLflow's error_code and a message; an INVALID_PARAMETER_VALUE about a value names the
// parameter.
func FuzzDecodeRequests(f *testing.F) {
	dir := f.TempDir()
	st, err := sqlite.Open(f.Context(), filepath.Join(dir, "weir.db"), nil)
	if err != nil {
		f.Fatal(err)
	}
	a, err := New(Config{Store: st.Tracking(), ArtifactRoot: filepath.Join(dir, "artifacts")})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() {
		_ = a.Close()
		_ = st.Close()
	})
	var paths []string
	for p := range a.endpoints() {
		if !strings.HasPrefix(p, "webhooks") {
			paths = append(paths, p)
		}
	}
	slices.Sort(paths)
	h := a.Handler()
	for i := range paths {
		for _, body := range []string{
			"", "{}", "null", "[]", `{"name": "e"}`, `{"experiment_id": "0"}`, `{"run_id": "x", "key": "k", "value": 1.5, "timestamp": 1, "step": 2}`,
			`{"run_id": "x", "metrics": [{"key": "m", "value": "NaN", "timestamp": 1e30, "step": "3"}], "params": [{"key": "p", "value": "v"}]}`,
			`{"experiment_ids": ["0"], "filter": "metrics.m > 1", "order_by": ["metrics.m DESC"], "max_results": 5, "run_view_type": 3}`,
			`{"status": 3, "end_time": -1}`, `{"name": "m", "version": "1", "stage": "Production"}`, `{"max_results": 0}`, `{"page_token": "%%%"}`,
			`{"run_ids": ["a"], "metric_key": "m", "start_step": 1, "end_step": 0}`, `{"timestamp": 1e19}`, `{"tags": [{"key": 1}]}`,
		} {
			f.Add(uint8(i), []byte(body))
		}
	}
	f.Fuzz(func(t *testing.T, ep uint8, body []byte) {
		p := paths[int(ep)%len(paths)]
		method := http.MethodPost
		if ms, ok := writeMethods[p]; ok {
			method = ms[0]
		}
		path := strings.NewReplacer("{model_id}", "m-nope", "{tag_key}", "k").Replace(p)
		req := httptest.NewRequest(method, "/api/2.0/mlflow/"+path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s with %q: %d %s", method, p, body, rec.Code, rec.Body)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s %s with %q: %d, not JSON: %q", method, p, body, rec.Code, rec.Body)
		}
		if rec.Code == http.StatusOK {
			return
		}
		var e struct {
			Code    string `json:"error_code"`
			Message string `json:"message"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Code == "" || e.Message == "" {
			t.Fatalf("%s %s with %q: %d without error_code and message: %s", method, p, body, rec.Code, rec.Body)
		}
		if strings.HasPrefix(e.Message, "Invalid value") && !strings.Contains(e.Message, "'") {
			t.Fatalf("%s %s with %q: %q does not name the parameter", method, p, body, e.Message)
		}
	})
}
