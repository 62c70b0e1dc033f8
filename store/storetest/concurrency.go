package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weirhq/weir/store"
)

func testConcurrency(t *testing.T, setup setupFunc) {
	t.Run("Apply", func(t *testing.T) {
		ctx, s := setup(t)
		const writers, batches = 8, 15
		mustCreateRun(ctx, t, s, minimalRun("d", "r", store.RunRunning))

		// Readers read while the writers write: each of them a fixed number of times, started
		// together with the writers.
		var readers sync.WaitGroup
		for range 2 {
			readers.Go(func() {
				for range 20 {
					if _, err := s.ListTaskInstances(ctx, store.ListTIParams{DAGID: "d", RunID: "r"}); err != nil {
						t.Errorf("ListTaskInstances: %v", err)
						return
					}
					if _, err := s.GetRun(ctx, "d", "r"); err != nil {
						t.Errorf("GetRun: %v", err)
						return
					}
				}
			})
		}

		// Each writer creates its own task instances, runs them to success with a try each,
		// and touches the shared run's heartbeat in every batch.
		var writersWG sync.WaitGroup
		for w := range writers {
			writersWG.Go(func() {
				task := fmt.Sprintf("w%d", w)
				for i := range batches {
					run := minimalRun("d", "r", store.RunRunning)
					run.HeartbeatAt = at(time.Duration(w*batches+i) * time.Second)
					x := ti("d", "r", task, i, store.TIRunning)
					x.TryNumber = 1
					if err := s.Apply(ctx, &store.Batch{Runs: []*store.DAGRun{run}, TIs: []*store.TaskInstance{x}}); err != nil {
						t.Errorf("Apply: %v", err)
						return
					}
					fin := *x
					fin.State = store.TISuccess
					try := &store.TaskTry{DAGID: "d", RunID: "r", TaskID: task, MapIndex: i, TryNumber: 1, State: store.TISuccess}
					if err := s.Apply(ctx, &store.Batch{TIs: []*store.TaskInstance{&fin}, Tries: []*store.TaskTry{try}}); err != nil {
						t.Errorf("Apply: %v", err)
						return
					}
				}
			})
		}
		writersWG.Wait()
		readers.Wait()
		if t.Failed() {
			return
		}

		tis, err := s.ListTaskInstances(ctx, store.ListTIParams{DAGID: "d", RunID: "r"})
		if err != nil {
			t.Fatalf("ListTaskInstances: %v", err)
		}
		if len(tis) != writers*batches {
			t.Fatalf("%d task instances, want %d", len(tis), writers*batches)
		}
		for _, x := range tis {
			if x.State != store.TISuccess {
				t.Fatalf("%s[%d] is %s, want success", x.TaskID, x.MapIndex, x.State)
			}
			tries, err := s.ListTries(ctx, "d", "r", x.TaskID, x.MapIndex)
			if err != nil || len(tries) != 1 {
				t.Fatalf("ListTries(%s[%d]) = %d tries, %v; want 1", x.TaskID, x.MapIndex, len(tries), err)
			}
		}
	})

	t.Run("CreateRunRace", func(t *testing.T) {
		ctx, s := setup(t)
		const racers = 8
		var created, exists atomic.Int64
		var wg sync.WaitGroup
		for g := range racers {
			wg.Go(func() {
				tis := []*store.TaskInstance{ti("d", "r", fmt.Sprintf("by-%d", g), -1, store.TINone)}
				err := s.CreateRun(ctx, minimalRun("d", "r", store.RunQueued), tis)
				switch {
				case err == nil:
					created.Add(1)
				case errors.Is(err, store.ErrAlreadyExists):
					exists.Add(1)
				default:
					t.Errorf("CreateRun: %v", err)
				}
			})
		}
		wg.Wait()
		if created.Load() != 1 || exists.Load() != racers-1 {
			t.Fatalf("%d CreateRun succeeded and %d found the run, want 1 and %d", created.Load(), exists.Load(), racers-1)
		}
		tis, err := s.ListTaskInstances(ctx, store.ListTIParams{DAGID: "d", RunID: "r"})
		if err != nil || len(tis) != 1 {
			t.Fatalf("ListTaskInstances = %v, %v; want the winner's one instance", tiKeys(tis), err)
		}
	})

	t.Run("Pools", func(t *testing.T) {
		ctx, s := setup(t)
		const n = 8
		var wg sync.WaitGroup
		for g := range n {
			wg.Go(func() {
				name := fmt.Sprintf("p%d", g)
				for i := range 10 {
					if err := s.UpsertPool(ctx, &store.Pool{Name: name, Slots: i}); err != nil {
						t.Errorf("UpsertPool: %v", err)
						return
					}
				}
			})
		}
		wg.Wait()
		pools, err := s.ListPools(ctx)
		if err != nil || len(pools) != n+1 {
			t.Fatalf("ListPools = %d pools, %v; want %d", len(pools), err, n+1)
		}
		for _, p := range pools {
			if p.Name != store.DefaultPool && p.Slots != 9 {
				t.Errorf("pool %s has %d slots, want 9", p.Name, p.Slots)
			}
		}
	})
}

