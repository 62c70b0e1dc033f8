package storetest

import (
	"context"
	"encoding/json"

	"fmt"
	"testing"
	"time"

	"github.com/weirhq/weir/store"
)

type setupFunc = func(t *testing.T) (context.Context, store.Store)

func testCreateRun(t *testing.T, setup setupFunc) {
	t.Run("RoundTrip", func(t *testing.T) {
		ctx, s := setup(t)
		run := fullRun("etl", "manual__2024-03-10", t0)
		tis := []*store.TaskInstance{
			fullTI("etl", run.RunID, "train", -1),
			fullTI("etl", run.RunID, "extract", 1),
			fullTI("etl", run.RunID, "extract", 0),
		}
		mustCreateRun(ctx, t, s, run, tis...)

		got, err := s.GetRun(ctx, "etl", run.RunID)
		if err != nil {
			t.Fatalf("GetRun: %v", err)
		}
		checkRun(t, got, run)
		for _, want := range tis {
			got, err := s.GetTaskInstance(ctx, want.DAGID, want.RunID, want.TaskID, want.MapIndex)
			if err != nil {
				t.Fatalf("GetTaskInstance: %v", err)
			}
			checkTI(t, got, want)
		}
		list, err := s.ListTaskInstances(ctx, store.ListTIParams{DAGID: "etl", RunID: run.RunID})
		if err != nil {
			t.Fatalf("ListTaskInstances: %v", err)
		}
		sortTIs(tis)
		checkTIs(t, list, tis)
	})

	t.Run("ZeroValues", func(t *testing.T) {
		ctx, s := setup(t)
		run := &store.DAGRun{DAGID: "d", RunID: "r"} // empty state, strings, times and JSON
		tis := []*store.TaskInstance{
			{DAGID: "d", RunID: "r", TaskID: "unmapped", MapIndex: -1},
			{DAGID: "d", RunID: "r", TaskID: "mapped", MapIndex: 0},
		}
		mustCreateRun(ctx, t, s, run, tis...)
		got, err := s.GetRun(ctx, "d", "r")
		if err != nil {
			t.Fatalf("GetRun: %v", err)
		}
		checkRun(t, got, run)
		for _, want := range tis {
			got, err := s.GetTaskInstance(ctx, "d", "r", want.TaskID, want.MapIndex)
			if err != nil {
				t.Fatalf("GetTaskInstance: %v", err)
			}
			checkTI(t, got, want)
			if got.State != store.TINone {
				t.Errorf("State = %q, want none", got.State)
			}
		}
	})

	t.Run("TimesAndJSONEdges", func(t *testing.T) {
		ctx, s := setup(t)
		run := fullRun("d", "r", time.Date(1969, 12, 31, 23, 59, 59, 500000999, time.UTC)) // before 1970
		run.LogicalDate = time.Date(9999, 12, 31, 23, 59, 59, 999999999, zone)
		run.EndedAt = time.Date(2024, 1, 1, 0, 0, 0, 999, time.Local) // less than a microsecond past a second
		run.Conf = json.RawMessage(`{}`)
		run.Params = json.RawMessage(`null`) // the JSON literal null is a value, not nil
		run.DAG = json.RawMessage(`[1, 2.5, "three", true, null, {"k": []}]`)
		run.TriggerEvents = json.RawMessage(`[]`) // an empty list is a value, not nil
		run.DataIntervalStart = time.Date(1900, 1, 1, 0, 0, 0, 1, time.UTC)
		run.DataIntervalEnd = time.Time{} // one end set, the other not
		mustCreateRun(ctx, t, s, run)
		got, err := s.GetRun(ctx, "d", "r")
		if err != nil {
			t.Fatalf("GetRun: %v", err)
		}
		checkRun(t, got, run)
		if got.Params == nil {
			t.Errorf("Params = nil, want the JSON literal null")
		}
	})

	t.Run("Duplicate", func(t *testing.T) {
		ctx, s := setup(t)
		run := fullRun("d", "r", t0)
		mustCreateRun(ctx, t, s, run, fullTI("d", "r", "a", -1))

		again := minimalRun("d", "r", store.RunQueued)
		err := s.CreateRun(ctx, again, []*store.TaskInstance{ti("d", "r", "b", -1, store.TINone)})
		wantErrIs(t, "CreateRun of an existing run", err, store.ErrAlreadyExists)

		got, err := s.GetRun(ctx, "d", "r")
		if err != nil {
			t.Fatalf("GetRun: %v", err)
		}
		checkRun(t, got, run)
		_, err = s.GetTaskInstance(ctx, "d", "r", "b", -1)
		wantErrIs(t, "task instance of the rejected CreateRun", err, store.ErrNotFound)
	})

	t.Run("SameRunIDOtherDAG", func(t *testing.T) {
		ctx, s := setup(t)
		mustCreateRun(ctx, t, s, minimalRun("a", "r", store.RunQueued), ti("a", "r", "t", -1, store.TINone))
		mustCreateRun(ctx, t, s, minimalRun("b", "r", store.RunQueued), ti("b", "r", "t", -1, store.TINone))
	})

	t.Run("DuplicateTI", func(t *testing.T) {
		ctx, s := setup(t)
		err := s.CreateRun(ctx, minimalRun("d", "r", store.RunQueued), []*store.TaskInstance{
			ti("d", "r", "t", 0, store.TINone),
			ti("d", "r", "t", 1, store.TINone),
			ti("d", "r", "t", 0, store.TIScheduled),
		})
		wantErrIs(t, "CreateRun with a duplicate task instance", err, store.ErrAlreadyExists)
		_, err = s.GetRun(ctx, "d", "r")
		wantErrIs(t, "run of the rejected CreateRun", err, store.ErrNotFound)
		tis, err := s.ListTaskInstances(ctx, store.ListTIParams{})
		if err != nil || len(tis) != 0 {
			t.Fatalf("ListTaskInstances = %v, %v; want none", tiKeys(tis), err)
		}
	})

	t.Run("TIOfAnotherRun", func(t *testing.T) {
		ctx, s := setup(t)
		mustCreateRun(ctx, t, s, minimalRun("d", "other", store.RunQueued))
		err := s.CreateRun(ctx, minimalRun("d", "r", store.RunQueued), []*store.TaskInstance{
			ti("d", "r", "t", -1, store.TINone),
			ti("d", "other", "t", -1, store.TINone),
		})
		if err == nil {
			t.Fatal("CreateRun with a task instance of another run succeeded")
		}
		_, err = s.GetRun(ctx, "d", "r")
		wantErrIs(t, "run of the rejected CreateRun", err, store.ErrNotFound)
		_, err = s.GetTaskInstance(ctx, "d", "other", "t", -1)
		wantErrIs(t, "task instance of the rejected CreateRun", err, store.ErrNotFound)
	})

	t.Run("EmptyKey", func(t *testing.T) {
		ctx, s := setup(t)
		for _, run := range []*store.DAGRun{minimalRun("", "r", store.RunQueued), minimalRun("d", "", store.RunQueued)} {
			if err := s.CreateRun(ctx, run, nil); err == nil {
				t.Errorf("CreateRun(%q/%q) succeeded, want an error", run.DAGID, run.RunID)
			}
		}
		if err := s.CreateRun(ctx, minimalRun("d", "r", store.RunQueued), []*store.TaskInstance{ti("d", "r", "", -1, store.TINone)}); err == nil {
			t.Errorf("CreateRun with an empty task ID succeeded, want an error")
		}
	})

	t.Run("ManyTIs", func(t *testing.T) {
		ctx, s := setup(t)
		const n = 500
		tis := make([]*store.TaskInstance, 0, n)
		for i := range n {
			tis = append(tis, ti("d", "r", fmt.Sprintf("task-%04d", i/10), i%10, store.TINone))
		}
		mustCreateRun(ctx, t, s, minimalRun("d", "r", store.RunQueued), tis...)
		got, err := s.ListTaskInstances(ctx, store.ListTIParams{DAGID: "d", RunID: "r"})
		if err != nil {
			t.Fatalf("ListTaskInstances: %v", err)
		}
		checkTIs(t, got, tis) // tis is already in order
	})
}

