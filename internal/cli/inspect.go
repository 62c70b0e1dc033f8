package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/weirhq/weir/api"
	"github.com/weirhq/weir/api/client"
	"github.com/weirhq/weir/engine"
	"github.com/weirhq/weir/store"
)

func tp(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func (a *app) runsCmd() *cobra.Command {
	c := &cobra.Command{Use: "runs", Short: "Inspect DAG runs"}
	var output, dagID, state string
	var limit int
	list := &cobra.Command{
		Use:   "list",
		Short: "List DAG runs, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			if c, ok, err := a.remote(); ok {
				if err != nil {
					return err
				}
				return a.remoteRuns(cmd.Context(), c, dagID, state, limit, output)
			}
			st, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			p := store.ListRunsParams{DAGID: dagID, Limit: limit}
			if state != "" {
				p.States = []store.RunState{store.RunState(state)}
			}
			runs, err := st.ListRuns(cmd.Context(), p)
			if err != nil {
				return err
			}
			return a.printRuns(runs, output)
		},
	}
	list.Flags().StringVar(&dagID, "dag", "", "only runs of this DAG")
	list.Flags().StringVar(&state, "state", "", "only runs in this state (queued, running, success, failed)")
	list.Flags().IntVar(&limit, "limit", 50, "at most this many runs")
	a.addOutputFlag(list, &output)
	c.AddCommand(list)
	return c
}

func (a *app) tasksCmd() *cobra.Command {
	c := &cobra.Command{Use: "tasks", Short: "Inspect task instances"}
	var output, dagID string
	list := &cobra.Command{
		Use:   "list RUN_ID",
		Short: "List the task instances of a run",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			ctx := cmd.Context()
			if c, ok, err := a.remote(); ok {
				if err != nil {
					return err
				}
				return a.remoteTasks(ctx, c, dagID, args[0], output)
			}
			st, err := a.openStore(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			run, err := findRun(ctx, st, dagID, args[0])
			if err != nil {
				return err
			}
			tis, err := runTIs(ctx, st, run)
			if err != nil {
				return err
			}
			return a.printTasks(run, tis, output)
		},
	}
	list.Flags().StringVar(&dagID, "dag", "", "the run's DAG, when the run id is ambiguous")
	a.addOutputFlag(list, &output)
	c.AddCommand(list)
	return c
}

// printRuns prints runs (a table or JSON), for the local store and a server alike.
func (a *app) printRuns(runs []*store.DAGRun, output string) error {
	if output == "json" { // the API's objects, as through a server (remoteRuns)
		out := []client.DAGRun{}
		for _, r := range runs {
			out = append(out, api.RunObject(r))
		}
		return writeJSON(a.out, out)
	}
	color := colors(a.out)
	var rows [][]string
	for _, r := range runs {
		rows = append(rows, []string{r.DAGID, r.RunID, paint(color, string(r.State)), r.RunType, r.DAGHash, fmtTime(r.StartedAt), fmtDur(r.StartedAt, r.EndedAt)})
	}
	a.table([]string{"DAG", "RUN ID", "STATE", "TYPE", "VERSION", "STARTED", "DURATION"}, rows)
	return nil
}

// printTasks prints a run's task instances (a table or JSON), for the local store and a
// server alike.
func (a *app) printTasks(run *store.DAGRun, tis []*store.TaskInstance, output string) error {
	if output == "json" { // the API's objects, as through a server (remoteTasks)
		out := []client.TaskInstance{}
		for _, ti := range tis {
			out = append(out, api.TaskInstanceObject(ti, run.LogicalDate))
		}
		return writeJSON(a.out, out)
	}
	color := colors(a.out)
	var rows [][]string
	for _, ti := range tis {
		out := "-"
		if ti.Output != nil {
			out = oneLine(string(ti.Output), 40)
		}
		rows = append(rows, []string{taskLabel(ti), paint(color, ti.State.String()), fmt.Sprintf("%d/%d", ti.TryNumber, ti.MaxTries), fmtTime(ti.StartedAt), fmtDur(ti.StartedAt, ti.EndedAt), cacheCell(ti.CacheKey, ti.CachedFrom), out, oneLine(ti.Error, 60)})
	}
	if !a.noHeader {
		fmt.Fprintf(a.out, "run %s of %s: %s\n\n", run.RunID, run.DAGID, paint(color, string(run.State)))
	}
	a.table([]string{"TASK", "STATE", "TRIES", "STARTED", "DURATION", "CACHE", "OUTPUT", "ERROR"}, rows)
	return nil
}

