package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/weirhq/weir/store"
)

// event returns a dataset event of uri with every field set, queued for consumers.
func event(uri string, consumers ...string) *store.DatasetEvent {
	return &store.DatasetEvent{
		URI:            uri,
		Extra:          json.RawMessage(`{"rows": 1234, "schema": ["a", "b"], "note": "✓"}`),
		SourceDAGID:    "producer",
		SourceRunID:    "scheduled__2024-03-10",
		SourceTaskID:   "write",
		SourceMapIndex: 3,
		Timestamp:      at(time.Minute + 1),
		Consumers:      consumers,
	}
}

// mustAddEvent records ev and fails the test on error; it checks that ev got an ID.
func mustAddEvent(ctx context.Context, t *testing.T, s store.Store, ev *store.DatasetEvent) *store.DatasetEvent {
	t.Helper()
	if err := s.AddDatasetEvent(ctx, ev); err != nil {
		t.Fatalf("AddDatasetEvent(%s): %v", ev.URI, err)
	}
	if ev.ID <= 0 {
		t.Fatalf("AddDatasetEvent(%s) set ID %d, want a positive one", ev.URI, ev.ID)
	}
	return ev
}

// checkEvent fails the test unless got is want as a store returns it: without Consumers.
func checkEvent(t *testing.T, got, want *store.DatasetEvent) {
	t.Helper()
	w := *want
	w.Consumers = nil
	checkStruct(t, fmt.Sprintf("event %d of %s", want.ID, want.URI), got, &w)
}

// listEvents returns ListDatasetEvents(p) and fails the test on error.
func listEvents(ctx context.Context, t *testing.T, s store.Store, p store.ListEventsParams) []*store.DatasetEvent {
	t.Helper()
	evs, err := s.ListDatasetEvents(ctx, p)
	if err != nil {
		t.Fatalf("ListDatasetEvents(%+v): %v", p, err)
	}
	return evs
}

// checkEvents fails the test unless got is want, in order.
func checkEvents(t *testing.T, got, want []*store.DatasetEvent) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d events %v, want %d %v", len(got), eventIDs(got), len(want), eventIDs(want))
	}
	for i := range want {
		checkEvent(t, got[i], want[i])
	}
}

func eventIDs(evs []*store.DatasetEvent) []int64 {
	ids := make([]int64, 0, len(evs))
	for _, ev := range evs {
		ids = append(ids, ev.ID)
	}
	return ids
}

// queued returns the queue of dagID ("" for every DAG) as "dag:id" strings, and checks each
// queued event against the recorded one in byID when it is there.
func queued(ctx context.Context, t *testing.T, s store.Store, dagID string, byID map[int64]*store.DatasetEvent) []string {
	t.Helper()
	q, err := s.ListQueuedEvents(ctx, dagID)
	if err != nil {
		t.Fatalf("ListQueuedEvents(%q): %v", dagID, err)
	}
	out := []string{}
	for _, e := range q {
		if e == nil || e.Event == nil {
			t.Fatalf("ListQueuedEvents(%q) returned a nil event", dagID)
		}
		if dagID != "" && e.DAGID != dagID {
			t.Fatalf("ListQueuedEvents(%q) returned an event queued for %q", dagID, e.DAGID)
		}
		if want, ok := byID[e.Event.ID]; ok {
			checkEvent(t, e.Event, want)
		}
		out = append(out, fmt.Sprintf("%s:%d", e.DAGID, e.Event.ID))
	}
	return out
}

// wantQueue fails the test unless the queue of dagID is want.
func wantQueue(ctx context.Context, t *testing.T, s store.Store, dagID string, byID map[int64]*store.DatasetEvent, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if got := queued(ctx, t, s, dagID, byID); !slices.Equal(got, want) {
		t.Fatalf("queue of %q = %q, want %q", dagID, got, want)
	}
}

// qe formats a queue entry as queued does.
func qe(dagID string, ev *store.DatasetEvent) string { return fmt.Sprintf("%s:%d", dagID, ev.ID) }

// byID indexes events by ID.
func byID(evs ...*store.DatasetEvent) map[int64]*store.DatasetEvent {
	m := make(map[int64]*store.DatasetEvent, len(evs))
	for _, ev := range evs {
		m[ev.ID] = ev
	}
	return m
}

