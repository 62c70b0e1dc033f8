package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/weirhq/weir/store"
)

func testDeleteTIs(t *testing.T, setup setupFunc) {
	key := func(x *store.TaskInstance) store.TIKey {
		return store.TIKey{DAGID: x.DAGID, RunID: x.RunID, TaskID: x.TaskID, MapIndex: x.MapIndex}
	}
	// seed creates run d/r with instances a[-1], b[0], b[1] and c[-1], and run d/other with
	// a[-1], each instance with two tries; it returns them in ListTaskInstances' order.
	seed := func(ctx context.Context, t *testing.T, s store.Store) []*store.TaskInstance {
		t.Helper()
		r := []*store.TaskInstance{fullTI("d", "r", "a", -1), fullTI("d", "r", "b", 0), fullTI("d", "r", "b", 1), fullTI("d", "r", "c", -1)}
		other := []*store.TaskInstance{fullTI("d", "other", "a", -1)}
		mustCreateRun(ctx, t, s, fullRun("d", "r", t0), r...)
		mustCreateRun(ctx, t, s, fullRun("d", "other", t0), other...)
		all := append(other, r...)
		var b store.Batch
		for _, x := range all {
			b.Tries = append(b.Tries, fullTry(x.DAGID, x.RunID, x.TaskID, x.MapIndex, 1), fullTry(x.DAGID, x.RunID, x.TaskID, x.MapIndex, 2))
		}
		mustApply(ctx, t, s, &b)
		return all
	}
	// check fails the test unless the task instances of runs d/other and d/r are want, in
	// order, each with the number of tries tries gives (default 2).
	check := func(ctx context.Context, t *testing.T, s store.Store, want []*store.TaskInstance, tries map[store.TIKey]int) {
		t.Helper()
		got, err := s.ListTaskInstances(ctx, store.ListTIParams{DAGID: "d"})
		if err != nil {
			t.Fatalf("ListTaskInstances: %v", err)
		}
		checkTIs(t, got, want)
		for _, x := range want {
			n, ok := tries[key(x)]
			if !ok {
				n = 2
			}
			if got, err := s.ListTries(ctx, x.DAGID, x.RunID, x.TaskID, x.MapIndex); err != nil || len(got) != n {
				t.Fatalf("ListTries(%v) = %d tries, %v; want %d", key(x), len(got), err, n)
			}
		}
	}
	// gone fails the test unless the task instance k and its tries are gone.
	gone := func(ctx context.Context, t *testing.T, s store.Store, k store.TIKey) {
		t.Helper()
		_, err := s.GetTaskInstance(ctx, k.DAGID, k.RunID, k.TaskID, k.MapIndex)
		wantErrIs(t, fmt.Sprintf("GetTaskInstance(%v) of a deleted instance", k), err, store.ErrNotFound)
		if got, err := s.ListTries(ctx, k.DAGID, k.RunID, k.TaskID, k.MapIndex); err != nil || len(got) != 0 {
			t.Fatalf("ListTries(%v) of a deleted instance = %d tries, %v; want none", k, len(got), err)
		}
	}

	t.Run("DeletesInstanceAndTries", func(t *testing.T) {
		ctx, s := setup(t)
		all := seed(ctx, t, s) // other/a[-1], r/a[-1], r/b[0], r/b[1], r/c[-1]
		// A batch of deletes only, one of them twice; the same key in another run stays.
		del := []store.TIKey{key(all[2]), key(all[1]), key(all[2])}
		mustApply(ctx, t, s, &store.Batch{DeleteTIs: del})
		gone(ctx, t, s, key(all[1]))
		gone(ctx, t, s, key(all[2]))
		check(ctx, t, s, []*store.TaskInstance{all[0], all[3], all[4]}, nil)
		if _, err := s.GetRun(ctx, "d", "r"); err != nil {
			t.Fatalf("GetRun after deleting instances of the run: %v", err)
		}
	})

	t.Run("Missing", func(t *testing.T) {
		ctx, s := setup(t)
		all := seed(ctx, t, s)
		mustApply(ctx, t, s, &store.Batch{DeleteTIs: []store.TIKey{
			{DAGID: "d", RunID: "r", TaskID: "missing", MapIndex: -1},
			{DAGID: "d", RunID: "r", TaskID: "b", MapIndex: -1}, // b is mapped: no -1
			{DAGID: "d", RunID: "r", TaskID: "a", MapIndex: 0},
			{DAGID: "d", RunID: "missing", TaskID: "a", MapIndex: -1},
			{DAGID: "missing", RunID: "r", TaskID: "a", MapIndex: -1},
		}})
		check(ctx, t, s, all, nil)
	})

	t.Run("DeleteAndRecreate", func(t *testing.T) {
		ctx, s := setup(t)
		all := seed(ctx, t, s)
		// The same key deleted and upserted in one batch is a new instance: the upsert's
		// fields, none of the old tries, the tries of the batch.
		fresh := ti("d", "r", "a", -1, store.TIScheduled)
		try := fullTry("d", "r", "a", -1, 1)
		mustApply(ctx, t, s, &store.Batch{
			DeleteTIs: []store.TIKey{key(all[1])},
			TIs:       []*store.TaskInstance{fresh},
			Tries:     []*store.TaskTry{try},
		})
		check(ctx, t, s, []*store.TaskInstance{all[0], fresh, all[2], all[3], all[4]}, map[store.TIKey]int{key(fresh): 1})
		tries, err := s.ListTries(ctx, "d", "r", "a", -1)
		if err != nil || len(tries) != 1 {
			t.Fatalf("ListTries = %d tries, %v; want 1", len(tries), err)
		}
		checkTry(t, tries[0], try)
	})

	t.Run("ExpandPlaceholder", func(t *testing.T) {
		ctx, s := setup(t)
		// How a mapped task expands: its placeholder (map index -1) is deleted and its
		// instances are created, with their arguments and display names, in one batch.
		up := ti("d", "r", "list_files", -1, store.TISuccess)
		up.Output = json.RawMessage(`["a.csv","b.csv"]`)
		mustCreateRun(ctx, t, s, minimalRun("d", "r", store.RunRunning), up, ti("d", "r", "process", -1, store.TINone))
		b := &store.Batch{DeleteTIs: []store.TIKey{{DAGID: "d", RunID: "r", TaskID: "process", MapIndex: -1}}}
		for i, f := range []string{"a.csv", "b.csv"} {
			x := ti("d", "r", "process", i, store.TIScheduled)
			x.Args = json.RawMessage(fmt.Sprintf(`{"file":%q,"mode":"fast"}`, f))
			x.RenderedMapIndex = f
			b.TIs = append(b.TIs, x)
		}
		mustApply(ctx, t, s, b)
		got, err := s.ListTaskInstances(ctx, store.ListTIParams{DAGID: "d", RunID: "r"})
		if err != nil {
			t.Fatalf("ListTaskInstances: %v", err)
		}
		checkTIs(t, got, []*store.TaskInstance{up, b.TIs[0], b.TIs[1]})
	})

	t.Run("Atomic", func(t *testing.T) {
		ctx, s := setup(t)
		all := seed(ctx, t, s)
		upd := *all[4]
		upd.State = store.TISuccess
		for _, c := range []struct {
			name string
			b    *store.Batch
		}{
			{"task instance of a missing run", &store.Batch{
				DeleteTIs: []store.TIKey{key(all[1]), key(all[2])},
				Runs:      []*store.DAGRun{minimalRun("d", "r", store.RunFailed)},
				TIs:       []*store.TaskInstance{&upd, ti("d", "missing", "t", -1, store.TINone)},
			}},
			// Deletes come first: a try of an instance the batch deleted has no parent.
			{"try of an instance the batch deleted", &store.Batch{
				DeleteTIs: []store.TIKey{key(all[1]), key(all[2])},
				TIs:       []*store.TaskInstance{&upd},
				Tries:     []*store.TaskTry{fullTry("d", "r", "a", -1, 3)},
			}},
		} {
			err := s.Apply(ctx, c.b)
			wantErrIs(t, "Apply of a batch with a "+c.name, err, store.ErrNotFound)
			check(ctx, t, s, all, nil)
			run, err := s.GetRun(ctx, "d", "r")
			if err != nil {
				t.Fatalf("GetRun: %v", err)
			}
			checkRun(t, run, fullRun("d", "r", t0))
		}
	})
}
