package node_test

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/weirhq/weir/api/client"
	"github.com/weirhq/weir/audit"
	"github.com/weirhq/weir/store"
)

// Every action of a scripted session through the server's REST and MLflow APIs appears in
// the audit log with its actor, target and outcome; request bodies are not kept (a secret
// in a run's conf is nowhere in the log); the log is admins' to read; the chain verifies.
func TestAuditRecordsEveryAction(t *testing.T) {
	t.Parallel()
	base, st, tok := authServer(t)
	admin, write := cred{token: tok["admin"]}, cred{token: tok["write"]}
	do := func(c cred, method, path, body string, want int) map[string]any {
		t.Helper()
		resp := call(t, method, base+path, body, c)
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want {
			t.Fatalf("%s %s: %d %s, want %d", method, path, resp.StatusCode, b, want)
		}
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		return m
	}
	run := do(write, "POST", "/api/v1/dags/noop/dagRuns", `{"conf": {"password": "hunter2-secret"}}`, 200)
	runID, _ := run["dag_run_id"].(string)
	deadline := time.Now().Add(20 * time.Second)
	for {
		r, err := st.GetRun(t.Context(), "noop", runID)
		if err == nil && r.State.Finished() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %s did not finish", runID)
		}
		time.Sleep(20 * time.Millisecond)
	}
	do(write, "POST", "/api/v1/dags/noop/dagRuns/"+runID+"/clear", `{"dry_run": true}`, 200)
	do(write, "PATCH", "/api/v1/dags/noop", `{"is_paused": true}`, 200)
	do(admin, "POST", "/api/v1/pools", `{"name": "gpu", "slots": 2}`, 200)
	do(admin, "PATCH", "/api/v1/pools/gpu", `{"slots": 3}`, 200)
	do(admin, "DELETE", "/api/v1/pools/gpu", "", 204)
	do(write, "POST", "/api/v1/datasets/events", `{"dataset_uri": "mem://features"}`, 200)
	do(admin, "PUT", "/api/v1/deployments/churn", `{"model": "models:/churn@champion"}`, 200)
	do(admin, "DELETE", "/api/v1/deployments/churn", "", 204)
	do(write, "POST", "/api/v1/approvals/noop/"+runID+"/a/respond", `{"option": "Approve"}`, 404)
	do(write, "POST", "/api/2.0/mlflow/registered-models/create", `{"name": "churn"}`, 200)
	do(write, "POST", "/api/2.0/mlflow/model-versions/create", `{"name": "churn", "source": "file:///tmp/model"}`, 200)
	do(write, "POST", "/api/2.0/mlflow/registered-models/alias", `{"name": "churn", "alias": "champion", "version": "1"}`, 200)
	do(write, "DELETE", "/api/2.0/mlflow/registered-models/alias", `{"name": "churn", "alias": "champion"}`, 200)
	do(write, "POST", "/api/2.0/mlflow/model-versions/transition-stage", `{"name": "churn", "version": "1", "stage": "Production"}`, 200)
	exp := do(write, "POST", "/api/2.0/mlflow/experiments/create", `{"name": "audit-exp"}`, 200)
	mlrun := do(write, "POST", "/api/2.0/mlflow/runs/create", fmt.Sprintf(`{"experiment_id": %q}`, exp["experiment_id"]), 200)
	mlrunID := mlrun["run"].(map[string]any)["info"].(map[string]any)["run_id"].(string)
	do(write, "POST", "/api/2.0/mlflow/runs/log-metric", fmt.Sprintf(`{"run_id": %q, "key": "m", "value": 1, "timestamp": 1}`, mlrunID), 200)
	do(write, "POST", "/api/2.0/mlflow/runs/delete", fmt.Sprintf(`{"run_id": %q}`, mlrunID), 200)
	do(write, "DELETE", "/api/2.0/mlflow/registered-models/delete", `{"name": "churn"}`, 200)

	resp := call(t, "GET", base+"/api/v1/audit?limit=1000", "", admin)
	var log client.AuditCollection
	if err := json.NewDecoder(resp.Body).Decode(&log); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /audit: %d %v", resp.StatusCode, err)
	}
	type key struct{ actor, action, target, outcome string }
	got := map[key]bool{}
	for _, e := range log.Entries {
		got[key{e.Actor, e.Action, e.TargetID, e.Outcome}] = true
		if strings.Contains(string(e.Details), "hunter2") {
			t.Errorf("entry %d keeps a secret of a request body: %s", e.ID, e.Details)
		}
		if e.RequestID == "" || e.RemoteAddr == "" {
			t.Errorf("entry %d: request id %q, remote addr %q; want both", e.ID, e.RequestID, e.RemoteAddr)
		}
	}
	for _, want := range []key{
		{"t-write", "dag_run.trigger", "noop", "success"},
		{"t-write", "dag_run.clear", "noop/" + runID, "success"},
		{"t-write", "dag.update", "noop", "success"},
		{"t-admin", "pool.create", "gpu", "success"},
		{"t-admin", "pool.update", "gpu", "success"},
		{"t-admin", "pool.delete", "gpu", "success"},
		{"t-write", "dataset_event.create", "mem://features", "success"},
		{"t-admin", "deployment.put", "churn", "success"},
		{"t-admin", "deployment.delete", "churn", "success"},
		{"t-write", "approval.respond", "noop/" + runID + "/a", "failure"},
		{"t-write", "mlflow.registered-models.create", "churn", "success"},
		{"t-write", "mlflow.model-versions.create", "churn", "success"},
		{"t-write", "mlflow.registered-models.alias", "churn@champion", "success"},
		{"t-write", "mlflow.registered-models.alias.delete", "churn@champion", "success"},
		{"t-write", "mlflow.model-versions.transition-stage", "churn/1", "success"},
		{"t-write", "mlflow.experiments.create", "audit-exp", "success"},
		{"t-write", "mlflow.runs.delete", mlrunID, "success"},
		{"t-write", "mlflow.registered-models.delete", "churn", "success"},
	} {
		if !got[want] {
			t.Errorf("no audit entry %+v; the log has %v", want, got)
		}
	}
	for k := range got {
		if strings.Contains(k.action, "log-metric") || strings.Contains(k.action, "runs.create") {
			t.Errorf("entry %+v: MLflow's per-run logging is not audited", k)
		}
	}
	var trigger client.AuditEntry
	for _, e := range log.Entries {
		if e.Action == "dag_run.trigger" {
			trigger = e
		}
	}
	var d struct {
		Route      string   `json:"route"`
		Status     int      `json:"status"`
		BodyFields []string `json:"body_fields"`
	}
	if err := json.Unmarshal(trigger.Details, &d); err != nil || d.Route != "/api/v1/dags/{dag_id}/dagRuns" || d.Status != 200 ||
		fmt.Sprint(d.BodyFields) != "[conf]" {
		t.Errorf("trigger details %s: want the route, the status and the body's field names only", trigger.Details)
	}
	if got := call(t, "GET", base+"/api/v1/audit", "", write).StatusCode; got != 403 {
		t.Errorf("GET /audit with a write token: %d, want 403", got)
	}
	if n, err := audit.Verify(t.Context(), st); err != nil || n != len(log.Entries) {
		t.Fatalf("Verify = %d, %v; want %d entries intact", n, err, len(log.Entries))
	}
	if entries, _ := st.ListAudit(t.Context(), store.AuditFilter{Action: "mlflow.*"}); len(entries) != 8 {
		t.Errorf("%d MLflow entries by prefix, want 8", len(entries))
	}
}
