package node_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/weirhq/weir/api/client"
	"github.com/weirhq/weir/engine"
	"github.com/weirhq/weir/node"
)

const secretDAG = `
dag_id: secretive
tasks:
  - id: use
    env_from: ["conn:warehouse", "DB_PASS=conn:warehouse.password", "var:api_token"]
    script: |
      echo "template password {{ conn.warehouse.password }} token {{ var.value.api_token }}"
      echo "uri {{ conn.warehouse.get_uri() }} host {{ conn.warehouse.host }}"
      echo "env password $DB_PASS token $AIRFLOW_VAR_API_TOKEN"
      echo "env uri $AIRFLOW_CONN_WAREHOUSE" >&2
      printf %s "$DB_PASS" | sha256sum | cut -d' ' -f1 > "$WEIR_HOME/password.sha"
      printf %s '{{ var.value.api_token }}' | sha256sum | cut -d' ' -f1 > "$WEIR_HOME/token.sha"
      printf '{"echo": "%s", "region": "{{ var.value.region }}"}' "$DB_PASS" > "$WEIR_OUTPUT"
  - id: call
    http: {url: "http://127.0.0.1:1/{{ conn.warehouse.password }}"}
`

// Issue 13: a secret set as a connection or a secret variable reaches the task (templates
// and env_from), and never appears in clear in the task's log, the API's answers (log, task
// instance output and error, variables, connections) or any file of the home folder — the
// SQLite database and its WAL included.
func TestSecretsNeverLeak(t *testing.T) {
	t.Parallel()
	const password = "Pa55:w0rd/xyzzy@42" // characters a URI must quote
	const token = "tok-3f9a8b7c6d5e"
	home := t.TempDir()
	st := openStore(t, home)
	n, err := node.New(node.Config{Mode: node.ModeServer, Store: st, Home: home, Addr: "127.0.0.1:0",
		DAGsDir: writeDAGs(t, map[string]string{"s.yaml": secretDAG}), GracePeriod: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Stop)
	ctx := t.Context()
	c, err := client.New("http://"+n.Addr(), nil)
	if err != nil {
		t.Fatal(err)
	}
	extra := `{"sslmode": "require", "api_key": "extra-key-123456"}`
	if _, err := c.PutConnection(ctx, client.Connection{ConnectionID: "warehouse", ConnType: "postgres", Host: sp("db.internal"),
		Login: sp("etl"), Password: sp(password), Port: ip(5432), Schema: sp("analytics"), Extra: &extra}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SetVariable(ctx, client.Variable{Key: "api_token", Value: token}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SetVariable(ctx, client.Variable{Key: "region", Value: "eu-west-1"}); err != nil {
		t.Fatal(err)
	}

	run, err := c.Trigger(ctx, "secretive", client.TriggerRequest{})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		r, err := c.GetRun(ctx, "secretive", run.DAGRunID)
		if err != nil {
			t.Fatal(err)
		}
		if r.State == "success" || r.State == "failed" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("run still %s after 30 s", r.State)
		}
		time.Sleep(20 * time.Millisecond)
	}

	// The task received the real values.
	for file, want := range map[string]string{"password.sha": password, "token.sha": token} {
		b, err := os.ReadFile(filepath.Join(home, file))
		if err != nil {
			t.Fatalf("the task wrote no %s: %v", file, err)
		}
		sum := sha256.Sum256([]byte(want))
		if got := strings.TrimSpace(string(b)); got != hex.EncodeToString(sum[:]) {
			t.Errorf("%s = %s: the task did not receive the value", file, got)
		}
	}
	leaks := []string{password, url.QueryEscape(password), token, "extra-key-123456"}
	noLeak := func(what, text string) {
		t.Helper()
		for _, s := range leaks {
			if strings.Contains(text, s) {
				t.Errorf("%s holds the secret %q in clear:\n%s", what, s, text)
			}
		}
	}

	use, err := c.GetTaskInstance(ctx, "secretive", run.DAGRunID, "use", -1)
	if err != nil {
		t.Fatal(err)
	}
	if use.StateName() != "success" {
		t.Fatalf("task use is %s: %s", use.StateName(), use.Error)
	}
	noLeak("task use's output (API)", string(use.Output))
	if !strings.Contains(string(use.Output), `"echo":"***"`) || !strings.Contains(string(use.Output), "eu-west-1") {
		t.Errorf("task use's output = %s, want the password masked and the region (no secret) kept", use.Output)
	}
	call, err := c.GetTaskInstance(ctx, "secretive", run.DAGRunID, "call", -1)
	if err != nil {
		t.Fatal(err)
	}
	if call.StateName() != "failed" || !strings.Contains(call.Error, "***") {
		t.Errorf("task call: %s, error %q: want failed, the URL's password masked", call.StateName(), call.Error)
	}
	noLeak("task call's error (API)", call.Error)

	logPath, err := engine.LogPath(home, "secretive", run.DAGRunID, "use", -1, 1)
	if err != nil {
		t.Fatal(err)
	}
	logText, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	noLeak("the log file", string(logText))
	for _, want := range []string{"template password *** token ***", "env password *** token ***", "host db.internal",
		"uri postgres://etl:***@db.internal:5432/analytics"} {
		if !strings.Contains(string(logText), want) {
			t.Errorf("the log lacks %q (masked, the rest kept):\n%s", want, logText)
		}
	}
	apiLog, err := c.Log(ctx, "secretive", run.DAGRunID, "use", -1, 1)
	if err != nil {
		t.Fatal(err)
	}
	noLeak("the log (API)", string(apiLog))
	if !strings.Contains(string(apiLog), "template password ***") {
		t.Errorf("the API's log lacks the masked line:\n%s", apiLog)
	}

	// Variables and connections are masked in the API, but for an admin's reveal.
	v, err := c.GetVariable(ctx, "api_token")
	if err != nil || v.Value != "***" || !v.Masked {
		t.Errorf("GET variable api_token = %+v, %v; want the value masked (its key names a token)", v, err)
	}
	if v, err := c.GetVariable(ctx, "region"); err != nil || v.Value != "eu-west-1" {
		t.Errorf("GET variable region = %+v, %v; want the value (not secret)", v, err)
	}
	conn, err := c.GetConnection(ctx, "warehouse")
	if err != nil {
		t.Fatal(err)
	}
	if *conn.Password != "***" || !strings.Contains(*conn.Extra, `"api_key":"***"`) || !strings.Contains(*conn.Extra, "require") {
		t.Errorf("GET connection = password %q extra %q: want both masked, sslmode kept", *conn.Password, *conn.Extra)
	}
	for _, path := range []string{"/variables", "/connections"} {
		resp := call2(t, "http://"+n.Addr()+"/api/v1"+path)
		noLeak("GET "+path, resp)
	}
	if r, err := c.RevealConnection(ctx, "warehouse"); err != nil || *r.Password != password {
		t.Errorf("reveal connection: %v; want the password in clear", err)
	}

	// No file under the home folder holds a secret: the database (and its WAL), the logs.
	err = filepath.WalkDir(home, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		noLeak(p, string(b))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func call2(t *testing.T, u string) string {
	t.Helper()
	resp := call(t, "GET", u, "", cred{})
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %v", u, resp.StatusCode, err)
	}
	return string(b)
}

func sp(s string) *string { return &s }
func ip(i int) *int       { return &i }
