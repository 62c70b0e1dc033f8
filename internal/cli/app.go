package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/executor"
	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/store/sqlite"
)

// Options configure the command tree.
type Options struct {
	// Funcs are the Go task functions this binary provides (nil: none).
	Funcs *executor.Funcs
	// ExtraKinds are task kinds this binary provides beside the built-in ones (each one
	// registration: YAML fields, checks, template fields and executor).
	ExtraKinds []executor.Registration
	// DAGs are DAGs defined in Go, available beside the YAML folder's.
	DAGs []*dag.DAG
	// Version is printed by `weir version`.
	Version string
	// Stdout and Stderr default to the process's.
	Stdout, Stderr io.Writer
	// Stdin is where passwords are read from when it is not a terminal; default the
	// process's.
	Stdin io.Reader
	// AliveEvery is how often `weir run` (and clear) prints, for each task running longer
	// than that, its elapsed time and the last line of its log; default 5s.
	AliveEvery time.Duration
}

// app holds what every command shares.
type app struct {
	opts    Options
	home    string
	dagsDir string
	server  string
	// noHeader is a listing's --quiet: tables print their rows only.
	noHeader bool
	out      io.Writer
	errOut   io.Writer
}

// ExitError carries a process exit code without printing anything more.
type ExitError struct{ Code int }

// Error names the exit code.
func (e *ExitError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

// Main runs the command line with args and returns the process exit code.
func Main(ctx context.Context, args []string, o Options) int {
	cmd := NewCommand(o)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "error: %v\n", err)
	return 1
}

