package main_test

import (
	"encoding/json"
	"strings"
	"syscall"
	"testing"
	"time"
)

// waitRunState polls the server until run runID of dagID is in state want.
func waitRunState(t *testing.T, url, dagID, runID, want string) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		r := weir(t, t.TempDir(), nil, "runs", "list", "--server", url, "--dag", dagID, "-o", "json")
		var runs []struct {
			RunID string `json:"dag_run_id"`
			State string `json:"state"`
		}
		_ = json.Unmarshal([]byte(r.stdout), &runs)
		for _, x := range runs {
			if x.RunID == runID && x.State == want {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %s of %s never reached %s: %s %s", runID, dagID, want, r.stdout, r.stderr)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// queuedRunID returns the run id a `weir dags trigger` printed ("queued run ID of DAG…").
func queuedRunID(t *testing.T, r result) string {
	t.Helper()
	f := strings.Fields(r.stdout)
	if r.code != 0 || len(f) < 3 || f[0] != "queued" {
		t.Fatalf("dags trigger: %d %q %q", r.code, r.stdout, r.stderr)
	}
	return f[2]
}

// TestDagsTriggerAndPausedAtCreation follows Airflow's CLI and config:
// `airflow dags trigger` (airflow/cli/commands/dag_command.py dag_trigger) creates a queued
// run that the scheduler starts, locally or through the REST API; and
// core.dags_are_paused_at_creation (airflow/config_templates/config.yml, default "True")
// records a new DAG as paused, so the scheduler does not schedule it until it is unpaused.
func TestDagsTriggerAndPausedAtCreation(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	dags := "../../examples/dags"
	r := weir(t, home, nil, "dags", "trigger", "pass_outputs", "--dags", dags, "--param", "greeting=hey")
	local := queuedRunID(t, r)
	r = weir(t, home, nil, "dags", "trigger", "pass_outputs", "--dags", dags, "--param", "nope=1")
	if r.code == 0 || !strings.Contains(r.stderr, `unknown param "nope"`) {
		t.Errorf("a bad param must create nothing: %d %s", r.code, r.stderr)
	}

	// Airflow's default: paused at creation (the helper's env turns it off; turn it on).
	cmd, url := startServerAddr(t, home, dags, []string{"WEIR_DAGS_PAUSED_AT_CREATION=true"})
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	waitRunState(t, url, "pass_outputs", local, "success") // the server ran the queued run

	remote := queuedRunID(t, weir(t, t.TempDir(), nil, "dags", "trigger", "pass_outputs", "--server", url, "--conf", `{"greeting": "yo"}`))
	waitRunState(t, url, "pass_outputs", remote, "success")

	r = weir(t, t.TempDir(), nil, "dags", "list", "--server", url)
	for _, line := range strings.Split(r.stdout, "\n") {
		if strings.HasPrefix(line, "ingest_features ") && !strings.Contains(line, " paused ") {
			t.Errorf("a new DAG is paused at creation: %q", line)
		}
	}
	if !strings.Contains(r.stdout, "ingest_features") {
		t.Fatalf("dags list: %s %s", r.stdout, r.stderr)
	}

	// $WEIR_DAGS_PAUSED_AT_CREATION=false (or --dags-paused-at-creation=false): not paused.
	_, url2 := startServerAddr(t, t.TempDir(), dags, []string{"WEIR_DAGS_PAUSED_AT_CREATION=false"})
	r = weir(t, t.TempDir(), nil, "dags", "list", "--server", url2)
	found := false
	for _, line := range strings.Split(r.stdout, "\n") {
		if strings.HasPrefix(line, "ingest_features ") {
			found = true
			if strings.Contains(line, " paused ") {
				t.Errorf("paused at creation turned off: %q", line)
			}
		}
	}
	if !found {
		t.Fatalf("dags list: %s", r.stdout)
	}
}