func testDatasets(t *testing.T, setup setupFunc) {
	t.Run("RoundTrip", func(t *testing.T) {
		ctx, s := setup(t)
		if evs := listEvents(ctx, t, s, store.ListEventsParams{}); len(evs) != 0 {
			t.Fatalf("ListDatasetEvents on an empty store = %v", eventIDs(evs))
		}
		full := mustAddEvent(ctx, t, s, event("s3://bucket/data.csv", "consumer"))
		// Posted through the API: no source, no extra.
		bare := mustAddEvent(ctx, t, s, &store.DatasetEvent{URI: "s3://bucket/data.csv", Timestamp: at(time.Hour)})
		// The JSON literal null is a value, not nil.
		null := mustAddEvent(ctx, t, s, &store.DatasetEvent{URI: "file:///tmp/x", Extra: json.RawMessage(`null`), Timestamp: at(2 * time.Hour)})
		checkEvents(t, listEvents(ctx, t, s, store.ListEventsParams{}), []*store.DatasetEvent{null, bare, full})
		got := listEvents(ctx, t, s, store.ListEventsParams{URI: "file:///tmp/x"})
		if len(got) != 1 || got[0].Extra == nil {
			t.Fatalf("event with the JSON literal null as extra came back as %+v", got)
		}
	})

	t.Run("IDsIncrease", func(t *testing.T) {
		ctx, s := setup(t)
		var last int64
		for i := range 5 {
			ev := mustAddEvent(ctx, t, s, event(fmt.Sprintf("ds-%d", i%2)))
			if ev.ID <= last {
				t.Fatalf("event %d got ID %d after %d, want a larger one", i, ev.ID, last)
			}
			last = ev.ID
		}
	})

	t.Run("ZeroTimestamp", func(t *testing.T) {
		ctx, s := setup(t)
		ev := &store.DatasetEvent{URI: "ds"}
		mustAddEvent(ctx, t, s, ev)
		if ev.Timestamp.IsZero() {
			t.Fatal("an event recorded without a timestamp did not get one")
		}
		checkEvents(t, listEvents(ctx, t, s, store.ListEventsParams{}), []*store.DatasetEvent{ev})
	})

	t.Run("Datasets", func(t *testing.T) {
		ctx, s := setup(t)
		if ds, err := s.ListDatasets(ctx); err != nil || len(ds) != 0 {
			t.Fatalf("ListDatasets on an empty store = %d datasets, %v; want none", len(ds), err)
		}
		mustAddEvent(ctx, t, s, event("s3://b/x"))
		mustAddEvent(ctx, t, s, event("S3://b/x")) // URIs are compared as written
		ds, err := s.ListDatasets(ctx)
		if err != nil || len(ds) != 2 || ds[0].URI != "S3://b/x" || ds[1].URI != "s3://b/x" {
			t.Fatalf("ListDatasets = %+v, %v; want S3://b/x and s3://b/x", ds, err)
		}
		first := ds[1]
		for _, d := range ds {
			if d.CreatedAt.IsZero() || d.UpdatedAt.Before(d.CreatedAt) || d.CreatedAt.Location() != time.UTC {
				t.Fatalf("dataset %s: CreatedAt %v, UpdatedAt %v; want them set, in UTC, in order", d.URI, d.CreatedAt, d.UpdatedAt)
			}
		}

		// A later event updates its dataset; the first stays as it was.
		mustAddEvent(ctx, t, s, event("s3://b/x"))
		ds, err = s.ListDatasets(ctx)
		if err != nil || len(ds) != 2 {
			t.Fatalf("ListDatasets = %+v, %v; want 2 datasets", ds, err)
		}
		if !ds[1].CreatedAt.Equal(first.CreatedAt) || ds[1].UpdatedAt.Before(first.UpdatedAt) {
			t.Fatalf("dataset after a second event = %+v, want CreatedAt %v and UpdatedAt from %v on", ds[1], first.CreatedAt, first.UpdatedAt)
		}
	})

	t.Run("OrderAndFilters", func(t *testing.T) {
		ctx, s := setup(t)
		var all []*store.DatasetEvent // oldest first
		for i, c := range []struct{ uri, src string }{
			{"a", "p1"}, {"b", "p1"}, {"a", "p2"}, {"a", ""}, {"b", "p2"}, {"a", "p1"}, {"c", "p1"},
		} {
			ev := event(c.uri)
			ev.SourceDAGID = c.src
			ev.Timestamp = at(time.Duration(-i) * time.Minute) // IDs, not timestamps, order events
			all = append(all, mustAddEvent(ctx, t, s, ev))
		}
		newest := slices.Clone(all)
		slices.Reverse(newest)
		filter := func(keep func(ev *store.DatasetEvent) bool) []*store.DatasetEvent {
			var out []*store.DatasetEvent
			for _, ev := range newest {
				if keep(ev) {
					out = append(out, ev)
				}
			}
			return out
		}
		mid := all[2].ID
		for _, c := range []struct {
			p    store.ListEventsParams
			want []*store.DatasetEvent
		}{
			{store.ListEventsParams{}, newest},
			{store.ListEventsParams{Limit: 2}, newest[:2]},
			{store.ListEventsParams{Limit: 100}, newest},
			{store.ListEventsParams{URI: "a"}, filter(func(ev *store.DatasetEvent) bool { return ev.URI == "a" })},
			{store.ListEventsParams{URI: "A"}, nil},
			{store.ListEventsParams{URI: "missing"}, nil},
			{store.ListEventsParams{SourceDAGID: "p1"}, filter(func(ev *store.DatasetEvent) bool { return ev.SourceDAGID == "p1" })},
			{store.ListEventsParams{AfterID: mid}, filter(func(ev *store.DatasetEvent) bool { return ev.ID > mid })},
			{store.ListEventsParams{AfterID: all[len(all)-1].ID}, nil},
			{store.ListEventsParams{URI: "a", SourceDAGID: "p1"}, filter(func(ev *store.DatasetEvent) bool { return ev.URI == "a" && ev.SourceDAGID == "p1" })},
			{store.ListEventsParams{URI: "a", AfterID: mid}, filter(func(ev *store.DatasetEvent) bool { return ev.URI == "a" && ev.ID > mid })},
			{store.ListEventsParams{SourceDAGID: "p2", AfterID: mid}, filter(func(ev *store.DatasetEvent) bool { return ev.SourceDAGID == "p2" && ev.ID > mid })},
			{store.ListEventsParams{URI: "a", SourceDAGID: "p1", AfterID: all[0].ID}, filter(func(ev *store.DatasetEvent) bool {
				return ev.URI == "a" && ev.SourceDAGID == "p1" && ev.ID > all[0].ID
			})},
			{store.ListEventsParams{URI: "a", Limit: 1}, filter(func(ev *store.DatasetEvent) bool { return ev.URI == "a" })[:1]},
		} {
			t.Run(fmt.Sprintf("%+v", c.p), func(t *testing.T) {
				checkEvents(t, listEvents(ctx, t, s, c.p), c.want)
			})
		}
	})

	t.Run("DefaultLimit", func(t *testing.T) {
		ctx, s := setup(t)
		const n = 120
		var b store.Batch
		for i := range n {
			b.DatasetEvents = append(b.DatasetEvents, &store.DatasetEvent{URI: "ds", Timestamp: at(time.Duration(i) * time.Second)})
		}
		mustApply(ctx, t, s, &b)
		evs := listEvents(ctx, t, s, store.ListEventsParams{})
		if len(evs) != 100 {
			t.Fatalf("ListDatasetEvents returned %d events, want the default limit, 100", len(evs))
		}
		for i, ev := range evs {
			if want := b.DatasetEvents[n-1-i]; ev.ID != want.ID {
				t.Fatalf("event %d has ID %d, want %d", i, ev.ID, want.ID)
			}
		}
		if evs := listEvents(ctx, t, s, store.ListEventsParams{Limit: n + 1}); len(evs) != n {
			t.Fatalf("ListDatasetEvents(Limit: %d) returned %d events, want %d", n+1, len(evs), n)
		}
	})

	t.Run("Invalid", func(t *testing.T) {
		ctx, s := setup(t)
		for _, ev := range []*store.DatasetEvent{
			{Timestamp: at(0)}, // no URI
			{URI: "ds", Consumers: []string{"c", ""}, Timestamp: at(0)}, // an empty consumer
		} {
			if err := s.AddDatasetEvent(ctx, ev); err == nil {
				t.Errorf("AddDatasetEvent(%+v) succeeded, want an error", ev)
			}
			if ev.ID != 0 {
				t.Errorf("a rejected event got ID %d", ev.ID)
			}
		}
		if evs := listEvents(ctx, t, s, store.ListEventsParams{}); len(evs) != 0 {
			t.Fatalf("ListDatasetEvents = %v after rejected events, want none", eventIDs(evs))
		}
		if ds, err := s.ListDatasets(ctx); err != nil || len(ds) != 0 {
			t.Fatalf("ListDatasets = %+v, %v after rejected events, want none", ds, err)
		}
		wantQueue(ctx, t, s, "", nil)
	})
}

