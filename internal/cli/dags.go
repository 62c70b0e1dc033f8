package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/weirhq/weir/api"
	"github.com/weirhq/weir/api/client"
	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/store"
)

// dagHeader is the header of `weir dags list`, local and remote.
var dagHeader = []string{"DAG", "TASKS", "SCHEDULE", "PAUSED", "TAGS", "SOURCE", "DESCRIPTION"}

// dagRow is a line of `weir dags list`, local and remote.
func dagRow(id string, tasks int, schedule string, paused bool, tags []string, source, description string) []string {
	if schedule == "" {
		schedule = "-"
	}
	p := ""
	if paused {
		p = "paused"
	}
	return []string{id, fmt.Sprint(tasks), schedule, p, strings.Join(tags, ","), source, description}
}

// pausedDAGs returns which DAGs the local store records as paused; none when there is no
// store yet (listing DAGs does not create one).
func (a *app) pausedDAGs(ctx context.Context) map[string]bool {
	out := map[string]bool{}
	if _, err := os.Stat(filepath.Join(a.home, "weir.db")); err != nil {
		return out
	}
	st, err := a.openStore(ctx)
	if err != nil {
		return out
	}
	defer st.Close()
	metas, err := st.ListDAGs(ctx)
	if err != nil {
		return out
	}
	for _, m := range metas {
		out[m.DAGID] = m.IsPaused
	}
	return out
}

// dagObjects returns the API's objects of the loaded DAGs, by ID, with their metadata and
// import errors from the local store when there is one.
func (a *app) dagObjects(ctx context.Context, dags []*dag.DAG) []client.DAG {
	metas := map[string]*store.DAGMeta{}
	importErrs := map[string]bool{}
	if _, err := os.Stat(filepath.Join(a.home, "weir.db")); err == nil {
		if st, err := a.openStore(ctx); err == nil {
			defer st.Close()
			if ms, err := st.ListDAGs(ctx); err == nil {
				for _, m := range ms {
					metas[m.DAGID] = m
				}
			}
			if errs, err := st.ListImportErrors(ctx); err == nil {
				for _, e := range errs {
					importErrs[e.File] = true
				}
			}
		}
	}
	out := []client.DAG{}
	for _, d := range dags {
		out = append(out, api.DAGObject(d, metas[d.ID], importErrs))
	}
	slices.SortFunc(out, func(x, y client.DAG) int { return strings.Compare(x.DAGID, y.DAGID) })
	return out
}

