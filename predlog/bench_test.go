package predlog

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/weirhq/weir/store"
)

// BenchmarkRecord measures Record from parallel callers, with the flusher committing to
// a real SQLite file behind them: ns/op is the cost the serving path pays per prediction.
// dropped/op says how many were dropped because the flusher fell behind.
func BenchmarkRecord(b *testing.B) {
	s := openStore(b)
	w, err := New(Config{Store: s})
	if err != nil {
		b.Fatal(err)
	}
	if err := w.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	p := pred("bench", 0)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			p.ID = "" // a fresh ID per prediction, as serving makes
			w.Record(p)
		}
	})
	b.StopTimer()
	w.Stop()
	st := w.Stats()
	b.ReportMetric(float64(st.Dropped)/float64(b.N), "dropped/op")
}

// BenchmarkRecordAccepted measures Record's accepting path alone (sampling, ID, queue
// send), from one caller: the queue is emptied, off the timer, whenever it fills.
func BenchmarkRecordAccepted(b *testing.B) {
	w, err := New(Config{Store: openStore(b), QueueSize: 1 << 14})
	if err != nil {
		b.Fatal(err)
	}
	p := pred("bench", 0)
	b.ReportAllocs()
	for b.Loop() {
		if len(w.queue) == cap(w.queue) {
			b.StopTimer()
			for len(w.queue) > 0 {
				<-w.queue
			}
			b.StartTimer()
		}
		p.ID = ""
		w.Record(p)
	}
	if d := w.Stats().Dropped; d != 0 {
		b.Fatalf("%d predictions dropped, want none", d)
	}
}

// BenchmarkFlush measures the flush path: committing batches of DefaultBatchSize
// predictions (small JSON inputs and outputs) to a real SQLite file, in rows per second.
func BenchmarkFlush(b *testing.B) {
	s := openStore(b)
	batch := make([]*store.Prediction, DefaultBatchSize)
	now := time.Now()
	n := 0
	b.ResetTimer()
	for b.Loop() {
		for i := range batch {
			p := pred("bench", n)
			p.ID = fmt.Sprintf("p%09d", n)
			p.Time = now
			batch[i] = toStore(&p)
			n++
		}
		if err := s.InsertPredictions(context.Background(), batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkRecordError measures RecordError from parallel callers (the failure path of
// serving: a Prometheus counter and one short lock), with the flusher writing the counts
// to a real SQLite file behind them.
func BenchmarkRecordError(b *testing.B) {
	w, err := New(Config{Store: openStore(b)})
	if err != nil {
		b.Fatal(err)
	}
	if err := w.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	e := FailedRequest{Endpoint: "bench", ModelName: "iris", ModelVersion: "3", Status: 400, Message: "column \"x\": missing"}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w.RecordError(e)
		}
	})
	b.StopTimer()
	w.Stop()
}
