package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/weirhq/weir/store"
)

// fullDAG returns DAG metadata with every field set but UpdatedAt, which the store sets.
func fullDAG(dagID string) *store.DAGMeta {
	return &store.DAGMeta{
		DAGID:              dagID,
		IsPaused:           true,
		Source:             "dags/" + dagID + ".yaml",
		Hash:               "sha256:" + dagID,
		Schedule:           "0 3 * * *",
		LastScheduledStart: at(-24*time.Hour + 1),
		LastScheduledEnd:   at(0),
		IsActive:           true,
	}
}

// getDAG returns a DAG's metadata and fails the test on error.
func getDAG(ctx context.Context, t *testing.T, s store.Store, dagID string) *store.DAGMeta {
	t.Helper()
	m, err := s.GetDAG(ctx, dagID)
	if err != nil {
		t.Fatalf("GetDAG(%q): %v", dagID, err)
	}
	return m
}

// mustUpsertDAG upserts m and fails the test on error.
func mustUpsertDAG(ctx context.Context, t *testing.T, s store.Store, m *store.DAGMeta) {
	t.Helper()
	if err := s.UpsertDAG(ctx, m); err != nil {
		t.Fatalf("UpsertDAG(%s): %v", m.DAGID, err)
	}
}

// checkDAG fails the test unless got is want but for UpdatedAt, which must be set (in UTC)
// and is returned.
func checkDAG(t *testing.T, got, want *store.DAGMeta) time.Time {
	t.Helper()
	if got == nil {
		t.Fatalf("dag %s: got nil", want.DAGID)
	}
	if got.UpdatedAt.IsZero() || got.UpdatedAt.Location() != time.UTC {
		t.Fatalf("dag %s: UpdatedAt = %v, want it set, in UTC", want.DAGID, got.UpdatedAt)
	}
	w := *want
	w.UpdatedAt = got.UpdatedAt
	checkStruct(t, "dag "+want.DAGID, got, &w)
	return got.UpdatedAt
}

