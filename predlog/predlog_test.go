package predlog

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/store/sqlite"
)

// openStore opens a store on a fresh SQLite file, closed when the test ends.
func openStore(t testing.TB) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "weir.db"), nil)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// notifyStore passes batches to a real store, then reports each batch's size on done;
// when gate is not nil, each batch first waits for gate to close, and entered (buffered)
// reports that one arrived.
type notifyStore struct {
	*sqlite.Store
	done    chan int
	gate    chan struct{}
	entered chan struct{}
}

func (s *notifyStore) InsertPredictions(ctx context.Context, ps []*store.Prediction) error {
	if s.gate != nil {
		select {
		case s.entered <- struct{}{}:
		default:
		}
		<-s.gate
	}
	err := s.Store.InsertPredictions(ctx, ps)
	if s.done != nil && err == nil {
		s.done <- len(ps)
	}
	return err
}

func setup(t *testing.T, cfg Config) (*Writer, *sqlite.Store) {
	t.Helper()
	s := openStore(t)
	if cfg.Store == nil {
		cfg.Store = s
	}
	w, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(w.Stop)
	return w, s
}

func pred(endpoint string, i int) Prediction {
	return Prediction{ID: fmt.Sprintf("%s-%06d", endpoint, i), Endpoint: endpoint, ModelName: "iris", ModelVersion: "3",
		Inputs: json.RawMessage(`{"x":[1,2]}`), Output: json.RawMessage(`[0]`), LatencyMicros: 42}
}

func count(t *testing.T, s store.Store, f store.PredictionFilter) int {
	t.Helper()
	f.Limit = 1 << 30
	ps, err := s.ListPredictions(context.Background(), f)
	if err != nil {
		t.Fatalf("ListPredictions: %v", err)
	}
	return len(ps)
}

func TestConcurrentRecordsAllWritten(t *testing.T) {
	t.Parallel()
	w, s := setup(t, Config{BatchSize: 64, FlushInterval: 5 * time.Millisecond, QueueSize: 10000})
	if err := w.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	const goroutines, each = 16, 500
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				w.Record(pred(fmt.Sprintf("e%d", g%4), g*each+i))
			}
		})
	}
	wg.Wait()
	w.Stop()
	st := w.Stats()
	if st.Recorded != goroutines*each || st.Written != goroutines*each || st.Dropped != 0 || st.Failed != 0 || st.Queued != 0 {
		t.Fatalf("Stats = %+v, want %d recorded and written, none dropped, failed or queued", st, goroutines*each)
	}
	if n := count(t, s, store.PredictionFilter{}); n != goroutines*each {
		t.Fatalf("store holds %d predictions, want %d", n, goroutines*each)
	}
	if n := count(t, s, store.PredictionFilter{Endpoint: "e1"}); n != goroutines*each/4 {
		t.Fatalf("store holds %d predictions of e1, want %d", n, goroutines*each/4)
	}
	got, err := s.GetPrediction(t.Context(), "e0-000007")
	if err != nil {
		t.Fatal(err)
	}
	if got.ModelVersion != "3" || got.LatencyMicros != 42 || string(got.Output) != "[0]" || got.Time.IsZero() {
		t.Fatalf("prediction e0-000007 = %+v", got)
	}
	// Stop is idempotent; a record after it is dropped.
	w.Stop()
	w.Record(pred("late", 1))
	if st := w.Stats(); st.Dropped != 1 {
		t.Fatalf("after Stop, Dropped = %d, want 1", st.Dropped)
	}
	if err := w.Start(t.Context()); err == nil {
		t.Fatal("Start after Stop succeeded, want an error")
	}
}

func TestFlushByInterval(t *testing.T) {
	t.Parallel()
	ns := &notifyStore{Store: openStore(t), done: make(chan int, 10)}
	w, _ := setup(t, Config{Store: ns, BatchSize: 1000, FlushInterval: 10 * time.Millisecond})
	if err := w.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := w.Start(t.Context()); err == nil {
		t.Fatal("second Start succeeded, want an error")
	}
	for i := range 3 {
		w.Record(pred("iris", i))
	}
	// The batch is far from full: only the interval commits it.
	n := 0
	for n < 3 {
		select {
		case k := <-ns.done:
			n += k
		case <-time.After(10 * time.Second):
			t.Fatalf("after 10 s, %d of 3 predictions committed, want all by FlushInterval", n)
		}
	}
	if c := count(t, ns.Store, store.PredictionFilter{}); c != 3 {
		t.Fatalf("store holds %d predictions, want 3", c)
	}
}

