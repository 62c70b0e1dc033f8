package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// weir clear --upstream clears the named task and everything upstream of it, not what is
// downstream.
func TestClearUpstream(t *testing.T) {
	t.Setenv("WEIR_SERVER", "")
	home, dags := t.TempDir(), t.TempDir()
	chain := "dag_id: chain\ntasks:\n  - {id: a, script: echo a}\n  - {id: b, upstream: [a], script: echo b}\n  - {id: c, upstream: [b], script: echo c}\n"
	if err := os.WriteFile(filepath.Join(dags, "chain.yaml"), []byte(chain), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := weir(t, home, dags, "run", "chain", "--run-id", "c1", "-q"); r.code != 0 {
		t.Fatalf("run: %d %s", r.code, r.stderr)
	}
	r := weir(t, home, dags, "clear", "c1", "b", "--upstream", "--no-run")
	if r.code != 0 || !strings.Contains(r.stdout, "cleared 2 task(s): [a b]") {
		t.Fatalf("clear b --upstream: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}
