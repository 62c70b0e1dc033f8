package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/weirhq/weir/api/client"
	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/engine"
	"github.com/weirhq/weir/node"
	"github.com/weirhq/weir/store"
)

func (a *app) runCmd() *cobra.Command {
	var (
		confJSON    string
		params      []string
		resume      string
		runID       string
		dagFlag     string
		parallelism int
		quiet       bool
		noCache     bool
	)
	c := &cobra.Command{
		Use:   "run DAG [--conf JSON] [--param k=v]...",
		Short: "Run a DAG in the foreground, with live progress; exit 0 if the run succeeded, 1 if it failed",
		Long: `Run one DAG run in the foreground on the local store, printing each task's progress,
then a table of task states and durations. The exit code is 0 if the run succeeded and 1 if
it failed, with the tail of the failed tasks' logs.

Tasks with cache: true whose cache key is unchanged are not run again: their cached result
is reused, and the progress line and the table say "cached" with the key. --no-cache runs
them anyway (their new results replace the cached ones); 'weir cache clear' forgets results.

If weir is killed (even with kill -9), nothing is lost: 'weir run --resume RUN_ID'
continues the run; tasks that were running count as failed tries and are retried by their
retry policy; finished tasks do not run again.`,
		Example: `  weir run train_model --param epochs=20
  weir run train_model --conf '{"epochs": 20, "note": "baseline"}'
  weir run --resume manual__2026-11-24T20:40:00.123Z`,
		Args: func(cmd *cobra.Command, args []string) error {
			if resume != "" {
				return cobra.MaximumNArgs(1)(cmd, args)
			}
			if len(args) != 1 {
				return errors.New("name the DAG to run: weir run DAG (see `weir dags list`), or pass --resume RUN_ID")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if c, ok, err := a.remote(); ok {
				if err != nil {
					return err
				}
				if resume != "" {
					return errors.New("--resume works on the local store only: the server resumes its runs itself")
				}
				if noCache {
					return errors.New("--no-cache works on the local store only: a server's cache setting is its own (weir server --no-cache)")
				}
				conf := map[string]any{}
				if confJSON != "" {
					if err := json.Unmarshal([]byte(confJSON), &conf); err != nil {
						return fmt.Errorf("--conf: not a JSON object: %v", err)
					}
				}
				var overrides map[string]any
				for _, kv := range params {
					k, v, ok := strings.Cut(kv, "=")
					if !ok || k == "" {
						return fmt.Errorf("--param %q: use --param name=value", kv)
					}
					if overrides == nil {
						overrides = map[string]any{}
					}
					overrides[k] = v // the server coerces it with the param's schema, as Trigger does here
				}
				return a.remoteRun(ctx, c, args[0], client.TriggerRequest{DAGRunID: runID, Conf: conf, Params: overrides}, quiet)
			}
			st, err := a.openStore(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			p := newPrinter(a.out, quiet)
			cfg := a.nodeConfig(st, node.ModeRun)
			cfg.Parallelism = parallelism
			cfg.NoCache = noCache
			cfg.OnEvent = p.event
			cfg.Logger = slog.New(slog.NewTextHandler(a.errOut, &slog.HandlerOptions{Level: slog.LevelWarn}))
			n, err := node.New(cfg)
			if err != nil {
				return err
			}
			// The engine outlives an interrupt of ctx: Stop ends it, leaving the run resumable.
			if err := n.Start(context.WithoutCancel(ctx)); err != nil {
				return err
			}
			defer n.Stop()
			eng := n.Engine()

			var run *store.DAGRun
			if resume != "" {
				dagID := dagFlag
				if len(args) == 1 {
					dagID = args[0]
				}
				found, err := findRun(ctx, st, dagID, resume)
				if err != nil {
					return err
				}
				var rec []engine.Recovered
				run, rec, err = eng.Resume(ctx, found.DAGID, found.RunID)
				if err != nil {
					return err
				}
				fmt.Fprintf(a.out, "Resuming run %s of %s\n", run.RunID, run.DAGID)
				for _, r := range rec {
					killed := ""
					if r.Killed {
						killed = "; its orphaned process group was killed"
					}
					fmt.Fprintf(a.out, "  %s was running (try %d) when weir died: counted as a failed try, now %s%s\n", r.TaskID, r.TryNumber, r.State, killed)
				}
			} else {
				d, err := a.findDAG(args[0])
				if err != nil {
					return err
				}
				opts := engine.TriggerOptions{RunID: runID}
				if confJSON != "" {
					if err := json.Unmarshal([]byte(confJSON), &opts.Conf); err != nil {
						return fmt.Errorf("--conf: not a JSON object: %v (example: --conf '{\"epochs\": 20}')", err)
					}
				}
				if len(params) > 0 {
					opts.Params = map[string]any{}
					for _, kv := range params {
						k, v, ok := strings.Cut(kv, "=")
						if !ok || k == "" {
							return fmt.Errorf("--param %q: use --param name=value", kv)
						}
						opts.Params[k] = v
					}
				}
				fmt.Fprintf(a.out, "Running %s (%d tasks)\n", d.ID, len(d.Tasks))
				run, err = eng.Trigger(ctx, d, opts)
				if err != nil {
					return err
				}
				a.auditLocal(ctx, st, "dag_run.trigger", "dag_run", run.DAGID+"/"+run.RunID, nil, nil)
				fmt.Fprintf(a.out, "run id %s\n", run.RunID)
			}
			stopAlive, aliveDone := make(chan struct{}), make(chan struct{})
			go func() {
				defer close(aliveDone)
				tick := time.NewTicker(a.opts.AliveEvery)
				defer tick.Stop()
				for {
					select {
					case <-stopAlive:
						return
					case <-tick.C:
						p.alive(a.home, a.opts.AliveEvery)
					}
				}
			}()
			final, err := eng.Wait(ctx, run.DAGID, run.RunID)
			close(stopAlive)
			<-aliveDone
			if err != nil {
				if ctx.Err() != nil {
					n.Stop()
					fmt.Fprintf(a.errOut, "\ninterrupted: the run is saved; continue it with\n  weir run --resume %s\n", run.RunID)
					return &ExitError{Code: 130}
				}
				return fmt.Errorf("%w\nthe run is saved; continue it with: weir run --resume %s", err, run.RunID)
			}
			p.flush()
			return a.report(ctx, st, final)
		},
	}
	c.Flags().StringVar(&confJSON, "conf", "", "run configuration, a JSON object; keys naming params set them")
	c.Flags().StringArrayVarP(&params, "param", "p", nil, "set a param: name=value (repeatable)")
	c.Flags().StringVar(&resume, "resume", "", "continue the run RUN_ID after a crash or a clear")
	c.Flags().StringVar(&runID, "run-id", "", "run id (default manual__<time>)")
	c.Flags().StringVar(&dagFlag, "dag", "", "with --resume: the run's DAG, when the run id is ambiguous")
	c.Flags().IntVar(&parallelism, "parallelism", 32, "how many tasks may run at once")
	c.Flags().BoolVarP(&quiet, "quiet", "q", false, "print only the final table")
	c.Flags().BoolVar(&noCache, "no-cache", false, "run tasks with cache: true even when a cached result matches (their results replace it)")
	return c
}

// report prints the final table and, for a failed run, the failed tasks' log tails; it
// returns an ExitError with code 1 for a failed run.
func (a *app) report(ctx context.Context, st store.Store, run *store.DAGRun) error {
	tis, err := runTIs(ctx, st, run)
	if err != nil {
		return err
	}
	return a.printReport(run, tis, func(ti *store.TaskInstance) string {
		path, _ := engine.LogPath(a.home, ti.DAGID, ti.RunID, ti.TaskID, ti.MapIndex, ti.TryNumber)
		return logTail(path, 20)
	})
}

// printReport prints a finished run's table and, for a failed run, the failed tasks' log
// tails (tail returns one, indented, or ""); it returns an ExitError with code 1 for a
// failed run. The local store and a server print through it alike.
func (a *app) printReport(run *store.DAGRun, tis []*store.TaskInstance, tail func(*store.TaskInstance) string) error {
	color := colors(a.out)
	fmt.Fprintln(a.out)
	var rows [][]string
	for _, ti := range tis {
		out := ""
		if ti.Output != nil {
			out = oneLine(string(ti.Output), 40)
		}
		state := paint(color, ti.State.String())
		if ti.CachedFrom != "" {
			state += " (cached)"
		}
		rows = append(rows, []string{taskLabel(ti), state, fmt.Sprint(ti.TryNumber), fmtDur(ti.StartedAt, ti.EndedAt), shortKey(ti.CacheKey), out, oneLine(ti.Error, 60)})
	}
	a.table([]string{"TASK", "STATE", "TRIES", "DURATION", "CACHE KEY", "OUTPUT", "ERROR"}, rows)
	sep := "\n"
	for _, ti := range tis {
		if ti.CachedFrom != "" {
			fmt.Fprintf(a.out, "%s%s: cached, key %s, result of %s\n", sep, taskLabel(ti), ti.CacheKey, ti.CachedFrom)
			sep = ""
		}
	}
	fmt.Fprintf(a.out, "\nrun %s of %s: %s in %s\n", run.RunID, run.DAGID, paint(color, string(run.State)), fmtDur(run.StartedAt, run.EndedAt))
	if run.State == store.RunSuccess {
		return nil
	}
	for _, ti := range tis {
		if ti.State != store.TIFailed || ti.TryNumber == 0 {
			continue
		}
		fmt.Fprintf(a.out, "\ntask %s failed after %d tr%s: %s\n", taskLabel(ti), ti.TryNumber, plural(ti.TryNumber, "y", "ies"), ti.Error)
		if t := tail(ti); t != "" {
			fmt.Fprintf(a.out, "last lines of its log (weir logs %s %s --try %d):\n%s", ti.RunID, ti.TaskID, ti.TryNumber, t)
		}
	}
	return &ExitError{Code: 1}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func taskLabel(ti *store.TaskInstance) string {
	switch {
	case ti.RenderedMapIndex != "":
		return fmt.Sprintf("%s[%d %s]", ti.TaskID, ti.MapIndex, ti.RenderedMapIndex)
	case ti.MapIndex >= 0:
		return fmt.Sprintf("%s[%d]", ti.TaskID, ti.MapIndex)
	}
	return ti.TaskID
}

func oneLine(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > n {
		s = s[:n-1] + "…"
	}
	return s
}

// logTail returns the last n lines of a file, indented.
func logTail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	return tailLines(f, n)
}

// tailLines returns the last n lines read from r, indented.
func tailLines(r io.Reader, n int) string {
	var lines []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	var b strings.Builder
	for _, l := range lines {
		b.WriteString("  │ " + l + "\n")
	}
	return b.String()
}

// runTIs lists a run's task instances in the DAG's topological order (definition order
// among independent tasks), which reads like the pipeline.
func runTIs(ctx context.Context, st store.Store, run *store.DAGRun) ([]*store.TaskInstance, error) {
	tis, err := st.ListTaskInstances(ctx, store.ListTIParams{DAGID: run.DAGID, RunID: run.RunID})
	if err != nil {
		return nil, err
	}
	var d dag.DAG
	if json.Unmarshal(run.DAG, &d) != nil {
		return tis, nil
	}
	order, err := dag.Topo(&d)
	if err != nil {
		return tis, nil
	}
	rank := make(map[string]int, len(order))
	for i, id := range order {
		rank[id] = i
	}
	sort.SliceStable(tis, func(i, j int) bool {
		ri, rj := rank[tis[i].TaskID], rank[tis[j].TaskID]
		if ri != rj {
			return ri < rj
		}
		return tis[i].MapIndex < tis[j].MapIndex
	})
	return tis, nil
}

// printer prints live progress lines from engine events.
type printer struct {
	mu    sync.Mutex
	w     io.Writer
	quiet bool
	color bool
	// running are the tries running now, by instance.
	running map[string]*aliveTask
}

func newPrinter(w io.Writer, quiet bool) *printer {
	return &printer{w: w, quiet: quiet, color: colors(w), running: map[string]*aliveTask{}}
}

// aliveTask is a running try that `weir run` reports on while it runs.
type aliveTask struct {
	label   string
	started time.Time
	ti      store.TaskInstance // DAGID, RunID, TaskID, MapIndex, TryNumber: where its log is
}

// printAlive prints, for each task running for at least every, its elapsed time and the
// last line its log has (lastLine reads it), so a long task shows it is alive. The local
// and the remote `weir run` print through it alike.
func printAlive(w io.Writer, now time.Time, every time.Duration, tasks []*aliveTask, lastLine func(*aliveTask) string) {
	sort.Slice(tasks, func(i, j int) bool { return tasks[i].label < tasks[j].label })
	for _, t := range tasks {
		el := now.Sub(t.started)
		if el < every {
			continue
		}
		line := lastLine(t)
		if line == "" {
			line = "(no output yet)"
		}
		fmt.Fprintf(w, "%s  … %-28s running for %s │ %s\n", now.Local().Format("15:04:05.000"), t.label, el.Round(time.Second), oneLine(line, 100))
	}
}

// lastLogLine is the last line a task wrote in a log (weir's own [weir] lines skipped).
func lastLogLine(log []byte) string {
	lines := strings.Split(strings.TrimRight(string(log), "\n"), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" && !strings.HasPrefix(l, "[weir]") {
			return l
		}
	}
	return ""
}

// alive prints the alive lines of the local tasks running now (their logs under home).
func (p *printer) alive(home string, every time.Duration) {
	if p.quiet {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	tasks := make([]*aliveTask, 0, len(p.running))
	for _, t := range p.running {
		tasks = append(tasks, t)
	}
	printAlive(p.w, time.Now(), every, tasks, func(t *aliveTask) string {
		path, err := engine.LogPath(home, t.ti.DAGID, t.ti.RunID, t.ti.TaskID, t.ti.MapIndex, t.ti.TryNumber)
		if err != nil {
			return ""
		}
		b, _ := readTail(path, 64<<10)
		return lastLogLine(b)
	})
}

// readTail returns at most the last n bytes of a file.
func readTail(path string, n int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > n {
		if _, err := f.Seek(st.Size()-n, io.SeekStart); err != nil {
			return nil, err
		}
	}
	return io.ReadAll(f)
}

func (p *printer) event(ev engine.Event) {
	if p.quiet || ev.TaskID == "" {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	key := fmt.Sprintf("%s/%s/%s/%d", ev.DAGID, ev.RunID, ev.TaskID, ev.MapIndex)
	delete(p.running, key)
	ts := ev.Time.Local().Format("15:04:05.000")
	id := taskLabel(&store.TaskInstance{TaskID: ev.TaskID, MapIndex: ev.MapIndex, RenderedMapIndex: ev.RenderedMapIndex})
	state := paint(p.color, ev.State.String())
	switch ev.State {
	case store.TIRunning:
		p.running[key] = &aliveTask{label: id, started: ev.Time, ti: store.TaskInstance{DAGID: ev.DAGID, RunID: ev.RunID, TaskID: ev.TaskID, MapIndex: ev.MapIndex, TryNumber: ev.TryNumber}}
		fmt.Fprintf(p.w, "%s  ▶ %-28s %s (try %d)\n", ts, id, state, ev.TryNumber)
	case store.TISuccess:
		if ev.CachedFrom != "" {
			fmt.Fprintf(p.w, "%s  ✓ %-28s %s (cached, key %s, from %s)\n", ts, id, state, shortKey(ev.CacheKey), ev.CachedFrom)
			return
		}
		fmt.Fprintf(p.w, "%s  ✓ %-28s %s in %s\n", ts, id, state, roundDur(ev.Duration))
	case store.TIUpForRetry:
		fmt.Fprintf(p.w, "%s  ↻ %-28s %s: try %d failed: %s; next try in %s\n", ts, id, state, ev.TryNumber, oneLine(ev.Err, 80), roundDur(time.Until(ev.NextTryAt)))
	case store.TIFailed:
		fmt.Fprintf(p.w, "%s  ✗ %-28s %s (try %d): %s\n", ts, id, state, ev.TryNumber, oneLine(ev.Err, 80))
	case store.TISkipped, store.TIUpstreamFailed:
		reason := ""
		if ev.Err != "" {
			reason = ": " + oneLine(ev.Err, 80)
		}
		fmt.Fprintf(p.w, "%s  - %-28s %s%s\n", ts, id, state, reason)
	}
}

func (p *printer) flush() {}

// shortKey abbreviates a cache key for tables and progress lines ("sha256:" and 12 hex
// digits); "-" for none. `weir cache list` and the log show it whole.
func shortKey(k string) string {
	if k == "" {
		return "-"
	}
	if len(k) > len("sha256:")+12 {
		return k[:len("sha256:")+12]
	}
	return k
}