func testDAGs(t *testing.T, setup setupFunc) {
	t.Run("RoundTripAndList", func(t *testing.T) {
		ctx, s := setup(t)
		if dags, err := s.ListDAGs(ctx); err != nil || len(dags) != 0 {
			t.Fatalf("ListDAGs on an empty store = %d DAGs, %v; want none", len(dags), err)
		}
		full := fullDAG("etl")
		manual := &store.DAGMeta{DAGID: "Zeta", Source: "go:example.com/pipelines.Zeta", IsActive: true} // no schedule
		gone := &store.DAGMeta{DAGID: "old", Source: "dags/old.yaml"}                                    // inactive, zero values
		for _, m := range []*store.DAGMeta{full, manual, gone} {
			mustUpsertDAG(ctx, t, s, m)
			checkDAG(t, getDAG(ctx, t, s, m.DAGID), m)
		}
		dags, err := s.ListDAGs(ctx)
		if err != nil {
			t.Fatalf("ListDAGs: %v", err)
		}
		want := []*store.DAGMeta{manual, full, gone} // bytewise: "Z" < "e" < "o"
		if len(dags) != len(want) {
			t.Fatalf("ListDAGs returned %d DAGs, want %d", len(dags), len(want))
		}
		for i := range want {
			checkDAG(t, dags[i], want[i])
		}
	})

	t.Run("NotFound", func(t *testing.T) {
		ctx, s := setup(t)
		mustUpsertDAG(ctx, t, s, fullDAG("d"))
		for _, id := range []string{"missing", "D", ""} {
			m, err := s.GetDAG(ctx, id)
			wantErrIs(t, fmt.Sprintf("GetDAG(%q)", id), err, store.ErrNotFound)
			if m != nil {
				t.Errorf("GetDAG(%q) returned metadata with its error", id)
			}
		}
	})

	t.Run("UpsertKeepsIsPaused", func(t *testing.T) {
		ctx, s := setup(t)
		// A new DAG starts with the IsPaused given, either way.
		paused, running := fullDAG("paused"), fullDAG("running")
		running.IsPaused = false
		mustUpsertDAG(ctx, t, s, paused)
		mustUpsertDAG(ctx, t, s, running)
		checkDAG(t, getDAG(ctx, t, s, "paused"), paused)
		checkDAG(t, getDAG(ctx, t, s, "running"), running)

		// Later upserts update the rest and keep IsPaused, whatever they say.
		for _, m := range []*store.DAGMeta{paused, running} {
			upd := *m
			upd.IsPaused = !m.IsPaused
			upd.Source, upd.Hash, upd.Schedule, upd.IsActive = "dags/moved.yaml", "sha256:v2", "@hourly", false
			mustUpsertDAG(ctx, t, s, &upd)
			want := upd
			want.IsPaused = m.IsPaused
			checkDAG(t, getDAG(ctx, t, s, m.DAGID), &want)
		}
	})

	t.Run("UpsertKeepsLastScheduled", func(t *testing.T) {
		ctx, s := setup(t)
		m := fullDAG("d")
		mustUpsertDAG(ctx, t, s, m)
		// Whoever refreshes DAGs from their files does not know the scheduler's bookkeeping.
		upd := &store.DAGMeta{DAGID: "d", Source: m.Source, Hash: "sha256:v2", Schedule: m.Schedule, IsActive: true}
		mustUpsertDAG(ctx, t, s, upd)
		want := *upd
		want.IsPaused, want.LastScheduledStart, want.LastScheduledEnd = m.IsPaused, m.LastScheduledStart, m.LastScheduledEnd
		checkDAG(t, getDAG(ctx, t, s, "d"), &want)
	})

	t.Run("UpdatedAt", func(t *testing.T) {
		ctx, s := setup(t)
		m := fullDAG("d")
		mustUpsertDAG(ctx, t, s, m)
		first := checkDAG(t, getDAG(ctx, t, s, "d"), m)
		// The same metadata again changes nothing, UpdatedAt included; so does a pause
		// that does not change IsPaused.
		again := *m
		again.UpdatedAt = at(-time.Hour) // ignored
		mustUpsertDAG(ctx, t, s, &again)
		if err := s.SetPaused(ctx, "d", true); err != nil {
			t.Fatalf("SetPaused: %v", err)
		}
		if got := checkDAG(t, getDAG(ctx, t, s, "d"), m); !got.Equal(first) {
			t.Fatalf("UpdatedAt = %v after writes that changed nothing, want %v", got, first)
		}
		// Changes move it forward (or leave it, if the clock did not move).
		upd := *m
		upd.Hash = "sha256:v2"
		mustUpsertDAG(ctx, t, s, &upd)
		second := checkDAG(t, getDAG(ctx, t, s, "d"), &upd)
		if second.Before(first) {
			t.Fatalf("UpdatedAt went back from %v to %v", first, second)
		}
		if err := s.SetPaused(ctx, "d", false); err != nil {
			t.Fatalf("SetPaused: %v", err)
		}
		upd.IsPaused = false
		if third := checkDAG(t, getDAG(ctx, t, s, "d"), &upd); third.Before(second) {
			t.Fatalf("UpdatedAt went back from %v to %v", second, third)
		}
	})

	t.Run("SetPaused", func(t *testing.T) {
		ctx, s := setup(t)
		m, other := fullDAG("d"), fullDAG("other")
		mustUpsertDAG(ctx, t, s, m)
		mustUpsertDAG(ctx, t, s, other)
		for _, paused := range []bool{false, false, true, true, false} {
			if err := s.SetPaused(ctx, "d", paused); err != nil {
				t.Fatalf("SetPaused(%v): %v", paused, err)
			}
			want := *m
			want.IsPaused = paused
			checkDAG(t, getDAG(ctx, t, s, "d"), &want)
		}
		checkDAG(t, getDAG(ctx, t, s, "other"), other)
		wantErrIs(t, "SetPaused of an unknown DAG", s.SetPaused(ctx, "missing", true), store.ErrNotFound)
		if _, err := s.GetDAG(ctx, "missing"); err == nil {
			t.Fatal("SetPaused of an unknown DAG created it")
		}
	})

	t.Run("EmptyID", func(t *testing.T) {
		ctx, s := setup(t)
		if err := s.UpsertDAG(ctx, &store.DAGMeta{Source: "dags/x.yaml"}); err == nil {
			t.Fatal("UpsertDAG with an empty ID succeeded, want an error")
		}
	})
}

