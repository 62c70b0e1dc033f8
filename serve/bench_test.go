package serve_test

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weirhq/weir/predlog"
	"github.com/weirhq/weir/serve"
	"github.com/weirhq/weir/store"
)

// logSink hands predictions to a prediction log when w is set (as node wires a server).
type logSink struct{ w *predlog.Writer }

func (l *logSink) Record(p serve.Prediction) {
	if l.w != nil {
		l.w.Record(predlog.Prediction{ID: p.ID, Endpoint: p.Endpoint, ModelName: p.Model, ModelVersion: p.Version,
			Inputs: p.Inputs, Output: p.Output, LatencyMicros: p.Latency.Microseconds(), Time: p.Time, Shadow: p.Shadow})
	}
}

// BenchmarkServe measures single-row predictions over real HTTP on loopback (MLflow's
// /invocations with dataframe_split), with connection reuse and b.RunParallel's clients
// (-cpu sets GOMAXPROCS; SetParallelism(8): 8×GOMAXPROCS concurrent clients, in the same
// process as the server). It reports requests/s and the p50/p99 latency the clients saw.
//
//	go test ./serve -run '^$' -bench BenchmarkServe -benchtime 5s
func BenchmarkServe(b *testing.B) {
	cases := []struct {
		name   string
		train  func(testing.TB) any
		body   string
		logged bool
	}{
		{"ridge", func(tb testing.TB) any { return ridgeModel(tb, 2) },
			`{"dataframe_split": {"columns": ["x", "k"], "data": [[3.5, 1]]}}`, false},
		{"ridge_logged", func(tb testing.TB) any { return ridgeModel(tb, 2) },
			`{"dataframe_split": {"columns": ["x", "k"], "data": [[3.5, 1]]}}`, true},
		{"boosted100", func(tb testing.TB) any { return boostedModel(tb) }, boostedBody(), false},
		{"boosted100_logged", func(tb testing.TB) any { return boostedModel(tb) }, boostedBody(), true},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			sink := &logSink{}
			e := newEnvWith(b, 1, sink)
			if c.logged {
				// Every prediction into the prediction log on the same SQLite store, as a
				// weir server does.
				w, err := predlog.New(predlog.Config{Store: e.st})
				if err != nil {
					b.Fatal(err)
				}
				if err := w.Start(b.Context()); err != nil {
					b.Fatal(err)
				}
				defer func() {
					w.Stop()
					if st := w.Stats(); st.Dropped > 0 {
						b.ReportMetric(float64(st.Dropped), "dropped")
					}
				}()
				sink.w = w
			}
			var m = c.train(b)
			v := e.registerAny(c.name, m)
			e.alias(c.name, "champion", v)
			e.deploy(&store.Deployment{Name: c.name, Model: "models:/" + c.name + "@champion"})
			tr := &http.Transport{MaxIdleConnsPerHost: 256, MaxIdleConns: 256}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr}
			url := e.http.URL + "/serve/" + c.name + "/invocations"
			if r := do(b, client, "POST", url, "application/json", c.body); r.status != 200 {
				b.Fatalf("%d %s", r.status, r.body)
			}
			var mu sync.Mutex
			var lat []time.Duration
			b.SetParallelism(8)
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				local := make([]time.Duration, 0, 4096)
				for pb.Next() {
					t0 := time.Now()
					resp, err := client.Post(url, "application/json", strings.NewReader(c.body))
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
					local = append(local, time.Since(t0))
				}
				mu.Lock()
				lat = append(lat, local...)
				mu.Unlock()
			})
			elapsed := time.Since(start)
			b.StopTimer()
			slices.Sort(lat)
			if len(lat) == 0 {
				return
			}
			q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) }
			b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "req/s")
			b.ReportMetric(q(0.50), "p50-µs")
			b.ReportMetric(q(0.99), "p99-µs")
		})
	}
}

func boostedBody() string {
	var cols, vals []string
	for j := range 20 {
		cols = append(cols, fmt.Sprintf("%q", fmt.Sprintf("f%d", j)))
		vals = append(vals, fmt.Sprintf("%.3f", float64(j)/20))
	}
	return `{"dataframe_split": {"columns": [` + strings.Join(cols, ", ") + `], "data": [[` + strings.Join(vals, ", ") + `]]}}`
}