// NewCommand returns the root command.
func NewCommand(o Options) *cobra.Command {
	if o.Funcs == nil {
		o.Funcs = executor.NewFuncs()
	}
	if o.Version == "" {
		o.Version = "dev"
	}
	if o.AliveEvery <= 0 {
		o.AliveEvery = 5 * time.Second
	}
	a := &app{opts: o, out: o.Stdout, errOut: o.Stderr}
	if a.out == nil {
		a.out = os.Stdout
	}
	if a.errOut == nil {
		a.errOut = os.Stderr
	}
	a.out, a.errOut = &syncWriter{w: a.out}, &syncWriter{w: a.errOut}
	root := &cobra.Command{
		Use:   "weir",
		Short: "weir orchestrates machine-learning pipelines: DAGs of tasks, run locally or as a service",
		Long: `weir runs DAGs of tasks — written in YAML (tasks in any language) or in Go —
with Airflow's semantics: trigger rules, retries, pools, task outputs, and a persisted
state machine that survives kill -9.

The store lives in $WEIR_HOME (default ./.weir); DAG files in $WEIR_DAGS (default ./dags).`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       o.Version,
	}
	root.SetOut(a.out)
	root.SetErr(a.errOut)
	root.PersistentFlags().StringVar(&a.home, "home", envOr("WEIR_HOME", ".weir"), "weir's home folder: store and logs ($WEIR_HOME)")
	root.PersistentFlags().StringVar(&a.dagsDir, "dags", envOr("WEIR_DAGS", "dags"), "folder of DAG files ($WEIR_DAGS)")
	root.PersistentFlags().StringVar(&a.server, "server", os.Getenv("WEIR_SERVER"), "talk to this weir server (http://host:port) instead of the local store ($WEIR_SERVER)")
	root.AddCommand(a.dagsCmd(), a.runCmd(), a.runsCmd(), a.tasksCmd(), a.logsCmd(), a.clearCmd(), a.poolsCmd(),
		a.serverCmd(), a.backfillCmd(), a.datasetsCmd(), a.experimentsCmd(), a.mlrunsCmd(), a.modelsCmd(),
		a.lineageCmd(), a.benchCmd(), a.kindsCmd(), a.cacheCmd(), a.deployCmd(), a.deploymentsCmd(),
		a.predictionsCmd(), a.feedbackCmd(), a.tokensCmd(), a.usersCmd(), a.grantsCmd(), a.demoCmd(), a.versionCmd(),
		a.monitorsCmd())
	root.AddCommand(a.approvalsCmd(), a.auditCmd())
	root.AddCommand(a.variablesCmd(), a.connectionsCmd(), a.secretsCmd())
	return root
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// openStore opens the SQLite store under the home folder.
func (a *app) openStore(ctx context.Context) (*sqlite.Store, error) {
	path := filepath.Join(a.home, "weir.db")
	st, err := sqlite.Open(ctx, path, nil)
	if err != nil {
		return nil, fmt.Errorf("open the store %s: %w", path, err)
	}
	return st, nil
}

// loadOptions are the loader options of this binary.
func (a *app) loadOptions() dag.LoadOptions {
	opts := a.kindSet().LoadOptions()
	opts.GoFuncs = a.goFuncCheck()
	return opts
}

// goFuncCheck checks go tasks' function names only when this binary registers functions
// (the plain weir binary cannot know a user's functions).
func (a *app) goFuncCheck() func(string) bool {
	if len(a.opts.Funcs.Names()) == 0 {
		return nil
	}
	return a.opts.Funcs.Has
}

// loadDAGs loads the YAML folder and adds the Go-defined DAGs. A missing folder is not an
// error when Go DAGs exist.
func (a *app) loadDAGs() ([]*dag.DAG, error) {
	var dags []*dag.DAG
	var loadErr error
	if st, err := os.Stat(a.dagsDir); err == nil && st.IsDir() {
		dags, loadErr = dag.LoadDir(a.dagsDir, a.loadOptions())
	} else if len(a.opts.DAGs) == 0 {
		return nil, fmt.Errorf("no DAG folder at %s: pass --dags DIR or set WEIR_DAGS", a.dagsDir)
	}
	seen := map[string]string{}
	for _, d := range dags {
		seen[d.ID] = d.Source
	}
	var errs []error
	if loadErr != nil {
		errs = append(errs, loadErr)
	}
	for _, d := range a.opts.DAGs {
		if src, dup := seen[d.ID]; dup {
			errs = append(errs, fmt.Errorf("dag %s is defined twice: in Go and in %s", d.ID, src))
			continue
		}
		if err := dag.Validate(d, a.loadOptions()); err != nil {
			errs = append(errs, err)
			continue
		}
		seen[d.ID] = d.Source
		dags = append(dags, d)
	}
	sort.Slice(dags, func(i, j int) bool { return dags[i].ID < dags[j].ID })
	return dags, errors.Join(errs...)
}

// findDAG returns the DAG with the given ID, failing with the list of known IDs. Errors in
// other DAG files do not prevent running a valid one.
func (a *app) findDAG(id string) (*dag.DAG, error) {
	dags, loadErr := a.loadDAGs()
	for _, d := range dags {
		if d.ID == id {
			return d, nil
		}
	}
	if loadErr != nil {
		return nil, fmt.Errorf("dag %q not found; the DAG folder has errors:\n%v", id, loadErr)
	}
	ids := make([]string, 0, len(dags))
	for _, d := range dags {
		ids = append(ids, d.ID)
	}
	return nil, fmt.Errorf("dag %q not found in %s%s; known: %s", id, a.dagsDir, dag.DidYouMean(id, ids), strings.Join(ids, ", "))
}

// findRun looks a run up by run ID (and DAG ID when given); an ambiguous run ID asks for
// --dag.
func findRun(ctx context.Context, st store.Store, dagID, runID string) (*store.DAGRun, error) {
	if dagID != "" {
		r, err := st.GetRun(ctx, dagID, runID)
		if errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("no run %q of dag %s (see `weir runs list --dag %s`)", runID, dagID, dagID)
		}
		return r, err
	}
	runs, err := st.ListRuns(ctx, store.ListRunsParams{RunID: runID, Limit: 10})
	if err != nil {
		return nil, err
	}
	switch len(runs) {
	case 0:
		return nil, fmt.Errorf("no run %q (see `weir runs list`)", runID)
	case 1:
		return st.GetRun(ctx, runs[0].DAGID, runs[0].RunID) // with its DAG snapshot
	}
	var ids []string
	for _, r := range runs {
		ids = append(ids, r.DAGID)
	}
	return nil, fmt.Errorf("run id %q exists in several DAGs (%s): pass --dag", runID, strings.Join(ids, ", "))
}

// sortRows sorts rows by a string key.
func sortRows[T any](rows []T, key func(T) string) {
	sort.Slice(rows, func(i, j int) bool { return key(rows[i]) < key(rows[j]) })
}
