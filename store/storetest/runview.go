package storetest

import (
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