func testSetLastScheduled(t *testing.T, setup setupFunc) {
	// scheduled returns a scheduled run of d over [start, end) with two task instances.
	scheduled := func(runID string, start, end time.Time) (*store.DAGRun, []*store.TaskInstance) {
		run := fullRun("d", runID, end)
		run.RunType, run.State, run.LogicalDate = "scheduled", store.RunQueued, end
		run.DataIntervalStart, run.DataIntervalEnd, run.TriggerEvents = start, end, nil
		return run, []*store.TaskInstance{fullTI("d", runID, "a", -1), fullTI("d", runID, "b", -1)}
	}
	checkCreated := func(ctx context.Context, t *testing.T, s store.Store, run *store.DAGRun, tis []*store.TaskInstance) {
		t.Helper()
		got, err := s.GetRun(ctx, run.DAGID, run.RunID)
		if err != nil {
			t.Fatalf("GetRun: %v", err)
		}
		checkRun(t, got, run)
		list, err := s.ListTaskInstances(ctx, store.ListTIParams{DAGID: run.DAGID, RunID: run.RunID})
		if err != nil {
			t.Fatalf("ListTaskInstances: %v", err)
		}
		checkTIs(t, list, tis)
	}

	t.Run("WithoutRun", func(t *testing.T) {
		ctx, s := setup(t)
		m := fullDAG("d")
		m.LastScheduledStart, m.LastScheduledEnd = time.Time{}, time.Time{}
		mustUpsertDAG(ctx, t, s, m)
		checkDAG(t, getDAG(ctx, t, s, "d"), m) // none yet

		start, end := at(24*time.Hour), at(48*time.Hour+999)
		if err := s.SetLastScheduled(ctx, "d", start, end, nil, nil); err != nil {
			t.Fatalf("SetLastScheduled: %v", err)
		}
		want := *m
		want.LastScheduledStart, want.LastScheduledEnd = start, end
		checkDAG(t, getDAG(ctx, t, s, "d"), &want)
		if runs, err := s.ListRuns(ctx, store.ListRunsParams{}); err != nil || len(runs) != 0 {
			t.Fatalf("ListRuns = %v, %v; want none", runKeys(runs), err)
		}
	})

	t.Run("WithRun", func(t *testing.T) {
		ctx, s := setup(t)
		m := fullDAG("d")
		mustUpsertDAG(ctx, t, s, m)
		start, end := at(24*time.Hour), at(48*time.Hour)
		run, tis := scheduled("scheduled__1", start, end)
		if err := s.SetLastScheduled(ctx, "d", start, end, run, tis); err != nil {
			t.Fatalf("SetLastScheduled: %v", err)
		}
		want := *m
		want.LastScheduledStart, want.LastScheduledEnd = start, end
		checkDAG(t, getDAG(ctx, t, s, "d"), &want)
		checkCreated(ctx, t, s, run, tis)
	})

	t.Run("RunExistsWritesNothing", func(t *testing.T) {
		ctx, s := setup(t)
		m := fullDAG("d")
		mustUpsertDAG(ctx, t, s, m)
		start, end := at(24*time.Hour), at(48*time.Hour)
		run, tis := scheduled("scheduled__1", start, end)
		if err := s.SetLastScheduled(ctx, "d", start, end, run, tis); err != nil {
			t.Fatalf("SetLastScheduled: %v", err)
		}
		// Another scheduler created the same run: the loser records nothing, not even the
		// (later) interval it computed, and the winner's run and instances stand.
		again, _ := scheduled("scheduled__1", end, at(72*time.Hour))
		again.State = store.RunRunning
		err := s.SetLastScheduled(ctx, "d", end, at(72*time.Hour), again, []*store.TaskInstance{ti("d", "scheduled__1", "c", -1, store.TINone)})
		wantErrIs(t, "SetLastScheduled of an existing run", err, store.ErrAlreadyExists)
		want := *m
		want.LastScheduledStart, want.LastScheduledEnd = start, end
		checkDAG(t, getDAG(ctx, t, s, "d"), &want)
		checkCreated(ctx, t, s, run, tis)
	})

	t.Run("DuplicateTIWritesNothing", func(t *testing.T) {
		ctx, s := setup(t)
		m := fullDAG("d")
		mustUpsertDAG(ctx, t, s, m)
		run, tis := scheduled("scheduled__1", at(0), at(time.Hour))
		tis = append(tis, fullTI("d", "scheduled__1", "a", -1))
		err := s.SetLastScheduled(ctx, "d", at(0), at(time.Hour), run, tis)
		wantErrIs(t, "SetLastScheduled with a duplicate task instance", err, store.ErrAlreadyExists)
		checkDAG(t, getDAG(ctx, t, s, "d"), m)
		_, err = s.GetRun(ctx, "d", "scheduled__1")
		wantErrIs(t, "run of the rejected SetLastScheduled", err, store.ErrNotFound)
	})

	t.Run("UnknownDAG", func(t *testing.T) {
		ctx, s := setup(t)
		wantErrIs(t, "SetLastScheduled of an unknown DAG", s.SetLastScheduled(ctx, "d", at(0), at(time.Hour), nil, nil), store.ErrNotFound)
		run, tis := scheduled("scheduled__1", at(0), at(time.Hour))
		wantErrIs(t, "SetLastScheduled with a run of an unknown DAG", s.SetLastScheduled(ctx, "d", at(0), at(time.Hour), run, tis), store.ErrNotFound)
		_, err := s.GetRun(ctx, "d", "scheduled__1")
		wantErrIs(t, "run of the rejected SetLastScheduled", err, store.ErrNotFound)
		if _, err := s.GetDAG(ctx, "d"); err == nil {
			t.Fatal("SetLastScheduled of an unknown DAG created it")
		}
	})

	t.Run("RunOfAnotherDAG", func(t *testing.T) {
		ctx, s := setup(t)
		m := fullDAG("d")
		mustUpsertDAG(ctx, t, s, m)
		mustUpsertDAG(ctx, t, s, fullDAG("other"))
		run := minimalRun("other", "r", store.RunQueued)
		if err := s.SetLastScheduled(ctx, "d", at(time.Hour), at(2*time.Hour), run, nil); err == nil {
			t.Fatal("SetLastScheduled with another DAG's run succeeded, want an error")
		}
		_, err := s.GetRun(ctx, "other", "r")
		wantErrIs(t, "run of the rejected SetLastScheduled", err, store.ErrNotFound)
		checkDAG(t, getDAG(ctx, t, s, "d"), m)
	})
}

