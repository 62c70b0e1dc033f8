package serve_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/weirhq/weir/store"
)

// TestFailedRequestsReachTheErrorSink sends good and bad requests on both protocols to a
// real server and checks that each failure, and only failures, reaches Config.Errors with
// its version (none when no model was chosen), status and message.
func TestFailedRequestsReachTheErrorSink(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1)
	v := e.register("ridge", ridgeModel(t, 2))
	e.alias("ridge", "champion", v)
	e.deploy(&store.Deployment{Name: "ridge", Model: "models:/ridge@champion"})
	e.deploy(&store.Deployment{Name: "late", Model: "models:/late@champion"})
	const js = "application/json"
	for _, c := range []struct {
		name, path, body string
		status           int
	}{
		{"good", "/serve/ridge/invocations", `{"instances": [[3, 0]]}`, 200},
		{"malformed JSON", "/serve/ridge/invocations", `{"instances": [[3, 0]`, 400},
		{"wrong columns", "/serve/ridge/invocations", `{"dataframe_split": {"columns": ["y"], "data": [[3]]}}`, 400},
		// 1e308 is finite, but the model's answer 2e308 is not: the model failed.
		{"infinite answer", "/serve/ridge/invocations", `{"instances": [[1e308, 0]]}`, 500},
		{"not ready", "/serve/late/invocations", `{"instances": [[3, 0]]}`, 503},
		{"unknown deployment", "/serve/nope/invocations", `{"instances": [[3, 0]]}`, 404},
		{"v2 good", "/v2/models/ridge/infer", `{"inputs": [{"name": "x", "shape": [1], "datatype": "FP64", "data": [1]}, {"name": "k", "shape": [1], "datatype": "INT64", "data": [0]}]}`, 200},
		{"v2 shape", "/v2/models/ridge/infer", `{"inputs": [{"name": "x", "shape": [2], "datatype": "FP64", "data": [1]}]}`, 400},
		{"v2 unknown version", "/v2/models/ridge/versions/9/infer", `{"inputs": []}`, 404},
	} {
		if r := e.post(c.path, js, c.body); r.status != c.status {
			t.Errorf("%s: status %d %s, want %d", c.name, r.status, r.body, c.status)
		}
	}
	var got []string
	for _, f := range e.sink.failures() {
		if f.Time.IsZero() || f.Message == "" {
			t.Errorf("failure %+v: want a time and a message", f)
		}
		got = append(got, fmt.Sprintf("%s %s/%s %d", f.Endpoint, f.Model, f.Version, f.Status))
	}
	want := []string{
		"ridge ridge/1 400", "ridge ridge/1 400", "ridge ridge/1 500", "late / 503", "ridge ridge/1 400", "ridge / 404",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("failed requests:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if fs := e.sink.failures(); len(fs) > 2 && !strings.Contains(fs[2].Message, "answered +Inf for row 1") {
		t.Errorf("the infinite answer's message %q does not say what the model answered", fs[2].Message)
	}
	e.sink.mu.Lock()
	n := len(e.sink.all)
	e.sink.mu.Unlock()
	if n != 2 {
		t.Errorf("%d predictions recorded, want 2 (the good requests only)", n)
	}
}