func (a *app) dagsCmd() *cobra.Command {
	c := &cobra.Command{Use: "dags", Short: "List, validate and show DAGs"}
	var output string
	list := &cobra.Command{
		Use:   "list",
		Short: "List the DAGs of the DAG folder (and those defined in Go)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			if c, ok, err := a.remote(); ok {
				if err != nil {
					return err
				}
				return a.remoteDAGs(cmd.Context(), c, output)
			}
			dags, err := a.loadDAGs()
			paused := a.pausedDAGs(cmd.Context())
			if output == "json" {
				// The API's objects (GET /dags), as through a server (remoteDAGs).
				if werr := writeJSON(a.out, a.dagObjects(cmd.Context(), dags)); werr != nil {
					return werr
				}
			} else {
				var rows [][]string
				for _, d := range dags {
					sched := d.Schedule
					if sched == "" {
						sched = "-"
					}
					rows = append(rows, dagRow(d.ID, len(d.Tasks), d.Schedule, paused[d.ID], d.Tags, d.Source, d.Description))
				}
				a.table(dagHeader, rows)
			}
			if err != nil {
				fmt.Fprintf(a.errOut, "\nsome DAG files have errors (run `weir dags validate`):\n%v\n", err)
				return &ExitError{Code: 1}
			}
			return nil
		},
	}
	a.addOutputFlag(list, &output)

	validate := &cobra.Command{
		Use:   "validate [FILE|DIR]...",
		Short: "Check DAG files and print every error with file:line:column; exit 1 if any",
		Long: `Check DAG files and print every error with file:line:column; exit 1 if any.

Tasks are checked against the task kinds this binary knows: 'weir kinds' lists them
with their YAML fields.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			paths := args
			if len(paths) == 0 {
				paths = []string{a.dagsDir}
			}
			var all []error
			n := 0
			for _, p := range paths {
				dags, err := loadPath(p, a.loadOptions())
				n += len(dags)
				if err != nil {
					all = append(all, err)
				}
			}
			if len(paths) == 0 || len(args) == 0 {
				for _, d := range a.opts.DAGs {
					n++
					if err := dag.Validate(d, a.loadOptions()); err != nil {
						all = append(all, err)
					}
				}
			}
			if len(all) > 0 {
				count := 0
				for _, e := range all {
					for _, line := range strings.Split(e.Error(), "\n") {
						if strings.TrimSpace(line) != "" {
							fmt.Fprintln(a.errOut, line)
							count++
						}
					}
				}
				fmt.Fprintf(a.errOut, "\n%d error(s); %d DAG(s) valid\n", count, n)
				return &ExitError{Code: 1}
			}
			fmt.Fprintf(a.out, "%d DAG(s) valid\n", n)
			return nil
		},
	}

	var dot bool
	show := &cobra.Command{
		Use:   "show DAG",
		Short: "Draw a DAG's graph in the terminal (or as Graphviz dot with --dot)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := a.findDAG(args[0])
			if err != nil {
				return err
			}
			if dot {
				writeDot(a.out, d)
				return nil
			}
			drawDAG(a.out, d)
			return nil
		},
	}
	show.Flags().BoolVar(&dot, "dot", false, "print Graphviz dot instead of drawing")
	c.AddCommand(list, validate, show, a.pauseCmd(true), a.pauseCmd(false), a.triggerCmd())
	return c
}

// loadPath loads one file or a folder.
func loadPath(p string, o dag.LoadOptions) ([]*dag.DAG, error) {
	if strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml") {
		d, err := dag.LoadFile(p, o)
		if d == nil {
			return nil, err
		}
		return []*dag.DAG{d}, err
	}
	return dag.LoadDir(p, o)
}

// drawDAG draws the graph as layers in topological order: each task with the tasks it
// waits for, then a tree of the dependencies from the roots.
func drawDAG(w io.Writer, d *dag.DAG) {
	down := map[string][]string{}
	byID := map[string]*dag.Task{}
	for _, t := range d.Tasks {
		byID[t.ID] = t
		for _, u := range t.Upstream {
			down[u] = append(down[u], t.ID)
		}
	}
	for k := range down {
		sort.Strings(down[k])
	}
	fmt.Fprintf(w, "%s", d.ID)
	if d.Description != "" {
		fmt.Fprintf(w, " — %s", d.Description)
	}
	fmt.Fprintf(w, "  (%d tasks)\n", len(d.Tasks))
	seen := map[string]bool{}
	var walk func(id, prefix string, last bool)
	walk = func(id, prefix string, last bool) {
		branch, next := "├── ", "│   "
		if last {
			branch, next = "└── ", "    "
		}
		label := id + describeTask(byID[id])
		if seen[id] {
			fmt.Fprintf(w, "%s%s%s ↑\n", prefix, branch, id)
			return
		}
		seen[id] = true
		fmt.Fprintf(w, "%s%s%s\n", prefix, branch, label)
		kids := down[id]
		for i, k := range kids {
			walk(k, prefix+next, i == len(kids)-1)
		}
	}
	var roots []string
	for _, t := range d.Tasks {
		if len(t.Upstream) == 0 {
			roots = append(roots, t.ID)
		}
	}
	for i, r := range roots {
		walk(r, "", i == len(roots)-1)
	}
	fmt.Fprintln(w, "\n(↑ = shown above; a task runs after all the tasks on its path from the root, by its trigger rule)")
}

func describeTask(t *dag.Task) string {
	if t == nil {
		return ""
	}
	parts := []string{t.Kind}
	if t.TriggerRule != "" && t.TriggerRule != dag.AllSuccess {
		parts = append(parts, string(t.TriggerRule))
	}
	if len(t.Upstream) > 1 {
		parts = append(parts, "waits for "+strings.Join(t.Upstream, ", "))
	}
	return " [" + strings.Join(parts, "; ") + "]"
}

// writeDot prints the graph in Graphviz dot, with groups as clusters.
func writeDot(w io.Writer, d *dag.DAG) {
	fmt.Fprintf(w, "digraph %q {\n  rankdir=LR;\n  node [shape=box, style=rounded];\n", d.ID)
	inGroup := map[string]bool{}
	for i, g := range d.Groups {
		fmt.Fprintf(w, "  subgraph cluster_%d {\n    label=%q;\n", i, g.ID)
		for _, t := range g.Tasks {
			if !inGroup[t] {
				fmt.Fprintf(w, "    %q;\n", t)
				inGroup[t] = true
			}
		}
		fmt.Fprintln(w, "  }")
	}
	for _, t := range d.Tasks {
		if !inGroup[t.ID] {
			fmt.Fprintf(w, "  %q;\n", t.ID)
		}
		for _, u := range t.Upstream {
			fmt.Fprintf(w, "  %q -> %q;\n", u, t.ID)
		}
	}
	fmt.Fprintln(w, "}")
}

var _ = errors.New
