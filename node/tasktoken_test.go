package node_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/weirhq/weir/audit"
	"github.com/weirhq/weir/auth"
	"github.com/weirhq/weir/engine"
	"github.com/weirhq/weir/node"
	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/store/sqlite"
)

// waitFile waits (up to 30 s) for a file a task writes, and returns its content.
func waitFile(t *testing.T, path string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if b, err := os.ReadFile(path); err == nil {
			return string(b)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not appear in 30 s", path)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A tracked try's token outlives the server that minted it: a new node on the same store
// (the restarted server, while the first process's task still runs, as after a crash)
// accepts it, naming the try; once the try ends the token is revoked everywhere.
func TestTaskTokenSurvivesRestart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	io := t.TempDir()
	held := `
dag_id: held
tasks:
  - id: hold
    track: true
    command:
      - sh
      - -c
      - |
        printf %s "$MLFLOW_RUN_ID" > "` + io + `/run_id"
        printf %s "$MLFLOW_TRACKING_TOKEN" > "` + io + `/token.tmp" && mv "` + io + `/token.tmp" "` + io + `/token"
        while [ ! -e "` + io + `/release" ]; do sleep 0.02; done
`
	dags := writeDAGs(t, map[string]string{"held.yaml": held})
	home := t.TempDir()
	st := openStore(t, home)
	if _, err := auth.CreateUser(ctx, st, "ada", authPassword("ada"), auth.RoleAdmin, time.Now()); err != nil {
		t.Fatal(err)
	}
	start := func(st *sqlite.Store) *node.Node {
		n, err := node.New(node.Config{Mode: node.ModeServer, Store: st, Tracking: st.Tracking(), Home: home,
			DAGsDir: dags, Addr: "127.0.0.1:0", GracePeriod: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if err := n.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(n.Stop)
		return n
	}
	first := start(st)
	if got := call(t, "POST", "http://"+first.Addr()+"/api/v1/dags/held/dagRuns", `{"dag_run_id":"r1"}`, as("ada")).StatusCode; got != 200 {
		t.Fatalf("trigger: %d", got)
	}
	token := waitFile(t, filepath.Join(io, "token"))
	runID := waitFile(t, filepath.Join(io, "run_id"))
	if !strings.HasPrefix(token, auth.Prefix) {
		t.Fatalf("the task's MLFLOW_TRACKING_TOKEN %q is not a weir token", token)
	}

	second := start(openStore(t, home)) // a new process on the same database file
	base := "http://" + second.Addr()
	if got := call(t, "GET", base+"/api/v1/me", "", cred{}).StatusCode; got != 401 {
		t.Fatalf("the restarted server without a credential: %d, want 401 (auth is on)", got)
	}
	resp := call(t, "POST", base+"/api/2.0/mlflow/runs/log-metric",
		`{"run_id":"`+runID+`","key":"acc","value":0.5,"timestamp":1}`, cred{token: token})
	if resp.StatusCode != 200 {
		t.Fatalf("the try's token on the restarted server: %d, want 200", resp.StatusCode)
	}
	resp = call(t, "POST", base+"/api/2.0/mlflow/registered-models/create", `{"name":"from-held"}`, cred{token: token})
	if resp.StatusCode != 200 {
		t.Fatalf("register a model with the try's token: %d, want 200", resp.StatusCode)
	}
	entries, err := st.ListAudit(ctx, store.AuditFilter{Action: "mlflow.registered-models.create"})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Actor != "task:held/r1/hold#1" || entries[0].ActorKind != audit.KindTask {
		t.Fatalf("audit of the task's request: %+v; want one entry by task:held/r1/hold#1 (kind task)", entries)
	}

	if err := os.WriteFile(filepath.Join(io, "release"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if r, err := first.Engine().Wait(ctx, "held", "r1"); err != nil || r.State != store.RunSuccess {
		t.Fatalf("the held run: %+v, %v; want success", r, err)
	}
	// The restarted server trusts a task token it read for a few seconds (auth's cache).
	deadline := time.Now().Add(15 * time.Second)
	for call(t, "GET", base+"/api/2.0/mlflow/runs/get?run_id="+runID, "", cred{token: token}).StatusCode != 401 {
		if time.Now().After(deadline) {
			t.Fatal("the token still works on the restarted server 15 s after its try ended; want 401 (revoked)")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got := call(t, "GET", "http://"+first.Addr()+"/api/2.0/mlflow/runs/get?run_id="+runID, "", cred{token: token}).StatusCode; got != 401 {
		t.Errorf("the token on the server whose try ended: %d, want 401 at once (revoked)", got)
	}
}

// The loopback MLflow API of a foreground node (weir run) authenticates like a server once
// a user exists: a request without a credential gets 401; a tracked task still logs with
// the token minted for its try, and its registry write is audited naming the try.
func TestLoopbackMLflowAuth(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	loopDAG := `
dag_id: looped
tasks:
  - id: log
    track: true
    command:
      - sh
      - -c
      - |
        curl -sf -H "Authorization: Bearer $MLFLOW_TRACKING_TOKEN" -H "Content-Type: application/json" \
          -d "{\"run_id\":\"$MLFLOW_RUN_ID\",\"key\":\"acc\",\"value\":0.75,\"timestamp\":1}" \
          "$MLFLOW_TRACKING_URI/api/2.0/mlflow/runs/log-metric" &&
        curl -sf -H "Authorization: Bearer $MLFLOW_TRACKING_TOKEN" -H "Content-Type: application/json" \
          -d '{"name":"looped-model"}' "$MLFLOW_TRACKING_URI/api/2.0/mlflow/registered-models/create"
`
	dags := writeDAGs(t, map[string]string{"looped.yaml": loopDAG})
	home := t.TempDir()
	st := openStore(t, home)
	if _, err := auth.CreateUser(ctx, st, "ada", authPassword("ada"), auth.RoleAdmin, time.Now()); err != nil {
		t.Fatal(err)
	}
	n, err := node.New(node.Config{Mode: node.ModeRun, Store: st, Tracking: st.Tracking(), Home: home, DAGsDir: dags})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Stop()
	if err := n.Start(ctx); err != nil {
		t.Fatal(err)
	}
	d, ok := n.Registry().DAG("looped")
	if !ok {
		t.Fatalf("no DAG looped: %v", n.Registry().Errors())
	}
	run, err := n.Engine().Trigger(ctx, d, engine.TriggerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := n.Engine().Wait(ctx, run.DAGID, run.RunID); err != nil || r.State != store.RunSuccess {
		ti, _ := st.GetTaskInstance(ctx, "looped", run.RunID, "log", -1)
		t.Fatalf("the tracked run: %+v, %v (task: %+v); want success (its curl was refused?)", r, err, ti)
	}
	uri := n.TrackingURI()
	if !strings.HasPrefix(uri, "http://127.0.0.1:") {
		t.Fatalf("TrackingURI = %q, want the loopback API", uri)
	}
	search := uri + "/api/2.0/mlflow/registered-models/search"
	resp := call(t, "GET", search, "", cred{})
	if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") == "" {
		t.Errorf("the loopback API without a credential: %d (challenge %q), want 401 with a challenge",
			resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	if got := call(t, "GET", search, "", as("ada")).StatusCode; got != 200 {
		t.Errorf("the loopback API with a user's password: %d, want 200", got)
	}
	entries, err := st.ListAudit(ctx, store.AuditFilter{Action: "mlflow.registered-models.create"})
	if err != nil {
		t.Fatal(err)
	}
	want := "task:looped/" + run.RunID + "/log#1"
	if len(entries) != 1 || entries[0].Actor != want || entries[0].ActorKind != audit.KindTask || entries[0].TargetID != "looped-model" {
		t.Errorf("audit of the task's registry write: %+v; want one entry by %s (kind task) on looped-model", entries, want)
	}
	if _, err := audit.Verify(ctx, st); err != nil {
		t.Errorf("audit.Verify: %v", err)
	}
}
