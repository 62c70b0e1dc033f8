package predlog

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/store/sqlite"
)

// errNotifyStore passes error counts to a real store, then reports each write's rows.
type errNotifyStore struct {
	*sqlite.Store
	wrote chan []*store.ServeErrorCount
	fail  chan error // when not empty, the next write fails with its error
}

func (s *errNotifyStore) PutServeErrors(ctx context.Context, cs []*store.ServeErrorCount) error {
	select {
	case err := <-s.fail:
		s.wrote <- nil
		return err
	default:
	}
	err := s.Store.PutServeErrors(ctx, cs)
	if err == nil {
		s.wrote <- cs
	}
	return err
}

func errorLines(t *testing.T, s store.Store, endpoint string) []string {
	t.Helper()
	cs, err := s.ListServeErrors(context.Background(), store.ServeErrorFilter{Endpoint: endpoint})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range cs {
		out = append(out, fmt.Sprintf("%s %s/%s %s n=%d %d %q", c.Minute.UTC().Format("15:04"), c.ModelName, c.ModelVersion, c.Class, c.Count, c.LastStatus, c.LastMessage))
	}
	return out
}

// TestRecordErrorCountsPerMinuteVersionAndClass records failures, stops the writer and
// reads the counts back from a real store and from Prometheus.
func TestRecordErrorCountsPerMinuteVersionAndClass(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	w, s := setup(t, Config{Clock: func() time.Time { return t0.Add(90 * time.Second) }})
	fail := func(model, version string, status int, msg string, at time.Duration) {
		w.RecordError(FailedRequest{Endpoint: "possum", ModelName: model, ModelVersion: version, Status: status, Message: msg, Time: t0.Add(at)})
	}
	fail("possum", "1", 400, "malformed JSON", 1*time.Second)
	fail("possum", "1", 400, "missing column x", 5*time.Second)
	fail("possum", "1", 413, "body too large", 3*time.Second) // earlier than the last: not the last message
	fail("possum", "1", 500, "model failed", 2*time.Second)
	fail("possum", "1", 400, "next minute", 61*time.Second)
	fail("", "", 503, "not ready", 4*time.Second)
	w.RecordError(FailedRequest{Endpoint: "possum", ModelName: "possum", ModelVersion: "2", Status: 502, Message: "worker died"}) // Time from the clock
	w.RecordError(FailedRequest{Status: 400})                                                                                     // no endpoint: ignored
	w.Stop()
	got := strings.Join(errorLines(t, s, "possum"), "\n")
	want := strings.Join([]string{
		`10:01 possum/1 4xx n=1 400 "next minute"`,
		`10:01 possum/2 5xx n=1 502 "worker died"`,
		`10:00 / 5xx n=1 503 "not ready"`,
		`10:00 possum/1 4xx n=3 400 "missing column x"`,
		`10:00 possum/1 5xx n=1 500 "model failed"`,
	}, "\n")
	if got != want {
		t.Errorf("stored counts:\n%s\nwant\n%s", got, want)
	}
	for _, c := range []struct {
		version, class string
		want           float64
	}{{"1", "4xx", 4}, {"1", "5xx", 1}, {"2", "5xx", 1}, {"none", "5xx", 1}, {"none", "4xx", 0}} {
		var m dto.Metric
		if err := w.serveErrors.WithLabelValues("possum", c.version, c.class).(prometheus.Metric).Write(&m); err != nil {
			t.Fatal(err)
		}
		if n := m.GetCounter().GetValue(); n != c.want {
			t.Errorf("weir_serve_errors_total{deployment=possum,version=%s,class=%s} = %g, want %g", c.version, c.class, n, c.want)
		}
	}
}

// TestRecordErrorRewritesRunningTotals checks that the flusher rewrites a minute's total
// as it grows (one row per writer), retries a failed write with the next, and that a
// second writer (a restarted process) adds its own row that Compare sums.
func TestRecordErrorRewritesRunningTotals(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 1, 10, 0, 30, 0, time.UTC)
	ns := &errNotifyStore{Store: openStore(t), wrote: make(chan []*store.ServeErrorCount, 16), fail: make(chan error, 1)}
	bad := FailedRequest{Endpoint: "possum", ModelName: "possum", ModelVersion: "1", Status: 400, Message: "bad"}
	// start starts a writer that recorded n failures before.
	start := func(n int) *Writer {
		w, err := New(Config{Store: ns, FlushInterval: 5 * time.Millisecond, Clock: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		for range n {
			w.RecordError(bad)
		}
		if err := w.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(w.Stop)
		return w
	}
	wait := func(what string) []*store.ServeErrorCount {
		t.Helper()
		select {
		case cs := <-ns.wrote:
			return cs
		case <-time.After(10 * time.Second):
			t.Fatalf("no write of the error counts: %s", what)
		}
		return nil
	}
	w := start(2)
	if cs := wait("first"); len(cs) != 1 || cs[0].Count != 2 {
		t.Fatalf("first write: %+v, want one row counting 2", cs)
	}
	ns.fail <- fmt.Errorf("disk full")
	w.RecordError(bad)
	if cs := wait("failing"); cs != nil {
		t.Fatalf("failing write reported rows %+v", cs)
	}
	if cs := wait("retry"); len(cs) != 1 || cs[0].Count != 3 {
		t.Fatalf("retried write: %+v, want one row counting 3", cs)
	}
	w.Stop()
	// A restarted process: another writer, its own row.
	start(1)
	if cs := wait("second writer"); len(cs) != 1 || cs[0].Count != 1 || cs[0].Writer == w.id {
		t.Fatalf("second writer's write: %+v, want one row of its own counting 1", cs)
	}
	if n := len(errorLines(t, ns.Store, "possum")); n != 2 {
		t.Errorf("%d rows stored, want 2 (one per writer)", n)
	}
	vs, err := Compare(context.Background(), ns.Store, "possum", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 1 || vs[0].Errors4xx != 4 || vs[0].ErrorRate != 1 {
		t.Errorf("Compare = %+v, want one row with 4 client errors and an error rate of 1", vs)
	}
}