func TestFlushBySize(t *testing.T) {
	t.Parallel()
	ns := &notifyStore{Store: openStore(t), done: make(chan int, 10)}
	w, _ := setup(t, Config{Store: ns, BatchSize: 10, FlushInterval: time.Hour})
	if err := w.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	for i := range 25 {
		w.Record(pred("iris", i))
	}
	for range 2 {
		select {
		case k := <-ns.done:
			if k != 10 {
				t.Fatalf("a batch of %d predictions committed, want full batches of 10", k)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no full batch committed after 10 s")
		}
	}
	w.Stop() // commits the 5 left
	if k := <-ns.done; k != 5 {
		t.Fatalf("Stop committed %d predictions, want the 5 left", k)
	}
}

// logRecorder is a slog handler that sends each record's message to ch.
type logRecorder struct{ ch chan string }

func (h logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (h logRecorder) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool { fmt.Fprintf(&b, " %s=%v", a.Key, a.Value); return true })
	select {
	case h.ch <- b.String():
	default:
	}
	return nil
}
func (h logRecorder) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h logRecorder) WithGroup(string) slog.Handler      { return h }

func TestDropsWhenFull(t *testing.T) {
	t.Parallel()
	ns := &notifyStore{Store: openStore(t), gate: make(chan struct{}), entered: make(chan struct{}, 1)}
	logs := make(chan string, 100)
	w, _ := setup(t, Config{Store: ns, BatchSize: 1, QueueSize: 2, FlushInterval: 5 * time.Millisecond,
		Logger: slog.New(logRecorder{logs})})
	reg := prometheus.NewRegistry()
	reg.MustRegister(w)
	if err := w.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	w.Record(pred("iris", 0))
	<-ns.entered // the flusher holds prediction 0, blocked in the store
	start := time.Now()
	for i := 1; i <= 5; i++ {
		w.Record(pred("iris", i)) // 1 and 2 fill the queue; 3, 4 and 5 are dropped
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Record blocked for %v while the store was stuck", d)
	}
	st := w.Stats()
	if st.Recorded != 3 || st.Dropped != 3 || st.Queued != 2 {
		t.Fatalf("Stats = %+v, want 3 recorded, 3 dropped, 2 queued", st)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		m := mf.GetMetric()[0]
		got[mf.GetName()] = m.GetCounter().GetValue() + m.GetGauge().GetValue()
	}
	if got["weir_predictions_dropped_total"] != 3 || got["weir_prediction_log_queue_depth"] != 2 || got["weir_predictions_recorded_total"] != 3 {
		t.Fatalf("metrics = %v, want 3 dropped, 3 recorded, queue depth 2", got)
	}
	close(ns.gate)
	deadline := time.After(10 * time.Second)
	for found := false; !found; {
		select {
		case m := <-logs:
			found = strings.Contains(m, "dropped") && strings.Contains(m, "dropped=3")
		case <-deadline:
			t.Fatal("no log line reported the 3 drops within 10 s")
		}
	}
}

func TestStopWithoutStartFlushes(t *testing.T) {
	t.Parallel()
	w, s := setup(t, Config{BatchSize: 4, QueueSize: 10})
	for i := range 12 {
		w.Record(pred("iris", i))
	}
	if st := w.Stats(); st.Recorded != 10 || st.Dropped != 2 {
		t.Fatalf("Stats = %+v, want 10 recorded and 2 dropped", st)
	}
	w.Stop()
	if n := count(t, s, store.PredictionFilter{}); n != 10 {
		t.Fatalf("store holds %d predictions after Stop, want 10", n)
	}
}

func TestContextEndFlushes(t *testing.T) {
	t.Parallel()
	w, s := setup(t, Config{BatchSize: 100, FlushInterval: time.Hour})
	ctx, cancel := context.WithCancel(t.Context())
	if err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range 7 {
		w.Record(pred("iris", i))
	}
	cancel()
	<-w.done
	if n := count(t, s, store.PredictionFilter{}); n != 7 {
		t.Fatalf("store holds %d predictions after the context ended, want 7", n)
	}
}