func (a *app) logsCmd() *cobra.Command {
	var dagID string
	var try, mapIndex int
	var follow bool
	c := &cobra.Command{
		Use:   "logs RUN_ID TASK [--try N] [--follow]",
		Short: "Print the log of a task's try (stdout and stderr); the latest try by default",
		Long: `Print the log of a task's try (stdout and stderr); the latest try by default.
With --follow (-f), keep printing what the try writes until it ends (a task not started
yet is waited for), as tail -f does; Ctrl-C stops following, not the task.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			var src logSource
			if c, ok, err := a.remote(); ok {
				if err != nil {
					return err
				}
				run, err := remoteFindRun(ctx, c, dagID, args[0])
				if err != nil {
					return err
				}
				src = remoteLog{c: c, dagID: run.DAGID, runID: run.DAGRunID, taskID: args[1], mapIndex: mapIndex}
			} else {
				st, err := a.openStore(ctx)
				if err != nil {
					return err
				}
				defer st.Close()
				run, err := findRun(ctx, st, dagID, args[0])
				if err != nil {
					return err
				}
				src = localLog{st: st, home: a.home, dagID: run.DAGID, runID: run.RunID, taskID: args[1], mapIndex: mapIndex}
			}
			return a.printLog(ctx, src, args[0], args[1], try, follow)
		},
	}
	c.Flags().IntVar(&try, "try", 0, "the try number (default: the latest)")
	c.Flags().IntVar(&mapIndex, "map-index", -1, "the map index of a mapped task")
	c.Flags().StringVar(&dagID, "dag", "", "the run's DAG, when the run id is ambiguous")
	c.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing the try's log until the try ends")
	return c
}

// logSource reads a task instance's state and logs: the local store and log folder, or a
// server.
type logSource interface {
	// state returns the instance's state and current try number; store.ErrNotFound when the
	// run has no such task.
	state(ctx context.Context) (store.TIState, int, error)
	// read returns the log of try from byte offset on; os.ErrNotExist when the try wrote none.
	read(ctx context.Context, try int, offset int64) ([]byte, error)
}

// localLog reads logs from the home folder.
type localLog struct {
	st                   store.Store
	home                 string
	dagID, runID, taskID string
	mapIndex             int
}

func (l localLog) state(ctx context.Context) (store.TIState, int, error) {
	ti, err := l.st.GetTaskInstance(ctx, l.dagID, l.runID, l.taskID, l.mapIndex)
	if err != nil {
		return "", 0, err
	}
	return ti.State, ti.TryNumber, nil
}

func (l localLog) read(_ context.Context, try int, offset int64) ([]byte, error) {
	path, err := engine.LogPath(l.home, l.dagID, l.runID, l.taskID, l.mapIndex, try)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return nil, err
	}
	return io.ReadAll(f)
}

// followPoll is how often --follow looks for more log and the try's end.
const followPoll = 250 * time.Millisecond

// printLog prints one try's log (the latest when try is 0); with follow it goes on until
// the try ends. The local store and a server print through it alike.
func (a *app) printLog(ctx context.Context, src logSource, runID, taskID string, try int, follow bool) error {
	state, n, err := src.state(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("run %s has no task %q (see `weir tasks list %s`)", runID, taskID, runID)
	}
	if err != nil {
		return err
	}
	if try > 0 {
		if try > n && !follow {
			return fmt.Errorf("task %s has %d tr%s; --try %d does not exist", taskID, n, plural(n, "y", "ies"), try)
		}
	}
	var offset int64
	for {
		cur := try
		if cur == 0 {
			cur = n
		}
		if cur > 0 {
			b, err := src.read(ctx, cur, offset)
			switch {
			case err == nil:
				if _, werr := a.out.Write(b); werr != nil {
					return werr
				}
				offset += int64(len(b))
			case errors.Is(err, os.ErrNotExist):
				if !follow {
					fmt.Fprintf(a.errOut, "try %d of %s wrote no log\n", cur, taskID)
					return nil
				}
			default:
				return err
			}
		} else if !follow {
			return fmt.Errorf("task %s has not run yet (state %s): wait with --follow", taskID, state)
		}
		if !follow {
			return nil
		}
		// The try has ended once the instance moved on to a later try or finished; one last
		// read above has printed all it wrote.
		if cur > 0 && (n > cur || state != store.TIRunning && state != store.TIQueued) {
			fmt.Fprintf(a.errOut, "try %d of %s ended: %s\n", cur, taskID, state)
			return nil
		}
		if try == 0 && cur > 0 {
			try = cur // follow this try to its end, not the next one
		}
		select {
		case <-ctx.Done():
			return &ExitError{Code: 130}
		case <-time.After(followPoll):
		}
		state, n, err = src.state(ctx)
		if err != nil {
			return err
		}
	}
}

func (a *app) clearCmd() *cobra.Command {
	var dagID string
	var downstream, upstream, onlyFailed, onlyRunning, past, future, noRun, quiet bool
	var mapIndexes []int
	c := &cobra.Command{
		Use:   "clear RUN_ID [TASK]...",
		Short: "Reset tasks of a run (all by default) and run them again in the foreground",
		Long: `Reset task instances of a finished run to 'none', with their retries renewed and their
outputs dropped, then continue the run in the foreground (as weir run --resume does).
With --downstream the tasks downstream of those named are reset too; with --failed only
failed and upstream_failed ones; with --map-index only some instances of a mapped task;
with --no-run the run is only reset. Clearing a task in the scope of a setup also clears
the setup and its teardowns; clearing a whole mapped task expands it again.

With --past and --future the same tasks are cleared in the DAG's runs whose logical date
is at or before, or at or after (and not later than now), the run's, as Airflow's clear
does; each is continued in turn.

A run a 'weir server' executes is cleared through it (--server): the server clears it in
its engine, as Airflow clears a running DAG run (with --running only the running
instances, whose tries are killed and run again without using a retry).`,
		Example: `  weir clear manual__2026-11-24T20:40:00.123Z train --downstream
  weir clear manual__2026-11-24T20:40:00.123Z --failed
  weir clear scheduled__2026-11-24T00:00:00Z train --future --server http://localhost:8080`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if onlyFailed && onlyRunning {
				return errors.New("--failed and --running exclude each other: choose one")
			}
			if c, ok, err := a.remote(); ok {
				if err != nil {
					return err
				}
				if noRun {
					return errors.New("--no-run works on the local store only: a server runs the tasks it clears")
				}
				return a.remoteClear(ctx, c, dagID, args[0], client.ClearRequest{TaskIDs: args[1:], MapIndexes: mapIndexes,
					IncludeDownstream: downstream, IncludeUpstream: upstream, OnlyFailed: onlyFailed, OnlyRunning: onlyRunning,
					IncludePast: past, IncludeFuture: future}, quiet)
			}
			st, err := a.openStore(ctx)
			if err != nil {
				return err
			}
			run, err := findRun(ctx, st, dagID, args[0])
			if err != nil {
				st.Close()
				return err
			}
			o := engine.ClearOptions{TaskIDs: args[1:], MapIndexes: mapIndexes, Downstream: downstream, Upstream: upstream,
				OnlyFailed: onlyFailed, OnlyRunning: onlyRunning}
			runs := []*store.DAGRun{run}
			if past || future {
				all, err := st.ListRuns(ctx, store.ListRunsParams{DAGID: run.DAGID, Limit: math.MaxInt32})
				if err != nil {
					st.Close()
					return err
				}
				runs = engine.ClearSpan(all, run, past, future, time.Now())
			}
			var again []*store.DAGRun
			for _, r := range runs {
				ro := o
				if r.RunID != run.RunID {
					tis, err := st.ListTaskInstances(ctx, store.ListTIParams{DAGID: r.DAGID, RunID: r.RunID})
					if err != nil {
						st.Close()
						return err
					}
					var ok bool
					if ro, ok = o.In(tis); !ok {
						continue
					}
				}
				// Instances running in a run whose owner died: their processes are killed once
				// the clear committed, as a resume kills them (it looks only at running ones).
				running, err := st.ListTaskInstances(ctx, store.ListTIParams{DAGID: r.DAGID, RunID: r.RunID, States: []store.TIState{store.TIRunning}})
				if err != nil {
					st.Close()
					return err
				}
				cleared, err := engine.Clear(ctx, st, r.DAGID, r.RunID, ro)
				if err == nil && len(cleared) > 0 {
					keys := make([]store.TIKey, len(running))
					for i, ti := range running {
						keys[i] = store.TIKey{DAGID: ti.DAGID, RunID: ti.RunID, TaskID: ti.TaskID, MapIndex: ti.MapIndex}
					}
					engine.KillOrphans(a.home, keys)
				}
				if errors.Is(err, engine.ErrRunOwned) {
					err = fmt.Errorf("%w; to clear it while it runs, clear it through the server that runs it (--server)", err)
				}
				if err != nil {
					st.Close()
					return fmt.Errorf("run %s of %s: %w", r.RunID, r.DAGID, err)
				}
				a.auditLocal(ctx, st, "dag_run.clear", "dag_run", r.DAGID+"/"+r.RunID, map[string]any{"task_ids": ro.TaskIDs, "only_failed": onlyFailed}, nil)
				if len(cleared) == 0 {
					continue
				}
				if len(runs) > 1 {
					fmt.Fprintf(a.out, "run %s: ", r.RunID)
				}
				fmt.Fprintf(a.out, "cleared %d task(s): %v\n", len(cleared), cleared)
				again = append(again, r)
			}
			st.Close()
			if len(again) == 0 {
				fmt.Fprintln(a.out, "nothing to clear")
				return nil
			}
			var first error
			for _, r := range again {
				if noRun {
					fmt.Fprintf(a.out, "continue the run with: weir run --resume %s\n", r.RunID)
					continue
				}
				rc := a.runCmd()
				rc.SetContext(ctx)
				flags := []string{"--resume", r.RunID, "--dag", r.DAGID}
				if quiet {
					flags = append(flags, "--quiet")
				}
				if err := rc.ParseFlags(flags); err != nil {
					return err
				}
				if err := rc.RunE(rc, nil); err != nil && first == nil {
					first = err
				}
			}
			return first
		},
	}
	c.Flags().BoolVar(&downstream, "downstream", false, "also clear every task downstream of those named")
	c.Flags().BoolVar(&upstream, "upstream", false, "also clear every task upstream of those named, recursively")
	c.Flags().BoolVar(&onlyFailed, "failed", false, "only clear failed and upstream_failed tasks")
	c.Flags().BoolVar(&onlyRunning, "running", false, "only clear running tasks (through a server: their tries are killed and run again)")
	c.Flags().BoolVar(&past, "past", false, "also clear the tasks in the DAG's runs with an earlier logical date")
	c.Flags().BoolVar(&future, "future", false, "also clear the tasks in the DAG's runs with a later logical date (up to now)")
	c.Flags().BoolVar(&noRun, "no-run", false, "only reset; do not run")
	c.Flags().IntSliceVar(&mapIndexes, "map-index", nil, "with one TASK: clear only these instances of a mapped task")
	c.Flags().BoolVarP(&quiet, "quiet", "q", false, "print only the final table")
	c.Flags().StringVar(&dagID, "dag", "", "the run's DAG, when the run id is ambiguous")
	return c
}

