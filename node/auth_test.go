package node_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/weirhq/weir/auth"
	"github.com/weirhq/weir/mlflowapi"
	"github.com/weirhq/weir/node"
	"github.com/weirhq/weir/store"
)

const authDAGs = `
dag_id: noop
tags: [team-a]
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
func authServer(t *testing.T, configure ...func(*node.Config)) (string, store.Store, map[string]string) {
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
	for name, role := range authUsers {
		if _, err := auth.CreateUser(ctx, st, name, authPassword(name), role, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	cfg := node.Config{Mode: node.ModeServer, Store: st, Tracking: st.Tracking(), Home: home, DAGsDir: dags,
		Addr: "127.0.0.1:0", GracePeriod: time.Second}
	for _, f := range configure {
		f(&cfg)
	}
	n, err := node.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Stop)
	return "http://" + n.Addr(), st, tokens
}

// authUsers are the users of authServer, one per role, by name.
var authUsers = map[string]auth.Role{"vera": auth.RoleViewer, "otto": auth.RoleOperator, "mia": auth.RoleMLEngineer, "ada": auth.RoleAdmin}

// authPassword is the password of an authServer user.
func authPassword(user string) string { return "the password of " + user }

// as is the credential of an authServer user: HTTP Basic with their name and password, as
// MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD send it.
func as(user string) cred { return cred{user: user, pass: authPassword(user)} }

// cred is how a test request authenticates: a token (Bearer, or Basic with basic), a user
// name and password (Basic), or a session cookie (with its CSRF token, when csrf is set).
type cred struct {
	token      string
	basic      bool
	user, pass string
	cookie     string
	csrf       string
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
	switch {
	case c.token != "" && c.basic:
		req.SetBasicAuth("anyone", c.token)
	case c.token != "":
		req.Header.Set("Authorization", "Bearer "+c.token)
	case c.user != "":
		req.SetBasicAuth(c.user, c.pass)
	case c.cookie != "":
		req.AddCookie(&http.Cookie{Name: auth.SessionCookie, Value: c.cookie})
		if c.csrf != "" {
			req.Header.Set(auth.CSRFHeader, c.csrf)
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
		{"create pool read", "POST", "/api/v1/pools", `{"name":"p","slots":2}`, cred{token: tok["read"]}, 403},
		{"create pool write", "POST", "/api/v1/pools", `{"name":"p","slots":2}`, cred{token: tok["write"]}, 0},
		{"list users write", "GET", "/api/v1/users", "", cred{token: tok["write"]}, 403},
		{"list users admin", "GET", "/api/v1/users", "", cred{token: tok["admin"]}, 0},
		{"user wrong password", "GET", "/api/v1/dags", "", cred{user: "vera", pass: "not her password"}, 401},
		{"unknown user", "GET", "/api/v1/dags", "", cred{user: "nobody", pass: "whatever it is"}, 401},
		{"mlflow basic user", "POST", "/api/2.0/mlflow/experiments/create", `{"name":"e2"}`, as("mia"), 0},
		{"mlflow basic user, operator", "POST", "/api/2.0/mlflow/experiments/create", `{"name":"e3"}`, as("otto"), 403},
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

// servingRoutes are the serving endpoints (package serve) as "METHOD /path".
var servingRoutes = []string{
	"GET /serve/{name}/health", "GET /serve/{name}/ping", "GET /serve/{name}/version", "POST /serve/{name}/invocations",
	"GET /v2", "GET /v2/health/live", "GET /v2/health/ready", "GET /v2/models/{name}", "GET /v2/models/{name}/ready",
	"GET /v2/models/{name}/versions/{version}", "GET /v2/models/{name}/versions/{version}/ready",
	"POST /v2/models/{name}/infer", "POST /v2/models/{name}/versions/{version}/infer",
}

// wantRole is the least role a route needs, written out here independently of auth.Need:
// "" for the open routes.
func wantRole(method, path string) auth.Role {
	rest, rested := strings.CutPrefix(path, "/api/v1")
	switch {
	case path == "/metrics" || path == "/api/v1/health" || path == "/api/v1/login" || strings.HasPrefix(path, "/api/v1/oidc/"):
		return ""
	case rested && (strings.HasPrefix(rest, "/users") || rest == "/grants" || rest == "/audit"):
		return auth.RoleAdmin // the audit log too: it names everyone's actions
	case rested && (strings.HasPrefix(rest, "/tokens") || rest == "/me" || rest == "/logout"):
		return auth.RoleViewer
	case method == "GET":
		return auth.RoleViewer
	case strings.HasSuffix(path, "/invocations") || strings.HasSuffix(path, "/infer"):
		return auth.RoleViewer // predicting changes nothing
	case rested && (strings.HasPrefix(rest, "/variables") || strings.HasPrefix(rest, "/connections")):
		return auth.RoleAdmin // secrets: writes and reveals
	case rested && (strings.HasPrefix(rest, "/deployments") || strings.HasPrefix(rest, "/monitors") || strings.HasPrefix(rest, "/predictions")):
		return auth.RoleMLEngineer
	case rested:
		return auth.RoleOperator
	}
	return auth.RoleMLEngineer // MLflow and its artifacts
}

// Every route — each operation of the REST API's OpenAPI spec, each MLflow endpoint and
// artifact route, each serving endpoint, /metrics — answers 401 without credentials (but
// the open ones), 403 to a user whose role lacks the right (when some role does), and
// neither to a user with the least role that has it (the handler ran: with an empty body
// it may answer 400 or 404).
func TestAuthEveryRoute(t *testing.T) {
	t.Parallel()
	base, _, tok := authServer(t)
	resp := call(t, "GET", base+"/api/v1/openapi.json", "", cred{token: tok["read"]})
	var spec struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&spec); err != nil || len(spec.Paths) < 10 {
		t.Fatalf("openapi.json: %d %v (%d paths)", resp.StatusCode, err, len(spec.Paths))
	}
	var routes []string
	for p, ops := range spec.Paths {
		for m := range ops {
			switch method := strings.ToUpper(m); method {
			case "GET", "POST", "PATCH", "PUT", "DELETE":
				routes = append(routes, method+" /api/v1"+p)
			}
		}
	}
	rest := len(routes)
	routes = append(routes, mlflowapi.Routes()...)
	mlflow := len(routes) - rest
	routes = append(routes, servingRoutes...)
	routes = append(routes, "GET /metrics", "GET /api/v1/oidc/login", "GET /api/v1/oidc/callback")
	// who has a role's rights, who lacks them (nil: every principal has them).
	right := map[auth.Role]cred{auth.RoleViewer: as("vera"), auth.RoleOperator: as("otto"), auth.RoleMLEngineer: as("mia"), auth.RoleAdmin: as("ada")}
	wrong := map[auth.Role][]cred{
		auth.RoleOperator:   {as("mia"), as("vera")},
		auth.RoleMLEngineer: {as("otto"), as("vera")},
		auth.RoleAdmin:      {{token: tok["write"]}, as("otto"), as("mia")},
	}
	for _, rt := range routes {
		method, p, _ := strings.Cut(rt, " ")
		path := strings.ReplaceAll(p, "{path...}", "1/x/artifacts/f.txt")
		for strings.Contains(path, "{") {
			i, j := strings.Index(path, "{"), strings.Index(path, "}")
			path = path[:i] + "x" + path[j+1:]
		}
		body := ""
		if method != "GET" && method != "DELETE" {
			body = `{}`
		}
		want := wantRole(method, p)
		got := call(t, method, base+path, body, cred{}).StatusCode
		if want == "" && got == 401 || want != "" && got != 401 {
			t.Errorf("%s %s without credentials: %d", method, p, got)
		}
		if want == "" {
			continue
		}
		for _, c := range wrong[want] {
			if got := call(t, method, base+path, body, c).StatusCode; got != 403 {
				t.Errorf("%s %s as %s%s (lacks %s): %d, want 403", method, p, c.user, c.token[:min(len(c.token), 5)], want, got)
			}
		}
		if got := call(t, method, base+path, body, right[want]).StatusCode; got == 401 || got == 403 {
			t.Errorf("%s %s as %s (%s): %d, want neither 401 nor 403", method, p, right[want].user, want, got)
		}
	}
	if rest < 45 || mlflow < 60 {
		t.Errorf("checked %d REST operations and %d MLflow routes, want every one (45 and 60 or more)", rest, mlflow)
	}
}

// decode reads a JSON answer into out, failing the test on any other status than want.
func decode(t *testing.T, resp *http.Response, want int, out any) {
	t.Helper()
	if resp.StatusCode != want {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("%s %s: %d, want %d: %s", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, want, b)
	}
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatal(err)
		}
	}
}

// Grants add rights on the objects they name and nowhere else: a viewer granted operator
// on a DAG (by id or tag) triggers it and not another; ml-engineer on a registered model
// or an experiment lets them change that model, or log to that experiment's runs and
// artifacts, and not others'. They take effect at once.
func TestGrants(t *testing.T) {
	t.Parallel()
	base, st, _ := authServer(t)
	ctx := context.Background()
	grant := func(target string, role auth.Role) {
		t.Helper()
		if err := st.PutGrant(ctx, &store.Grant{User: "vera", Target: target, Role: string(role), CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	status := func(method, path, body string) int {
		t.Helper()
		return call(t, method, base+path, body, as("vera")).StatusCode
	}
	if got := status("PATCH", "/api/v1/dags/noop", `{"is_paused":true}`); got != 403 {
		t.Fatalf("pause without a grant: %d, want 403", got)
	}
	grant("dag-tag:team-a", auth.RoleOperator)
	if got := status("PATCH", "/api/v1/dags/noop", `{"is_paused":true}`); got != 200 {
		t.Errorf("pause noop (tag team-a) with an operator grant on dag-tag:team-a: %d, want 200", got)
	}
	if got := status("PATCH", "/api/v1/dags/tracked", `{"is_paused":true}`); got != 403 {
		t.Errorf("pause tracked (untagged) with a grant on dag-tag:team-a: %d, want 403", got)
	}
	grant("dag:tracked", auth.RoleOperator)
	if got := status("PATCH", "/api/v1/dags/tracked", `{"is_paused":true}`); got != 200 {
		t.Errorf("pause tracked with a grant on dag:tracked: %d, want 200", got)
	}
	if got := status("POST", "/api/v1/pools", `{"name":"p","slots":1}`); got != 403 {
		t.Errorf("create a pool (no DAG) with DAG grants only: %d, want 403", got)
	}

	// Registered models.
	grant("model:iris", auth.RoleMLEngineer)
	if got := status("POST", "/api/2.0/mlflow/registered-models/create", `{"name":"iris"}`); got != 200 {
		t.Errorf("register iris with a grant on model:iris: %d, want 200", got)
	}
	if got := status("POST", "/api/2.0/mlflow/registered-models/create", `{"name":"wine"}`); got != 403 {
		t.Errorf("register wine with a grant on model:iris: %d, want 403", got)
	}
	if got := status("POST", "/api/2.0/mlflow/registered-models/alias", `{"name":"iris","alias":"champion","version":"1"}`); got == 403 || got == 401 {
		t.Errorf("move an alias of iris with a grant on model:iris: %d", got)
	}

	// Deployments of the granted model, and only of it.
	if got := status("PUT", "/api/v1/deployments/iris-prod", `{"model":"models:/iris@champion","shadow":"models:/iris/1"}`); got == 403 || got == 401 {
		t.Errorf("deploy iris with a grant on model:iris: %d", got)
	}
	if got := status("PUT", "/api/v1/deployments/iris-prod", `{"model":"models:/iris@champion","shadow":"models:/wine/1"}`); got != 403 {
		t.Errorf("deploy iris with a wine shadow, granted iris only: %d, want 403", got)
	}
	if got := status("PUT", "/api/v1/deployments/wine-prod", `{"model":"models:/wine@champion"}`); got != 403 {
		t.Errorf("deploy wine with a grant on model:iris: %d, want 403", got)
	}
	if got := call(t, "PUT", base+"/api/v1/deployments/other", `{"model":"models:/wine@champion"}`, as("mia")).StatusCode; got == 403 || got == 401 {
		t.Fatalf("mia deploys wine: %d", got)
	}
	if got := status("PUT", "/api/v1/deployments/other", `{"model":"models:/iris@champion"}`); got != 403 {
		t.Errorf("replace a wine deployment by iris, granted iris only: %d, want 403", got)
	}
	if got := status("DELETE", "/api/v1/deployments/other", ""); got != 403 {
		t.Errorf("delete a wine deployment, granted iris only: %d, want 403", got)
	}

	// Experiments: two made by mia, each with a run; vera gets a grant on the first.
	var exps [2]string
	var runs [2]string
	for i, name := range []string{"granted", "other"} {
		var e struct {
			ID string `json:"experiment_id"`
		}
		decode(t, call(t, "POST", base+"/api/2.0/mlflow/experiments/create", `{"name":"`+name+`"}`, as("mia")), 200, &e)
		var r struct {
			Run struct {
				Info struct {
					ID string `json:"run_id"`
				} `json:"info"`
			} `json:"run"`
		}
		decode(t, call(t, "POST", base+"/api/2.0/mlflow/runs/create", `{"experiment_id":"`+e.ID+`"}`, as("mia")), 200, &r)
		exps[i], runs[i] = e.ID, r.Run.Info.ID
	}
	grant("experiment:"+exps[0], auth.RoleMLEngineer)
	metric := func(run string) string {
		return `{"run_id":"` + run + `","key":"acc","value":0.5,"timestamp":1}`
	}
	if got := status("POST", "/api/2.0/mlflow/runs/log-metric", metric(runs[0])); got != 200 {
		t.Errorf("log a metric to a run of the granted experiment: %d, want 200", got)
	}
	if got := status("POST", "/api/2.0/mlflow/runs/log-metric", metric(runs[1])); got != 403 {
		t.Errorf("log a metric to a run of another experiment: %d, want 403", got)
	}
	if got := status("POST", "/api/2.0/mlflow/runs/create", `{"experiment_id":"`+exps[0]+`"}`); got != 200 {
		t.Errorf("create a run in the granted experiment: %d, want 200", got)
	}
	if got := status("POST", "/api/2.0/mlflow/runs/create", `{"experiment_id":"`+exps[1]+`"}`); got != 403 {
		t.Errorf("create a run in another experiment: %d, want 403", got)
	}
	if got := status("PUT", "/api/2.0/mlflow-artifacts/artifacts/"+exps[0]+"/"+runs[0]+"/artifacts/a.txt", "hello"); got != 200 {
		t.Errorf("upload an artifact to the granted experiment: %d, want 200", got)
	}
	if got := status("PUT", "/api/2.0/mlflow-artifacts/artifacts/"+exps[1]+"/"+runs[1]+"/artifacts/a.txt", "hello"); got != 403 {
		t.Errorf("upload an artifact to another experiment: %d, want 403", got)
	}
	if err := st.DeleteGrant(ctx, "vera", "experiment:"+exps[0]); err != nil {
		t.Fatal(err)
	}
	if got := status("POST", "/api/2.0/mlflow/runs/log-metric", metric(runs[0])); got != 403 {
		t.Errorf("log a metric after the grant was removed: %d, want 403", got)
	}
}

// A browser session: login sets the cookie; GET /me names the user; a state-changing
// request by cookie needs the CSRF token; logout ends the session.
func TestSessionLoginCSRFLogout(t *testing.T) {
	t.Parallel()
	base, _, _ := authServer(t)
	resp := call(t, "POST", base+"/api/v1/login", `{"username":"otto","password":"`+authPassword("otto")+`"}`, cred{})
	var me struct {
		Name string `json:"name"`
		Kind string `json:"kind"`
		Role string `json:"role"`
		CSRF string `json:"csrf_token"`
	}
	decode(t, resp, 200, &me)
	var session string
	for _, c := range resp.Cookies() {
		if c.Name == auth.SessionCookie {
			session = c.Value
			if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
				t.Errorf("session cookie %+v: want HttpOnly and SameSite=Strict", c)
			}
		}
	}
	if session == "" || me.CSRF == "" || me.Name != "otto" || me.Role != "operator" {
		t.Fatalf("login: cookie %q, answer %+v", session, me)
	}
	decode(t, call(t, "GET", base+"/api/v1/me", "", cred{cookie: session}), 200, &me)
	if me.Name != "otto" || me.Kind != "user" || me.CSRF == "" {
		t.Errorf("me by cookie: %+v", me)
	}
	trigger := func(c cred) int {
		return call(t, "POST", base+"/api/v1/dags/noop/dagRuns", `{}`, c).StatusCode
	}
	if got := trigger(cred{cookie: session}); got != 403 {
		t.Errorf("trigger by cookie without the CSRF token: %d, want 403", got)
	}
	if got := trigger(cred{cookie: session, csrf: "forged"}); got != 403 {
		t.Errorf("trigger by cookie with a wrong CSRF token: %d, want 403", got)
	}
	if got := trigger(cred{cookie: session, csrf: me.CSRF}); got != 200 {
		t.Errorf("trigger by cookie with the CSRF token: %d, want 200", got)
	}
	if got := call(t, "POST", base+"/api/v1/login", `{"username":"otto","password":"wrong, wrong, wrong"}`, cred{}).StatusCode; got != 401 {
		t.Errorf("login with a wrong password: %d, want 401", got)
	}
	if got := call(t, "POST", base+"/api/v1/logout", "", cred{cookie: session, csrf: me.CSRF}).StatusCode; got != 204 {
		t.Errorf("logout: %d, want 204", got)
	}
	if got := call(t, "GET", base+"/api/v1/me", "", cred{cookie: session}).StatusCode; got != 401 {
		t.Errorf("me after logout: %d, want 401", got)
	}
}

// Users manage their own tokens over REST, never above their role, and see only theirs;
// a disabled user's tokens stop working.
func TestUserTokens(t *testing.T) {
	t.Parallel()
	base, _, tok := authServer(t)
	var nt struct {
		Secret string `json:"secret"`
		Role   string `json:"role"`
		User   string `json:"user"`
	}
	decode(t, call(t, "POST", base+"/api/v1/tokens", `{"name":"mia-ci"}`, as("mia")), 201, &nt)
	if nt.Role != "ml-engineer" || nt.User != "mia" || !strings.HasPrefix(nt.Secret, auth.Prefix) {
		t.Fatalf("mia's token: %+v", nt)
	}
	miaTok := cred{token: nt.Secret, basic: true}
	if got := call(t, "POST", base+"/api/2.0/mlflow/experiments/create", `{"name":"by-token"}`, miaTok).StatusCode; got != 200 {
		t.Errorf("mia's token logs: %d, want 200", got)
	}
	if got := call(t, "POST", base+"/api/v1/dags/noop/dagRuns", `{}`, miaTok).StatusCode; got != 403 {
		t.Errorf("mia's token triggers: %d, want 403", got)
	}
	for _, body := range []string{`{"name":"x","role":"admin"}`, `{"name":"x","user":"ada"}`, `{"name":"x","role":"operator"}`} {
		if got := call(t, "POST", base+"/api/v1/tokens", body, as("mia")).StatusCode; got != 403 {
			t.Errorf("mia makes %s: %d, want 403", body, got)
		}
	}
	decode(t, call(t, "POST", base+"/api/v1/tokens", `{"name":"mia-read","role":"viewer"}`, miaTok), 201, nil)
	var list struct {
		Tokens []struct {
			Name string `json:"name"`
		} `json:"tokens"`
	}
	decode(t, call(t, "GET", base+"/api/v1/tokens", "", as("mia")), 200, &list)
	if len(list.Tokens) != 2 {
		t.Errorf("mia's tokens: %+v, want mia-ci and mia-read only", list.Tokens)
	}
	decode(t, call(t, "GET", base+"/api/v1/tokens", "", as("ada")), 200, &list)
	if len(list.Tokens) != 5 {
		t.Errorf("every token, as admin: %d, want 5", len(list.Tokens))
	}
	if got := call(t, "DELETE", base+"/api/v1/tokens/t-admin", "", as("mia")).StatusCode; got != 404 {
		t.Errorf("mia revokes another's token: %d, want 404", got)
	}
	if got := call(t, "PATCH", base+"/api/v1/users/mia", `{"disabled":true}`, cred{token: tok["admin"]}).StatusCode; got != 200 {
		t.Fatalf("disable mia: %d", got)
	}
	if got := call(t, "GET", base+"/api/v1/dags", "", miaTok).StatusCode; got != 401 {
		t.Errorf("a disabled user's token: %d, want 401", got)
	}
	if got := call(t, "GET", base+"/api/v1/dags", "", as("mia")).StatusCode; got != 401 {
		t.Errorf("a disabled user's password: %d, want 401", got)
	}
}

// With authentication on, the web UI's static files load without a credential (its login
// form must), while every API path beside them still answers 401, and a UI path never
// carries data: it is the same index.html for any route.
func TestUIFilesAreOpenAPIsAreNot(t *testing.T) {
	t.Parallel()
	base, _, _ := authServer(t)
	for _, p := range []string{"/", "/dags/noop/grid", "/experiments"} {
		resp := call(t, "GET", base+p, "", cred{})
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || !strings.Contains(string(b), "<html") {
			t.Errorf("GET %s without credentials: %d %.80q, want the UI's index.html", p, resp.StatusCode, b)
		}
	}
	for _, p := range []string{"/api/v1/dags", "/api/2.0/mlflow/experiments/search", "/ajax-api/2.0/mlflow/experiments/search", "/serve/x/ping", "/v2/models/x"} {
		if got := call(t, "GET", base+p, "", cred{}).StatusCode; got != 401 {
			t.Errorf("GET %s without credentials: %d, want 401", p, got)
		}
	}
	if got := call(t, "POST", base+"/", "{}", cred{}).StatusCode; got != 401 {
		t.Errorf("POST / without credentials: %d, want 401", got)
	}
	// A script's request (the UI's) gets no Basic challenge, which a browser would answer
	// with its own password dialog; a plain one does (curl, MLflow clients).
	for _, xrw := range []string{"", "weir-ui"} {
		req, _ := http.NewRequest("GET", base+"/api/v1/me", nil)
		if xrw != "" {
			req.Header.Set("X-Requested-With", xrw)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		basic := strings.Contains(strings.Join(resp.Header.Values("WWW-Authenticate"), ","), "Basic")
		if resp.StatusCode != 401 || basic != (xrw == "") {
			t.Errorf("GET /api/v1/me, X-Requested-With %q: %d, challenges %q", xrw, resp.StatusCode, resp.Header.Values("WWW-Authenticate"))
		}
	}
}
