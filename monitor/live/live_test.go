package live_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/weirhq/weir/ml/frame"
	"github.com/weirhq/weir/ml/linear"
	"github.com/weirhq/weir/ml/model"
	"github.com/weirhq/weir/monitor/live"
	"github.com/weirhq/weir/steps/stepio"
	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/store/sqlite"
	"github.com/weirhq/weir/tracking"
)

func TestParseSpec(t *testing.T) {
	t.Parallel()
	s, err := live.ParseSpec(nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Rows != live.DefaultRows || time.Duration(s.Interval) != time.Minute || s.DriftShare != 0.5 || s.MinRows != 30 ||
		s.MaxDegradation != 0.1 || s.MinLabels != 10 || time.Duration(s.Cooldown) != 10*time.Minute {
		t.Fatalf("defaults %+v", s)
	}
	s, err = live.ParseSpec(json.RawMessage(`{"span": "1h", "interval": 30, "method": "auto"}`))
	if err != nil || s.Rows != 0 || time.Duration(s.Span) != time.Hour || time.Duration(s.Interval) != 30*time.Second || s.Method != "" {
		t.Fatalf("span-only spec %+v, %v: want no row limit, 1h, 30s, auto", s, err)
	}
	for spec, want := range map[string]string{
		`{"method": "t"}`:                    `method "t"`,
		`{"interval": "10ms"}`:               "interval 10ms",
		`{"drift_share": 2}`:                 "drift_share 2",
		`{"webhooks": ["ftp://x"]}`:          `webhook "ftp://x"`,
		`{"thresholds": {"a": -1}}`:          "thresholds.a",
		`{"rows": -1}`:                       "rows: -1",
		`{"nosuch": 1}`:                      "nosuch",
		`{"span": "soon"}`:                   `duration "soon"`,
		`{"dataset": "weir://a b"}`:          "dataset",
		`{"threshold": -0.5, "rows": 10}`:    "threshold -0.5",
		`{"max_degradation": -1, "rows": 1}`: "must not be negative",
	} {
		if _, err := live.ParseSpec(json.RawMessage(spec)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseSpec(%s) = %v, want an error naming %q", spec, err, want)
		}
	}
	if r := (live.Spec{Secret: "x"}).Redacted(); r.Secret != "***" {
		t.Errorf("Redacted secret %q", r.Secret)
	}
}

// fixture is a real SQLite store with a deployed model file (y = 3·x1 − x2, trained on
// x1 ~ N(0,1), x2 ~ N(10,2)) and a Runner on it.
type fixture struct {
	ctx    context.Context
	st     *sqlite.Store
	path   string
	now    atomic.Int64 // the runner's clock, unix microseconds
	rng    *rand.Rand
	seq    int
	runner *live.Runner
}

func setup(t testing.TB, cfg live.Config) *fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "weir.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{ctx: ctx, st: st, path: filepath.Join(dir, "model.json"), rng: rand.New(rand.NewPCG(7, 8))}
	n := 300
	x1, x2, y := make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range n {
		x1[i], x2[i] = f.rng.NormFloat64(), 10+2*f.rng.NormFloat64()
		y[i] = 3*x1[i] - x2[i]
	}
	fr, err := frame.New(frame.NewFloat("x1", x1, nil), frame.NewFloat("x2", x2, nil), frame.NewFloat("y", y, nil))
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.Train(fr, model.Config{Target: "y", Estimator: &linear.Ridge{}})
	if err != nil {
		t.Fatal(err)
	}
	m.Metadata.Metrics = map[string]float64{"rmse": 0.05}
	if err := m.SaveFile(f.path); err != nil {
		t.Fatal(err)
	}
	if err := st.PutDeployment(ctx, &store.Deployment{Name: "lin", Model: f.path}); err != nil {
		t.Fatal(err)
	}
	art, err := tracking.OpenArtifactStore(ctx, filepath.Join(dir, "artifacts"), 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { art.Close() })
	f.now.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro())
	cfg.Store, cfg.Models = st, stepio.Deps{Artifacts: art, Store: st}
	cfg.Clock = func() time.Time { return time.UnixMicro(f.now.Load()) }
	if f.runner, err = live.New(cfg); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) advance(d time.Duration) { f.now.Add(d.Microseconds()) }

