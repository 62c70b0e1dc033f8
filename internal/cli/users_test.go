package cli_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/weirhq/weir/internal/cli"
	"github.com/weirhq/weir/node"
	"github.com/weirhq/weir/store/sqlite"
)

// weirIn runs the command line in this process with stdin.
func weirIn(t *testing.T, home, stdin string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	all := append([]string{"--home", home, "--dags", t.TempDir()}, args...)
	code := cli.Main(context.Background(), all, cli.Options{Stdout: &out, Stderr: &errOut, Stdin: strings.NewReader(stdin)})
	return result{code, out.String(), errOut.String()}
}

// weir users, grants and tokens work on the local store and, the same, through a server
// as an admin (WEIR_TOKEN); passwords come from standard input, never a flag.
func TestUsersGrantsTokensCommands(t *testing.T) {
	t.Setenv("WEIR_SERVER", "")
	t.Setenv("NO_COLOR", "1")
	home := t.TempDir()
	must := func(r result, what string) result {
		t.Helper()
		if r.code != 0 {
			t.Fatalf("%s: code %d\n%s\n%s", what, r.code, r.stdout, r.stderr)
		}
		return r
	}
	must(weirIn(t, home, "correct horse battery\n", "users", "create", "ann", "--role", "operator"), "users create ann")
	if r := weirIn(t, home, "", "users", "create", "bob"); r.code == 0 || !strings.Contains(r.stderr, "standard input") {
		t.Errorf("users create without a password: code %d, stderr %q", r.code, r.stderr)
	}
	if r := weirIn(t, home, "short\n", "users", "create", "bob"); r.code == 0 || !strings.Contains(r.stderr, "at least 12") {
		t.Errorf("users create with a short password: code %d, stderr %q", r.code, r.stderr)
	}
	must(weirIn(t, home, "", "users", "create", "ada", "--role", "admin", "--no-password"), "users create ada")
	must(weirIn(t, home, "", "users", "set-role", "ann", "ml-engineer"), "set-role")
	must(weirIn(t, home, "another good password\n", "users", "set-password", "ann"), "set-password")
	r := must(weirIn(t, home, "", "users", "list"), "users list")
	if !strings.Contains(r.stdout, "ann") || !strings.Contains(r.stdout, "ml-engineer") || strings.Contains(r.stdout, "argon2") {
		t.Errorf("users list: %q", r.stdout)
	}
	must(weirIn(t, home, "", "grants", "add", "ann", "dag-tag:team-a", "operator"), "grants add")
	if r := weirIn(t, home, "", "grants", "add", "ann", "pool:x", "operator"); r.code == 0 {
		t.Error("grants add pool:x: code 0, want a refusal naming the targets")
	}
	r = must(weirIn(t, home, "", "grants", "list", "-o", "json"), "grants list")
	if !strings.Contains(r.stdout, `"target": "dag-tag:team-a"`) {
		t.Errorf("grants list -o json: %q", r.stdout)
	}
	r = must(weirIn(t, home, "", "tokens", "create", "ann-ci", "--user", "ann"), "tokens create --user")
	if !strings.HasPrefix(r.stdout, "weir_") {
		t.Errorf("tokens create --user: %q", r.stdout)
	}
	if r := weirIn(t, home, "", "tokens", "create", "ann-admin", "--user", "ann", "--role", "admin"); r.code == 0 {
		t.Error("a token above its user's role was made")
	}
	admin := strings.TrimSpace(must(weirIn(t, home, "", "tokens", "create", "root", "--scope", "admin"), "admin token").stdout)

	// Through a server, as an admin.
	st, err := sqlite.Open(context.Background(), filepath.Join(home, "weir.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv, err := node.New(node.Config{Mode: node.ModeServer, Store: st, Home: home, DAGsDir: t.TempDir(), Addr: "127.0.0.1:0", GracePeriod: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	other := t.TempDir()
	url := "http://" + srv.Addr()
	if r := weirIn(t, other, "", "users", "list", "--server", url); r.code == 0 {
		t.Errorf("users list through the server without a token: code 0")
	}
	t.Setenv("WEIR_TOKEN", admin)
	local := must(weirIn(t, home, "", "users", "list"), "local users list").stdout
	if remote := must(weirIn(t, other, "", "users", "list", "--server", url), "remote users list").stdout; remote != local {
		t.Errorf("users list: local\n%s\nremote\n%s", local, remote)
	}
	must(weirIn(t, other, "yet another password\n", "users", "create", "cy", "--role", "viewer", "--server", url), "remote users create")
	must(weirIn(t, other, "", "grants", "add", "cy", "model:iris", "ml-engineer", "--server", url), "remote grants add")
	r = must(weirIn(t, other, "", "grants", "list", "cy", "--server", url), "remote grants list")
	if !strings.Contains(r.stdout, "model:iris") {
		t.Errorf("remote grants list: %q", r.stdout)
	}
	must(weirIn(t, other, "", "grants", "remove", "cy", "model:iris", "--server", url), "remote grants remove")
	r = must(weirIn(t, other, "", "tokens", "create", "cy-t", "--user", "cy", "--server", url), "remote tokens create")
	if !strings.HasPrefix(r.stdout, "weir_") {
		t.Errorf("remote tokens create: %q", r.stdout)
	}
	r = must(weirIn(t, other, "", "tokens", "list", "--server", url), "remote tokens list")
	if !strings.Contains(r.stdout, "cy-t") || !strings.Contains(r.stdout, "viewer") {
		t.Errorf("remote tokens list: %q", r.stdout)
	}
	must(weirIn(t, other, "", "tokens", "revoke", "cy-t", "--server", url), "remote tokens revoke")
	must(weirIn(t, other, "", "users", "disable", "cy", "--server", url), "remote disable")
	must(weirIn(t, other, "", "users", "set-role", "cy", "operator", "--server", url), "remote set-role")
	if u, err := st.GetUser(context.Background(), "cy"); err != nil || u.Role != "operator" || u.DisabledAt.IsZero() {
		t.Errorf("cy after remote changes: %+v, %v", u, err)
	}
	must(weirIn(t, other, "", "users", "delete", "cy", "--server", url), "remote delete")
	must(weirIn(t, home, "", "users", "delete", "ann"), "local delete")
	r = must(weirIn(t, home, "", "tokens", "list"), "tokens list")
	if !strings.Contains(r.stdout, "ann-ci") || !strings.Contains(r.stdout, "revoked") {
		t.Errorf("tokens of a deleted user: %q, want ann-ci revoked", r.stdout)
	}
}
