package audit_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	_ "modernc.org/sqlite" // raw SQL access, to tamper with the log as an attacker would

	"github.com/weirhq/weir/audit"
	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/store/sqlite"
)

// helperEnv makes the test binary a helper process that appends entries to a store file.
const helperEnv = "WEIR_AUDIT_HELPER_DB"

func TestMain(m *testing.M) {
	if path := os.Getenv(helperEnv); path != "" {
		os.Exit(helperAppend(path))
	}
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("database/sql.(*DB).connectionOpener"))
}

// helperAppend appends $WEIR_AUDIT_HELPER_N entries as actor $WEIR_AUDIT_HELPER_ACTOR.
func helperAppend(path string) int {
	n, _ := strconv.Atoi(os.Getenv("WEIR_AUDIT_HELPER_N"))
	ctx := context.Background()
	st, err := sqlite.Open(ctx, path, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer st.Close()
	for i := range n {
		if err := audit.Append(ctx, st, &store.AuditEntry{Actor: os.Getenv("WEIR_AUDIT_HELPER_ACTOR"), ActorKind: audit.KindLocal,
			Action: "helper.append", TargetID: strconv.Itoa(i)}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	return 0
}

func setup(t *testing.T) (context.Context, *sqlite.Store, string) {
	t.Helper()
	t.Parallel()
	path := filepath.Join(t.TempDir(), "weir.db")
	st, err := sqlite.Open(t.Context(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return t.Context(), st, path
}

// appendN appends n entries with details.
func appendN(ctx context.Context, t *testing.T, st store.AuditStore, n int) {
	t.Helper()
	for i := range n {
		e := &store.AuditEntry{Actor: "ana", ActorKind: audit.KindToken, Action: "dag_run.trigger", TargetType: "dag",
			TargetID: fmt.Sprint("etl", i), Details: audit.Details(map[string]any{"status": 200, "i": i})}
		if err := audit.Append(ctx, st, e); err != nil {
			t.Fatal(err)
		}
	}
}

// tamper runs SQL on the store file behind the store's back, with the append-only
// triggers dropped first (as someone with write access to the file could).
func tamper(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range append([]string{"DROP TRIGGER audit_log_no_update", "DROP TRIGGER audit_log_no_delete"}, stmts...) {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func TestVerifyIntactChain(t *testing.T) {
	ctx, st, _ := setup(t)
	if n, err := audit.Verify(ctx, st); err != nil || n != 0 {
		t.Fatalf("Verify of an empty log = %d, %v; want 0, nil", n, err)
	}
	appendN(ctx, t, st, 5)
	if n, err := audit.Verify(ctx, st); err != nil || n != 5 {
		t.Fatalf("Verify = %d, %v; want 5, nil", n, err)
	}
}

func TestTriggersRefuseUpdateAndDelete(t *testing.T) {
	ctx, st, path := setup(t)
	appendN(ctx, t, st, 2)
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range []string{"UPDATE audit_log SET actor = 'mallory' WHERE id = 1", "DELETE FROM audit_log WHERE id = 1"} {
		if _, err := db.Exec(s); err == nil {
			t.Errorf("%s: succeeded, want the append-only trigger to refuse it", s)
		}
	}
}

func TestVerifyFindsTampering(t *testing.T) {
	for _, c := range []struct {
		name   string
		sql    []string
		wantID int64 // the entry Verify names
		wantN  int   // the entries it checked before
	}{
		{"EditedDetails", []string{`UPDATE audit_log SET details = '{"i":2,"status":500}' WHERE id = 3`}, 3, 2},
		{"EditedActor", []string{`UPDATE audit_log SET actor = 'mallory' WHERE id = 4`}, 4, 3},
		{"DeletedMiddleRow", []string{`DELETE FROM audit_log WHERE id = 3`}, 4, 2},
		{"RenumberedAfterDelete", []string{`DELETE FROM audit_log WHERE id = 3`, `UPDATE audit_log SET id = id - 1 WHERE id > 3`}, 3, 2},
		{"EditedTime", []string{`UPDATE audit_log SET time = time + 1 WHERE id = 2`}, 2, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, st, path := setup(t)
			appendN(ctx, t, st, 6)
			tamper(t, path, c.sql...)
			n, err := audit.Verify(ctx, st)
			var be *audit.BrokenError
			if !errors.As(err, &be) || !errors.Is(err, audit.ErrBroken) {
				t.Fatalf("Verify after %v = %d, %v; want a *BrokenError", c.sql, n, err)
			}
			if be.ID != c.wantID {
				t.Fatalf("Verify names entry %d (%v), want %d", be.ID, err, c.wantID)
			}
			if n != c.wantN {
				t.Errorf("Verify checked %d entries before the break, want %d", n, c.wantN)
			}
		})
	}
}

// A hash recomputed for an edited entry does not hide it: the next entry's prev_hash no
// longer matches.
func TestVerifyFindsARehashedEdit(t *testing.T) {
	ctx, st, path := setup(t)
	appendN(ctx, t, st, 4)
	all, err := st.ListAudit(ctx, store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	e := all[1]
	e.Actor = "mallory"
	forged := audit.Hash(e)
	tamper(t, path, fmt.Sprintf(`UPDATE audit_log SET actor = 'mallory', hash = '%s' WHERE id = 2`, forged))
	_, err = audit.Verify(ctx, st)
	var be *audit.BrokenError
	if !errors.As(err, &be) || be.ID != 3 {
		t.Fatalf("Verify after a rehashed edit of entry 2 = %v; want a break at entry 3", err)
	}
}

// Appends from goroutines of two processes on one database file form one chain.
func TestTwoProcessesKeepOneChain(t *testing.T) {
	ctx, st, path := setup(t)
	const perProc, goroutines, perG = 30, 4, 10
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+path, "WEIR_AUDIT_HELPER_N="+strconv.Itoa(perProc), "WEIR_AUDIT_HELPER_ACTOR=other-process")
	out := make(chan error, 1)
	go func() {
		b, err := cmd.CombinedOutput()
		if err != nil {
			err = fmt.Errorf("helper process: %v: %s", err, b)
		}
		out <- err
	}()
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perG {
				if err := audit.Append(ctx, st, &store.AuditEntry{Actor: fmt.Sprint("g", g), ActorKind: audit.KindToken,
					Action: "test.append", TargetID: strconv.Itoa(i), Time: time.Now()}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := <-out; err != nil {
		t.Fatal(err)
	}
	n, err := audit.Verify(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if want := perProc + goroutines*perG; n != want {
		t.Fatalf("Verify checked %d entries, want %d", n, want)
	}
	other, err := st.ListAudit(ctx, store.AuditFilter{Actor: "other-process"})
	if err != nil || len(other) != perProc {
		t.Fatalf("entries of the other process: %d, %v; want %d", len(other), err, perProc)
	}
}

func TestCanonicalIsStable(t *testing.T) {
	t.Parallel()
	e := &store.AuditEntry{ID: 7, Time: time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.FixedZone("x", 3600)), Actor: "ana",
		ActorKind: "token", Action: "a", Details: []byte(`{ "b": 1,  "a": "<x>" }`), Outcome: "success", PrevHash: "p"}
	want := `{"id":7,"time":"2026-01-02T02:04:05.123456Z","actor":"ana","actor_kind":"token","action":"a","target_type":"","target_id":"","details":{"b":1,"a":"\u003cx\u003e"},"request_id":"","remote_addr":"","outcome":"success"}`
	if got := string(audit.Canonical(e)); got != want {
		t.Fatalf("Canonical =\n%s\nwant\n%s", got, want)
	}
	h1 := audit.Hash(e)
	e.PrevHash = "q"
	if audit.Hash(e) == h1 {
		t.Fatal("the hash does not depend on the previous hash")
	}
}