// log records n predictions of rows rows each (inputs shifted by shift), as the server
// logs them, one millisecond apart before the clock; label, when true, labels each with
// the true target as a list (a multi-row request) or a number.
func (f *fixture) log(t testing.TB, n, rows int, shift float64, label bool) []string {
	t.Helper()
	var ps []*store.Prediction
	var ids []string
	for range n {
		f.seq++
		var data, out, ys []string
		for range rows {
			a, b := f.rng.NormFloat64()+shift, 10+2*f.rng.NormFloat64()+shift
			data = append(data, fmt.Sprintf("[%g,%g]", a, b))
			out = append(out, fmt.Sprint(3*a-b))
			ys = append(ys, fmt.Sprint(3*a-b+0.01))
		}
		p := &store.Prediction{ID: fmt.Sprintf("p%05d", f.seq), Endpoint: "lin", ModelName: f.path,
			Inputs: json.RawMessage(`{"columns":["x1","x2"],"data":[` + strings.Join(data, ",") + `]}`),
			Output: json.RawMessage(`{"predictions":[` + strings.Join(out, ",") + `]}`),
			Time:   time.UnixMicro(f.now.Load()).Add(-time.Minute + time.Duration(f.seq)*time.Millisecond)}
		if label {
			p.Label = json.RawMessage(ys[0])
			if rows > 1 {
				p.Label = json.RawMessage("[" + strings.Join(ys, ",") + "]")
			}
		}
		// A shadow row beside each: never read.
		sh := *p
		sh.ID, sh.Shadow = p.ID+"-shadow", true
		sh.Inputs = json.RawMessage(`{"columns":["x1","x2"],"data":[[1000,1000]]}`)
		ps = append(ps, p, &sh)
		ids = append(ids, p.ID)
	}
	if err := f.st.InsertPredictions(f.ctx, ps); err != nil {
		t.Fatal(err)
	}
	return ids
}

