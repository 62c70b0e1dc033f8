package api_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/weirhq/weir/api/client"
)

// badInputs are requests that every must answer with a 4xx JSON error naming the problem.
var badInputs = []struct {
	method, path, body string
	status             int
	code, field        string
}{
	// DAGs.
	{"GET", "/dags?limit=-1", "", 400, client.CodeInvalidField, "limit"},
	{"GET", "/dags?limit=0", "", 400, client.CodeInvalidField, "limit"},
	{"GET", "/dags?limit=ten", "", 400, client.CodeInvalidField, "limit"},
	{"GET", "/dags?offset=-1", "", 400, client.CodeInvalidField, "offset"},
	{"GET", "/dags?order_by=name", "", 400, client.CodeInvalidField, "order_by"},
	{"GET", "/dags?only_active=maybe", "", 400, client.CodeInvalidField, "only_active"},
	{"GET", "/dags?paused=2", "", 400, client.CodeInvalidField, "paused"},
	{"PATCH", "/dags/hello", `{"is_paused":"yes"}`, 400, client.CodeInvalidField, "is_paused"},
	{"PATCH", "/dags/hello", `{"is_paused":null}`, 400, client.CodeInvalidField, "is_paused"},
	{"PATCH", "/dags/hello", `{}`, 400, client.CodeInvalidField, "is_paused"},
	{"PATCH", "/dags/hello?update_mask=is_paused,tags", `{"is_paused":true}`, 400, client.CodeInvalidField, "update_mask"},
	{"GET", "/importErrors?limit=-5", "", 400, client.CodeInvalidField, "limit"},
	{"GET", "/importErrors?offset=x", "", 400, client.CodeInvalidField, "offset"},
	// Runs.
	{"GET", "/dags/hello/dagRuns?state=done", "", 400, client.CodeInvalidField, "state"},
	{"GET", "/dags/~/dagRuns?run_type=cron", "", 400, client.CodeInvalidField, "run_type"},
	{"GET", "/dags/hello/dagRuns?order_by=-bogus", "", 400, client.CodeInvalidField, "order_by"},
	{"GET", "/dags/hello/dagRuns?logical_date_gte=yesterday", "", 400, client.CodeInvalidField, "logical_date_gte"},
	{"GET", "/dags/hello/dagRuns?execution_date_lte=2026-13-01T00:00:00Z", "", 400, client.CodeInvalidField, "execution_date_lte"},
	{"GET", "/dags/hello/dagRuns?start_date_gte=1", "", 400, client.CodeInvalidField, "start_date_gte"},
	{"GET", "/dags/hello/dagRuns?end_date_lte=2026-01-01", "", 400, client.CodeInvalidField, "end_date_lte"},
	{"GET", "/dags/hello/dagRuns?limit=1.5", "", 400, client.CodeInvalidField, "limit"},
	{"POST", "/dags/hello/dagRuns", `{"conf":[1]}`, 400, client.CodeInvalidField, "conf"},
	{"POST", "/dags/hello/dagRuns", `{"conf":{"n":-5}}`, 400, client.CodeInvalidParam, "conf.n"},
	{"POST", "/dags/hello/dagRuns", `{"logical_date":"yesterday"}`, 400, client.CodeInvalidField, "logical_date"},
	{"POST", "/dags/hello/dagRuns", `{"logical_date":20260101}`, 400, client.CodeInvalidField, "logical_date"},
	{"POST", "/dags/hello/dagRuns", `{"execution_date":"2026-01-01T00:00:00Z","logical_date":"2026-01-02T00:00:00Z"}`, 400, client.CodeInvalidField, "execution_date"},
	{"POST", "/dags/hello/dagRuns", `{"data_interval_start":"2026-01-01T00:00:00Z"}`, 400, client.CodeInvalidField, "data_interval_end"},
	{"POST", "/dags/hello/dagRuns", `{"data_interval_start":"2026-01-02T00:00:00Z","data_interval_end":"2026-01-01T00:00:00Z"}`, 400, client.CodeInvalidField, "data_interval_end"},
	{"POST", "/dags/hello/dagRuns", `{"dag_run_id":"a/b"}`, 400, client.CodeInvalidField, "dag_run_id"},
	{"POST", "/dags/hello/dagRuns", `{"dag_run_id":".."}`, 400, client.CodeInvalidField, "dag_run_id"},
	{"POST", "/dags/hello/dagRuns", `{"dag_run_id":"~"}`, 400, client.CodeInvalidField, "dag_run_id"},
	{"POST", "/dags/hello/dagRuns", `{"dag_run_id":"../../x"}`, 400, client.CodeInvalidField, "dag_run_id"},
	{"POST", "/dags/hello/dagRuns", `{"dag_run_id":""}`, 400, client.CodeInvalidField, "dag_run_id"},
	{"POST", "/dags/hello/dagRuns", `{"dag_run_id":5}`, 400, client.CodeInvalidField, "dag_run_id"},
	{"POST", "/dags/hello/dagRuns", `{"note":"x"}`, 400, client.CodeUnknownField, "note"},
	{"PATCH", "/dags/hello/dagRuns/r1", `{"state":"done"}`, 400, client.CodeInvalidField, "state"},
	{"PATCH", "/dags/hello/dagRuns/r1", `{"state":1}`, 400, client.CodeInvalidField, "state"},
	{"PATCH", "/dags/hello/dagRuns/r1", `{}`, 400, client.CodeInvalidField, "state"},
	{"POST", "/dags/hello/dagRuns/r1/clear", `{"dry_run":"no"}`, 400, client.CodeInvalidField, "dry_run"},
	{"POST", "/dags/hello/dagRuns/r1/clear", `{"only_failed":1}`, 400, client.CodeInvalidField, "only_failed"},
	// Task instances.
	{"GET", "/dags/hello/dagRuns/r1/taskInstances?state=ok", "", 400, client.CodeInvalidField, "state"},
	{"GET", "/dags/hello/dagRuns/r1/taskInstances?limit=abc", "", 400, client.CodeInvalidField, "limit"},
	{"GET", "/dags/hello/dagRuns/r1/taskInstances?offset=-3", "", 400, client.CodeInvalidField, "offset"},
	{"GET", "/dags/mapped/dagRuns/m1/taskInstances/square/listMapped?state=x", "", 400, client.CodeInvalidField, "state"},
	{"GET", "/dags/mapped/dagRuns/m1/taskInstances/square/listMapped?limit=-1", "", 400, client.CodeInvalidField, "limit"},
	{"GET", "/dags/mapped/dagRuns/m1/taskInstances/square/-2", "", 400, client.CodeInvalidField, "map_index"},
	{"GET", "/dags/mapped/dagRuns/m1/taskInstances/square/one", "", 400, client.CodeInvalidField, "map_index"},
	{"PATCH", "/dags/mapped/dagRuns/m1/taskInstances/square/one", `{"new_state":"success"}`, 400, client.CodeInvalidField, "map_index"},
	{"PATCH", "/dags/hello/dagRuns/r1/taskInstances/greet", `{"new_state":"queued"}`, 400, client.CodeInvalidField, "new_state"},
	{"PATCH", "/dags/hello/dagRuns/r1/taskInstances/greet", `{"new_state":"success","dry_run":"x"}`, 400, client.CodeInvalidField, "dry_run"},
	{"PATCH", "/dags/hello/dagRuns/r1/taskInstances/greet", `{}`, 400, client.CodeInvalidField, "new_state"},
	{"PATCH", "/dags/mapped/dagRuns/m1/taskInstances/square/0", `{"new_state":["success"]}`, 400, client.CodeInvalidField, "new_state"},
	{"GET", "/dags/hello/dagRuns/r1/taskInstances/greet/logs/x", "", 400, client.CodeInvalidField, "task_try_number"},
	{"GET", "/dags/hello/dagRuns/r1/taskInstances/greet/logs/-1", "", 400, client.CodeInvalidField, "task_try_number"},
	{"GET", "/dags/hello/dagRuns/r1/taskInstances/greet/logs/1?map_index=-2", "", 400, client.CodeInvalidField, "map_index"},
	{"GET", "/dags/hello/dagRuns/r1/taskInstances/greet/logs/1?map_index=x", "", 400, client.CodeInvalidField, "map_index"},
	{"GET", "/dags/hello/dagRuns/r1/taskInstances/greet/logs/1?full_content=x", "", 400, client.CodeInvalidField, "full_content"},
	{"POST", "/dags/hello/clearTaskInstances", `{}`, 400, client.CodeInvalidField, "dag_run_id"},
	{"POST", "/dags/hello/clearTaskInstances", `{"dag_run_id":"r1","task_ids":"greet"}`, 400, client.CodeInvalidField, "task_ids"},
	{"POST", "/dags/hello/clearTaskInstances", `{"dag_run_id":"r1","task_ids":[["greet",0]]}`, 400, client.CodeInvalidField, "task_ids"},
	{"POST", "/dags/hello/clearTaskInstances", `{"dag_run_id":"r1","map_indexes":["a"]}`, 400, client.CodeInvalidField, "map_indexes"},
	{"POST", "/dags/hello/clearTaskInstances", `{"dag_run_id":"r1","include_future":"yes"}`, 400, client.CodeInvalidField, "include_future"},
	{"POST", "/dags/hello/clearTaskInstances", `{"dag_run_id":"r1","include_past":1}`, 400, client.CodeInvalidField, "include_past"},
	{"POST", "/dags/hello/clearTaskInstances", `{"dag_run_id":"r1","only_running":true,"only_failed":true}`, 400, client.CodeInvalidField, "only_running"},
	{"POST", "/dags/hello/clearTaskInstances", `{"dag_run_id":"r1","dry_run":0}`, 400, client.CodeInvalidField, "dry_run"},
	// Datasets.
	{"GET", "/datasets?limit=0", "", 400, client.CodeInvalidField, "limit"},
	{"GET", "/datasets/events?after_id=-1", "", 400, client.CodeInvalidField, "after_id"},
	{"GET", "/datasets/events?source_map_index=-5", "", 400, client.CodeInvalidField, "source_map_index"},
	{"GET", "/datasets/events?limit=x", "", 400, client.CodeInvalidField, "limit"},
	{"POST", "/datasets/events", `{"dataset_uri":5}`, 400, client.CodeInvalidField, "dataset_uri"},
	{"POST", "/datasets/events", `{"dataset_uri":"x","extra":"y"}`, 400, client.CodeInvalidField, "extra"},
	{"POST", "/datasets/events", `{"dataset_uri":"` + strings.Repeat("x", 3001) + `"}`, 400, client.CodeInvalidField, "dataset_uri"},
	{"POST", "/datasets/events", `{"dataset_uri":"a\u0000b"}`, 400, client.CodeInvalidField, "dataset_uri"},
	// Pools.
	{"GET", "/pools?limit=x", "", 400, client.CodeInvalidField, "limit"},
	{"POST", "/pools", `{"name":"p"}`, 400, client.CodeInvalidField, "slots"},
	{"POST", "/pools", `{"slots":1}`, 400, client.CodeInvalidField, "name"},
	{"POST", "/pools", `{"name":"p","slots":-2}`, 400, client.CodeInvalidField, "slots"},
	{"POST", "/pools", `{"name":"p","slots":1.5}`, 400, client.CodeInvalidField, "slots"},
	{"POST", "/pools", `{"name":"p","slots":"1"}`, 400, client.CodeInvalidField, "slots"},
	{"POST", "/pools", `{"name":"p","slots":99999999999999999999}`, 400, client.CodeInvalidField, "slots"},
	{"POST", "/pools", `{"name":"a/b","slots":1}`, 400, client.CodeInvalidField, "name"},
	{"POST", "/pools", `{"name":"","slots":1}`, 400, client.CodeInvalidField, "name"},
	{"POST", "/pools", `{"name":"p","slots":1,"include_deferred":true}`, 400, client.CodeInvalidField, "include_deferred"},
	{"POST", "/pools", `{"name":"p","slots":1,"description":7}`, 400, client.CodeInvalidField, "description"},
	{"PATCH", "/pools/default_pool", `{"slots":"x"}`, 400, client.CodeInvalidField, "slots"},
	{"PATCH", "/pools/default_pool?update_mask=size", `{"slots":1}`, 400, client.CodeInvalidField, "update_mask"},
	{"PATCH", "/pools/default_pool?update_mask=slots", `{}`, 400, client.CodeInvalidField, "slots"},
}

