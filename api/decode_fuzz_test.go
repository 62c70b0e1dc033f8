package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weirhq/weir/api"
	"github.com/weirhq/weir/api/client"
	"github.com/weirhq/weir/engine"
	"github.com/weirhq/weir/store/sqlite"
)

// fuzzRoutes are the REST API's operations that decode a JSON body, with path parameters
// naming things that do not exist: the body is decoded and checked before anything is
// looked up, and nothing runs.
var fuzzRoutes = []struct{ method, path string }{
	{"PATCH", "/dags/nope"},
	{"POST", "/dags/nope/dagRuns"},
	{"PATCH", "/dags/nope/dagRuns/r1"},
	{"POST", "/dags/nope/dagRuns/r1/clear"},
	{"PATCH", "/dags/nope/dagRuns/r1/taskInstances/t"},
	{"PATCH", "/dags/nope/dagRuns/r1/taskInstances/t/0"},
	{"POST", "/dags/nope/clearTaskInstances"},
	{"POST", "/dags/nope/backfill"},
	{"POST", "/datasets/events"},
	{"POST", "/pools"},
	{"PATCH", "/pools/nope"},
	{"PUT", "/deployments/nope"},
	{"POST", "/predictions/nope/feedback"},
}

// FuzzDecodeBodies sends arbitrary bodies to every operation of the REST API that reads a
// JSON body (api/decode.go's decodeBody): no answer is a 5xx (a panic would be one), every
// answer is JSON, and a 400 says what is wrong and where — the field at fault (its name
// starting the detail) or the request body (with the byte offset of a syntax error).
func FuzzDecodeBodies(f *testing.F) {
	ctx := context.Background()
	home := f.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(home, "weir.db"), nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	eng, err := engine.New(engine.Config{Store: st, Home: home})
	if err != nil {
		f.Fatal(err)
	}
	if err := eng.Start(ctx); err != nil {
		f.Fatal(err)
	}
	f.Cleanup(eng.Stop)
	a, err := api.New(api.Config{Store: st, Engine: eng, DAGs: api.StaticDAGs{}, Home: home, Version: "fuzz"})
	if err != nil {
		f.Fatal(err)
	}
	h := a.Handler()
	for i := range fuzzRoutes {
		for _, body := range []string{
			"", "{}", "null", "[]", `{"is_paused": true}`, `{"conf": {"a": 1}, "dag_run_id": "x", "logical_date": "2024-01-01T00:00:00Z"}`,
			`{"state": "success"}`, `{"dry_run": true, "task_ids": ["a"], "only_failed": true}`, `{"from_date": "2024-01-01", "to_date": "x"}`,
			`{"dataset_uri": "s3://a", "extra": {"k": [1, 2]}}`, `{"name": "p", "slots": 3}`, `{"slots": -1}`,
			`{"model": "models:/m@champion"}`, `{"label": 1.5}`, `{"unknown": 1}`, `{"a": 1} trailing`, `{"slots": 1e400}`, `{"is_paused": "yes"}`,
		} {
			f.Add(uint8(i), []byte(body))
		}
	}
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		rt := fuzzRoutes[int(route)%len(fuzzRoutes)]
		req := httptest.NewRequest(rt.method, api.Prefix+rt.path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s with %q: %d %s", rt.method, rt.path, body, rec.Code, rec.Body)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s %s with %q: %d, not JSON: %q", rt.method, rt.path, body, rec.Code, rec.Body)
		}
		if rec.Code != http.StatusBadRequest {
			return
		}
		var e client.Error
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Detail == "" || e.Code == "" {
			t.Fatalf("%s %s with %q: 400 without a code and a detail: %s", rt.method, rt.path, body, rec.Body)
		}
		where := (e.Field != "" && strings.HasPrefix(e.Detail, e.Field)) || strings.HasPrefix(e.Detail, "request body")
		if !where {
			t.Fatalf("%s %s with %q: 400 does not say where: %+v", rt.method, rt.path, body, e)
		}
	})
}