func testDatasetQueue(t *testing.T, setup setupFunc) {
	t.Run("PerConsumer", func(t *testing.T) {
		ctx, s := setup(t)
		wantQueue(ctx, t, s, "", nil)
		e1 := mustAddEvent(ctx, t, s, event("a", "c2", "c1"))
		e2 := mustAddEvent(ctx, t, s, event("b", "c1", "c1")) // a consumer named twice is queued once
		e3 := mustAddEvent(ctx, t, s, event("a"))             // nobody consumes it
		e4 := mustAddEvent(ctx, t, s, event("a", "c2", "c1"))
		evs := byID(e1, e2, e3, e4)
		// Two consumers each get the event; each queue is oldest first, and the whole queue
		// is by event, then by consumer.
		wantQueue(ctx, t, s, "c1", evs, qe("c1", e1), qe("c1", e2), qe("c1", e4))
		wantQueue(ctx, t, s, "c2", evs, qe("c2", e1), qe("c2", e4))
		wantQueue(ctx, t, s, "", evs, qe("c1", e1), qe("c2", e1), qe("c1", e2), qe("c1", e4), qe("c2", e4))
		wantQueue(ctx, t, s, "C1", evs)
		// Consumers are not read back.
		for _, ev := range listEvents(ctx, t, s, store.ListEventsParams{}) {
			if ev.Consumers != nil {
				t.Fatalf("event %d came back with consumers %q", ev.ID, ev.Consumers)
			}
		}
	})

	t.Run("TriggerConsumesExactlyTheGivenIDs", func(t *testing.T) {
		ctx, s := setup(t)
		e1 := mustAddEvent(ctx, t, s, event("a", "c", "other"))
		e2 := mustAddEvent(ctx, t, s, event("b", "c"))
		evs := byID(e1, e2)
		// The scheduler reads c's queue and decides on a run...
		wantQueue(ctx, t, s, "c", evs, qe("c", e1), qe("c", e2))
		// ...while another event arrives: the run does not consume it.
		e3 := mustAddEvent(ctx, t, s, event("a", "c"))
		evs[e3.ID] = e3

		run := fullRun("c", "dataset__1", t0)
		run.RunType, run.State = "dataset", store.RunQueued
		run.TriggerEvents = mustJSON(t, []*store.DatasetEvent{e1, e2})
		tis := []*store.TaskInstance{fullTI("c", "dataset__1", "t", -1)}
		// An ID not queued for c, and one of no event, are ignored.
		if err := s.TriggerFromQueue(ctx, run, tis, []int64{e1.ID, e2.ID, 1 << 40}); err != nil {
			t.Fatalf("TriggerFromQueue: %v", err)
		}
		got, err := s.GetRun(ctx, "c", "dataset__1")
		if err != nil {
			t.Fatalf("GetRun: %v", err)
		}
		checkRun(t, got, run)
		list, err := s.ListTaskInstances(ctx, store.ListTIParams{DAGID: "c", RunID: "dataset__1"})
		if err != nil {
			t.Fatalf("ListTaskInstances: %v", err)
		}
		checkTIs(t, list, tis)
		wantQueue(ctx, t, s, "c", evs, qe("c", e3))
		// Another consumer's queue is its own.
		wantQueue(ctx, t, s, "other", evs, qe("other", e1))

		// An event arriving while the run is still queued waits for the next run.
		e4 := mustAddEvent(ctx, t, s, event("b", "c"))
		evs[e4.ID] = e4
		wantQueue(ctx, t, s, "c", evs, qe("c", e3), qe("c", e4))
		// The events themselves stay, consumed or not.
		if all := listEvents(ctx, t, s, store.ListEventsParams{}); len(all) != 4 {
			t.Fatalf("ListDatasetEvents = %v, want 4 events", eventIDs(all))
		}

		// A run with no events (say, triggered by hand through the same path) consumes none.
		if err := s.TriggerFromQueue(ctx, minimalRun("c", "dataset__2", store.RunQueued), nil, nil); err != nil {
			t.Fatalf("TriggerFromQueue without events: %v", err)
		}
		wantQueue(ctx, t, s, "c", evs, qe("c", e3), qe("c", e4))
	})

	t.Run("RetryAfterCrash", func(t *testing.T) {
		ctx, s := setup(t)
		e1 := mustAddEvent(ctx, t, s, event("a", "c", "other"))
		e2 := mustAddEvent(ctx, t, s, event("a", "c"))
		e3 := mustAddEvent(ctx, t, s, event("a", "c"))
		evs := byID(e1, e2, e3)
		// A scheduler created the run, then died before the events left the queue.
		run := fullRun("c", "dataset__1", t0)
		run.RunType = "dataset"
		first := fullTI("c", "dataset__1", "t", -1)
		mustCreateRun(ctx, t, s, run, first)

		// Its successor retries: the run stands as it was, and the events leave the queue.
		retry := minimalRun("c", "dataset__1", store.RunQueued)
		err := s.TriggerFromQueue(ctx, retry, []*store.TaskInstance{ti("c", "dataset__1", "other", -1, store.TINone)}, []int64{e1.ID, e2.ID})
		wantErrIs(t, "TriggerFromQueue of an existing run", err, store.ErrAlreadyExists)
		got, err := s.GetRun(ctx, "c", "dataset__1")
		if err != nil {
			t.Fatalf("GetRun: %v", err)
		}
		checkRun(t, got, run)
		list, err := s.ListTaskInstances(ctx, store.ListTIParams{DAGID: "c", RunID: "dataset__1"})
		if err != nil {
			t.Fatalf("ListTaskInstances: %v", err)
		}
		checkTIs(t, list, []*store.TaskInstance{first})
		wantQueue(ctx, t, s, "c", evs, qe("c", e3))
		wantQueue(ctx, t, s, "other", evs, qe("other", e1))

		// Retrying again is as harmless.
		err = s.TriggerFromQueue(ctx, retry, nil, []int64{e1.ID, e2.ID})
		wantErrIs(t, "TriggerFromQueue of an existing run, again", err, store.ErrAlreadyExists)
		wantQueue(ctx, t, s, "c", evs, qe("c", e3))
	})

	t.Run("DuplicateTIConsumesNothing", func(t *testing.T) {
		ctx, s := setup(t)
		e1 := mustAddEvent(ctx, t, s, event("a", "c"))
		err := s.TriggerFromQueue(ctx, minimalRun("c", "r", store.RunQueued), []*store.TaskInstance{
			ti("c", "r", "t", -1, store.TINone), ti("c", "r", "t", -1, store.TINone),
		}, []int64{e1.ID})
		wantErrIs(t, "TriggerFromQueue with a duplicate task instance", err, store.ErrAlreadyExists)
		_, err = s.GetRun(ctx, "c", "r")
		wantErrIs(t, "run of the rejected TriggerFromQueue", err, store.ErrNotFound)
		wantQueue(ctx, t, s, "c", byID(e1), qe("c", e1))
	})

	t.Run("Invalid", func(t *testing.T) {
		ctx, s := setup(t)
		e1 := mustAddEvent(ctx, t, s, event("a", "c"))
		for _, c := range []struct {
			run *store.DAGRun
			tis []*store.TaskInstance
		}{
			{minimalRun("c", "", store.RunQueued), nil},
			{minimalRun("c", "r", store.RunQueued), []*store.TaskInstance{ti("c", "other", "t", -1, store.TINone)}},
		} {
			if err := s.TriggerFromQueue(ctx, c.run, c.tis, []int64{e1.ID}); err == nil {
				t.Errorf("TriggerFromQueue(%s/%s) succeeded, want an error", c.run.DAGID, c.run.RunID)
			}
		}
		wantQueue(ctx, t, s, "c", byID(e1), qe("c", e1))
	})
}