// bodyOperations take a JSON body; required says whether an empty one is an error.
var bodyOperations = []struct {
	method, path string
	required     bool
}{
	{"PATCH", "/dags/hello", true},
	{"POST", "/dags/hello/dagRuns", false},
	{"PATCH", "/dags/hello/dagRuns/r1", true},
	{"POST", "/dags/hello/dagRuns/r1/clear", false},
	{"PATCH", "/dags/hello/dagRuns/r1/taskInstances/greet", true},
	{"PATCH", "/dags/mapped/dagRuns/m1/taskInstances/square/0", true},
	{"POST", "/dags/hello/clearTaskInstances", true},
	{"POST", "/datasets/events", true},
	{"POST", "/pools", true},
	{"PATCH", "/pools/default_pool", true},
}

// malformed are bodies no operation takes.
var malformed = []struct{ body, code, field string }{
	{`not json`, client.CodeInvalidJSON, ""},
	{`{`, client.CodeInvalidJSON, ""},
	{`{"a":}`, client.CodeInvalidJSON, ""},
	{`[]`, client.CodeInvalidJSON, ""},
	{`"text"`, client.CodeInvalidJSON, ""},
	{`42`, client.CodeInvalidJSON, ""},
	{`{} {}`, client.CodeInvalidJSON, ""},
	{`{"bogus":1}`, client.CodeUnknownField, "bogus"},
}

