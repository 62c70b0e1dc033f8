package engine

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/store"
)

// runKey identifies a run.
type runKey struct{ dagID, runID string }

// node is one task of an active run, with its instance.
type node struct {
	task     *dag.Task
	opts     EffectiveOptions
	up       []*node
	down     []*node
	ti       *store.TaskInstance
	priority int
	// templated says whether the task has any "{{" to render.
	templated bool
	// readsAncestors says whether its templates may read outputs beyond direct upstreams.
	readsAncestors bool
	// value is the decoded output, cached for templates.
	value    any
	valueSet bool
	// leaf says whether the task has no downstream (counts for the run's state).
	leaf bool
}

// runState is the in-memory view of one active run. Only the engine loop touches it.
type runState struct {
	key      runKey
	run      *store.DAGRun
	dag      *dag.DAG
	nodes    map[string]*node
	order    []*node
	dir      string
	params   map[string]any
	conf     map[string]any
	deadline time.Time
	// active counts the run's instances holding a slot, for max_active_tasks.
	active int
	// dirty holds nodes to re-evaluate with their trigger rule.
	dirty map[*node]bool
	// check says whether the run's state must be recomputed.
	check bool
	// done holds the waiters to tell when the run ends (buffered, capacity 1).
	done []chan error
}

// newRunState builds the in-memory view of a run from its DAG snapshot and instances.
func newRunState(run *store.DAGRun, d *dag.DAG, tis []*store.TaskInstance) (*runState, error) {
	rs := &runState{
		key:   runKey{run.DAGID, run.RunID},
		run:   run,
		dag:   d,
		nodes: make(map[string]*node, len(d.Tasks)),
		dirty: map[*node]bool{},
	}
	if d.Source != "" && !strings.HasPrefix(d.Source, "go:") {
		rs.dir = filepath.Dir(d.Source)
	}
	if len(run.Params) > 0 {
		if err := json.Unmarshal(run.Params, &rs.params); err != nil {
			return nil, fmt.Errorf("run %s: decode params: %w", run.RunID, err)
		}
	}
	if len(run.Conf) > 0 {
		_ = json.Unmarshal(run.Conf, &rs.conf)
	}
	for _, t := range d.Tasks {
		spec, _ := json.Marshal(struct {
			C *dag.CommandSpec
			H *dag.HTTPSpec
			G *dag.GoSpec
		}{t.Command, t.HTTP, t.Go})
		n := &node{task: t, opts: Effective(d, t), templated: strings.Contains(string(spec), "{{")}
		n.readsAncestors = n.templated && strings.Contains(string(spec), "outputs")
		rs.nodes[t.ID] = n
		rs.order = append(rs.order, n)
	}
	for _, n := range rs.order {
		for _, u := range n.task.Upstream {
			un, ok := rs.nodes[u]
			if !ok {
				return nil, fmt.Errorf("dag %s: task %s: unknown upstream %q", d.ID, n.task.ID, u)
			}
			n.up = append(n.up, un)
			un.down = append(un.down, n)
		}
	}
	for _, n := range rs.order {
		n.leaf = len(n.down) == 0
	}
	computePriorities(rs.order)
	for _, ti := range tis {
		n, ok := rs.nodes[ti.TaskID]
		if !ok {
			// The task is gone from the definition: Airflow marks such instances removed.
			continue
		}
		n.ti = ti
	}
	for _, n := range rs.order {
		if n.ti == nil {
			return nil, fmt.Errorf("run %s: task %s has no task instance", run.RunID, n.task.ID)
		}
	}
	if d.RunTimeout > 0 && !run.StartedAt.IsZero() {
		rs.deadline = run.StartedAt.Add(d.RunTimeout.D())
	}
	return rs, nil
}

// computePriorities sets each node's effective priority by its weight rule: downstream
// (own weight plus every descendant's), upstream (own plus every ancestor's) or absolute.
func computePriorities(order []*node) {
	for _, n := range order {
		switch n.opts.WeightRule {
		case "absolute":
			n.priority = n.opts.PriorityWeight
		case "upstream":
			n.priority = n.opts.PriorityWeight + sumWeights(n, func(x *node) []*node { return x.up })
		default:
			n.priority = n.opts.PriorityWeight + sumWeights(n, func(x *node) []*node { return x.down })
		}
	}
}

// sumWeights adds the weights of every node reachable from n through next (n excluded).
func sumWeights(n *node, next func(*node) []*node) int {
	seen := map[*node]bool{n: true}
	stack := append([]*node(nil), next(n)...)
	sum := 0
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[x] {
			continue
		}
		seen[x] = true
		sum += x.opts.PriorityWeight
		stack = append(stack, next(x)...)
	}
	return sum
}

// ancestors returns every node upstream of n, transitively.
func ancestors(n *node) []*node {
	seen := map[*node]bool{}
	var out []*node
	stack := append([]*node(nil), n.up...)
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[x] {
			continue
		}
		seen[x] = true
		out = append(out, x)
		stack = append(stack, x.up...)
	}
	return out
}

// outputValue decodes and caches a node's output.
func (n *node) outputValue() any {
	if !n.valueSet {
		n.valueSet = true
		if len(n.ti.Output) > 0 {
			_ = json.Unmarshal(n.ti.Output, &n.value)
		}
	}
	return n.value
}

// pending reports whether an instance still has to reach a final state.
func pending(s store.TIState) bool { return !s.Finished() }
