package mlflowapi

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"text/template"
	"time"

	"github.com/weirhq/weir/store/sqlite"
	"github.com/weirhq/weir/tracking"
)

// benchServer is an API on a SQLite database file at path, served over HTTP.
func benchServer(b *testing.B, path string) (*httptest.Server, *sqlite.Store) {
	b.Helper()
	st, err := sqlite.Open(context.Background(), path, nil)
	if err != nil {
		b.Fatal(err)
	}
	api, err := New(Config{Store: st.Tracking(), ArtifactRoot: filepath.Join(filepath.Dir(path), "artifacts")})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(api.Handler())
	b.Cleanup(func() {
		srv.Close()
		_ = api.Close()
		_ = st.Close()
	})
	return srv, st
}

func post(b *testing.B, c *http.Client, url string, body []byte) {
	resp, err := c.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		b.Error(err)
		return
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		b.Errorf("POST %s: %d %s", url, resp.StatusCode, out)
	}
}

// BenchmarkLogBatch measures runs/log-batch throughput over HTTP: 20 concurrent clients,
// each logging to its own run, with batches of 10 and of 1000 metrics. It reports
// requests/s and metrics/s.
func BenchmarkLogBatch(b *testing.B) {
	for _, size := range []int{10, 1000} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			srv, st := benchServer(b, filepath.Join(b.TempDir(), "weir.db"))
			svc := tracking.NewService(st.Tracking(), tracking.ServiceConfig{})
			const clients = 20
			runs := make([]string, clients)
			for i := range runs {
				r, err := svc.CreateRun(context.Background(), tracking.CreateRunParams{ExperimentID: "0"})
				if err != nil {
					b.Fatal(err)
				}
				runs[i] = r.Info.RunID
			}
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
			defer client.CloseIdleConnections()
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for c := range clients {
				wg.Go(func() {
					step := int64(0)
					for next.Add(1) <= int64(b.N) {
						type metric struct {
							Key       string  `json:"key"`
							Value     float64 `json:"value"`
							Timestamp int64   `json:"timestamp"`
							Step      int64   `json:"step"`
						}
						ms := make([]metric, size)
						for i := range ms {
							ms[i] = metric{Key: fmt.Sprintf("m%d", i%10), Value: float64(i) / 7, Timestamp: 1700000000000 + step, Step: step}
							step++
						}
						body, _ := json.Marshal(map[string]any{"run_id": runs[c], "metrics": ms})
						post(b, client, srv.URL+"/api/2.0/mlflow/runs/log-batch", body)
					}
				})
			}
			wg.Wait()
			el := time.Since(start).Seconds()
			b.ReportMetric(float64(b.N)/el, "req/s")
			b.ReportMetric(float64(b.N*size)/el, "metrics/s")
		})
	}
}

