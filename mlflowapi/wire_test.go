package mlflowapi

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// TestWireExchanges replays request/response pairs in the shapes of MLflow's REST API
// documentation (mlflow.org/docs/latest/rest-api.html: each endpoint's request structure and
// response structure), in order, as a client would send them. In an expected response, "$x"
// captures a value the first time and must equal it afterwards, "*" matches anything, an
// object matches when each listed field matches (servers add fields), and a list matches when
// each listed element matches some element; "~text" matches a string containing text.
// "${x}" in a path or body is a captured value; a path starting with "/" is absolute.
// Numbers must come back as JSON numbers (int64 timestamps included).
func TestWireExchanges(t *testing.T) {
	t.Parallel()
	replay(t, setup(t), []exchange{
		{"POST", "experiments/create", `{"name": "wire-exp", "tags": [{"key": "team", "value": "ml"}]}`, 200,
			`{"experiment_id": "$exp"}`},
		{"GET", "experiments/get?experiment_id=${exp}", ``, 200,
			`{"experiment": {"experiment_id": "${exp}", "name": "wire-exp", "lifecycle_stage": "active", "tags": [{"key": "team", "value": "ml"}], "creation_time": "*"}}`},
		{"GET", "experiments/get-by-name?experiment_name=wire-exp", ``, 200,
			`{"experiment": {"experiment_id": "${exp}", "name": "wire-exp"}}`},
		{"POST", "experiments/create", `{"name": "wire-exp"}`, 400,
			`{"error_code": "RESOURCE_ALREADY_EXISTS", "message": "*"}`},
		{"POST", "runs/create", `{"experiment_id": "${exp}", "start_time": 1700000000000, "run_name": "wire-run", "tags": [{"key": "k", "value": "v"}]}`, 200,
			`{"run": {"info": {"run_id": "$run", "experiment_id": "${exp}", "status": "RUNNING", "start_time": 1700000000000, "run_name": "wire-run", "lifecycle_stage": "active", "artifact_uri": "*"}, "data": {"tags": [{"key": "k", "value": "v"}]}}}`},
		{"POST", "runs/log-metric", `{"run_id": "${run}", "key": "rmse", "value": 0.5, "timestamp": 1700000000001, "step": 2}`, 200, `{}`},
		{"POST", "runs/log-parameter", `{"run_uuid": "${run}", "key": "alpha", "value": "0.1"}`, 200, `{}`},
		{"POST", "runs/log-parameter", `{"run_id": "${run}", "key": "alpha", "value": "0.2"}`, 400,
			`{"error_code": "INVALID_PARAMETER_VALUE", "message": "*"}`},
		{"POST", "runs/log-batch", `{"run_id": "${run}", "metrics": [{"key": "mae", "value": 1.5, "timestamp": 1700000000002, "step": 0}], "params": [{"key": "depth", "value": "3"}], "tags": [{"key": "stage", "value": "dev"}]}`, 200, `{}`},
		{"GET", "runs/get?run_id=${run}", ``, 200,
			`{"run": {"info": {"run_id": "${run}", "status": "RUNNING"}, "data": {"metrics": [{"key": "rmse", "value": 0.5, "timestamp": 1700000000001, "step": 2}, {"key": "mae", "value": 1.5}], "params": [{"key": "alpha", "value": "0.1"}, {"key": "depth", "value": "3"}], "tags": [{"key": "stage", "value": "dev"}]}}}`},
		{"GET", "metrics/get-history?run_id=${run}&metric_key=rmse", ``, 200,
			`{"metrics": [{"key": "rmse", "value": 0.5, "timestamp": 1700000000001, "step": 2}]}`},
		{"POST", "runs/search", `{"experiment_ids": ["${exp}"], "filter": "metrics.rmse < 1 AND params.alpha = '0.1'", "max_results": 10, "order_by": ["metrics.rmse DESC"]}`, 200,
			`{"runs": [{"info": {"run_id": "${run}"}}]}`},
		{"POST", "runs/search", `{"experiment_ids": ["${exp}"], "filter": "metrics.rmse > 1"}`, 200, `{}`},
		{"POST", "runs/update", `{"run_id": "${run}", "status": "FINISHED", "end_time": 1700000001000}`, 200,
			`{"run_info": {"run_id": "${run}", "status": "FINISHED", "end_time": 1700000001000}}`},
		{"GET", "runs/get?run_id=00000000000000000000000000000000", ``, 404,
			`{"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "*"}`},
		{"POST", "registered-models/create", `{"name": "wire-model", "tags": [{"key": "owner", "value": "me"}]}`, 200,
			`{"registered_model": {"name": "wire-model", "tags": [{"key": "owner", "value": "me"}]}}`},
		{"POST", "registered-models/create", `{"name": "wire-model"}`, 400,
			`{"error_code": "RESOURCE_ALREADY_EXISTS", "message": "*"}`},
		{"POST", "model-versions/create", `{"name": "wire-model", "source": "runs:/${run}/model", "run_id": "${run}"}`, 200,
			`{"model_version": {"name": "wire-model", "version": "1", "status": "READY", "run_id": "${run}", "source": "runs:/${run}/model"}}`},
		{"POST", "registered-models/alias", `{"name": "wire-model", "alias": "champion", "version": "1"}`, 200, `{}`},
		{"GET", "registered-models/alias?name=wire-model&alias=champion", ``, 200,
			`{"model_version": {"name": "wire-model", "version": "1"}}`},
		{"GET", "registered-models/get?name=wire-model", ``, 200,
			`{"registered_model": {"name": "wire-model", "aliases": [{"alias": "champion", "version": "1"}]}}`},
		{"POST", "model-versions/transition-stage", `{"name": "wire-model", "version": "1", "stage": "Production", "archive_existing_versions": false}`, 200,
			`{"model_version": {"version": "1", "current_stage": "Production"}}`},
		{"POST", "registered-models/get-latest-versions", `{"name": "wire-model", "stages": ["Production"]}`, 200,
			`{"model_versions": [{"version": "1", "current_stage": "Production"}]}`},
		{"GET", "experiments/list", ``, 200, `{"experiments": [{"experiment_id": "0", "name": "Default"}, {"name": "wire-exp"}]}`},
		{"POST", "runs/delete", `{"run_id": "${run}"}`, 200, `{}`},
		{"GET", "runs/get?run_id=${run}", ``, 200, `{"run": {"info": {"lifecycle_stage": "deleted"}}}`},
		{"POST", "experiments/delete", `{"experiment_id": "${exp}"}`, 200, `{}`},
	})
}

