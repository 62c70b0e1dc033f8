package cli_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/weirhq/weir/node"
	"github.com/weirhq/weir/store/sqlite"
)

// weir variables and weir connections work on the local store and, with --server, through
// a server's API; listings mask secrets, the store file never holds them in clear, and a
// rotated key keeps them readable.
func TestVariablesAndConnectionsCommands(t *testing.T) {
	t.Parallel()
	home, dags := t.TempDir(), t.TempDir()
	st, err := sqlite.Open(context.Background(), filepath.Join(home, "weir.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	n, err := node.New(node.Config{Mode: node.ModeServer, Store: st, Home: home, DAGsDir: dags, Addr: "127.0.0.1:0", GracePeriod: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	url := "http://" + n.Addr()
	ok := func(h string, args ...string) string {
		t.Helper()
		r := weir(t, h, dags, args...)
		if r.code != 0 {
			t.Fatalf("weir %s: %d\n%s\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
		}
		return r.stdout
	}
	other := t.TempDir()
	ok(other, "variables", "set", "db_password", "hunter2-long", "--server", url)
	ok(other, "variables", "set", "region", "eu-west-1", "--server", url)
	ok(other, "connections", "add", "wh", "--conn-uri", "postgres://etl:s3cret-pw@db:5432/analytics?sslmode=require", "--server", url)
	if out := ok(other, "variables", "list", "--server", url); !strings.Contains(out, "***") || strings.Contains(out, "hunter2") || !strings.Contains(out, "eu-west-1") {
		t.Errorf("variables list:\n%s", out)
	}
	if out := ok(other, "variables", "get", "db_password", "--server", url); strings.TrimSpace(out) != "hunter2-long" {
		t.Errorf("variables get through the server = %q", out)
	}
	if out := ok(other, "connections", "list", "--server", url); !strings.Contains(out, "***") || strings.Contains(out, "s3cret") {
		t.Errorf("connections list:\n%s", out)
	}
	if out := ok(other, "connections", "get", "wh", "--reveal", "--server", url); !strings.Contains(out, "postgres://etl:s3cret-pw@db:5432/analytics?sslmode=require") {
		t.Errorf("connections get --reveal:\n%s", out)
	}
	n.Stop()
	st.Close()

	// Locally: the same values, a round trip through export and import, and rotation.
	if out := ok(home, "variables", "get", "db_password"); strings.TrimSpace(out) != "hunter2-long" {
		t.Errorf("local get = %q", out)
	}
	exp := filepath.Join(t.TempDir(), "vars.json")
	ok(home, "variables", "export", exp)
	if fi, err := os.Stat(exp); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("export file: %v %v; want mode 0600", fi, err)
	}
	ok(home, "variables", "delete", "db_password")
	ok(home, "variables", "import", exp)
	ok(home, "secrets", "rotate-key", "--drop-old")
	if out := ok(home, "variables", "get", "db_password"); strings.TrimSpace(out) != "hunter2-long" {
		t.Errorf("get after import and rotation = %q", out)
	}
	if out := ok(home, "connections", "get", "wh", "--reveal", "-o", "json"); !strings.Contains(out, `"password": "s3cret-pw"`) {
		t.Errorf("connection after rotation:\n%s", out)
	}
	for _, name := range []string{"weir.db", "weir.db-wal"} {
		b, err := os.ReadFile(filepath.Join(home, name))
		if err != nil {
			continue
		}
		if strings.Contains(string(b), "hunter2") || strings.Contains(string(b), "s3cret-pw") {
			t.Errorf("%s holds a secret in clear", name)
		}
	}
	if out := ok(home, "variables", "get", "nope", "--default", "fallback"); strings.TrimSpace(out) != "fallback" {
		t.Errorf("get --default of a missing variable = %q", out)
	}
	if r := weir(t, home, dags, "variables", "get", "nope"); r.code == 0 || !strings.Contains(r.stderr, "weir variables set nope") {
		t.Errorf("get of a missing variable: %d %s", r.code, r.stderr)
	}
	if r := weir(t, home, dags, "connections", "add", "x"); r.code == 0 || !strings.Contains(r.stderr, "--conn-uri") {
		t.Errorf("add without a definition: %d %s", r.code, r.stderr)
	}
}
