package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
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

// mappedRunServer serves a finished run "r1" of DAG "wide" whose task m has n mapped
// instances, two of them failed (map indexes 17 and n−3), as the engine leaves them.
func mappedRunServer(tb testing.TB, n int) *httptest.Server {
	tb.Helper()
	ctx := context.Background()
	home := tb.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(home, "weir.db"), nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	eng, err := engine.New(engine.Config{Store: st, Home: home})
	if err != nil {
		tb.Fatal(err)
	}
	if err := eng.Start(ctx); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(eng.Stop)
	m := &dag.Task{ID: "m", Kind: dag.KindCommand, Command: &dag.CommandSpec{Script: "echo {{ args.x }}"}}
	m.Expand = map[string]any{"x": []any{0, 1}}
	d := &dag.DAG{ID: "wide", Source: "dags/wide.yaml", Tasks: []*dag.Task{m}}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tis := make([]*store.TaskInstance, n)
	for i := range tis {
		state := store.TISuccess
		if i == 17 || i == n-3 {
			state = store.TIFailed
		}
		tis[i] = &store.TaskInstance{DAGID: "wide", RunID: "r1", TaskID: "m", MapIndex: i, State: state, TryNumber: 1, MaxTries: 1,
			Pool: store.DefaultPool, PoolSlots: 1, PriorityWeight: 1, QueuedAt: start, StartedAt: start,
			EndedAt: start.Add(time.Duration(i) * time.Millisecond), Args: json.RawMessage(fmt.Sprintf(`{"x":%d}`, i))}
	}
	snapshot, err := json.Marshal(d)
	if err != nil {
		tb.Fatal(err)
	}
	run := &store.DAGRun{DAGID: "wide", RunID: "r1", LogicalDate: start, RunType: "manual", State: store.RunFailed,
		DAG: snapshot, DAGHash: "abc", QueuedAt: start, StartedAt: start, EndedAt: start.Add(time.Hour)}
	if err := st.CreateRun(ctx, run, tis); err != nil {
		tb.Fatal(err)
	}
	a, err := api.New(api.Config{Store: st, Engine: eng, DAGs: api.StaticDAGs{d}, Home: home})
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	tb.Cleanup(srv.Close)
	return srv
}

// getSummaries GETs the run's task summaries.
func getSummaries(tb testing.TB, srv *httptest.Server) client.TaskSummaryCollection {
	tb.Helper()
	resp, err := srv.Client().Get(srv.URL + api.Prefix + "/dags/wide/dagRuns/r1/taskSummaries")
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var c client.TaskSummaryCollection
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil || resp.StatusCode != 200 {
		tb.Fatalf("GET taskSummaries: %d, %v", resp.StatusCode, err)
	}
	return c
}

// The summary of a mapped task of 10,000 instances counts every one of them (the grid's
// square of such a task used to sum up only its first 2,000).
func TestTaskSummariesOfTenThousand(t *testing.T) {
	t.Parallel()
	const n = 10000
	srv := mappedRunServer(t, n)
	start := time.Now()
	c := getSummaries(t, srv)
	t.Logf("GET taskSummaries of a run of %d mapped instances: %v", n, time.Since(start))
	if len(c.TaskSummaries) != 1 {
		t.Fatalf("summaries: %+v", c)
	}
	s := c.TaskSummaries[0]
	if !s.IsMapped || s.Total != n || s.States["success"] != n-2 || s.States["failed"] != 2 || s.State == nil || *s.State != "failed" ||
		s.FirstMapIndex != 0 || s.EndDate == nil || !s.EndDate.Equal(time.Date(2026, 1, 1, 0, 0, 9, 999_000_000, time.UTC)) {
		t.Errorf("m: %+v", s)
	}
}

// BenchmarkTaskSummaries measures GET …/taskSummaries of a finished run of one mapped task
// of 10,000 instances: what the grid asks per run to colour and label that task's square.
//
//	go test -run '^$' -bench TaskSummaries -benchtime 3s ./api/
func BenchmarkTaskSummaries(b *testing.B) {
	srv := mappedRunServer(b, 10000)
	if c := getSummaries(b, srv); c.TaskSummaries[0].Total != 10000 {
		b.Fatalf("summaries: %+v", c)
	}
	u := srv.URL + api.Prefix + "/dags/wide/dagRuns/r1/taskSummaries"
	hc := srv.Client()
	for b.Loop() {
		resp, err := hc.Get(u)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}