// TestBadInput throws bad bodies and queries at every operation that takes input: each is a
// 4xx JSON error with the expected code and field, never a 500.
func TestBadInput(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.trigger("hello", "r1")
	e.trigger("mapped", "m1")
	for _, tc := range badInputs {
		p := e.problem(tc.method, tc.path, tc.body, tc.status, tc.code, tc.field)
		if tc.field != "" && !strings.HasPrefix(p.Detail, tc.field) {
			t.Errorf("%s %s %s: detail %q does not start with the field", tc.method, tc.path, tc.body, p.Detail)
		}
	}
	for _, op := range bodyOperations {
		for _, m := range malformed {
			e.problem(op.method, op.path, m.body, 400, m.code, m.field)
		}
		if op.required {
			e.problem(op.method, op.path, "", 400, client.CodeInvalidJSON, "")
		}
	}
	// Nothing was changed by the bad requests.
	if got := e.states("hello", "r1"); strings.Join(got, " ") != "done=success greet=success" {
		t.Errorf("r1 changed: %v", got)
	}
}

// TestNoServerErrors sends junk queries and bodies to every operation of the spec (path
// parameters naming things that exist): the answer is never a 5xx, and an error is JSON.
func TestNoServerErrors(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.trigger("hello", "r1")
	values := map[string]string{"dag_id": "hello", "dag_run_id": "r1", "task_id": "greet", "map_index": "-1",
		"task_try_number": "1", "pool_name": "default_pool", "file_token": "hello", "uri": "s3%3A%2F%2Fx"}
	wildcard := regexp.MustCompile(`\{([^}]+)\}`)
	queries := []string{"?limit=-1", "?limit=99999999999999999999", "?offset=-1", "?state=%00", "?order_by=%ff",
		"?map_index=9999999999", "?update_mask=", "?tags=&paused=", "?after_id=x", "?logical_date_gte=%20"}
	bodies := []string{`{"x":`, `{"conf":{"n":1e400}}`, `{"slots":1e30}`, `{"task_ids":[null]}`, `{"dag_run_id":null}`,
		`{"extra":{"a":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}}`, strings.Repeat(`{"a":`, 2000)}
	for _, op := range specOperations(t) {
		method, path, _ := strings.Cut(op, " ")
		if method == "DELETE" {
			continue
		}
		path = wildcard.ReplaceAllStringFunc(path, func(w string) string { return values[w[1:len(w)-1]] })
		var reqs [][2]string
		for _, q := range queries {
			reqs = append(reqs, [2]string{path + q, ""})
		}
		if method != "GET" {
			for _, b := range bodies {
				reqs = append(reqs, [2]string{path, b})
			}
		}
		for _, r := range reqs {
			a := e.do(method, r[0], r[1])
			if a.status >= 500 {
				t.Errorf("%s %s %.40s: %d %s", method, r[0], r[1], a.status, a.body)
			}
			if a.status >= 400 && !json.Valid(a.body) {
				t.Errorf("%s %s %.40s: %d, not JSON: %s", method, r[0], r[1], a.status, a.body)
			}
		}
	}
}
