package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/weirhq/weir/api"
	"github.com/weirhq/weir/api/client"
	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/engine"
	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/store/sqlite"
)

// BenchmarkListTaskInstances measures GET …/taskInstances of a finished run of a DAG of
// 10,000 tasks (issue 4's benchmark (c)), over HTTP on loopback with keep-alive: a default
// page of 100, and every instance in one page (limit=10000, about 4 MB of JSON). It reports
// requests per second; "parallel" runs one client per GOMAXPROCS.
//
//	go test -run '^$' -bench ListTaskInstances -benchtime 3s ./api/
func BenchmarkListTaskInstances(b *testing.B) {
	const n = 10000
	ctx := context.Background()
	home := b.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(home, "weir.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	eng, err := engine.New(engine.Config{Store: st, Home: home})
	if err != nil {
		b.Fatal(err)
	}
	if err := eng.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer eng.Stop()

	// A finished run as the engine leaves it: a DAG snapshot of n tasks, n finished instances.
	d := &dag.DAG{ID: "wide", Source: "dags/wide.yaml"}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var tis []*store.TaskInstance
	for i := range n {
		id := fmt.Sprintf("task_%05d", i)
		d.Tasks = append(d.Tasks, &dag.Task{ID: id, Kind: dag.KindCommand, Command: &dag.CommandSpec{Argv: []string{"true"}}})
		tis = append(tis, &store.TaskInstance{
			DAGID: "wide", RunID: "r1", TaskID: id, MapIndex: -1, State: store.TISuccess, TryNumber: 1, MaxTries: 1,
			Pool: store.DefaultPool, PoolSlots: 1, PriorityWeight: 1, QueuedAt: start, StartedAt: start,
			EndedAt: start.Add(time.Duration(i) * time.Millisecond), Hostname: "worker-1", PID: 10000 + i,
			Output: json.RawMessage(fmt.Sprintf(`{"rows":%d}`, i)),
		})
	}
	snapshot, err := json.Marshal(d)
	if err != nil {
		b.Fatal(err)
	}
	run := &store.DAGRun{DAGID: "wide", RunID: "r1", LogicalDate: start, RunType: "manual", State: store.RunSuccess,
		DAG: snapshot, DAGHash: "abc", QueuedAt: start, StartedAt: start, EndedAt: start.Add(time.Hour)}
	if err := st.CreateRun(ctx, run, tis); err != nil {
		b.Fatal(err)
	}
	a, err := api.New(api.Config{Store: st, Engine: eng, DAGs: api.StaticDAGs{d}, Home: home})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()

	for _, bc := range []struct {
		name, query string
		want        int
	}{
		{"page=100", "", 100},
		{"all=10000", "?limit=10000", n},
	} {
		u := srv.URL + api.Prefix + "/dags/wide/dagRuns/r1/taskInstances" + bc.query
		get := func(hc *http.Client) (int64, error) {
			resp, err := hc.Get(u)
			if err != nil {
				return 0, err
			}
			defer resp.Body.Close()
			if resp.StatusCode != 200 {
				return 0, fmt.Errorf("status %d", resp.StatusCode)
			}
			return io.Copy(io.Discard, resp.Body)
		}
		// Check the answer once.
		resp, err := srv.Client().Get(u)
		if err != nil {
			b.Fatal(err)
		}
		var c client.TaskInstanceCollection
		err = json.NewDecoder(resp.Body).Decode(&c)
		resp.Body.Close()
		if err != nil || c.TotalEntries != n || len(c.TaskInstances) != bc.want {
			b.Fatalf("%s: %d of %d instances, %v", bc.name, len(c.TaskInstances), c.TotalEntries, err)
		}
		b.Run(bc.name, func(b *testing.B) {
			hc := srv.Client()
			var bytes int64
			for b.Loop() {
				nb, err := get(hc)
				if err != nil {
					b.Fatal(err)
				}
				bytes = nb
			}
			b.SetBytes(bytes)
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
		b.Run(bc.name+"/parallel", func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				hc := srv.Client()
				for pb.Next() {
					if _, err := get(hc); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
	}
}