// exchange is one request under /api/2.0/mlflow/ (path may carry a query string) and the
// status and response expected; see TestWireExchanges for the notation.
type exchange struct {
	method, path, body string
	status             int
	want               string
}

// replay sends exchanges in order, failing the test at the first status that differs and
// reporting every response that does not match.
func replay(t *testing.T, h *harness, exchanges []exchange) {
	t.Helper()
	vars := map[string]any{}
	subst := regexp.MustCompile(`\$\{(\w+)\}`)
	fill := func(s string) string {
		return subst.ReplaceAllStringFunc(s, func(m string) string {
			return fmt.Sprint(vars[subst.FindStringSubmatch(m)[1]])
		})
	}
	for i, x := range exchanges {
		path := fill(x.path)
		if x.method == "GET" {
			if p, q, ok := strings.Cut(path, "?"); ok {
				v, _ := url.ParseQuery(q)
				path = p + "?" + v.Encode()
			}
		}
		var body any
		if x.body != "" {
			body = fill(x.body)
		}
		if !strings.HasPrefix(path, "/") {
			path = "/api/2.0/mlflow/" + path
		}
		status, got := h.call(x.method, path, body)
		if status != x.status {
			t.Fatalf("exchange %d %s %s: status %d, want %d: %v", i, x.method, path, status, x.status, got)
		}
		var want any
		if err := json.Unmarshal([]byte(fill(x.want)), &want); err != nil {
			t.Fatalf("exchange %d: bad expectation: %v", i, err)
		}
		if x.want == `{}` && len(got) != 0 {
			t.Errorf("exchange %d %s %s: got %v, want the empty object {}", i, x.method, path, got)
		}
		if msg := matchJSON(want, any(got), vars, ""); msg != "" {
			t.Errorf("exchange %d %s %s: %s\ngot %v", i, x.method, path, msg, got)
		}
	}
}

// matchJSON reports how got fails to match want ("" if it matches), capturing "$x" values.
func matchJSON(want, got any, vars map[string]any, at string) string {
	switch w := want.(type) {
	case string:
		if w == "*" {
			if got == nil {
				return at + ": missing"
			}
			return ""
		}
		if sub, ok := strings.CutPrefix(w, "~"); ok {
			if g, ok := got.(string); !ok || !strings.Contains(g, sub) {
				return fmt.Sprintf("%s: %#v, want a string containing %q", at, got, sub)
			}
			return ""
		}
		if name, ok := strings.CutPrefix(w, "$"); ok && name != "" && !strings.ContainsAny(name, " {") {
			if prev, seen := vars[name]; seen {
				if fmt.Sprint(prev) != fmt.Sprint(got) {
					return fmt.Sprintf("%s: %v, want %v ($%s)", at, got, prev, name)
				}
				return ""
			}
			if got == nil {
				return at + ": missing"
			}
			vars[name] = got
			return ""
		}
		if g, ok := got.(string); !ok || g != w {
			return fmt.Sprintf("%s: %#v, want %q", at, got, w)
		}
	case float64:
		g, ok := got.(float64)
		if !ok || g != w {
			return fmt.Sprintf("%s: %#v, want the number %v", at, got, w)
		}
	case bool:
		if g, ok := got.(bool); !ok || g != w {
			return fmt.Sprintf("%s: %#v, want %v", at, got, w)
		}
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: %#v, want an object", at, got)
		}
		for k, wv := range w {
			if msg := matchJSON(wv, g[k], vars, at+"."+k); msg != "" {
				return msg
			}
		}
	case []any:
		g, ok := got.([]any)
		if !ok {
			return fmt.Sprintf("%s: %#v, want a list", at, got)
		}
		for i, wv := range w {
			found := false
			for _, gv := range g {
				trial := map[string]any{}
				for k, v := range vars {
					trial[k] = v
				}
				if matchJSON(wv, gv, trial, "") == "" {
					for k, v := range trial {
						vars[k] = v
					}
					found = true
					break
				}
			}
			if !found {
				return fmt.Sprintf("%s[%d]: no element matches %v", at, i, wv)
			}
		}
	}
	return ""
}
