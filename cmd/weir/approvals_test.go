package main_test

import (
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite" // raw SQL on the store file, to tamper with the audit log
)

const gateDAG = `
dag_id: gate
tasks:
  - id: ask
    approval:
      subject: Ship it?
      poke_interval: 200ms
  - id: ship
    upstream: ask
    command: ["true"]
`

// waitPending waits until the server lists a pending approval of the run.
func waitPending(t *testing.T, url, runID string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		r := weir(t, t.TempDir(), nil, "approvals", "list", "--server", url, "-o", "json")
		if strings.Contains(r.stdout, runID) && strings.Contains(r.stdout, `"pending"`) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no pending approval of %s: %s %s", runID, r.stdout, r.stderr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// A server killed with SIGKILL while an approval waits: the restarted server keeps
// waiting (nothing ran past the gate), and an answer through it finishes the run.
func TestApprovalSurvivesKill9(t *testing.T) {
	t.Parallel()
	home, dags := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(dags, "gate.yaml"), []byte(gateDAG), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd, url := startServerAddr(t, home, dags, nil)
	runID := queuedRunID(t, weir(t, t.TempDir(), nil, "dags", "trigger", "gate", "--server", url))
	waitPending(t, url, runID)
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	_, url = startServerAddr(t, home, dags, nil)
	waitPending(t, url, runID)
	time.Sleep(time.Second) // several pokes of the restarted server: the gate must still hold
	r := weir(t, t.TempDir(), nil, "tasks", "list", runID, "--dag", "gate", "--server", url, "-o", "json")
	if r.code != 0 || strings.Contains(r.stdout, `"success"`) {
		t.Fatalf("tasks after the restart, before the answer: %d %s %s; want nothing succeeded", r.code, r.stdout, r.stderr)
	}
	if r := weir(t, t.TempDir(), nil, "approvals", "approve", "gate", runID, "ask", "--server", url); r.code != 0 {
		t.Fatalf("approve after the restart: %d %s", r.code, r.stderr)
	}
	waitRunState(t, url, "gate", runID, "success")
}

// weir approvals list|show|approve through a server: the queued run waits at the gate
// until approved, then finishes; the answer is in the server's audit log.
func TestApprovalsCommandsAgainstServer(t *testing.T) {
	t.Parallel()
	home, dags := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(dags, "gate.yaml"), []byte(gateDAG), 0o644); err != nil {
		t.Fatal(err)
	}
	_, url := startServerAddr(t, home, dags, nil)
	runID := queuedRunID(t, weir(t, t.TempDir(), nil, "dags", "trigger", "gate", "--server", url))
	var list []struct {
		RunID, TaskID, State, Subject string
	}
	deadline := time.Now().Add(60 * time.Second)
	for len(list) == 0 {
		r := weir(t, t.TempDir(), nil, "approvals", "list", "--server", url, "-o", "json")
		var raw []map[string]any
		_ = json.Unmarshal([]byte(r.stdout), &raw)
		for _, a := range raw {
			list = append(list, struct{ RunID, TaskID, State, Subject string }{a["dag_run_id"].(string), a["task_id"].(string), a["state"].(string), a["subject"].(string)})
		}
		if time.Now().After(deadline) {
			t.Fatalf("no pending approval: %s %s", r.stdout, r.stderr)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if list[0].RunID != runID || list[0].TaskID != "ask" || list[0].State != "pending" || list[0].Subject != "Ship it?" {
		t.Fatalf("approvals list: %+v", list)
	}
	if r := weir(t, t.TempDir(), nil, "approvals", "show", "gate", runID, "ask", "--server", url); r.code != 0 || !strings.Contains(r.stdout, "Approve, Reject") {
		t.Fatalf("approvals show: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if r := weir(t, t.TempDir(), nil, "approvals", "approve", "gate", runID, "ask", "--option", "Maybe", "--server", url); r.code == 0 || !strings.Contains(r.stderr, "not an option") {
		t.Fatalf("approve --option Maybe: %d %q", r.code, r.stderr)
	}
	r := weir(t, t.TempDir(), nil, "approvals", "approve", "gate", runID, "ask", "--comment", "metrics checked", "--server", url)
	if r.code != 0 || !strings.Contains(r.stdout, "Approve by anonymous") {
		t.Fatalf("approvals approve: %d %q %q", r.code, r.stdout, r.stderr)
	}
	waitRunState(t, url, "gate", runID, "success")
	if r := weir(t, t.TempDir(), nil, "approvals", "reject", "gate", runID, "ask", "--server", url); r.code == 0 || !strings.Contains(r.stderr, "answered already") {
		t.Fatalf("a second answer: %d %q", r.code, r.stderr)
	}
	r = weir(t, t.TempDir(), nil, "audit", "list", "--server", url, "--action", "approval.*", "-o", "json")
	if r.code != 0 || !strings.Contains(r.stdout, `"approval.respond"`) || !strings.Contains(r.stdout, "metrics checked") {
		t.Fatalf("audit list --server: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if r := weir(t, t.TempDir(), nil, "audit", "verify", "--server", url); r.code != 0 || !strings.Contains(r.stdout, "intact") {
		t.Fatalf("audit verify --server: %d %q %q", r.code, r.stdout, r.stderr)
	}
}

// Local commands that write the store record themselves as the OS user; export writes
// JSON lines; verify names the entry a raw SQL edit changed.
func TestAuditCommandsLocal(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	for _, args := range [][]string{{"tokens", "create", "ci"}, {"pools", "set", "gpu", "2"}, {"tokens", "revoke", "ci"}} {
		if r := weir(t, home, nil, args...); r.code != 0 {
			t.Fatalf("%v: %d %s", args, r.code, r.stderr)
		}
	}
	r := weir(t, home, nil, "audit", "export", "--jsonl")
	if r.code != 0 {
		t.Fatalf("audit export: %d %s", r.code, r.stderr)
	}
	var actions []string
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var e struct {
			A    string `json:"action"`
			K    string `json:"actor_kind"`
			Hash string `json:"hash"`
		}
		if err := json.Unmarshal([]byte(line), &e); err != nil || e.Hash == "" {
			t.Fatalf("export line %q: %v, want a JSON object with its hash", line, err)
		}
		if e.K != "local" {
			t.Errorf("entry %s: actor kind %q, want local", e.A, e.K)
		}
		actions = append(actions, e.A)
	}
	if strings.Join(actions, " ") != "token.create pool.put token.revoke" {
		t.Fatalf("exported actions %v, want token.create pool.put token.revoke", actions)
	}
	if r := weir(t, home, nil, "audit", "verify"); r.code != 0 || !strings.Contains(r.stdout, "3 entries") {
		t.Fatalf("audit verify: %d %q %q", r.code, r.stdout, r.stderr)
	}
	db, err := sql.Open("sqlite", filepath.Join(home, "weir.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"DROP TRIGGER audit_log_no_update", `UPDATE audit_log SET details = '{"slots":200}' WHERE id = 2`} {
		if _, err := db.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	if r := weir(t, home, nil, "audit", "verify"); r.code == 0 || !strings.Contains(r.stderr, "entry 2") {
		t.Fatalf("audit verify after an edit: %d %q %q; want a failure naming entry 2", r.code, r.stdout, r.stderr)
	}
}