// bulkLoad fills the database at path with n runs of 10 params and 10 metrics in
// experiment exp (testdata/bench_runs.sql), in one transaction.
func bulkLoad(b *testing.B, path string, exp string, n int) {
	b.Helper()
	text, err := os.ReadFile(filepath.Join("testdata", "bench_runs.sql"))
	if err != nil {
		b.Fatal(err)
	}
	var script strings.Builder
	if err := template.Must(template.New("bulk").Parse(string(text))).Execute(&script, map[string]any{"Runs": n, "Exp": exp}); err != nil {
		b.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(OFF)")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		b.Fatal(err)
	}
	if _, err := tx.Exec(script.String()); err != nil {
		b.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}

// searchDB is the database of BenchmarkSearchRuns, built once per process.
var searchDB struct {
	once sync.Once
	path string
	exp  string
	took time.Duration
	err  error
}

// BenchmarkSearchRuns measures runs/search over HTTP on 100,000 runs with 10 params and
// 10 metrics each: a filter on a metric and a param ordered by another metric (page of
// 100), a broad metric filter ordered by a metric (page of 1000, MLflow's default), and
// the default order with no filter.
func BenchmarkSearchRuns(b *testing.B) {
	const runs = 100_000
	searchDB.once.Do(func() {
		dir, err := os.MkdirTemp("", "weir-bench-search-")
		if err != nil {
			searchDB.err = err
			return
		}
		searchDB.path = filepath.Join(dir, "weir.db")
		st, err := sqlite.Open(context.Background(), searchDB.path, nil)
		if err != nil {
			searchDB.err = err
			return
		}
		searchDB.exp, searchDB.err = st.Tracking().CreateExperiment(context.Background(), tracking.CreateExperimentParams{Name: "bench"})
		_ = st.Close()
		start := time.Now()
		bulkLoad(b, searchDB.path, searchDB.exp, runs)
		searchDB.took = time.Since(start)
	})
	if searchDB.err != nil {
		b.Fatal(searchDB.err)
	}
	b.Logf("bulk load of %d runs took %v", runs, searchDB.took)
	srv, _ := benchServer(b, searchDB.path)
	for _, c := range []struct {
		name, filter string
		order        []string
		max          int
		want         int
	}{
		{"filter_metric_param/order_metric/max=100", "metrics.m0 > 0.9 AND params.p1 = '0.5'", []string{"metrics.m2 DESC"}, 100, 100},
		{"filter_metric/order_metric/max=1000", "metrics.m0 > 0.5", []string{"metrics.m1 DESC"}, 1000, 1000},
		{"no_filter/default_order/max=100", "", nil, 100, 100},
	} {
		b.Run(c.name, func(b *testing.B) {
			body, _ := json.Marshal(map[string]any{"experiment_ids": []string{searchDB.exp}, "filter": c.filter, "order_by": c.order, "max_results": c.max})
			for b.Loop() {
				resp, err := http.Post(srv.URL+"/api/2.0/mlflow/runs/search", "application/json", bytes.NewReader(body))
				if err != nil {
					b.Fatal(err)
				}
				var out struct {
					Runs []json.RawMessage `json:"runs"`
				}
				err = json.NewDecoder(resp.Body).Decode(&out)
				resp.Body.Close()
				if err != nil || len(out.Runs) != c.want {
					b.Fatalf("search: %v, %d runs, want %d", err, len(out.Runs), c.want)
				}
			}
		})
	}
}

// BenchmarkGetHistory measures metrics/get-history over HTTP of one metric with 1,000,000
// points (all in one response).
func BenchmarkGetHistory(b *testing.B) {
	const points = 1_000_000
	path := filepath.Join(b.TempDir(), "weir.db")
	srv, st := benchServer(b, path)
	svc := tracking.NewService(st.Tracking(), tracking.ServiceConfig{})
	run, err := svc.CreateRun(context.Background(), tracking.CreateRunParams{ExperimentID: "0"})
	if err != nil {
		b.Fatal(err)
	}
	batch := make([]tracking.Metric, 1000)
	start := time.Now()
	for i := 0; i < points; i += len(batch) {
		for j := range batch {
			s := int64(i + j)
			batch[j] = tracking.Metric{Key: "loss", Value: 1 / float64(s+1), Timestamp: 1700000000000 + s, Step: s}
		}
		if err := svc.LogMetrics(context.Background(), run.Info.RunID, batch...); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("logging %d points in batches of 1000 took %v", points, time.Since(start))
	u := srv.URL + "/api/2.0/mlflow/metrics/get-history?" + url.Values{"run_id": {run.Info.RunID}, "metric_key": {"loss"}}.Encode()
	// receive: the whole response read off the socket (the server's part, as a client
	// that streams it sees it); decode: and decoded by encoding/json into Go values.
	b.Run("receive", func(b *testing.B) {
		for b.Loop() {
			resp, err := http.Get(u)
			if err != nil {
				b.Fatal(err)
			}
			n, err := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if err != nil || n < points*40 {
				b.Fatalf("history: %v, %d bytes", err, n)
			}
			b.ReportMetric(float64(n)/1e6, "MB/op")
		}
	})
	b.Run("decode", func(b *testing.B) {
		for b.Loop() {
			resp, err := http.Get(u)
			if err != nil {
				b.Fatal(err)
			}
			var out struct {
				Metrics []struct {
					Step int64 `json:"step"`
				} `json:"metrics"`
			}
			err = json.NewDecoder(resp.Body).Decode(&out)
			resp.Body.Close()
			if err != nil || len(out.Metrics) != points {
				b.Fatalf("history: %v, %d points", err, len(out.Metrics))
			}
		}
	})
}