// testDatasetConcurrency records events from several goroutines while a scheduler consumes
// one consumer's queue: every event gets its own ID, each goroutine's IDs increase, and
// every event is consumed by exactly one run.
func testDatasetConcurrency(t *testing.T, setup setupFunc) {
	t.Run("AddDatasetEvent", func(t *testing.T) {
		ctx, s := setup(t)
		const producers, events = 6, 20
		added := make(chan struct{}, 1) // an event was added since the scheduler last looked
		done := make(chan struct{})     // every producer finished

		// The scheduler: on each signal, triggers one run with what c1's queue holds.
		var runs atomic.Int64
		consume := func() bool {
			q, err := s.ListQueuedEvents(ctx, "c1")
			if err != nil {
				t.Errorf("ListQueuedEvents: %v", err)
				return false
			}
			if len(q) == 0 {
				return true
			}
			ids := make([]int64, len(q))
			for i, e := range q {
				ids[i] = e.Event.ID
			}
			run := minimalRun("c1", fmt.Sprintf("dataset__%d", runs.Add(1)), store.RunQueued)
			run.TriggerEvents = mustJSON(t, ids)
			if err := s.TriggerFromQueue(ctx, run, []*store.TaskInstance{ti("c1", run.RunID, "t", -1, store.TINone)}, ids); err != nil {
				t.Errorf("TriggerFromQueue: %v", err)
				return false
			}
			return true
		}
		var scheduler sync.WaitGroup
		scheduler.Go(func() {
			for {
				select {
				case <-added:
					if !consume() {
						return
					}
				case <-done:
					consume()
					return
				}
			}
		})

		var producersWG sync.WaitGroup
		ids := make([][]int64, producers)
		for p := range producers {
			producersWG.Go(func() {
				for i := range events {
					ev := &store.DatasetEvent{
						URI: fmt.Sprintf("ds-%d", i%2), SourceDAGID: fmt.Sprintf("p%d", p), SourceMapIndex: i,
						Timestamp: at(time.Duration(i) * time.Second), Consumers: []string{"c1", "c2"},
					}
					if err := s.AddDatasetEvent(ctx, ev); err != nil {
						t.Errorf("AddDatasetEvent: %v", err)
						return
					}
					ids[p] = append(ids[p], ev.ID)
					select {
					case added <- struct{}{}:
					default:
					}
				}
			})
		}
		producersWG.Wait()
		close(done)
		scheduler.Wait()
		if t.Failed() {
			return
		}

		all := make(map[int64]bool)
		for p, l := range ids {
			for i, id := range l {
				if i > 0 && id <= l[i-1] {
					t.Fatalf("producer %d got ID %d after %d", p, id, l[i-1])
				}
				if all[id] {
					t.Fatalf("ID %d given twice", id)
				}
				all[id] = true
			}
		}
		if len(all) != producers*events {
			t.Fatalf("%d IDs, want %d", len(all), producers*events)
		}
		evs, err := s.ListDatasetEvents(ctx, store.ListEventsParams{Limit: 2 * producers * events})
		if err != nil || len(evs) != producers*events {
			t.Fatalf("ListDatasetEvents = %d events, %v; want %d", len(evs), err, producers*events)
		}
		if ds, err := s.ListDatasets(ctx); err != nil || len(ds) != 2 {
			t.Fatalf("ListDatasets = %+v, %v; want ds-0 and ds-1", ds, err)
		}
		// c1's events are each in exactly one run, and its queue is empty; c2's holds all.
		if q, err := s.ListQueuedEvents(ctx, "c1"); err != nil || len(q) != 0 {
			t.Fatalf("queue of c1 = %d events, %v; want none", len(q), err)
		}
		if q, err := s.ListQueuedEvents(ctx, "c2"); err != nil || len(q) != producers*events {
			t.Fatalf("queue of c2 = %d events, %v; want %d", len(q), err, producers*events)
		}
		triggered, err := s.ListRuns(ctx, store.ListRunsParams{DAGID: "c1", Limit: producers * events})
		if err != nil || int64(len(triggered)) != runs.Load() {
			t.Fatalf("ListRuns = %d runs, %v; want %d", len(triggered), err, runs.Load())
		}
		consumed := make(map[int64]string)
		for _, r := range triggered {
			var l []int64
			if err := json.Unmarshal(r.TriggerEvents, &l); err != nil {
				t.Fatalf("run %s: trigger events %s: %v", r.RunID, r.TriggerEvents, err)
			}
			for _, id := range l {
				if prev, dup := consumed[id]; dup {
					t.Fatalf("event %d consumed by runs %s and %s", id, prev, r.RunID)
				}
				consumed[id] = r.RunID
			}
		}
		if len(consumed) != producers*events {
			t.Fatalf("%d events consumed, want %d", len(consumed), producers*events)
		}
	})
}

