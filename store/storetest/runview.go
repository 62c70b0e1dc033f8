package storetest

import (
	"encoding/json"
	"errors"
	"maps"
	"testing"
	"time"

	"github.com/weirhq/weir/store"
)

func testRunView(t *testing.T, setup setupFunc) {
	t.Run("TaskSummaries", func(t *testing.T) {
		ctx, s := setup(t)
		// Run r1: a mapped task of 1,000 instances (998 success, 2 failed), an unmapped
		// task, a mapped task not expanded yet (one placeholder at −1, no state); another run
		// and another DAG with the same task IDs, which must not be counted.
		var tis []*store.TaskInstance
		for i := range 1000 {
			x := ti("d", "r1", "m", i, store.TISuccess)
			if i == 17 || i == 500 {
				x.State = store.TIFailed
			}
			x.StartedAt, x.EndedAt = at(time.Duration(i)*time.Second), at(time.Duration(i+2)*time.Second)
			tis = append(tis, x)
		}
		one := ti("d", "r1", "a", -1, store.TIRunning)
		one.StartedAt = at(-time.Minute)
		tis = append(tis, one, ti("d", "r1", "later", -1, store.TINone))
		mustCreateRun(ctx, t, s, minimalRun("d", "r1", store.RunRunning), tis...)
		mustCreateRun(ctx, t, s, minimalRun("d", "r2", store.RunRunning), ti("d", "r2", "m", 0, store.TIUpstreamFailed))
		mustCreateRun(ctx, t, s, minimalRun("other", "r1", store.RunRunning), ti("other", "r1", "m", 3, store.TIQueued))

		got, err := s.TaskSummaries(ctx, "d", "r1")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 {
			t.Fatalf("TaskSummaries(d, r1): %d summaries %+v, want a, later, m", len(got), got)
		}
		a, later, m := got[0], got[1], got[2]
		if a.TaskID != "a" || a.Mapped || a.Total != 1 || a.State != store.TIRunning || a.FirstMapIndex != -1 ||
			!maps.Equal(a.States, map[store.TIState]int{store.TIRunning: 1}) || !a.StartedAt.Equal(at(-time.Minute).Truncate(time.Microsecond)) || !a.EndedAt.IsZero() {
			t.Errorf("a: %+v", a)
		}
		if later.TaskID != "later" || later.Mapped || later.Total != 1 || later.State != store.TINone ||
			!maps.Equal(later.States, map[store.TIState]int{store.TINone: 1}) || !later.StartedAt.IsZero() {
			t.Errorf("later: %+v", later)
		}
		if m.TaskID != "m" || !m.Mapped || m.Total != 1000 || m.State != store.TIFailed || m.FirstMapIndex != 0 ||
			!maps.Equal(m.States, map[store.TIState]int{store.TISuccess: 998, store.TIFailed: 2}) {
			t.Errorf("m: %+v", m)
		}
		if !m.StartedAt.Equal(at(0).Truncate(time.Microsecond)) || !m.EndedAt.Equal(at(1001*time.Second).Truncate(time.Microsecond)) {
			t.Errorf("m: started %v, ended %v, want %v and %v", m.StartedAt, m.EndedAt, at(0), at(1001*time.Second))
		}

		// Marking changes the counts: the failed instances succeed, one goes up for retry.
		b := &store.Batch{}
		for _, i := range []int{17, 500} {
			tis[i].State = store.TISuccess
			b.TIs = append(b.TIs, tis[i])
		}
		tis[3].State = store.TIUpForRetry
		b.TIs = append(b.TIs, tis[3])
		mustApply(ctx, t, s, b)
		got, err = s.TaskSummaries(ctx, "d", "r1")
		if err != nil {
			t.Fatal(err)
		}
		if m := got[2]; m.State != store.TIUpForRetry || !maps.Equal(m.States, map[store.TIState]int{store.TISuccess: 999, store.TIUpForRetry: 1}) {
			t.Errorf("m after the marks: %+v", m)
		}

		if got, err := s.TaskSummaries(ctx, "d", "nope"); err != nil || len(got) != 0 {
			t.Errorf("TaskSummaries of a missing run: %+v, %v; want none, no error", got, err)
		}
	})

	t.Run("RenderedFields", func(t *testing.T) {
		ctx, s := setup(t)
		run := minimalRun("d", "r1", store.RunRunning)
		run.LogicalDate = at(0)
		mustCreateRun(ctx, t, s, run, ti("d", "r1", "t", -1, store.TIRunning), ti("d", "r1", "m", 0, store.TIRunning), ti("d", "r1", "m", 1, store.TIRunning))
		rf := func(runID, task string, mi, try int, fields string) *store.RenderedFields {
			return &store.RenderedFields{DAGID: "d", RunID: runID, TaskID: task, MapIndex: mi, TryNumber: try,
				Fields: json.RawMessage(fields), RenderedAt: at(time.Duration(try) * time.Minute), KeepRuns: 2}
		}
		// Written with the instance's state, in one batch, as the engine writes a try.
		mustApply(ctx, t, s, &store.Batch{TIs: []*store.TaskInstance{ti("d", "r1", "t", -1, store.TIRunning)},
			RenderedFields: []*store.RenderedFields{rf("r1", "t", -1, 1, `{"script": "echo one ✓"}`), rf("r1", "m", 1, 1, `{"script": "echo m1"}`)}})
		mustApply(ctx, t, s, &store.Batch{RenderedFields: []*store.RenderedFields{rf("r1", "t", -1, 2, `{"script": "echo two"}`)}})
		get := func(runID, task string, mi, try int) *store.RenderedFields {
			t.Helper()
			got, err := s.GetRenderedFields(ctx, "d", runID, task, mi, try)
			if err != nil {
				t.Fatalf("GetRenderedFields(%s, %s[%d], try %d): %v", runID, task, mi, try, err)
			}
			return got
		}
		latest := get("r1", "t", -1, 0)
		var f map[string]string
		if err := json.Unmarshal(latest.Fields, &f); err != nil || f["script"] != "echo two" || latest.TryNumber != 2 ||
			!latest.RenderedAt.Equal(at(2*time.Minute).Truncate(time.Microsecond)) || latest.RenderedAt.Location() != time.UTC {
			t.Errorf("latest try of t: %+v (%s), want try 2's", latest, latest.Fields)
		}
		if first := get("r1", "t", -1, 1); first.TryNumber != 1 || !json.Valid(first.Fields) || string(first.Fields) != `{"script": "echo one ✓"}` {
			t.Errorf("try 1 of t: %+v (%s)", first, first.Fields)
		}
		if m1 := get("r1", "m", 1, 0); m1.MapIndex != 1 || string(m1.Fields) != `{"script": "echo m1"}` {
			t.Errorf("m[1]: %+v", m1)
		}
		_, err := s.GetRenderedFields(ctx, "d", "r1", "m", 0, 0)
		wantErrIs(t, "fields of an instance that saved none", err, store.ErrNotFound)
		_, err = s.GetRenderedFields(ctx, "d", "r1", "t", -1, 3)
		wantErrIs(t, "fields of a try that saved none", err, store.ErrNotFound)

		// An instance that does not exist fails the batch, and nothing of it is written.
		err = s.Apply(ctx, &store.Batch{RenderedFields: []*store.RenderedFields{rf("r1", "m", 0, 1, `{}`), rf("r1", "nope", -1, 1, `{}`)}})
		wantErrIs(t, "fields of a missing instance", err, store.ErrNotFound)
		_, err = s.GetRenderedFields(ctx, "d", "r1", "m", 0, 0)
		wantErrIs(t, "fields of m[0] after the failed batch", err, store.ErrNotFound)
		if err := s.Apply(ctx, &store.Batch{RenderedFields: []*store.RenderedFields{rf("r1", "t", -1, 3, `["not an object"]`)}}); err == nil {
			t.Error("fields that are not a JSON object were written")
		}

		// A guard that fails writes nothing.
		err = s.Apply(ctx, &store.Batch{Guards: []store.RunGuard{{DAGID: "d", RunID: "r1", Epoch: 99}},
			RenderedFields: []*store.RenderedFields{rf("r1", "m", 0, 1, `{}`)}})
		var ge *store.GuardError
		if !errors.As(err, &ge) {
			t.Errorf("a batch with a failing guard: %v, want a *store.GuardError", err)
		}
		_, err = s.GetRenderedFields(ctx, "d", "r1", "m", 0, 0)
		wantErrIs(t, "fields of m[0] after the refused batch", err, store.ErrNotFound)

		// KeepRuns 2: a task's third run prunes its oldest (by logical date), not other tasks'.
		for i, runID := range []string{"r3", "r0"} { // r0 is the oldest though written last
			r := minimalRun("d", runID, store.RunRunning)
			r.LogicalDate = at(time.Duration([]int{3, -5}[i]) * time.Hour)
			mustCreateRun(ctx, t, s, r, ti("d", runID, "t", -1, store.TIRunning))
			mustApply(ctx, t, s, &store.Batch{RenderedFields: []*store.RenderedFields{rf(runID, "t", -1, 1, `{"run": "`+runID+`"}`)}})
		}
		for _, runID := range []string{"r1", "r3"} {
			get(runID, "t", -1, 0)
		}
		_, err = s.GetRenderedFields(ctx, "d", "r0", "t", -1, 0)
		wantErrIs(t, "fields of the oldest of three runs with KeepRuns 2", err, store.ErrNotFound)
		get("r1", "m", 1, 0) // another task's fields stay

		// Deleting the instance deletes its fields.
		mustApply(ctx, t, s, &store.Batch{DeleteTIs: []store.TIKey{{DAGID: "d", RunID: "r1", TaskID: "m", MapIndex: 1}}})
		_, err = s.GetRenderedFields(ctx, "d", "r1", "m", 1, 0)
		wantErrIs(t, "fields of a deleted instance", err, store.ErrNotFound)
	})

	t.Run("WorstState", func(t *testing.T) {
		t.Parallel()
		for _, c := range []struct {
			counts map[store.TIState]int
			want   store.TIState
		}{
			{nil, store.TINone},
			{map[store.TIState]int{store.TISuccess: 9998, store.TIFailed: 2}, store.TIFailed},
			{map[store.TIState]int{store.TISuccess: 5, store.TIRunning: 1, store.TIUpstreamFailed: 1}, store.TIUpstreamFailed},
			{map[store.TIState]int{store.TISuccess: 5, store.TISkipped: 1}, store.TISkipped},
			{map[store.TIState]int{store.TISuccess: 5, store.TINone: 1, store.TIRunning: 0}, store.TINone},
			{map[store.TIState]int{store.TIQueued: 1, store.TIRunning: 2}, store.TIRunning},
			{map[store.TIState]int{store.TISuccess: 3}, store.TISuccess},
		} {
			if got := store.WorstState(c.counts); got != c.want {
				t.Errorf("WorstState(%v) = %q, want %q", c.counts, got, c.want)
			}
		}
	})
}
