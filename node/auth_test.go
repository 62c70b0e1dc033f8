package node_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/weirhq/weir/auth"
	"github.com/weirhq/weir/node"
	"github.com/weirhq/weir/store"
)

const authDAGs = `
dag_id: noop
tasks:
  - id: a
    command: ["true"]
`

// trackedDAG's command task logs a metric through MLflow's REST API with the token the node
// gave it; curl -f fails the task on any refusal.
const trackedDAG = `
dag_id: tracked
tasks:
  - id: log
    track: true
    command:
      - sh
      - -c
      - |
        curl -sf -H "Authorization: Bearer $MLFLOW_TRACKING_TOKEN" -H "Content-Type: application/json" \
          -d "{\"run_id\":\"$MLFLOW_RUN_ID\",\"key\":\"acc\",\"value\":0.75,\"timestamp\":1}" \
          "$MLFLOW_TRACKING_URI/api/2.0/mlflow/runs/log-metric"
`

// authServer starts a server node whose store holds one token of each scope (so
// authentication is on by itself) and returns its base URL and the tokens by scope.
func authServer(t *testing.T) (string, store.Store, map[string]string) {
	t.Helper()
	dags := writeDAGs(t, map[string]string{"noop.yaml": authDAGs, "tracked.yaml": trackedDAG})
	home := t.TempDir()
	st := openStore(t, home)
	ctx := context.Background()
	tokens := map[string]string{}
	for _, sc := range []auth.Scope{auth.ScopeRead, auth.ScopeWrite, auth.ScopeAdmin} {
		secret, _, err := auth.Create(ctx, st, "t-"+string(sc), sc, time.Hour, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(secret, auth.Prefix) || len(secret) < len(auth.Prefix)+43 {
			t.Fatalf("token %q: want %s and 32 random bytes in base64url", secret, auth.Prefix)
		}
		tokens[string(sc)] = secret
	}
	n, err := node.New(node.Config{Mode: node.ModeServer, Store: st, Tracking: st.Tracking(), Home: home, DAGsDir: dags,
		Addr: "127.0.0.1:0", GracePeriod: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Stop)
	return "http://" + n.Addr(), st, tokens
}

type cred struct {
	token string
	basic bool
}

func call(t *testing.T, method, url, body string, c cred) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		if c.basic {
			req.SetBasicAuth("anyone", c.token)
		} else {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// Every kind of route answers 401 without a valid token, 403 to a token whose scope is too
// small, and succeeds with the right one, by Bearer and by Basic.
func TestAuthRoutes(t *testing.T) {
	t.Parallel()
	base, _, tok := authServer(t)
	none := cred{}
	cases := []struct {
		name, method, path, body string
		c                        cred
		want                     int // 0: any 2xx
	}{
		{"metrics open", "GET", "/metrics", "", none, 0},
		{"health open", "GET", "/api/v1/health", "", none, 0},
		{"list DAGs no token", "GET", "/api/v1/dags", "", none, 401},
		{"list DAGs bad token", "GET", "/api/v1/dags", "", cred{token: auth.Prefix + "nope"}, 401},
		{"list DAGs read", "GET", "/api/v1/dags", "", cred{token: tok["read"]}, 0},
		{"list DAGs read basic", "GET", "/api/v1/dags", "", cred{token: tok["read"], basic: true}, 0},
		{"trigger no token", "POST", "/api/v1/dags/noop/dagRuns", `{}`, none, 401},
		{"trigger read", "POST", "/api/v1/dags/noop/dagRuns", `{}`, cred{token: tok["read"]}, 403},
		{"trigger write", "POST", "/api/v1/dags/noop/dagRuns", `{}`, cred{token: tok["write"]}, 0},
		{"pause read basic", "PATCH", "/api/v1/dags/noop", `{"is_paused":true}`, cred{token: tok["read"], basic: true}, 403},
		{"pause write basic", "PATCH", "/api/v1/dags/noop", `{"is_paused":true}`, cred{token: tok["write"], basic: true}, 0},
		{"create pool write", "POST", "/api/v1/pools", `{"name":"p","slots":2}`, cred{token: tok["write"]}, 403},
		{"create pool admin", "POST", "/api/v1/pools", `{"name":"p","slots":2}`, cred{token: tok["admin"]}, 0},
		{"mlflow create no token", "POST", "/api/2.0/mlflow/experiments/create", `{"name":"e1"}`, none, 401},
		{"mlflow create read", "POST", "/api/2.0/mlflow/experiments/create", `{"name":"e1"}`, cred{token: tok["read"]}, 403},
		{"mlflow create write basic", "POST", "/api/2.0/mlflow/experiments/create", `{"name":"e1"}`, cred{token: tok["write"], basic: true}, 0},
		{"mlflow search read", "POST", "/api/2.0/mlflow/experiments/search", `{"max_results":10}`, cred{token: tok["read"]}, 0},
		{"mlflow get read", "GET", "/api/2.0/mlflow/experiments/get-by-name?experiment_name=e1", "", cred{token: tok["read"]}, 0},
		{"mlflow search no token", "POST", "/api/2.0/mlflow/runs/search", `{}`, none, 401},
	}
	// In order: later reads see earlier writes.
	for _, c := range cases {
		resp := call(t, c.method, base+c.path, c.body, c.c)
		ok := resp.StatusCode == c.want || c.want == 0 && resp.StatusCode/100 == 2
		if !ok {
			t.Errorf("%s: %s %s = %d, want %d (0: any 2xx)", c.name, c.method, c.path, resp.StatusCode, c.want)
		}
		if resp.StatusCode == 401 && !strings.Contains(strings.Join(resp.Header.Values("WWW-Authenticate"), ","), "Bearer") {
			t.Errorf("%s: 401 without a WWW-Authenticate challenge: %v", c.name, resp.Header)
		}
	}
}

// An expired token and a revoked one get 401; revocation takes effect at once.
func TestAuthExpiryAndRevocation(t *testing.T) {
	t.Parallel()
	base, st, tok := authServer(t)
	ctx := context.Background()
	old, _, err := auth.Create(ctx, st, "old", auth.ScopeAdmin, time.Hour, time.Now().Add(-2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if got := call(t, "GET", base+"/api/v1/dags", "", cred{token: old}).StatusCode; got != 401 {
		t.Errorf("expired token: %d, want 401", got)
	}
	if got := call(t, "GET", base+"/api/v1/dags", "", cred{token: tok["write"]}).StatusCode; got != 200 {
		t.Fatalf("write token before revocation: %d, want 200", got)
	}
	if err := st.RevokeToken(ctx, "t-write", time.Now()); err != nil {
		t.Fatal(err)
	}
	if got := call(t, "GET", base+"/api/v1/dags", "", cred{token: tok["write"], basic: true}).StatusCode; got != 401 {
		t.Errorf("revoked token: %d, want 401", got)
	}
}

// A server without authentication refuses a non-loopback address, saying how to fix it;
// with Auth it accepts it.
func TestServerRefusesNonLoopbackWithoutAuth(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	st := openStore(t, home)
	_, err := node.New(node.Config{Mode: node.ModeServer, Store: st, Home: home, Addr: "0.0.0.0:0"})
	if err == nil || !strings.Contains(err.Error(), "weir tokens create") {
		t.Fatalf("node.New on 0.0.0.0 without auth: err = %v, want a refusal naming `weir tokens create`", err)
	}
	n, err := node.New(node.Config{Mode: node.ModeServer, Store: st, Home: home, Addr: "0.0.0.0:0", Auth: true})
	if err != nil {
		t.Fatalf("node.New on 0.0.0.0 with Auth: %v", err)
	}
	n.Stop()
	n, err = node.New(node.Config{Mode: node.ModeServer, Store: st, Home: home, Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatalf("node.New on loopback without auth: %v", err)
	}
	n.Stop()
}

// A tracked command task logs a metric with the token the node minted for its try.
func TestTrackedCommandTaskLogsWithAuth(t *testing.T) {
	t.Parallel()
	base, st, tok := authServer(t)
	if got := call(t, "POST", base+"/api/v1/dags/tracked/dagRuns", `{"dag_run_id":"r1"}`, cred{token: tok["write"]}).StatusCode; got != 200 {
		t.Fatalf("trigger: %d", got)
	}
	deadline := time.Now().Add(30 * time.Second)
	var run *store.DAGRun
	for {
		runs := mustRuns(t, st, "tracked")
		if len(runs) == 1 && runs[0].State.Finished() {
			run = runs[0]
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the tracked run did not finish in 30 s: %+v", runs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if run.State != store.RunSuccess {
		t.Fatalf("tracked run ended %s, want success (the task's curl was refused?)", run.State)
	}
	resp := call(t, "GET", base+"/api/2.0/mlflow/experiments/get-by-name?experiment_name=tracked", "", cred{token: tok["read"]})
	var exp struct {
		Experiment struct {
			ID string `json:"experiment_id"`
		} `json:"experiment"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&exp); err != nil || exp.Experiment.ID == "" {
		t.Fatalf("the DAG's experiment: %d %v", resp.StatusCode, err)
	}
	resp = call(t, "POST", base+"/api/2.0/mlflow/runs/search", `{"experiment_ids":["`+exp.Experiment.ID+`"],"filter":"metrics.acc = 0.75"}`, cred{token: tok["read"]})
	var out struct {
		Runs []json.RawMessage `json:"runs"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 {
		t.Fatalf("search runs: %d %v", resp.StatusCode, err)
	}
	if len(out.Runs) != 1 {
		t.Fatalf("runs with metric acc = 0.75: %d, want 1", len(out.Runs))
	}
}

// A server started without tokens is open on loopback; making the first token locks it
// without a restart.
func TestFirstTokenLocksARunningServer(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	st := openStore(t, home)
	n, err := node.New(node.Config{Mode: node.ModeServer, Store: st, Home: home, Addr: "127.0.0.1:0", GracePeriod: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer n.Stop()
	base := "http://" + n.Addr()
	if got := call(t, "GET", base+"/api/v1/dags", "", cred{}).StatusCode; got != 200 {
		t.Fatalf("no token exists: %d, want 200", got)
	}
	secret, _, err := auth.Create(context.Background(), st, "first", auth.ScopeRead, 0, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for call(t, "GET", base+"/api/v1/dags", "", cred{}).StatusCode != 401 {
		if time.Now().After(deadline) {
			t.Fatal("the server still answers without a token 10 s after the first token was made")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := call(t, "GET", base+"/api/v1/dags", "", cred{token: secret}).StatusCode; got != 200 {
		t.Errorf("with the first token: %d, want 200", got)
	}
}

// Every operation of the REST API's OpenAPI spec: 401 without a token (but the open
// health check), 403 to a token whose scope is too small, and neither to the right one.
func TestAuthEveryRESTRoute(t *testing.T) {
	t.Parallel()
	base, _, tok := authServer(t)
	resp := call(t, "GET", base+"/api/v1/openapi.json", "", cred{token: tok["read"]})
	var spec struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&spec); err != nil || len(spec.Paths) < 10 {
		t.Fatalf("openapi.json: %d %v (%d paths)", resp.StatusCode, err, len(spec.Paths))
	}
	a, err := auth.New(auth.Config{Store: nil})
	if err == nil || a != nil {
		t.Fatal("auth.New without a store: want an error")
	}
	checked := 0
	for p, ops := range spec.Paths {
		path := p
		for strings.Contains(path, "{") {
			i, j := strings.Index(path, "{"), strings.Index(path, "}")
			path = path[:i] + "x" + path[j+1:]
		}
		url := base + "/api/v1" + path
		for m := range ops {
			method := strings.ToUpper(m)
			switch method {
			case "GET", "POST", "PATCH", "PUT", "DELETE":
			default:
				continue
			}
			checked++
			body := ""
			if method != "GET" && method != "DELETE" {
				body = `{}`
			}
			admin := strings.HasPrefix(p, "/pools") || strings.HasPrefix(p, "/deployments") || strings.HasPrefix(p, "/monitors") || strings.HasPrefix(p, "/variables") || strings.HasPrefix(p, "/connections")
			want := "read"
			switch {
			case p == "/audit": // the audit log is admins' to read
				want = "admin"
			case method != "GET" && admin:
				want = "admin"
			case method != "GET":
				want = "write"
			}
			if got := call(t, method, url, body, cred{}).StatusCode; p == "/health" && got == 401 || p != "/health" && got != 401 {
				t.Errorf("%s %s without a token: %d", method, p, got)
			}
			if want != "read" {
				smaller := "read"
				if want == "admin" {
					smaller = "write"
				}
				if got := call(t, method, url, body, cred{token: tok[smaller]}).StatusCode; got != 403 {
					t.Errorf("%s %s with a %s token: %d, want 403", method, p, smaller, got)
				}
			}
			if got := call(t, method, url, body, cred{token: tok[want], basic: checked%2 == 0}).StatusCode; got == 401 || got == 403 {
				t.Errorf("%s %s with a %s token: %d, want neither 401 nor 403", method, p, want, got)
			}
		}
	}
	if checked < 30 {
		t.Errorf("checked %d operations, want every one of the spec (30 or more)", checked)
	}
}