func TestDuplicateIDsCostOnlyThemselves(t *testing.T) {
	t.Parallel()
	w, s := setup(t, Config{BatchSize: 100})
	for _, i := range []int{1, 2, 1, 3} {
		w.Record(pred("iris", i))
	}
	w.Stop()
	if st := w.Stats(); st.Written != 3 || st.Failed != 1 {
		t.Fatalf("Stats = %+v, want 3 written and 1 failed", st)
	}
	if n := count(t, s, store.PredictionFilter{}); n != 3 {
		t.Fatalf("store holds %d predictions, want 3", n)
	}
}

func TestSampling(t *testing.T) {
	t.Parallel()
	w, s := setup(t, Config{QueueSize: 10000, SampleRate: 0.25, EndpointSampleRates: map[string]float64{"all": 1, "none": 0}})
	for i := range 4000 {
		w.Record(pred("quarter", i))
		if i < 100 {
			w.Record(pred("all", i))
			w.Record(pred("none", i))
		}
	}
	w.Stop()
	q := count(t, s, store.PredictionFilter{Endpoint: "quarter"})
	if q < 800 || q > 1200 {
		t.Errorf("%d of 4000 predictions kept at rate 0.25, want about 1000", q)
	}
	if n := count(t, s, store.PredictionFilter{Endpoint: "all"}); n != 100 {
		t.Errorf("%d of 100 predictions kept at rate 1, want 100", n)
	}
	if n := count(t, s, store.PredictionFilter{Endpoint: "none"}); n != 0 {
		t.Errorf("%d of 100 predictions kept at rate 0, want 0", n)
	}
	if st := w.Stats(); st.SampledOut != int64(4000-q+100) {
		t.Errorf("SampledOut = %d, want %d", st.SampledOut, 4000-q+100)
	}
	// The decision depends on the ID only.
	w2, _ := setup(t, Config{SampleRate: 0.25})
	for i := range 4000 {
		w2.Record(pred("quarter", i))
	}
	if st := w2.Stats(); st.Recorded != int64(q) {
		t.Errorf("a second writer kept %d of the same 4000 IDs, want the same %d", st.Recorded, q)
	}
}

func TestRecordFillsIDAndTime(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 2, 4, 0, 0, 0, time.UTC)
	w, s := setup(t, Config{Clock: func() time.Time { return now }})
	w.Record(Prediction{Endpoint: "iris"})
	w.Stop()
	ps, err := s.ListPredictions(t.Context(), store.PredictionFilter{})
	if err != nil || len(ps) != 1 {
		t.Fatalf("ListPredictions = %v, %v; want one prediction", ps, err)
	}
	if !ps[0].Time.Equal(now) {
		t.Errorf("Time = %v, want the clock's %v", ps[0].Time, now)
	}
	if !uuidV7.MatchString(ps[0].ID) {
		t.Errorf("ID = %q, want a UUIDv7", ps[0].ID)
	}
}

var uuidV7 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestNewID(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	t1 := time.UnixMilli(1_700_000_000_000)
	prev := ""
	for i := range 1000 {
		id := NewID(t1.Add(time.Duration(i) * time.Millisecond))
		if !uuidV7.MatchString(id) {
			t.Fatalf("NewID = %q, want a UUIDv7", id)
		}
		if seen[id] {
			t.Fatalf("NewID returned %q twice", id)
		}
		if id[:13] < prev {
			t.Fatalf("NewID %q sorts before the previous millisecond's %q", id, prev)
		}
		prev = id[:13]
		seen[id] = true
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	c := Config{Store: s}
	if err := c.validate(); err != nil {
		t.Fatal(err)
	}
	if c.QueueSize != DefaultQueueSize || c.BatchSize != DefaultBatchSize || c.FlushInterval != DefaultFlushInterval ||
		c.WriteTimeout != DefaultWriteTimeout || c.SampleRate != 1 || c.Logger == nil || c.Clock == nil {
		t.Errorf("defaults = %+v", c)
	}
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{}, "Store is required"},
		{Config{Store: s, QueueSize: -1}, "QueueSize -1"},
		{Config{Store: s, BatchSize: -1}, "BatchSize -1"},
		{Config{Store: s, FlushInterval: -1}, "FlushInterval"},
		{Config{Store: s, WriteTimeout: -1}, "WriteTimeout"},
		{Config{Store: s, SampleRate: 1.5}, "SampleRate 1.5"},
		{Config{Store: s, EndpointSampleRates: map[string]float64{"x": 2}}, `EndpointSampleRates["x"]`},
	} {
		_, err := New(c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(%+v) = %v, want an error naming %q", c.cfg, err, c.want)
		}
	}
}
