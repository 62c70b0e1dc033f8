package sqlite

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/weirhq/weir/store"
)

// Benchmarks of the engine's hot paths. Run with:
//
//	go test -run '^$' -bench . -benchmem ./store/sqlite

// benchTIs returns n task instances of run d/r in the state the engine creates them.
func benchTIs(runID string, n int) []*store.TaskInstance {
	tis := make([]*store.TaskInstance, n)
	for i := range tis {
		tis[i] = &store.TaskInstance{
			DAGID: "bench", RunID: runID, TaskID: fmt.Sprintf("task_%05d", i), MapIndex: -1,
			MaxTries: 3, Pool: store.DefaultPool, PoolSlots: 1, PriorityWeight: 1,
		}
	}
	return tis
}

func benchStore(b *testing.B) *Store {
	b.Helper()
	s, err := Open(b.Context(), filepath.Join(b.TempDir(), "weir.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// benchApply measures Apply of batches of n task instance transitions (queued, running,
// success, repeated) on a run of n instances.
func benchApply(b *testing.B, n int) {
	s := benchStore(b)
	ctx := b.Context()
	tis := benchTIs("r", n)
	if err := s.CreateRun(ctx, &store.DAGRun{DAGID: "bench", RunID: "r", State: store.RunRunning}, tis); err != nil {
		b.Fatal(err)
	}
	states := []store.TIState{store.TIQueued, store.TIRunning, store.TISuccess}
	now := time.Now()
	batch := &store.Batch{TIs: tis}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		for _, ti := range tis {
			ti.State = states[i%len(states)]
			ti.StartedAt = now.Add(time.Duration(i) * time.Microsecond)
			ti.Hostname, ti.PID = "bench-host", 4242
			if ti.State == store.TISuccess {
				ti.Output = json.RawMessage(`{"rows":1234}`)
			}
		}
		if err := s.Apply(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "TIs/s")
}

func BenchmarkApply1TI(b *testing.B)     { benchApply(b, 1) }
func BenchmarkApply2TIs(b *testing.B)    { benchApply(b, 2) }
func BenchmarkApply1000TIs(b *testing.B) { benchApply(b, 1000) }

func BenchmarkCreateRun10kTIs(b *testing.B) {
	s := benchStore(b)
	ctx := b.Context()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		runID := fmt.Sprintf("r%d", i)
		tis := benchTIs(runID, 10_000)
		b.StartTimer()
		if err := s.CreateRun(ctx, &store.DAGRun{DAGID: "bench", RunID: runID, State: store.RunQueued}, tis); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkListTaskInstances10k(b *testing.B) {
	s := benchStore(b)
	ctx := b.Context()
	tis := benchTIs("r", 10_000)
	for _, ti := range tis {
		ti.State, ti.Output = store.TISuccess, json.RawMessage(`{"rows":1234}`)
	}
	if err := s.CreateRun(ctx, &store.DAGRun{DAGID: "bench", RunID: "r", State: store.RunRunning}, tis); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		got, err := s.ListTaskInstances(ctx, store.ListTIParams{DAGID: "bench", RunID: "r"})
		if err != nil || len(got) != len(tis) {
			b.Fatalf("ListTaskInstances = %d, %v", len(got), err)
		}
	}
}

func BenchmarkGetTaskInstance(b *testing.B) {
	s := benchStore(b)
	ctx := b.Context()
	if err := s.CreateRun(ctx, &store.DAGRun{DAGID: "bench", RunID: "r", State: store.RunRunning}, benchTIs("r", 100)); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.GetTaskInstance(ctx, "bench", "r", "task_00042", -1); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkApply1TIWithEvent measures a task's success together with the dataset event of
// its outlet, queued for one consumer: what the events add to BenchmarkApply1TI.
func BenchmarkApply1TIWithEvent(b *testing.B) {
	s := benchStore(b)
	ctx := b.Context()
	tis := benchTIs("r", 1)
	if err := s.CreateRun(ctx, &store.DAGRun{DAGID: "bench", RunID: "r", State: store.RunRunning}, tis); err != nil {
		b.Fatal(err)
	}
	tis[0].State = store.TISuccess
	now := time.Now()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		ev := &store.DatasetEvent{
			URI: "s3://bucket/out.parquet", SourceDAGID: "bench", SourceRunID: "r", SourceTaskID: tis[0].TaskID,
			SourceMapIndex: -1, Timestamp: now, Consumers: []string{"consumer"},
		}
		if err := s.Apply(ctx, &store.Batch{TIs: tis, DatasetEvents: []*store.DatasetEvent{ev}}); err != nil {
			b.Fatal(err)
		}
	}
}
