package ui_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/executor"
	"github.com/weirhq/weir/node"
	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/store/sqlite"
)

// BenchmarkFirstPaint measures, in headless Chromium against a real server, the time from
// navigating to a view until its data is on screen: the DAG list (issue 14's goal: under
// 1 s) and the grid of a run of 10,000 mapped task instances (goal: under 2 s), and the
// time to expand that grid's mapped task and scroll to its last instance (its rows are
// fetched by page and virtualised). Run it on a quiet machine:
//
//	go test ./ui -run '^$' -bench FirstPaint -benchtime 10x
func BenchmarkFirstPaint(b *testing.B) {
	const n = 10000
	ctx := context.Background()
	home := b.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(home, "weir.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	wide, funcs := wideDAG(n, false)
	srv, err := node.New(node.Config{Mode: node.ModeServer, Store: st, Tracking: st.Tracking(), Home: home,
		Addr: "127.0.0.1:0", Funcs: funcs, GoDAGs: []*dag.DAG{wide}, Parallelism: 256, TickInterval: 50 * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	if err := srv.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer srv.Stop()
	f := &fixture{url: "http://" + srv.Addr(), st: st}
	f.post(b, "/api/v1/dags/wide/dagRuns", `{"dag_run_id": "big"}`)
	f.waitDAGRun(b, "wide", "big", store.RunSuccess)

	br := newBrowser(b)
	const summed = `!!document.querySelector('button[aria-label="m in big (10,000 instances: 10,000 success): success"]')`
	expandAndScroll := []chromedp.Action[chromedp.Void]{
		chromedp.Click(chromedp.CSS(`button.expand`)),
		waitJS(`!!document.querySelector('button[aria-label="m[0] in big: success"]')`),
		eval(`window.scrollTo(0, document.body.scrollHeight)`),
		waitJS(`!!document.querySelector('button[aria-label="m[9999] in big: success"]')`),
	}
	for _, v := range []struct {
		name, path, ready string
		then              []chromedp.Action[chromedp.Void]
	}{
		{"dag_list", "/dags", `!!document.querySelector('a[aria-label="wide run big: success"]')`, nil},
		// The mapped task's square sums up all 10,000 instances (the server counts them).
		{"grid_10k", "/dags/wide/grid", summed, nil},
		{"grid_10k_expand_scroll_to_end", "/dags/wide/grid", summed, expandAndScroll},
	} {
		b.Run(v.name, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				br.run(b, "blank", chromedp.Navigate("about:blank"), chromedp.WaitReady("body"))
				b.StartTimer()
				br.run(b, v.name, append([]chromedp.Action[chromedp.Void]{chromedp.Navigate(f.url + v.path), chromedp.WaitReady("body"), waitJS(v.ready)}, v.then...)...)
			}
		})
	}
}

// wideDAG is a Go DAG "wide" whose task m is mapped over n items; with after, a task
// z_after follows m (it sorts after m's instances in a listing).
func wideDAG(n int, after bool) (*dag.DAG, *executor.Funcs) {
	funcs := executor.NewFuncs()
	_ = funcs.Register("range", func(_ context.Context, args json.RawMessage) (json.RawMessage, error) {
		var in struct{ N int }
		if err := json.Unmarshal(args, &in); err != nil {
			return nil, err
		}
		out := make([]int, in.N)
		for i := range out {
			out[i] = i
		}
		return json.Marshal(out)
	})
	_ = funcs.Register("echo", func(_ context.Context, args json.RawMessage) (json.RawMessage, error) { return args, nil })
	wide := &dag.DAG{ID: "wide", Source: "go:test", MaxMapLength: n}
	src := &dag.Task{ID: "src", Kind: dag.KindGo, Go: &dag.GoSpec{Func: "range", Args: map[string]any{"n": n}}}
	m := &dag.Task{ID: "m", Kind: dag.KindGo, Go: &dag.GoSpec{Func: "echo"}, Upstream: []string{"src"}}
	m.Expand = map[string]any{"x": "{{ outputs.src }}"}
	wide.Tasks = []*dag.Task{src, m}
	if after {
		wide.Tasks = append(wide.Tasks, &dag.Task{ID: "z_after", Kind: dag.KindGo, Go: &dag.GoSpec{Func: "echo"}, Upstream: []string{"m"}})
	}
	return wide, funcs
}