func testGetRun(t *testing.T, setup setupFunc) {
	t.Run("NotFound", func(t *testing.T) {
		ctx, s := setup(t)
		mustCreateRun(ctx, t, s, minimalRun("d", "r", store.RunQueued))
		for _, k := range [][2]string{{"d", "missing"}, {"missing", "r"}, {"", ""}} {
			run, err := s.GetRun(ctx, k[0], k[1])
			wantErrIs(t, fmt.Sprintf("GetRun(%q, %q)", k[0], k[1]), err, store.ErrNotFound)
			if run != nil {
				t.Errorf("GetRun(%q, %q) returned a run with its error", k[0], k[1])
			}
		}
	})
}

func testListRuns(t *testing.T, setup setupFunc) {
	// seed creates runs across two DAGs with distinct queue times, in shuffled order, and
	// returns them newest first, the run with no queue time last.
	seed := func(ctx context.Context, t *testing.T, s store.Store) []*store.DAGRun {
		t.Helper()
		mk := func(dagID, runID string, state store.RunState, queued time.Duration) *store.DAGRun {
			r := fullRun(dagID, runID, at(queued))
			r.State = state
			return r
		}
		a1 := mk("a", "r1", store.RunSuccess, 1*time.Hour)
		a2 := mk("a", "r2", store.RunFailed, 2*time.Hour)
		a3 := mk("a", "shared", store.RunRunning, 5*time.Hour)
		b1 := mk("b", "r1", store.RunQueued, 3*time.Hour)
		b2 := mk("b", "shared", store.RunRunning, 4*time.Hour)
		b3 := mk("b", "late", store.RunSuccess, 4*time.Hour+time.Microsecond)
		unqueued := minimalRun("a", "unqueued", store.RunQueued)
		for _, r := range []*store.DAGRun{b1, a2, unqueued, a3, a1, b3, b2} {
			mustCreateRun(ctx, t, s, r)
		}
		return []*store.DAGRun{a3, b3, b2, b1, a2, a1, unqueued}
	}
	filter := func(runs []*store.DAGRun, keep func(r *store.DAGRun) bool) []*store.DAGRun {
		var out []*store.DAGRun
		for _, r := range runs {
			if keep(r) {
				out = append(out, r)
			}
		}
		return out
	}
	list := func(ctx context.Context, t *testing.T, s store.Store, p store.ListRunsParams) []*store.DAGRun {
		t.Helper()
		runs, err := s.ListRuns(ctx, p)
		if err != nil {
			t.Fatalf("ListRuns(%+v): %v", p, err)
		}
		return runs
	}

	t.Run("Empty", func(t *testing.T) {
		ctx, s := setup(t)
		if runs := list(ctx, t, s, store.ListRunsParams{}); len(runs) != 0 {
			t.Fatalf("ListRuns on an empty store = %v", runKeys(runs))
		}
	})

	t.Run("OrderAndLimit", func(t *testing.T) {
		ctx, s := setup(t)
		all := seed(ctx, t, s)
		checkRuns(t, list(ctx, t, s, store.ListRunsParams{}), all)
		checkRuns(t, list(ctx, t, s, store.ListRunsParams{Limit: 2}), all[:2])
		checkRuns(t, list(ctx, t, s, store.ListRunsParams{Limit: 1, DAGID: "b"}), all[1:2])
		checkRuns(t, list(ctx, t, s, store.ListRunsParams{Limit: 100}), all)
		// Pages: Offset skips in the same order.
		checkRuns(t, list(ctx, t, s, store.ListRunsParams{Limit: 2, Offset: 2}), all[2:4])
		checkRuns(t, list(ctx, t, s, store.ListRunsParams{Limit: 10, Offset: 5}), all[5:])
		checkRuns(t, list(ctx, t, s, store.ListRunsParams{Limit: 10, Offset: 50}), nil)
	})

	t.Run("Filters", func(t *testing.T) {
		ctx, s := setup(t)
		all := seed(ctx, t, s)
		cases := []struct {
			p    store.ListRunsParams
			keep func(r *store.DAGRun) bool
		}{
			{store.ListRunsParams{DAGID: "a"}, func(r *store.DAGRun) bool { return r.DAGID == "a" }},
			{store.ListRunsParams{DAGID: "missing"}, func(r *store.DAGRun) bool { return false }},
			// By run ID alone, across DAGs: how the CLI finds a run.
			{store.ListRunsParams{RunID: "shared"}, func(r *store.DAGRun) bool { return r.RunID == "shared" }},
			{store.ListRunsParams{RunID: "r1"}, func(r *store.DAGRun) bool { return r.RunID == "r1" }},
			{store.ListRunsParams{DAGID: "b", RunID: "r1"}, func(r *store.DAGRun) bool { return r.DAGID == "b" && r.RunID == "r1" }},
			{store.ListRunsParams{States: []store.RunState{store.RunRunning}}, func(r *store.DAGRun) bool { return r.State == store.RunRunning }},
			{store.ListRunsParams{States: []store.RunState{store.RunQueued, store.RunRunning}}, func(r *store.DAGRun) bool {
				return r.State == store.RunQueued || r.State == store.RunRunning
			}},
			{store.ListRunsParams{States: []store.RunState{"no-such-state"}}, func(r *store.DAGRun) bool { return false }},
			{store.ListRunsParams{DAGID: "b", States: []store.RunState{store.RunSuccess, store.RunQueued}}, func(r *store.DAGRun) bool {
				return r.DAGID == "b" && (r.State == store.RunSuccess || r.State == store.RunQueued)
			}},
			{store.ListRunsParams{RunID: "shared", States: []store.RunState{store.RunRunning}}, func(r *store.DAGRun) bool {
				return r.RunID == "shared"
			}},
			{store.ListRunsParams{DAGID: "a", RunID: "shared", States: []store.RunState{store.RunFailed}}, func(r *store.DAGRun) bool { return false }},
			{store.ListRunsParams{DAGID: "a", RunID: "r2", States: []store.RunState{store.RunFailed}}, func(r *store.DAGRun) bool {
				return r.DAGID == "a" && r.RunID == "r2"
			}},
		}
		for _, c := range cases {
			t.Run(fmt.Sprintf("%+v", c.p), func(t *testing.T) {
				want := filter(all, c.keep)
				checkRuns(t, list(ctx, t, s, c.p), want)
				// CountRuns counts what the filter matches, whatever the page.
				paged := c.p
				paged.Limit, paged.Offset = 1, 1
				if n, err := s.CountRuns(ctx, paged); err != nil || n != len(want) {
					t.Fatalf("CountRuns(%+v) = %d, %v; want %d", paged, n, err, len(want))
				}
			})
		}
	})

	t.Run("DefaultLimit", func(t *testing.T) {
		ctx, s := setup(t)
		const n = 120
		var b store.Batch
		for i := range n {
			r := minimalRun("d", fmt.Sprintf("r%03d", i), store.RunSuccess)
			r.QueuedAt = at(time.Duration(i) * time.Second)
			b.Runs = append(b.Runs, r)
		}
		mustApply(ctx, t, s, &b)
		runs := list(ctx, t, s, store.ListRunsParams{})
		if len(runs) != 100 {
			t.Fatalf("ListRuns returned %d runs, want the default limit, 100", len(runs))
		}
		for i, r := range runs {
			if want := fmt.Sprintf("r%03d", n-1-i); r.RunID != want {
				t.Fatalf("run %d is %s, want %s", i, r.RunID, want)
			}
		}
		if runs := list(ctx, t, s, store.ListRunsParams{Limit: n + 1}); len(runs) != n {
			t.Fatalf("ListRuns(Limit: %d) returned %d runs, want %d", n+1, len(runs), n)
		}
	})
}
