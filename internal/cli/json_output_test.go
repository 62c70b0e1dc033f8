package cli_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// Issue 12: `-o json` of runs, tasks and dags prints the API's objects both ways — the same
// bytes locally (from the store) and through a server (from the REST API), one shape.
func TestLocalAndRemoteJSONAreTheSame(t *testing.T) {
	f := newFixture(t)
	other := t.TempDir()
	// The server runs the scheduled and dataset-triggered runs it finds: wait until they
	// ended, so both sides read the same store.
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := weir(t, other, f.dags, "runs", "list", "-o", "json", "--server", f.url)
		if r.code == 0 && !strings.Contains(r.stdout, `"state": "running"`) && !strings.Contains(r.stdout, `"state": "queued"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server's runs did not end:\n%s%s", r.stdout, r.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, c := range []struct {
		args []string
		key  string // a field of the API's objects, absent from the store's structs
	}{
		{[]string{"runs", "list"}, `"dag_run_id"`},
		{[]string{"runs", "list", "--dag", "produce"}, `"dag_run_id"`},
		{[]string{"tasks", "list", "r1"}, `"dag_run_id"`},
		{[]string{"dags", "list"}, `"is_paused"`},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			args := append(c.args, "-o", "json")
			local := weir(t, f.home, f.dags, args...)
			remote := weir(t, other, f.dags, append(args, "--server", f.url)...)
			if local.code != 0 || remote.code != 0 {
				t.Fatalf("exit codes: local %d, remote %d\nlocal stderr: %s\nremote stderr: %s", local.code, remote.code, local.stderr, remote.stderr)
			}
			if local.stdout != remote.stdout {
				t.Fatalf("local and remote JSON differ\n--- local\n%s--- remote\n%s", local.stdout, remote.stdout)
			}
			var objs []map[string]any
			if err := json.Unmarshal([]byte(local.stdout), &objs); err != nil || len(objs) == 0 {
				t.Fatalf("not a non-empty JSON list (%v):\n%s", err, local.stdout)
			}
			if !strings.Contains(local.stdout, c.key) {
				t.Fatalf("no %s: not the API's objects:\n%s", c.key, local.stdout)
			}
		})
	}
}