func testApplyDatasetEvents(t *testing.T, setup setupFunc) {
	t.Run("WithTaskSuccess", func(t *testing.T) {
		ctx, s := setup(t)
		x := ti("p", "r", "write", -1, store.TIRunning)
		mustCreateRun(ctx, t, s, minimalRun("p", "r", store.RunRunning), x)
		before := mustAddEvent(ctx, t, s, event("a", "c"))

		done := *x
		done.State = store.TISuccess
		e1, e2 := event("a", "c", "d"), event("b")
		e2.Timestamp = time.Time{} // gets the time it is recorded
		mustApply(ctx, t, s, &store.Batch{
			TIs:           []*store.TaskInstance{&done},
			Tries:         []*store.TaskTry{fullTry("p", "r", "write", -1, 1)},
			DatasetEvents: []*store.DatasetEvent{e1, e2},
		})
		if e1.ID <= before.ID || e2.ID <= e1.ID {
			t.Fatalf("Apply set IDs %d, %d after %d; want them larger, in batch order", e1.ID, e2.ID, before.ID)
		}
		if e2.Timestamp.IsZero() {
			t.Fatal("an event applied without a timestamp did not get one")
		}
		checkEvents(t, listEvents(ctx, t, s, store.ListEventsParams{}), []*store.DatasetEvent{e2, e1, before})
		evs := byID(before, e1, e2)
		wantQueue(ctx, t, s, "", evs, qe("c", before), qe("c", e1), qe("d", e1))
		got, err := s.GetTaskInstance(ctx, "p", "r", "write", -1)
		if err != nil || got.State != store.TISuccess {
			t.Fatalf("GetTaskInstance = %+v, %v; want it successful", got, err)
		}
		ds, err := s.ListDatasets(ctx)
		if err != nil || len(ds) != 2 {
			t.Fatalf("ListDatasets = %+v, %v; want a and b", ds, err)
		}
	})

	t.Run("OnlyEvents", func(t *testing.T) {
		ctx, s := setup(t)
		ev := event("a", "c")
		mustApply(ctx, t, s, &store.Batch{DatasetEvents: []*store.DatasetEvent{ev}})
		checkEvents(t, listEvents(ctx, t, s, store.ListEventsParams{}), []*store.DatasetEvent{ev})
		wantQueue(ctx, t, s, "c", byID(ev), qe("c", ev))
	})

	t.Run("FailingBatchRecordsNoEvent", func(t *testing.T) {
		ctx, s := setup(t)
		x := ti("p", "r", "write", -1, store.TIRunning)
		mustCreateRun(ctx, t, s, minimalRun("p", "r", store.RunRunning), x)
		done := *x
		done.State = store.TISuccess
		ev := event("a", "c")
		err := s.Apply(ctx, &store.Batch{
			TIs:           []*store.TaskInstance{&done, ti("p", "missing", "t", -1, store.TINone)}, // fails: no such run
			DatasetEvents: []*store.DatasetEvent{ev},
		})
		wantErrIs(t, "Apply of a task instance of a missing run", err, store.ErrNotFound)
		if ev.ID != 0 {
			t.Errorf("an event of a failed batch has ID %d, want 0", ev.ID)
		}
		if evs := listEvents(ctx, t, s, store.ListEventsParams{}); len(evs) != 0 {
			t.Fatalf("ListDatasetEvents = %v after a failed batch, want none", eventIDs(evs))
		}
		if ds, err := s.ListDatasets(ctx); err != nil || len(ds) != 0 {
			t.Fatalf("ListDatasets = %+v, %v after a failed batch, want none", ds, err)
		}
		wantQueue(ctx, t, s, "", nil)
		if got, err := s.GetTaskInstance(ctx, "p", "r", "write", -1); err != nil || got.State != store.TIRunning {
			t.Fatalf("GetTaskInstance = %+v, %v; want it running still", got, err)
		}
	})

	t.Run("InvalidEventFailsBatch", func(t *testing.T) {
		ctx, s := setup(t)
		x := ti("p", "r", "write", -1, store.TIRunning)
		mustCreateRun(ctx, t, s, minimalRun("p", "r", store.RunRunning), x)
		done := *x
		done.State = store.TISuccess
		good := event("a", "c")
		err := s.Apply(ctx, &store.Batch{TIs: []*store.TaskInstance{&done}, DatasetEvents: []*store.DatasetEvent{good, {Timestamp: at(0)}}})
		if err == nil {
			t.Fatal("Apply with an event without URI succeeded, want an error")
		}
		if got, err := s.GetTaskInstance(ctx, "p", "r", "write", -1); err != nil || got.State != store.TIRunning {
			t.Fatalf("GetTaskInstance = %+v, %v; want it running still", got, err)
		}
		if evs := listEvents(ctx, t, s, store.ListEventsParams{}); len(evs) != 0 || good.ID != 0 {
			t.Fatalf("ListDatasetEvents = %v after a failed batch (ID %d), want none", eventIDs(evs), good.ID)
		}
	})
}

// mustJSON encodes v and fails the test on error.
func mustJSON(t *testing.T, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
