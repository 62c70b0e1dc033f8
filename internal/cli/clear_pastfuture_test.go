package cli_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/weirhq/weir/api/client"
)

// weir clear --past and --future clear the tasks in the DAG's earlier and later runs too,
// locally and through a server, and continue each run.
func TestClearPastAndFuture(t *testing.T) {
	t.Setenv("WEIR_SERVER", "")
	home, dags := t.TempDir(), t.TempDir()
	chain := "dag_id: chain\ntasks:\n  - {id: a, script: echo a}\n  - {id: b, upstream: [a], script: echo b}\n"
	if err := os.WriteFile(filepath.Join(dags, "chain.yaml"), []byte(chain), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"c1", "c2", "c3"} { // logical dates in this order
		if r := weir(t, home, dags, "run", "chain", "--run-id", id, "-q"); r.code != 0 {
			t.Fatalf("run %s: %d %s", id, r.code, r.stderr)
		}
	}
	r := weir(t, home, dags, "clear", "c2", "b", "--past", "--no-run")
	if r.code != 0 || !strings.Contains(r.stdout, "run c1: cleared 1 task(s): [b]") || !strings.Contains(r.stdout, "run c2: cleared 1 task(s): [b]") {
		t.Fatalf("clear c2 b --past: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout, "run c3:") {
		t.Errorf("--past cleared the later run c3:\n%s", r.stdout)
	}
	r = weir(t, home, dags, "clear", "c2", "b", "--future", "-q")
	if r.code != 0 || !strings.Contains(r.stdout, "run c2: cleared") || !strings.Contains(r.stdout, "run c3: cleared") || strings.Contains(r.stdout, "run c1:") {
		t.Fatalf("clear c2 b --future: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for id, want := range map[string]string{"c2": "2/", "c3": "2/"} {
		if l := weir(t, home, dags, "tasks", "list", id); !strings.Contains(l.stdout, want) || !strings.Contains(l.stdout, "success") {
			t.Errorf("%s after clear --future: b should have run again (try 2):\n%s", id, l.stdout)
		}
	}
	// c1 was cleared with --no-run: it is continued by hand.
	if r := weir(t, home, dags, "run", "--resume", "c1", "-q"); r.code != 0 {
		t.Fatalf("resume c1: %d %s", r.code, r.stderr)
	}
	if r := weir(t, home, dags, "clear", "c2", "--failed", "--running"); r.code == 0 || !strings.Contains(r.stderr, "exclude each other") {
		t.Errorf("--failed with --running: %d %s", r.code, r.stderr)
	}
}

// Through a server, weir clear --running clears a run the server is executing: the running
// try is killed and runs again; --past clears earlier runs too.
func TestRemoteClearRunningAndPast(t *testing.T) {
	f := newFixture(t)
	other := t.TempDir()
	ctx := context.Background()
	c, err := client.New(f.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	gate := filepath.Join(t.TempDir(), "open")
	if _, err := c.Trigger(ctx, "gate", client.TriggerRequest{DAGRunID: "g1", Conf: map[string]any{"gate": gate}}); err != nil {
		t.Fatal(err)
	}
	waitTI := func(what string, ok func(ti *client.TaskInstance) bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			ti, err := c.GetTaskInstance(ctx, "gate", "g1", "wait", -1)
			if err == nil && ok(ti) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s (%+v, %v)", what, ti, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitTI("wait to run", func(ti *client.TaskInstance) bool { return ti.StateName() == "running" })
	done := make(chan result, 1)
	go func() { done <- weir(t, other, f.dags, "clear", "g1", "--running", "-q", "--server", f.url) }()
	waitTI("the second try", func(ti *client.TaskInstance) bool { return ti.TryNumber == 2 && ti.StateName() == "running" })
	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.code != 0 || !strings.Contains(r.stdout, "cleared 1 task(s): [wait]") || !strings.Contains(r.stdout, "run g1 of gate: success") {
		t.Fatalf("clear --running through the server: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}

	if r := weir(t, other, f.dags, "run", "produce", "--run-id", "r2", "-q", "--server", f.url); r.code != 0 {
		t.Fatalf("remote run r2: %d %s", r.code, r.stderr)
	}
	r = weir(t, other, f.dags, "clear", "r2", "make", "--past", "-q", "--server", f.url)
	if r.code != 0 || !strings.Contains(r.stdout, "run r1: cleared 1 task(s): [make]") || !strings.Contains(r.stdout, "run r2: cleared 1 task(s): [make]") {
		t.Fatalf("clear r2 make --past through the server: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}
