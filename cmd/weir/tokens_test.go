package main_test

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/weirhq/weir/auth"
	"github.com/weirhq/weir/store/sqlite"
)

// weir tokens create prints a token once, list shows its state but never the secret,
// revoke revokes it; a server on a non-loopback address without auth is refused.
func TestTokensCommands(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	if r := weir(t, home, nil, "server", "--addr", "0.0.0.0:0", "--dags", t.TempDir()); r.code == 0 || !strings.Contains(r.stderr, "weir tokens create") {
		t.Fatalf("server on 0.0.0.0 without auth: code %d, stderr %q; want a refusal naming `weir tokens create`", r.code, r.stderr)
	}
	r := weir(t, home, nil, "tokens", "create", "ci", "--scope", "read", "--expires", "720h")
	secret := strings.TrimSpace(r.stdout)
	if r.code != 0 || !strings.HasPrefix(secret, "weir_") || !strings.Contains(r.stderr, "not shown again") {
		t.Fatalf("tokens create: code %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if r := weir(t, home, nil, "tokens", "create", "ci"); r.code == 0 || !strings.Contains(r.stderr, "weir tokens revoke ci") {
		t.Errorf("tokens create of a taken name: code %d, stderr %q", r.code, r.stderr)
	}
	if r := weir(t, home, nil, "tokens", "create", "x", "--scope", "root"); r.code == 0 || !strings.Contains(r.stderr, "read, write or admin") {
		t.Errorf("tokens create --scope root: code %d, stderr %q", r.code, r.stderr)
	}
	r = weir(t, home, nil, "tokens", "list")
	if r.code != 0 || !strings.Contains(r.stdout, "ci") || !strings.Contains(r.stdout, "active") || strings.Contains(r.stdout, secret) {
		t.Fatalf("tokens list: code %d, stdout %q", r.code, r.stdout)
	}
	if r := weir(t, home, nil, "tokens", "revoke", "ci"); r.code != 0 {
		t.Fatalf("tokens revoke: code %d, stderr %q", r.code, r.stderr)
	}
	if r := weir(t, home, nil, "tokens", "list"); !strings.Contains(r.stdout, "revoked") {
		t.Errorf("tokens list after revoke: %q", r.stdout)
	}
	if r := weir(t, home, nil, "tokens", "revoke", "ci"); r.code == 0 {
		t.Errorf("tokens revoke twice: code 0, want an error")
	}
}

// With a token made, `weir server` requires it: the npm mlflow client with
// MLFLOW_TRACKING_TOKEN, the CLI with WEIR_TOKEN and a Basic-auth request (Python's
// MLFLOW_TRACKING_USERNAME/PASSWORD) get in; without it they get 401.
func TestAuthenticatedServerClients(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	r := weir(t, home, nil, "tokens", "create", "dev", "--scope", "write")
	secret := strings.TrimSpace(r.stdout)
	if r.code != 0 || secret == "" {
		t.Fatalf("tokens create: %d %s", r.code, r.stderr)
	}
	// A user with a password, as Python's MLFLOW_TRACKING_USERNAME/PASSWORD name one.
	st, err := sqlite.Open(context.Background(), filepath.Join(home, "weir.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := auth.CreateUser(context.Background(), st, "alice", "correct horse battery", auth.RoleEditor, time.Now()); err != nil {
		t.Fatal(err)
	}
	st.Close()
	srv, url := startServerAddr(t, home, "../../examples/dags", nil)
	defer func() {
		_ = srv.Process.Signal(syscall.SIGTERM)
		_ = srv.Wait()
	}()
	other := t.TempDir()
	if r := weir(t, other, nil, "dags", "list", "--server", url); r.code == 0 || !strings.Contains(r.stderr, "401") && !strings.Contains(strings.ToLower(r.stderr), "authentication required") {
		t.Errorf("dags list without a token: code %d, stderr %q; want a 401 refusal", r.code, r.stderr)
	}
	if r := weir(t, other, []string{"WEIR_TOKEN=" + secret}, "dags", "list", "--server", url); r.code != 0 || !strings.Contains(r.stdout, "train_model") {
		t.Errorf("dags list with WEIR_TOKEN: code %d, %s %s", r.code, r.stdout, r.stderr)
	}
	basic := func(pass string) int {
		req, err := http.NewRequest("POST", url+"/api/2.0/mlflow/experiments/create", strings.NewReader(`{"name":"py-`+strconv.Itoa(len(pass))+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.SetBasicAuth("alice", pass)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := basic("wrong"); got != 401 {
		t.Errorf("Basic with a wrong password: %d, want 401", got)
	}
	if got := basic(secret); got != 200 {
		t.Errorf("Basic with the token as password: %d, want 200", got)
	}
	if got := basic("correct horse battery"); got != 200 {
		t.Errorf("Basic with alice's password: %d, want 200", got)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	node, dir := npmClient(t, ctx)
	runClient := func(token string) (string, error) {
		cmd := exec.CommandContext(ctx, node, "client.js")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "WEIR_MLFLOW_ENDPOINT="+url, "MLFLOW_TRACKING_TOKEN="+token)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := runClient(""); err == nil {
		t.Errorf("npm client without a token succeeded:\n%s", out)
	}
	out, err := runClient(secret)
	if err != nil || !strings.Contains(out, `"experiment_name":"npm-experiment"`) {
		t.Errorf("npm client with MLFLOW_TRACKING_TOKEN: %v\n%s", err, out)
	}
}
