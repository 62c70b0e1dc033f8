package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/weirhq/weir/store"
)

// testInvalidIDs checks that every write that names a run or task instance refuses IDs that
// break the rules of store.ValidateRunID and the others (they become file names), with an
// error wrapping store.ErrInvalidID, and writes nothing.
func testInvalidIDs(t *testing.T, setup setupFunc) {
	bad := []struct{ name, dagID, runID, taskID string }{
		{"dotdot run", "d", "../x", "t"},
		{"slash run", "d", "a/b", "t"},
		{"dot run", "d", ".", "t"},
		{"dag with slash", "../d", "r", "t"},
		{"task with slash", "d", "r", "../t"},
		{"run with NUL", "d", "r\x00", "t"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			ctx, s := setup(t)
			want := func(what string, err error) {
				t.Helper()
				if !errors.Is(err, store.ErrInvalidID) {
					t.Errorf("%s of %q/%q/%q: error %v, want store.ErrInvalidID", what, c.dagID, c.runID, c.taskID, err)
				}
			}
			run := fullRun(c.dagID, c.runID, at(0))
			tis := []*store.TaskInstance{fullTI(c.dagID, c.runID, c.taskID, -1)}
			want("CreateRun", s.CreateRun(ctx, run, tis))
			want("Apply(TIs)", s.Apply(ctx, &store.Batch{TIs: tis}))
			want("Apply(Tries)", s.Apply(ctx, &store.Batch{Tries: []*store.TaskTry{fullTry(c.dagID, c.runID, c.taskID, -1, 1)}}))
			want("Apply(DeleteTIs)", s.Apply(ctx, &store.Batch{DeleteTIs: []store.TIKey{{DAGID: c.dagID, RunID: c.runID, TaskID: c.taskID, MapIndex: -1}}}))
			ev := event("ds")
			ev.SourceDAGID, ev.SourceRunID, ev.SourceTaskID = c.dagID, c.runID, c.taskID
			want("AddDatasetEvent", s.AddDatasetEvent(ctx, ev))
			want("Apply(DatasetEvents)", s.Apply(ctx, &store.Batch{DatasetEvents: []*store.DatasetEvent{ev}}))
			if c.taskID == "t" {
				want("Apply(Runs)", s.Apply(ctx, &store.Batch{Runs: []*store.DAGRun{run}}))
				want("SetLastScheduled", s.SetLastScheduled(ctx, "d", at(0), at(time.Hour), run, tis))
			}
			if c.dagID != "d" {
				want("UpsertDAG", s.UpsertDAG(ctx, &store.DAGMeta{DAGID: c.dagID}))
			}
			nothingWritten(ctx, t, s)
		})
	}
	t.Run("map index", func(t *testing.T) {
		ctx, s := setup(t)
		err := s.CreateRun(ctx, fullRun("d", "r", at(0)), []*store.TaskInstance{fullTI("d", "r", "t", -2)})
		if !errors.Is(err, store.ErrInvalidID) {
			t.Errorf("CreateRun with map index -2: error %v, want store.ErrInvalidID", err)
		}
		nothingWritten(ctx, t, s)
	})
}

// nothingWritten fails the test if the store has a run, task instance, dataset event or DAG.
func nothingWritten(ctx context.Context, t *testing.T, s store.Store) {
	t.Helper()
	runs, err := s.ListRuns(ctx, store.ListRunsParams{})
	if err != nil || len(runs) != 0 {
		t.Errorf("after refused writes: ListRuns = %d runs, %v; want none", len(runs), err)
	}
	tis, err := s.ListTaskInstances(ctx, store.ListTIParams{})
	if err != nil || len(tis) != 0 {
		t.Errorf("after refused writes: ListTaskInstances = %d, %v; want none", len(tis), err)
	}
	evs, err := s.ListDatasetEvents(ctx, store.ListEventsParams{})
	if err != nil || len(evs) != 0 {
		t.Errorf("after refused writes: ListDatasetEvents = %d, %v; want none", len(evs), err)
	}
	dags, err := s.ListDAGs(ctx)
	if err != nil || len(dags) != 0 {
		t.Errorf("after refused writes: ListDAGs = %d, %v; want none", len(dags), err)
	}
}