func (f *fixture) run(t *testing.T, name string) (*store.MonitorResult, *live.Result) {
	t.Helper()
	sr, err := f.runner.Evaluate(f.ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	res, err := live.Decode(sr)
	if err != nil {
		t.Fatal(err)
	}
	return sr, res
}

func (f *fixture) monitor(t testing.TB, name, spec string) {
	t.Helper()
	s, err := live.ParseSpec(json.RawMessage(spec))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(s)
	if err := f.st.PutMonitor(f.ctx, &store.Monitor{Name: name, Endpoint: "lin", Spec: b}); err != nil {
		t.Fatal(err)
	}
}

// Multi-row requests fill the window row by row; shadow rows are not read; a list label
// labels each row of its request; performance is compared with the training rmse.
func TestWindowRowsLabelsAndPerformance(t *testing.T) {
	t.Parallel()
	f := setup(t, live.Config{})
	f.monitor(t, "m", `{"rows": 50, "min_rows": 20, "min_labels": 5}`)
	f.log(t, 10, 3, 0, false) // older: 30 rows
	f.log(t, 4, 5, 0, true)   // newest: 20 labelled rows
	_, res := f.run(t, "m")
	if !res.Judged || res.Rows != 50 || res.Predictions != 14 || res.Drift {
		t.Fatalf("result %+v: want 50 rows from 14 predictions, judged, no drift", res)
	}
	for _, ft := range res.Data.Features {
		if ft.CurrentN != 50 || ft.Test != "ks" {
			t.Errorf("feature %+v: want 50 current values tested with ks (shadow rows left out)", ft)
		}
	}
	p := res.Performance
	if p == nil || p.Labelled != 20 || p.Metric != "rmse" || p.Training == nil || *p.Training != 0.05 {
		t.Fatalf("performance %+v: want rmse on 20 labelled rows against 0.05", p)
	}
	// The labels are the truth + 0.01: rmse 0.01 (the ridge fit is close to exact), better
	// than at training.
	if p.Value > 0.03 || p.Degraded {
		t.Fatalf("performance %+v: want rmse ≈ 0.01, not degraded", p)
	}
	// Too few rows: not judged, the state carries over.
	f.monitor(t, "big", `{"rows": 500, "min_rows": 400}`)
	sr, res := f.run(t, "big")
	if res.Judged || sr.Drift || !strings.Contains(res.Note, "fewer than min_rows 400") {
		t.Fatalf("small window %+v: want not judged", res)
	}
}

// Actions fire on the transition into drift, not while drifting, and not again within
// the cool-down; a webhook to a loopback address is refused unless allowed, and the
// failure is counted.
func TestFiringTransitionsCooldownAndRefusedWebhook(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	f := setup(t, live.Config{WebhookBackoff: time.Millisecond})
	f.monitor(t, "m", fmt.Sprintf(`{"rows": 60, "webhooks": [%q], "dataset": "weir://lin/drift", "cooldown": "1h"}`, srv.URL))
	f.log(t, 60, 1, 0, false)
	if sr, _ := f.run(t, "m"); sr.Drift || sr.Fired {
		t.Fatalf("baseline drift %v fired %v", sr.Drift, sr.Fired)
	}
	f.advance(time.Minute)
	f.log(t, 60, 1, 4, false)
	sr, res := f.run(t, "m")
	if !sr.Drift || !sr.Fired || len(res.Actions) != 2 {
		t.Fatalf("shifted: drift %v fired %v actions %+v", sr.Drift, sr.Fired, res.Actions)
	}
	if a := res.Actions[0]; a.OK || a.Attempts != 1 || !strings.Contains(a.Error, "not a public address") {
		t.Errorf("webhook to loopback %+v: want refused at once", a)
	}
	if hits.Load() != 0 {
		t.Errorf("the loopback receiver got %d requests, want none", hits.Load())
	}
	if a := res.Actions[1]; !a.OK || a.EventID == 0 {
		t.Errorf("dataset action %+v", a)
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(f.runner)
	if n := counter(t, reg, "weir_monitor_action_failures_total"); n != 1 {
		t.Errorf("action failures %g, want 1", n)
	}
	// Still drifting: no firing.
	f.advance(time.Minute)
	if sr, _ := f.run(t, "m"); !sr.Drift || sr.Fired {
		t.Fatalf("still drifting: drift %v fired %v", sr.Drift, sr.Fired)
	}
	// Back to normal, then drift again within the hour: the cool-down holds it.
	f.advance(time.Minute)
	f.log(t, 60, 1, 0, false)
	if sr, _ := f.run(t, "m"); sr.Drift {
		t.Fatal("normal traffic again: still drift")
	}
	f.advance(time.Minute)
	f.log(t, 60, 1, 4, false)
	if sr, _ := f.run(t, "m"); !sr.Drift || sr.Fired {
		t.Fatalf("drift within the cool-down: drift %v fired %v; want drift, not fired", sr.Drift, sr.Fired)
	}
	// After the cool-down, a new transition fires again.
	f.advance(2 * time.Hour)
	f.log(t, 60, 1, 0, false)
	f.run(t, "m")
	f.advance(time.Minute)
	f.log(t, 60, 1, 4, false)
	if sr, _ := f.run(t, "m"); !sr.Fired {
		t.Fatal("drift after the cool-down: not fired")
	}
	evs, err := f.st.ListDatasetEvents(f.ctx, store.ListEventsParams{URI: "weir://lin/drift"})
	if err != nil || len(evs) != 2 {
		t.Fatalf("dataset events %d (%v), want 2", len(evs), err)
	}
	var alert live.Alert
	if err := json.Unmarshal(evs[0].Extra, &alert); err != nil || alert.Event != live.AlertEvent || len(alert.Drifted) != 2 {
		t.Fatalf("event extra %s (%v)", evs[0].Extra, err)
	}
	// Plots of the stored results.
	for _, name := range []string{"history", "x1", "prediction"} {
		b, err := live.Plot(f.ctx, f.st, "m", name)
		if err != nil || len(b) < 8 || string(b[1:4]) != "PNG" {
			t.Fatalf("plot %s: %d bytes, %v", name, len(b), err)
		}
	}
}

// counter returns the sum of a counter's series in reg.
func counter(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}

// The schedule evaluates a monitor when its interval has passed, and Stop waits for it.
func TestScheduleEvaluatesDueMonitors(t *testing.T) {
	t.Parallel()
	f := setup(t, live.Config{Tick: 10 * time.Millisecond})
	f.monitor(t, "m", `{"rows": 30, "interval": "1m"}`)
	f.log(t, 30, 1, 0, false)
	if err := f.runner.Start(f.ctx); err != nil {
		t.Fatal(err)
	}
	defer f.runner.Stop()
	count := func() int {
		rs, _ := f.st.ListMonitorResults(f.ctx, store.MonitorResultFilter{Monitor: "m"})
		return len(rs)
	}
	deadline := time.Now().Add(10 * time.Second)
	for count() < 1 {
		if time.Now().After(deadline) {
			t.Fatal("the schedule never evaluated the new monitor")
		}
		time.Sleep(10 * time.Millisecond)
	}
	f.advance(61 * time.Second)
	for count() < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the schedule never evaluated the monitor again after its interval")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// A monitor deleted from the store (by another process) loses its metrics.
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(f.runner)
	series := func() int {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, mf := range mfs {
			if mf.GetName() == "weir_monitor_last_run_timestamp_seconds" {
				n += len(mf.GetMetric())
			}
		}
		return n
	}
	if n := series(); n != 1 {
		t.Fatalf("%d last-run series, want 1", n)
	}
	if n := count(); n != 2 {
		t.Fatalf("%d results, want 2 (one per interval)", n)
	}
	if err := f.st.DeleteMonitor(f.ctx, "m"); err != nil {
		t.Fatal(err)
	}
	for series() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the deleted monitor's metrics stayed")
		}
		time.Sleep(10 * time.Millisecond)
	}
	var once sync.Once
	once.Do(f.runner.Stop)
	f.runner.Stop() // idempotent
}

// BenchmarkEvaluate measures one evaluation of a 1,000-row window (two features, labels on
// every row: data drift, prediction drift against the previous window, performance).
func BenchmarkEvaluate(b *testing.B) {
	f := setup(b, live.Config{})
	f.monitor(b, "m", `{"rows": 1000}`)
	f.log(b, 200, 10, 0, true)
	b.ResetTimer()
	for b.Loop() {
		if _, err := f.runner.Evaluate(f.ctx, "m"); err != nil {
			b.Fatal(err)
		}
	}
}