// testPersistence writes through one store, closes it, and checks the data through the
// next store on the same database; twice, so that the second store's writes persist too.
func testPersistence(t *testing.T, open Opener) {
	ctx := t.Context()
	openStore := func() (store.Store, func()) {
		s := open(t)
		var once sync.Once
		closeStore := func() {
			once.Do(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
		}
		t.Cleanup(closeStore)
		return s, closeStore
	}
	check := func(s store.Store, run *store.DAGRun, tis []*store.TaskInstance, try *store.TaskTry, pool *store.Pool) {
		t.Helper()
		got, err := s.GetRun(ctx, run.DAGID, run.RunID)
		if err != nil {
			t.Fatalf("GetRun after reopening: %v", err)
		}
		checkRun(t, got, run)
		list, err := s.ListTaskInstances(ctx, store.ListTIParams{DAGID: run.DAGID, RunID: run.RunID})
		if err != nil {
			t.Fatalf("ListTaskInstances after reopening: %v", err)
		}
		checkTIs(t, list, tis)
		tries, err := s.ListTries(ctx, try.DAGID, try.RunID, try.TaskID, try.MapIndex)
		if err != nil || len(tries) != 1 {
			t.Fatalf("ListTries after reopening = %d tries, %v; want 1", len(tries), err)
		}
		checkTry(t, tries[0], try)
		p, err := s.GetPool(ctx, pool.Name)
		if err != nil {
			t.Fatalf("GetPool after reopening: %v", err)
		}
		checkStruct(t, "pool", p, pool)
	}

	s1, close1 := openStore()
	run := fullRun("d", "r1", t0)
	tis := []*store.TaskInstance{fullTI("d", "r1", "a", -1), fullTI("d", "r1", "b", 0), fullTI("d", "r1", "b", 1)}
	mustCreateRun(ctx, t, s1, run, tis...)
	run.State, run.EndedAt = store.RunSuccess, at(time.Hour)
	tis[0].State = store.TISuccess
	try := fullTry("d", "r1", "a", -1, 1)
	mustApply(ctx, t, s1, &store.Batch{Runs: []*store.DAGRun{run}, TIs: tis[:1], Tries: []*store.TaskTry{try}})
	pool := &store.Pool{Name: store.DefaultPool, Slots: 7, Description: "changed"}
	if err := s1.UpsertPool(ctx, pool); err != nil {
		t.Fatalf("UpsertPool: %v", err)
	}
	dagMeta := fullDAG("d")
	mustUpsertDAG(ctx, t, s1, dagMeta)
	importErr := &store.ImportError{File: "dags/bad.yaml", Message: "dags/bad.yaml:1:1: bad", At: t0}
	if err := s1.ReplaceImportErrors(ctx, []*store.ImportError{importErr}); err != nil {
		t.Fatalf("ReplaceImportErrors: %v", err)
	}
	ev1 := mustAddEvent(ctx, t, s1, event("s3://b/k", "c"))
	close1()

	s2, close2 := openStore()
	check(s2, run, tis, try, pool)
	checkDAG(t, getDAG(ctx, t, s2, "d"), dagMeta)
	if errs, err := s2.ListImportErrors(ctx); err != nil || len(errs) != 1 {
		t.Fatalf("ListImportErrors after reopening = %d errors, %v; want 1", len(errs), err)
	} else {
		checkStruct(t, "import error", errs[0], importErr)
	}
	wantQueue(ctx, t, s2, "c", byID(ev1), qe("c", ev1))
	// IDs keep increasing across reopening.
	ev2 := mustAddEvent(ctx, t, s2, event("s3://b/k", "c"))
	if ev2.ID <= ev1.ID {
		t.Fatalf("event after reopening got ID %d, want more than %d", ev2.ID, ev1.ID)
	}
	run2 := minimalRun("d", "r2", store.RunQueued)
	tis2 := []*store.TaskInstance{ti("d", "r2", "a", -1, store.TINone)}
	try2 := fullTry("d", "r2", "a", -1, 1)
	mustCreateRun(ctx, t, s2, run2, tis2...)
	mustApply(ctx, t, s2, &store.Batch{Tries: []*store.TaskTry{try2}})
	pool2 := &store.Pool{Name: "gpu", Slots: 1}
	if err := s2.UpsertPool(ctx, pool2); err != nil {
		t.Fatalf("UpsertPool: %v", err)
	}
	close2()

	s3, _ := openStore()
	check(s3, run, tis, try, pool)
	check(s3, run2, tis2, try2, pool2)
	checkEvents(t, listEvents(ctx, t, s3, store.ListEventsParams{}), []*store.DatasetEvent{ev2, ev1})
	runs, err := s3.ListRuns(ctx, store.ListRunsParams{})
	if err != nil || len(runs) != 2 {
		t.Fatalf("ListRuns after reopening = %v, %v; want 2 runs", runKeys(runs), err)
	}
}
