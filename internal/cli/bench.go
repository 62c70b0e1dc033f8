package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/engine"
	"github.com/weirhq/weir/executor"
	"github.com/weirhq/weir/node"
	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/store/sqlite"
)

// benchResult is one benchmark's figures.
type benchResult struct {
	Name      string  `json:"name"`
	Tasks     int     `json:"tasks"`
	Seconds   float64 `json:"seconds"`
	PerSecond float64 `json:"tasks_per_second"`
	HopP50Us  float64 `json:"hop_p50_us,omitempty"`
	HopP99Us  float64 `json:"hop_p99_us,omitempty"`
	PeakRSSMi float64 `json:"peak_rss_mib"`
	Goal      string  `json:"goal"`
	// Parallelism is the engine's parallelism in the run.
	Parallelism int `json:"parallelism"`
}

func benchCommand(a *app) *cobra.Command {
	var only, output, cpuProfile string
	var chainN, fanN, cmdN, parallelism int
	c := &cobra.Command{
		Use:   "bench",
		Short: "Measure the engine on the SQLite store: hop latency, go tasks/s, command tasks/s, peak memory",
		Long: `Runs three benchmarks, each in its own process on a fresh SQLite store (every state
transition committed, surviving kill -9):
  chain    a chain of 1,000 no-op go tasks: median and p99 latency from one task's start to the next's
  fanout   10,000 independent no-op go tasks: tasks per second
  command  1,000 command tasks running 'true': tasks per second
  mapped   a task mapped over 10,000 items, then a reduce of their outputs: instances per second
  mapped_group  a mapped group of 3 tasks over 1,000 items, then a reduce: instances per second
  dataset_latency  weir server: a dataset event until the consumer DAG's first task runs (50 times)
  many_dags  100 DAGs of 100 tasks triggered at once: total time, scheduling delay p50/p99
and reports each process's peak resident memory (VmHWM).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if only != "" {
				if cpuProfile != "" {
					f, err := os.Create(cpuProfile)
					if err != nil {
						return err
					}
					defer f.Close()
					if err := pprof.StartCPUProfile(f); err != nil {
						return err
					}
					defer pprof.StopCPUProfile()
				}
				res, err := runBench(cmd.Context(), only, chainN, fanN, cmdN, parallelism)
				if err != nil {
					return err
				}
				return json.NewEncoder(a.out).Encode(res)
			}
			if err := checkOutput(output); err != nil {
				return err
			}
			self, err := os.Executable()
			if err != nil {
				return err
			}
			var results []benchResult
			for _, name := range []string{"chain", "fanout", "command", "mapped", "mapped_group", "dataset_latency", "many_dags"} {
				fmt.Fprintf(a.errOut, "running %s…\n", name)
				args := []string{"bench", "--only", name, "--chain", strconv.Itoa(chainN), "--fanout", strconv.Itoa(fanN), "--commands", strconv.Itoa(cmdN), "--parallelism", strconv.Itoa(parallelism)}
				out, err := exec.CommandContext(cmd.Context(), self, args...).Output()
				if err != nil {
					return fmt.Errorf("benchmark %s: %w", name, err)
				}
				var r benchResult
				if err := json.Unmarshal(out, &r); err != nil {
					return fmt.Errorf("benchmark %s: %w: %s", name, err, out)
				}
				results = append(results, r)
			}
			if output == "json" {
				return writeJSON(a.out, results)
			}
			var rows [][]string
			for _, r := range results {
				fig := fmt.Sprintf("%.0f tasks/s", r.PerSecond)
				switch r.Name {
				case "chain":
					fig = fmt.Sprintf("hop p50 %.0f µs, p99 %.0f µs", r.HopP50Us, r.HopP99Us)
				case "dataset_latency":
					fig = fmt.Sprintf("event→consumer task running p50 %.1f ms, p99 %.1f ms", r.HopP50Us/1000, r.HopP99Us/1000)
				case "many_dags":
					fig = fmt.Sprintf("%.0f tasks/s; scheduling delay p50 %.1f ms, p99 %.1f ms", r.PerSecond, r.HopP50Us/1000, r.HopP99Us/1000)
				}
				rows = append(rows, []string{r.Name, strconv.Itoa(r.Tasks), strconv.Itoa(r.Parallelism), fmt.Sprintf("%.2fs", r.Seconds), fig, fmt.Sprintf("%.0f MiB", r.PeakRSSMi), r.Goal})
			}
			fmt.Fprintf(a.out, "weir bench — %s, %d CPUs, %s, SQLite store (WAL, synchronous=NORMAL)\n\n", runtime.GOOS+"/"+runtime.GOARCH, runtime.NumCPU(), runtime.Version())
			a.table([]string{"BENCHMARK", "TASKS", "PARALLELISM", "WALL", "FIGURE", "PEAK RSS", "GOAL"}, rows)
			return nil
		},
	}
	c.Flags().StringVar(&only, "only", "", "run one benchmark in this process and print JSON: chain, fanout, command, mapped or mapped_group")
	c.Flags().IntVar(&chainN, "chain", 1000, "tasks in the chain")
	c.Flags().IntVar(&fanN, "fanout", 10000, "independent go tasks")
	c.Flags().IntVar(&cmdN, "commands", 1000, "command tasks")
	c.Flags().IntVar(&parallelism, "parallelism", 0, "engine parallelism (default: 32 for chain, 256 for fanout, 64 for command)")
	c.Flags().StringVar(&cpuProfile, "cpuprofile", "", "with --only: write a CPU profile to this file")
	a.addOutputFlag(c, &output)
	return c
}

// runBench runs one benchmark in this process.
func runBench(ctx context.Context, name string, chainN, fanN, cmdN, parallelism int) (*benchResult, error) {
	const mappedN, groupN = 10000, 1000
	home, err := os.MkdirTemp("", "weir-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(home)
	st, err := sqlite.Open(ctx, filepath.Join(home, "weir.db"), nil)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	if err := st.UpsertPool(ctx, &store.Pool{Name: store.DefaultPool, Slots: -1}); err != nil {
		return nil, err
	}
	funcs := executor.NewFuncs()
	var mu sync.Mutex
	var starts []time.Time
	_ = funcs.Register("noop", func(context.Context, json.RawMessage) (json.RawMessage, error) { return nil, nil })
	_ = funcs.Register("echo", func(_ context.Context, args json.RawMessage) (json.RawMessage, error) { return args, nil })
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
	_ = funcs.Register("count", func(_ context.Context, args json.RawMessage) (json.RawMessage, error) {
		var in struct{ Values []json.RawMessage }
		if err := json.Unmarshal(args, &in); err != nil {
			return nil, err
		}
		return json.Marshal(len(in.Values))
	})
	_ = funcs.Register("stamp", func(context.Context, json.RawMessage) (json.RawMessage, error) {
		now := time.Now()
		mu.Lock()
		starts = append(starts, now)
		mu.Unlock()
		return nil, nil
	})
	d := &dag.DAG{ID: "bench_" + name, Source: "go:bench"}
	res := &benchResult{Name: name}
	switch name {
	case "chain":
		res.Goal = "hop ≤ 1 ms"
		for i := 0; i < chainN; i++ {
			t := &dag.Task{ID: fmt.Sprintf("t%04d", i), Kind: dag.KindGo, Go: &dag.GoSpec{Func: "stamp"}}
			if i > 0 {
				t.Upstream = []string{fmt.Sprintf("t%04d", i-1)}
			}
			d.Tasks = append(d.Tasks, t)
		}
	case "fanout":
		res.Goal = "≥ 10,000 tasks/s, < 200 MiB"
		for i := 0; i < fanN; i++ {
			d.Tasks = append(d.Tasks, &dag.Task{ID: fmt.Sprintf("t%05d", i), Kind: dag.KindGo, Go: &dag.GoSpec{Func: "noop"}})
		}
	case "command":
		res.Goal = "≥ 500 tasks/s"
		for i := 0; i < cmdN; i++ {
			d.Tasks = append(d.Tasks, &dag.Task{ID: fmt.Sprintf("t%04d", i), Kind: dag.KindCommand, Command: &dag.CommandSpec{Argv: []string{"true"}}})
		}
	case "mapped":
		res.Goal = "≥ 5,000 instances/s, < 300 MiB"
		d.MaxMapLength = mappedN
		src := &dag.Task{ID: "src", Kind: dag.KindGo, Go: &dag.GoSpec{Func: "range", Args: map[string]any{"n": mappedN}}}
		m := &dag.Task{ID: "m", Kind: dag.KindGo, Go: &dag.GoSpec{Func: "echo"}, Upstream: []string{"src"}}
		m.Expand = map[string]any{"x": "{{ outputs.src }}"}
		reduce := &dag.Task{ID: "reduce", Kind: dag.KindGo, Go: &dag.GoSpec{Func: "count", Args: map[string]any{"values": "{{ outputs.m }}"}}, Upstream: []string{"m"}}
		d.Tasks = []*dag.Task{src, m, reduce}
		res.Tasks = mappedN
	case "mapped_group":
		res.Goal = "1,000 × 3 instances"
		d.MaxMapLength = groupN
		src := &dag.Task{ID: "src", Kind: dag.KindGo, Go: &dag.GoSpec{Func: "range", Args: map[string]any{"n": groupN}}}
		g := &dag.Group{ID: "g", Tasks: []string{"g.a", "g.b", "g.c"}, Upstream: []string{"src"}}
		g.Expand = map[string]any{"x": "{{ outputs.src }}"}
		d.Groups = []*dag.Group{g}
		d.Tasks = []*dag.Task{src,
			{ID: "g.a", Group: "g", Kind: dag.KindGo, Go: &dag.GoSpec{Func: "echo"}, Upstream: []string{"src"}},
			{ID: "g.b", Group: "g", Kind: dag.KindGo, Go: &dag.GoSpec{Func: "echo", Args: "{{ outputs.g.a }}"}, Upstream: []string{"g.a"}},
			{ID: "g.c", Group: "g", Kind: dag.KindGo, Go: &dag.GoSpec{Func: "echo", Args: "{{ outputs.g.b }}"}, Upstream: []string{"g.b"}},
			{ID: "reduce", Kind: dag.KindGo, Go: &dag.GoSpec{Func: "count", Args: map[string]any{"values": "{{ outputs.g }}"}}, Upstream: []string{"g.c"}},
		}
		res.Tasks = groupN * 3
	case "dataset_latency":
		return benchDatasetLatency(ctx, home, st, funcs)
	case "many_dags":
		return benchManyDAGs(ctx, home, st, funcs)
	default:
		return nil, fmt.Errorf("unknown benchmark %q: use chain, fanout, command, mapped, mapped_group, dataset_latency or many_dags", name)
	}
	if name != "mapped" && name != "mapped_group" {
		res.Tasks = len(d.Tasks)
	}
	if parallelism <= 0 {
		parallelism = map[string]int{"chain": 32, "fanout": 256, "command": 64, "mapped": 256, "mapped_group": 256}[name]
	}
	res.Parallelism = parallelism
	eng, stop, err := benchNode(ctx, node.Config{Mode: node.ModeBench, Store: st, Tracking: st.Tracking(),
		Home: home, Funcs: funcs, Parallelism: parallelism})
	if err != nil {
		return nil, err
	}
	defer stop()
	begin := time.Now()
	run, err := eng.Trigger(ctx, d, engine.TriggerOptions{})
	if err != nil {
		return nil, err
	}
	final, err := eng.Wait(ctx, run.DAGID, run.RunID)
	if err != nil {
		return nil, err
	}
	elapsed := time.Since(begin)
	if final.State != store.RunSuccess {
		return nil, fmt.Errorf("benchmark run ended %s", final.State)
	}
	if name == "mapped" || name == "mapped_group" {
		ti, err := st.GetTaskInstance(ctx, d.ID, run.RunID, "reduce", -1)
		if err != nil {
			return nil, err
		}
		want := mappedN
		if name == "mapped_group" {
			want = groupN
		}
		if string(ti.Output) != strconv.Itoa(want) {
			return nil, fmt.Errorf("the reduce saw %s outputs, want %d", ti.Output, want)
		}
	}
	res.Seconds = elapsed.Seconds()
	res.PerSecond = float64(res.Tasks) / elapsed.Seconds()
	if name == "chain" && len(starts) > 1 {
		hops := make([]float64, 0, len(starts)-1)
		for i := 1; i < len(starts); i++ {
			hops = append(hops, float64(starts[i].Sub(starts[i-1]).Microseconds()))
		}
		sort.Float64s(hops)
		res.HopP50Us = hops[len(hops)/2]
		res.HopP99Us = hops[len(hops)*99/100]
	}
	res.PeakRSSMi = peakRSSMiB()
	return res, nil
}

// peakRSSMiB reads this process's peak resident set size (VmHWM) from /proc.
func peakRSSMiB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				kb, _ := strconv.ParseFloat(f[1], 64)
				return kb / 1024
			}
		}
	}
	return 0
}

// percentile returns the p-th percentile (0-100) of sorted values.
func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1) * p / 100)
	return sorted[i]
}

// benchDatasetLatency measures, under weir server, the time from a dataset event's commit
// to the first task of the DAG scheduled on it running.
func benchDatasetLatency(ctx context.Context, home string, st *sqlite.Store, funcs *executor.Funcs) (*benchResult, error) {
	dags := filepath.Join(home, "dags")
	if err := os.MkdirAll(dags, 0o755); err != nil {
		return nil, err
	}
	files := map[string]string{
		"producer.yaml": "dag_id: producer\ntasks: [{id: make, go: noop, outlets: [\"mem://bench\"]}]\n",
		"consumer.yaml": "dag_id: consumer\ndatasets: [\"mem://bench\"]\ntasks: [{id: first, go: noop}]\n",
	}
	for n, b := range files {
		if err := os.WriteFile(filepath.Join(dags, n), []byte(b), 0o644); err != nil {
			return nil, err
		}
	}
	srv, err := node.New(node.Config{Mode: node.ModeServer, Store: st, Tracking: st.Tracking(), Home: home,
		DAGsDir: dags, Funcs: funcs, Addr: "127.0.0.1:0", TickInterval: time.Minute, ScanInterval: time.Minute})
	if err != nil {
		return nil, err
	}
	if err := srv.Start(ctx); err != nil {
		return nil, err
	}
	defer srv.Stop()
	d, _ := srv.Registry().DAG("producer")
	const n = 50
	var lat []float64
	begin := time.Now()
	for i := 0; i < n; i++ {
		r, err := srv.Engine().Trigger(ctx, d, engine.TriggerOptions{})
		if err != nil {
			return nil, err
		}
		if _, err := srv.Engine().Wait(ctx, r.DAGID, r.RunID); err != nil {
			return nil, err
		}
		var started time.Time
		deadline := time.Now().Add(10 * time.Second)
		for started.IsZero() && time.Now().Before(deadline) {
			runs, err := st.ListRuns(ctx, store.ListRunsParams{DAGID: "consumer", Limit: 1})
			if err != nil {
				return nil, err
			}
			if len(runs) > 0 && runs[0].RunID == "dataset_triggered__"+strconv.Itoa(i+1) {
				if ti, err := st.GetTaskInstance(ctx, "consumer", runs[0].RunID, "first", -1); err == nil && !ti.StartedAt.IsZero() {
					started = ti.StartedAt
				}
			}
			if started.IsZero() {
				time.Sleep(time.Millisecond)
			}
		}
		if started.IsZero() {
			return nil, fmt.Errorf("the consumer did not start after event %d", i+1)
		}
		evs, err := st.ListDatasetEvents(ctx, store.ListEventsParams{URI: "mem://bench", Limit: 1})
		if err != nil || len(evs) == 0 {
			return nil, fmt.Errorf("no dataset event: %v", err)
		}
		lat = append(lat, float64(started.Sub(evs[0].Timestamp).Microseconds()))
	}
	sort.Float64s(lat)
	return &benchResult{Name: "dataset_latency", Tasks: n, Seconds: time.Since(begin).Seconds(),
		HopP50Us: percentile(lat, 50), HopP99Us: percentile(lat, 99), Goal: "≤ 100 ms", PeakRSSMi: peakRSSMiB()}, nil
}

// benchManyDAGs triggers 100 DAGs of 100 no-op go tasks at once and measures the total
// time and the scheduling delay (ready → running) of every task.
func benchManyDAGs(ctx context.Context, home string, st *sqlite.Store, funcs *executor.Funcs) (*benchResult, error) {
	var mu sync.Mutex
	var delays []float64
	eng, stop, err := benchNode(ctx, node.Config{Mode: node.ModeBench, Store: st, Tracking: st.Tracking(),
		Home: home, Funcs: funcs, Parallelism: 256,
		OnEvent: func(ev engine.Event) {
			if ev.State == store.TIRunning {
				mu.Lock()
				delays = append(delays, float64(ev.QueueDelay.Microseconds()))
				mu.Unlock()
			}
		}})
	if err != nil {
		return nil, err
	}
	defer stop()
	const nd, nt = 100, 100
	var dags []*dag.DAG
	for i := 0; i < nd; i++ {
		d := &dag.DAG{ID: fmt.Sprintf("dag%03d", i), Source: "go:bench"}
		for j := 0; j < nt; j++ {
			t := &dag.Task{ID: fmt.Sprintf("t%03d", j), Kind: dag.KindGo, Go: &dag.GoSpec{Func: "noop"}}
			if j >= 10 { // ten chains of ten
				t.Upstream = []string{fmt.Sprintf("t%03d", j-10)}
			}
			d.Tasks = append(d.Tasks, t)
		}
		dags = append(dags, d)
	}
	begin := time.Now()
	runs := make([]*store.DAGRun, nd)
	errs := make(chan error, nd)
	var wg sync.WaitGroup
	for i, d := range dags {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := eng.Trigger(ctx, d, engine.TriggerOptions{})
			if err != nil {
				errs <- err
				return
			}
			runs[i] = r
		}()
	}
	wg.Wait()
	select {
	case err := <-errs:
		return nil, err
	default:
	}
	for _, r := range runs {
		final, err := eng.Wait(ctx, r.DAGID, r.RunID)
		if err != nil {
			return nil, err
		}
		if final.State != store.RunSuccess {
			return nil, fmt.Errorf("run %s ended %s", r.RunID, final.State)
		}
	}
	elapsed := time.Since(begin)
	mu.Lock()
	sort.Float64s(delays)
	p50, p99 := percentile(delays, 50), percentile(delays, 99)
	mu.Unlock()
	return &benchResult{Name: "many_dags", Tasks: nd * nt, Seconds: elapsed.Seconds(), PerSecond: float64(nd*nt) / elapsed.Seconds(),
		HopP50Us: p50, HopP99Us: p99, Goal: "scheduling delay p99", Parallelism: 256, PeakRSSMi: peakRSSMiB()}, nil
}

// benchNode starts a bench-mode node and returns its engine and a function that stops it.
func benchNode(ctx context.Context, cfg node.Config) (*engine.Engine, func(), error) {
	n, err := node.New(cfg)
	if err != nil {
		return nil, nil, err
	}
	if err := n.Start(ctx); err != nil {
		return nil, nil, err
	}
	return n.Engine(), n.Stop, nil
}
