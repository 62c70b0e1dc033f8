package dag

import (
	"fmt"
	"iter"
	"slices"
	"strings"

	"github.com/weirhq/weir/schedule"
)

// hintBudget bounds the work of the did-you-mean hints of one DAG: one unit per candidate
// looked at plus one per cell of each edit distance computed. A DAG with thousands of
// unknown names would otherwise compare each with every task (quadratic); past the budget,
// its remaining errors come without a hint. Four million units take a few tens of
// milliseconds, enough for every hint of any DAG with a handful of typos.
const hintBudget = 4_000_000

// hinter suggests names close to an unknown one from a candidate list built once, within
// hintBudget for all its hints together.
type hinter struct {
	cands  []string // sorted; built on first use
	build  func() []string
	budget int
}

func newHinter(build func() []string) *hinter {
	return &hinter{build: build, budget: hintBudget}
}

// candidates returns the candidate list, building it on first use.
func (h *hinter) candidates() []string {
	if h.cands == nil && h.build != nil {
		h.cands = h.build()
		slices.Sort(h.cands)
		h.build = nil
		h.budget -= len(h.cands)
	}
	return h.cands
}

// hint returns DidYouMean's text for name among every candidate.
func (h *hinter) hint(name string) string {
	return hintText(closestOf(name, slices.Values(h.candidates()), &h.budget))
}

// hintIn returns DidYouMean's text for name among the candidates that start with one of
// prefixes, with that prefix removed: the names an upstream reference may use from inside
// a group.
func (h *hinter) hintIn(name string, prefixes []string) string {
	cands := h.candidates()
	var seq iter.Seq[string] = func(yield func(string) bool) {
		for _, c := range cands {
			for _, p := range prefixes {
				if strings.HasPrefix(c, p) && !yield(c[len(p):]) {
					return
				}
			}
		}
	}
	return hintText(closestOf(name, seq, &h.budget))
}

// refHints returns the hinter of upstream references: every task and group ID of the file.
func (r *rawDAG) refHints() *hinter {
	if r.hints == nil {
		r.hints = newHinter(func() []string {
			ids := make([]string, 0, len(r.byTask)+len(r.byGroup))
			for id := range r.byTask {
				ids = append(ids, id)
			}
			for id := range r.byGroup {
				ids = append(ids, id)
			}
			return ids
		})
	}
	return r.hints
}

// taskHints returns the hinter of task IDs of the DAG being validated.
func (v *validator) taskHints() *hinter {
	if v.hints == nil {
		v.hints = newHinter(func() []string { return sortedMapKeys(v.tasks) })
	}
	return v.hints
}

// maxListed is how many names an error lists ("declared: a, b, c"); longer lists end with
// how many more there are, so that the errors of a DAG with thousands of names stay small.
const maxListed = 50

// paramHints returns the hinter of the DAG's params and their list for messages, both built
// once.
func (v *validator) paramHints() (*hinter, string) {
	if v.paramH == nil {
		names := sortedMapKeys(v.d.Params)
		v.plist = listNames(names)
		v.paramH = newHinter(func() []string { return names })
	}
	return v.paramH, v.plist
}

// listNames joins sorted names for a message: "none", "a, b, c", or the first maxListed
// and "… (N more)".
func listNames(names []string) string {
	switch {
	case len(names) == 0:
		return "none"
	case len(names) > maxListed:
		return strings.Join(names[:maxListed], ", ") + fmt.Sprintf(", … (%d more)", len(names)-maxListed)
	}
	return strings.Join(names, ", ")
}

// otherNames maps field names of Airflow (and of other schedulers' YAML) to weir's: an
// unknown field with one of these names gets weir's name as its hint.
var otherNames = map[string]string{
	"bash_command":        "script",
	"depends_on":          "upstream",
	"dependencies":        "upstream",
	"needs":               "upstream",
	"upstream_task_ids":   "upstream",
	"task_id":             "id",
	"python_callable":     "go",
	"op_kwargs":           "args",
	"execution_timeout":   "timeout",
	"dagrun_timeout":      "run_timeout",
	"default_args":        "defaults",
	"schedule_interval":   "schedule",
	"timetable":           "schedule",
	"cwd":                 "dir",
	"doc_md":              "description",
	"on_failure_callback": "on_failure",
	"on_success_callback": "on_success",
	"on_retry_callback":   "on_retry",
	"sla_miss_callback":   "on_sla_miss",
	"max_active_tis":      "max_active_tis_per_dag",
	"concurrency":         "max_active_tasks",
	"schedule_on":         "datasets",
}

// otherNameHint returns the hint for a field written with another tool's name, when weir's
// name for it is one of allowed, else "".
func otherNameHint(name string, allowed []string) string {
	w, ok := otherNames[name]
	if !ok || !slices.Contains(allowed, w) {
		return ""
	}
	return fmt.Sprintf(": weir calls it %q (see docs/dag-yaml.md)", w)
}

// presetHint adds a did-you-mean to the error msg of an unknown schedule preset ("@dialy").
func presetHint(sched, msg string) string {
	const unknown = "unknown preset;"
	if !strings.HasPrefix(sched, "@") || !strings.Contains(msg, unknown) {
		return msg
	}
	hint := DidYouMean(strings.ToLower(strings.TrimSpace(sched)), schedule.Presets())
	return strings.Replace(msg, unknown, "unknown preset"+hint+";", 1)
}