func (a *app) poolsCmd() *cobra.Command {
	c := &cobra.Command{Use: "pools", Short: "Manage named pools of slots shared by tasks across DAGs"}
	var output string
	list := &cobra.Command{
		Use: "list", Short: "List pools", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			o, done, err := a.orchestration(cmd.Context())
			if err != nil {
				return err
			}
			defer done()
			pools, err := o.Pools(cmd.Context())
			if err != nil {
				return err
			}
			if output == "json" {
				type row struct {
					Name        string `json:"name"`
					Slots       int    `json:"slots"`
					Description string `json:"description,omitempty"`
				}
				out := []row{}
				for _, p := range pools {
					out = append(out, row{p.Name, p.Slots, p.Description})
				}
				return writeJSON(a.out, out)
			}
			var rows [][]string
			for _, p := range pools {
				slots := strconv.Itoa(p.Slots)
				if p.Slots < 0 {
					slots = "unlimited"
				}
				rows = append(rows, []string{p.Name, slots, p.Description})
			}
			a.table([]string{"POOL", "SLOTS", "DESCRIPTION"}, rows)
			return nil
		},
	}
	a.addOutputFlag(list, &output)
	var desc string
	set := &cobra.Command{
		Use: "set NAME SLOTS", Short: "Create or resize a pool (SLOTS -1 means unlimited)", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			slots, err := strconv.Atoi(args[1])
			if err != nil || slots < -1 {
				return fmt.Errorf("SLOTS %q: want a whole number ≥ 0, or -1 for unlimited", args[1])
			}
			o, done, err := a.orchestration(cmd.Context())
			if err != nil {
				return err
			}
			defer done()
			if err := o.SetPool(cmd.Context(), &store.Pool{Name: args[0], Slots: slots, Description: desc}); err != nil {
				return err
			}
			fmt.Fprintf(a.out, "pool %s: %d slots\n", args[0], slots)
			return nil
		},
	}
	set.Flags().StringVar(&desc, "description", "", "what the pool is for")
	del := &cobra.Command{
		Use: "delete NAME", Short: "Delete a pool", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o, done, err := a.orchestration(cmd.Context())
			if err != nil {
				return err
			}
			defer done()
			if err := o.DeletePool(cmd.Context(), args[0]); err != nil {
				if errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("no pool %q (see `weir pools list`)", args[0])
				}
				return err
			}
			fmt.Fprintf(a.out, "pool %s deleted\n", args[0])
			return nil
		},
	}
	c.AddCommand(list, set, del)
	return c
}

func (a *app) versionCmd() *cobra.Command {
	return &cobra.Command{
		Use: "version", Short: "Print weir's version", Args: cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) { fmt.Fprintf(a.out, "weir %s\n", a.opts.Version) },
	}
}

func (a *app) benchCmd() *cobra.Command {
	return benchCommand(a)
}
