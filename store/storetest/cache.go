package storetest

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/weirhq/weir/store"
)

// cacheEntry returns an entry of dagID/taskID produced by run r.
func cacheEntry(key, dagID, taskID, runID string, created time.Time) *store.CacheEntry {
	return &store.CacheEntry{Key: key, DAGID: dagID, TaskID: taskID, RunID: runID, MapIndex: -1,
		Output:        json.RawMessage(`{"rows": 3, "datasets": {"train": {"uri": "file:///a", "hash": "sha256:ab"}}}`),
		TrackingRunID: "tr-" + runID, Inputs: json.RawMessage(`{"files": {"in.csv": "sha256:cd"}}`), CreatedAt: created}
}

func testCache(t *testing.T, setup setupFunc) {
	t.Run("RecordedWithTheSuccessInOneBatch", func(t *testing.T) {
		ctx, s := setup(t)
		if _, err := s.GetCacheEntry(ctx, "sha256:00"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("GetCacheEntry of a missing key: %v, want ErrNotFound", err)
		}
		mustCreateRun(ctx, t, s, minimalRun("d", "r", store.RunRunning), ti("d", "r", "train", -1, store.TIRunning))
		l := mustAcquire(ctx, t, s, "a", t0, 0)
		done := ti("d", "r", "train", -1, store.TISuccess)
		done.CacheKey = "sha256:01"
		want := cacheEntry("sha256:01", "d", "train", "r", at(time.Second))
		mustApply(ctx, t, s, &store.Batch{
			Guards:       []store.RunGuard{{DAGID: "d", RunID: "r", Epoch: l.Epoch}},
			TIGuards:     []store.TIGuard{{TIKey: store.TIKey{DAGID: "d", RunID: "r", TaskID: "train", MapIndex: -1}, State: store.TIRunning}},
			TIs:          []*store.TaskInstance{done},
			CacheEntries: []*store.CacheEntry{want},
		})
		got, err := s.GetCacheEntry(ctx, "sha256:01")
		if err != nil {
			t.Fatalf("GetCacheEntry: %v", err)
		}
		want.CreatedAt = storedTime(want.CreatedAt)
		checkStruct(t, "cache entry", got, want)
		if x := getTI(ctx, t, s, "train", -1); x.CacheKey != "sha256:01" || x.CachedFrom != "" {
			t.Fatalf("task instance cache fields %q, %q; want sha256:01 and none", x.CacheKey, x.CachedFrom)
		}
		// The same key again replaces the entry (a re-run with --no-cache records anew).
		again := cacheEntry("sha256:01", "d", "train", "r2", at(time.Minute))
		again.Output = nil
		mustApply(ctx, t, s, &store.Batch{CacheEntries: []*store.CacheEntry{again}})
		if got, err = s.GetCacheEntry(ctx, "sha256:01"); err != nil || got.RunID != "r2" || got.Output != nil {
			t.Fatalf("GetCacheEntry after a replacement: %+v, %v; want run r2 without output", got, err)
		}
	})
	t.Run("FailedGuardWritesNoEntry", func(t *testing.T) {
		ctx, s := setup(t)
		mustCreateRun(ctx, t, s, minimalRun("d", "r", store.RunRunning), ti("d", "r", "train", -1, store.TIRunning))
		l := mustAcquire(ctx, t, s, "a", t0, 0)
		err := s.Apply(ctx, &store.Batch{
			Guards:       []store.RunGuard{{DAGID: "d", RunID: "r", Epoch: l.Epoch + 1}},
			TIs:          []*store.TaskInstance{ti("d", "r", "train", -1, store.TISuccess)},
			CacheEntries: []*store.CacheEntry{cacheEntry("sha256:02", "d", "train", "r", t0)},
		})
		wantGuard(t, "Apply with a stale epoch", err, store.ErrLeaseLost, "")
		if _, err := s.GetCacheEntry(ctx, "sha256:02"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("GetCacheEntry after a refused batch: %v, want ErrNotFound", err)
		}
	})
	t.Run("InvalidEntryRefused", func(t *testing.T) {
		ctx, s := setup(t)
		mustCreateRun(ctx, t, s, minimalRun("d", "r", store.RunRunning))
		for _, c := range []*store.CacheEntry{
			cacheEntry("md5:03", "d", "train", "r", t0),
			cacheEntry("sha256:03", "d", "", "r", t0),
		} {
			if err := s.Apply(ctx, &store.Batch{CacheEntries: []*store.CacheEntry{c}}); err == nil {
				t.Fatalf("Apply of cache entry %+v: no error, want one", c)
			}
		}
		nothingCached(t, s)
	})
	t.Run("ListAndDelete", func(t *testing.T) {
		ctx, s := setup(t)
		mustApply(ctx, t, s, &store.Batch{CacheEntries: []*store.CacheEntry{
			cacheEntry("sha256:a1", "d1", "x", "r1", at(1*time.Second)),
			cacheEntry("sha256:a2", "d1", "y", "r1", at(2*time.Second)),
			cacheEntry("sha256:a3", "d1", "x", "r2", at(3*time.Second)),
			cacheEntry("sha256:b1", "d2", "x", "r1", at(4*time.Second)),
		}})
		keys := func(f store.CacheFilter) []string {
			t.Helper()
			es, err := s.ListCacheEntries(ctx, f)
			if err != nil {
				t.Fatalf("ListCacheEntries(%+v): %v", f, err)
			}
			var out []string
			for _, e := range es {
				if e.Inputs != nil {
					t.Fatalf("ListCacheEntries returned Inputs %s, want nil", e.Inputs)
				}
				if e.TrackingRunID != "tr-"+e.RunID || len(e.Output) == 0 {
					t.Fatalf("listed entry %+v lost its fields", e)
				}
				out = append(out, e.Key)
			}
			return out
		}
		checkStrings(t, "all entries", keys(store.CacheFilter{}), "sha256:b1", "sha256:a3", "sha256:a2", "sha256:a1")
		checkStrings(t, "entries of d1", keys(store.CacheFilter{DAGID: "d1"}), "sha256:a3", "sha256:a2", "sha256:a1")
		checkStrings(t, "entries of task x", keys(store.CacheFilter{TaskID: "x"}), "sha256:b1", "sha256:a3", "sha256:a1")
		checkStrings(t, "entries of d1.x", keys(store.CacheFilter{DAGID: "d1", TaskID: "x"}), "sha256:a3", "sha256:a1")
		checkStrings(t, "newest entry", keys(store.CacheFilter{Limit: 1}), "sha256:b1")

		n, err := s.DeleteCacheEntries(ctx, store.CacheFilter{DAGID: "d1", TaskID: "x"})
		if err != nil || n != 2 {
			t.Fatalf("DeleteCacheEntries(d1, x) = %d, %v; want 2", n, err)
		}
		checkStrings(t, "after deleting d1.x", keys(store.CacheFilter{}), "sha256:b1", "sha256:a2")
		if n, err = s.DeleteCacheEntries(ctx, store.CacheFilter{DAGID: "nope"}); err != nil || n != 0 {
			t.Fatalf("DeleteCacheEntries(nope) = %d, %v; want 0", n, err)
		}
		if n, err = s.DeleteCacheEntries(ctx, store.CacheFilter{}); err != nil || n != 2 {
			t.Fatalf("DeleteCacheEntries(all) = %d, %v; want 2", n, err)
		}
		nothingCached(t, s)
	})
}

// nothingCached fails the test unless the store holds no cache entry.
func nothingCached(t *testing.T, s store.Store) {
	t.Helper()
	es, err := s.ListCacheEntries(t.Context(), store.CacheFilter{})
	if err != nil || len(es) != 0 {
		t.Fatalf("ListCacheEntries: %d entries, %v; want none", len(es), err)
	}
}

// checkStrings fails the test unless got is want.
func checkStrings(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %q, want %q", what, got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s: %q, want %q", what, got, want)
		}
	}
}