func testImportErrors(t *testing.T, setup setupFunc) {
	list := func(ctx context.Context, t *testing.T, s store.Store, want ...*store.ImportError) {
		t.Helper()
		got, err := s.ListImportErrors(ctx)
		if err != nil {
			t.Fatalf("ListImportErrors: %v", err)
		}
		if len(got) != len(want) {
			var files []string
			for _, e := range got {
				files = append(files, e.File)
			}
			t.Fatalf("ListImportErrors returned %d errors %q, want %d", len(got), files, len(want))
		}
		for i := range want {
			checkStruct(t, "import error of "+want[i].File, got[i], want[i])
		}
	}
	replace := func(ctx context.Context, t *testing.T, s store.Store, errs ...*store.ImportError) {
		t.Helper()
		if err := s.ReplaceImportErrors(ctx, errs); err != nil {
			t.Fatalf("ReplaceImportErrors: %v", err)
		}
	}

	t.Run("ReplaceAndRemove", func(t *testing.T) {
		ctx, s := setup(t)
		list(ctx, t, s)
		a := &store.ImportError{File: "dags/a.yaml", Message: "dags/a.yaml:3:5: unknown task \"x\"\ndags/a.yaml:9:1: cycle a -> b -> a", At: at(0)}
		b := &store.ImportError{File: "dags/B.yaml", Message: "dags/B.yaml:1:1: not YAML ✗", At: at(time.Second)}
		replace(ctx, t, s, a, b)
		list(ctx, t, s, b, a) // bytewise: "B" < "a"

		// a loads now, b fails differently, c is new; files not named keep their errors.
		b2 := &store.ImportError{File: b.File, Message: "dags/B.yaml:2:1: other", At: at(time.Minute)}
		c := &store.ImportError{File: "dags/c.yaml", Message: "dags/c.yaml:1:1: bad", At: at(time.Minute)}
		replace(ctx, t, s, &store.ImportError{File: a.File, At: at(time.Minute)}, b2, c)
		list(ctx, t, s, b2, c)
		d := &store.ImportError{File: "dags/d.yaml", Message: "dags/d.yaml:1:1: bad", At: at(time.Hour)}
		replace(ctx, t, s, d)
		list(ctx, t, s, b2, c, d)

		// Nothing to replace, and removing a file without errors, change nothing.
		replace(ctx, t, s)
		replace(ctx, t, s, &store.ImportError{File: "dags/never.yaml"})
		list(ctx, t, s, b2, c, d)

		// Within one call, the last word on a file wins.
		replace(ctx, t, s, &store.ImportError{File: c.File}, c, &store.ImportError{File: d.File, Message: "x"}, &store.ImportError{File: d.File})
		list(ctx, t, s, b2, c)
	})

	t.Run("EmptyFile", func(t *testing.T) {
		ctx, s := setup(t)
		err := s.ReplaceImportErrors(ctx, []*store.ImportError{
			{File: "dags/a.yaml", Message: "bad", At: at(0)},
			{Message: "no file"},
		})
		if err == nil {
			t.Fatal("ReplaceImportErrors with an empty file succeeded, want an error")
		}
		list(ctx, t, s) // all or nothing
	})
}
