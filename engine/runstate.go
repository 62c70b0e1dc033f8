package engine

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/store"
)

// runKey identifies a run.
type runKey struct{ dagID, runID string }

// node is one task of an active run, with its instances.
type node struct {
	task *dag.Task
	opts EffectiveOptions
	up   []*node
	down []*node
	// tis are the task's instances by map index. An unmapped task has one, at map index
	// −1; so has a mapped task before it is expanded (the placeholder).
	tis []*store.TaskInstance
	// mapped says whether the task expands itself (expand or expand_kwargs).
	mapped bool
	// group is the mapped task group the task belongs to, nil if none.
	group *mgroup
	// priority is the effective priority weight.
	priority int
	// templated says whether the task has any "{{" to render.
	templated bool
	// readsAncestors says whether its templates may read outputs beyond direct upstreams.
	readsAncestors bool
	// cpu caches whether the task's kind is CPU-bound: 0 not known yet, 1 yes, 2 no.
	cpu int8
	// leaf says whether the task counts for the run's state (Airflow's effective leaves:
	// no downstream but ignorable teardowns, and not itself an ignorable teardown).
	leaf bool
	// setups are the indirect relevant setups whose success the task needs (Airflow's
	// setup constraint); direct upstream setups count through the trigger rule.
	setups []*node
	// running counts the task's running instances, for max_active_tis_per_dag.
	running int
	// nested says whether the task is mapped inside a mapped group: each group instance
	// expands it on its own, and its map indexes are group index × stride + inner index
	// (a sub-placeholder at stride−1 until that group instance's expansion).
	nested bool
	// stride spaces the map indexes of a nested task's group instances.
	stride int
}

// mgroup is a mapped task group of a run: every task in it has one instance per item.
type mgroup struct {
	g        *dag.Group
	nodes    []*node
	expanded bool
}

// needsExpansion reports whether the node's placeholder must be expanded before it runs.
func (n *node) needsExpansion() bool {
	return (n.mapped || n.group != nil) && len(n.tis) == 1 && n.tis[0].MapIndex < 0
}

// subPlaceholder reports whether ti is a nested task's placeholder for one group instance.
func (n *node) subPlaceholder(ti *store.TaskInstance) bool {
	return n.nested && ti.MapIndex >= 0 && ti.MapIndex%n.stride == n.stride-1
}

// groupIndex is the mapped-group instance an instance belongs to (its map index, unless
// the task is nested).
func (n *node) groupIndex(ti *store.TaskInstance) int {
	if n.nested && ti.MapIndex >= 0 {
		return ti.MapIndex / n.stride
	}
	return ti.MapIndex
}

// isSetup and isTeardown report the task's role.
func (n *node) isSetup() bool    { return n.task.Setup }
func (n *node) isTeardown() bool { return n.task.Teardown != nil }

// ti returns the instance at map index i, or nil.
func (n *node) ti(i int) *store.TaskInstance {
	if len(n.tis) == 1 && n.tis[0].MapIndex == i {
		return n.tis[0]
	}
	if i >= 0 && i < len(n.tis) && n.tis[i].MapIndex == i {
		return n.tis[i]
	}
	for _, t := range n.tis {
		if t.MapIndex == i {
			return t
		}
	}
	return nil
}

// runState is the in-memory view of one active run. Only the engine loop touches it.
type runState struct {
	key      runKey
	run      *store.DAGRun
	dag      *dag.DAG
	nodes    map[string]*node
	order    []*node
	groups   map[string]*mgroup
	dir      string
	params   map[string]any
	conf     map[string]any
	deadline time.Time
	// active counts the run's instances holding a slot, for max_active_tasks.
	active int
	// dirty holds nodes whose pending instances must be re-evaluated.
	dirty map[*node]bool
	// check says whether the run's state must be recomputed.
	check bool
	// forced is the state the run was marked with (MarkRun), "" when none.
	forced store.RunState
	// values caches decoded outputs.
	values map[*store.TaskInstance]any
	// triggering maps dataset URIs to the events that triggered the run.
	triggering map[string]any
	// rescheduled holds sensors waiting for their next poke (their start is kept).
	rescheduled map[*store.TaskInstance]bool
	// done holds the waiters to tell when the run ends (buffered, capacity 1).
	done []chan error
	// lease is this engine's lease of the run: every commit of the run is guarded by its
	// epoch.
	lease *store.Lease
	// storedState is the run's state as last committed: the guard of its next transition.
	storedState store.RunState
}

// newRunState builds the in-memory view of a run from its DAG snapshot and instances.
func newRunState(run *store.DAGRun, d *dag.DAG, tis []*store.TaskInstance) (*runState, error) {
	rs := &runState{
		key:         runKey{run.DAGID, run.RunID},
		run:         run,
		dag:         d,
		nodes:       make(map[string]*node, len(d.Tasks)),
		groups:      map[string]*mgroup{},
		dirty:       map[*node]bool{},
		values:      map[*store.TaskInstance]any{},
		rescheduled: map[*store.TaskInstance]bool{},
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
	rs.triggering = store.TriggerEventsByURI(run.TriggerEvents)
	for _, g := range d.Groups {
		if g.Expand != nil || g.ExpandKwargs != nil {
			rs.groups[g.ID] = &mgroup{g: g}
		}
	}
	for _, t := range d.Tasks {
		spec, _ := json.Marshal(struct {
			T bool
			C *dag.CommandSpec
			H *dag.HTTPSpec
			G *dag.GoSpec
			B *dag.BranchSpec
			S *dag.ShortCircuitSpec
			M string
			X *dag.SensorSpec
			P any
		}{false, t.Command, t.HTTP, t.Go, t.Branch, t.ShortCircuit, t.MapIndexTemplate, t.Sensor, t.Spec})
		opts := Effective(d, t)
		if len(opts.OnSLAMiss) == 0 {
			opts.OnSLAMiss = d.OnSLAMiss // a task's SLA misses go to the DAG's callbacks by default
		}
		n := &node{task: t, opts: opts, mapped: t.Expand != nil || t.ExpandKwargs != nil,
			templated: strings.Contains(string(spec), "{{") || (t.Branch != nil && t.Branch.Expr != "") ||
				(t.ShortCircuit != nil && t.ShortCircuit.Expr != "") || t.Sensor != nil}
		n.readsAncestors = n.templated && (strings.Contains(string(spec), "outputs") || t.Sensor != nil)
		if g := mappedGroupOf(rs.groups, t.Group); g != nil {
			n.group = g
			g.nodes = append(g.nodes, n)
			if n.mapped {
				n.nested, n.stride = true, maxMapLength(d)+1
			}
		}
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
	markLeaves(rs.order)
	computeSetups(rs.order)
	computePriorities(rs.order)
	for _, ti := range tis {
		n, ok := rs.nodes[ti.TaskID]
		if !ok {
			continue // the task is gone from the definition
		}
		n.tis = append(n.tis, ti)
	}
	for _, n := range rs.order {
		if len(n.tis) == 0 {
			return nil, fmt.Errorf("run %s: task %s has no task instance", run.RunID, n.task.ID)
		}
		sort.Slice(n.tis, func(i, j int) bool { return n.tis[i].MapIndex < n.tis[j].MapIndex })
	}
	for _, g := range rs.groups {
		g.expanded = len(g.nodes) > 0 && !g.nodes[0].needsExpansion()
	}
	if d.RunTimeout > 0 && !run.StartedAt.IsZero() {
		rs.deadline = run.StartedAt.Add(d.RunTimeout.D())
	}
	return rs, nil
}

// mappedGroupOf returns the nearest mapped group enclosing a task's group, or nil.
func mappedGroupOf(groups map[string]*mgroup, group string) *mgroup {
	for group != "" {
		if g, ok := groups[group]; ok {
			return g
		}
		i := strings.LastIndexByte(group, '.')
		if i < 0 {
			break
		}
		group = group[:i]
	}
	return nil
}

// markLeaves marks the tasks that decide the run's state: Airflow's effective leaves, tasks
// whose downstreams are all ignorable teardowns and that are not ignorable teardowns
// themselves (a teardown is ignorable unless on_failure_fail_dagrun).
func markLeaves(order []*node) {
	ignorable := func(n *node) bool { return n.isTeardown() && !n.task.Teardown.OnFailureFailDagrun }
	any := false
	for _, n := range order {
		n.leaf = !ignorable(n)
		for _, d := range n.down {
			if !ignorable(d) {
				n.leaf = false
				break
			}
		}
		any = any || n.leaf
	}
	if !any { // a DAG of teardowns only
		for _, n := range order {
			n.leaf = len(n.down) == 0
		}
	}
}

// computeSetups finds, for each non-teardown task, its relevant indirect setups (Airflow's
// setup constraint); direct upstream setups count through the trigger rule instead.
func computeSetups(order []*node) {
	hasSetup := false
	for _, n := range order {
		hasSetup = hasSetup || n.isSetup()
	}
	if !hasSetup {
		return
	}
	for _, n := range order {
		if n.isTeardown() {
			continue
		}
		direct := map[*node]bool{}
		for _, u := range n.up {
			direct[u] = true
		}
		for _, s := range relevantSetups(n) {
			if !direct[s] {
				n.setups = append(n.setups, s)
			}
		}
	}
}

// relevantSetups returns the setups whose scope holds n: setup ancestors that have no
// teardown, or have a teardown downstream of n (Airflow's get_upstreams_only_setups).
func relevantSetups(n *node) []*node {
	desc := reach(n, func(x *node) []*node { return x.down })
	var out []*node
	for _, a := range ancestors(n) {
		if !a.isSetup() {
			continue
		}
		relevant := true
		for _, d := range a.down {
			if d.isTeardown() {
				relevant = false
				if desc[d] {
					relevant = true
					break
				}
			}
		}
		if relevant {
			out = append(out, a)
		}
	}
	return out
}

// reach returns the set of nodes reachable from n through next (n excluded).
func reach(n *node, next func(*node) []*node) map[*node]bool {
	seen := map[*node]bool{}
	stack := append([]*node(nil), next(n)...)
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[x] {
			continue
		}
		seen[x] = true
		stack = append(stack, next(x)...)
	}
	return seen
}

// computePriorities sets each node's effective priority by its weight rule: downstream
// (own weight plus every descendant's), upstream (own plus every ancestor's) or absolute.
func computePriorities(order []*node) {
	for _, n := range order {
		switch n.opts.WeightRule {
		case "absolute":
			n.priority = n.opts.PriorityWeight
		case "upstream":
			n.priority = n.opts.PriorityWeight + sumWeights(reach(n, func(x *node) []*node { return x.up }))
		default:
			if len(n.down) == 0 {
				n.priority = n.opts.PriorityWeight
				continue
			}
			n.priority = n.opts.PriorityWeight + sumWeights(reach(n, func(x *node) []*node { return x.down }))
		}
	}
}

func sumWeights(set map[*node]bool) int {
	sum := 0
	for x := range set {
		sum += x.opts.PriorityWeight
	}
	return sum
}

// ancestors returns every node upstream of n, transitively, nearest first.
func ancestors(n *node) []*node {
	seen := map[*node]bool{}
	var out []*node
	queue := append([]*node(nil), n.up...)
	for len(queue) > 0 {
		x := queue[0]
		queue = queue[1:]
		if seen[x] {
			continue
		}
		seen[x] = true
		out = append(out, x)
		queue = append(queue, x.up...)
	}
	return out
}

// aligned reports whether instance i of d depends only on instance i of u: both are in the
// same mapped group.
func aligned(u, d *node) bool { return u.group != nil && u.group == d.group }

// eachUpstreamTI calls fn for every upstream instance that instance ti of n depends on.
func (n *node) eachUpstreamTI(ti *store.TaskInstance, fn func(u *node, uti *store.TaskInstance)) {
	for _, u := range n.up {
		if aligned(u, n) && ti.MapIndex >= 0 {
			gi, found := n.groupIndex(ti), false
			for _, x := range u.tis {
				if x.MapIndex >= 0 && u.groupIndex(x) == gi {
					fn(u, x)
					found = true
				}
			}
			if !found && len(u.tis) > 0 {
				fn(u, u.tis[0]) // not expanded yet: its placeholder is pending
			}
			continue
		}
		for _, x := range u.tis {
			fn(u, x)
		}
	}
}

// outputOf returns what the outputs of node u look like to instance ti of node d: the
// aligned instance's output inside a mapped group, the ordered list of the non-null outputs
// of a mapped task or group (a reduce), or the single instance's output.
func (rs *runState) outputOf(u, d *node, ti *store.TaskInstance) (any, bool) {
	if aligned(u, d) && ti != nil && ti.MapIndex >= 0 {
		gi := d.groupIndex(ti)
		if u.nested {
			// A nested task seen from its group instance: the list of that instance's outputs.
			list := []any{}
			for _, x := range u.tis {
				if x.MapIndex >= 0 && !u.subPlaceholder(x) && u.groupIndex(x) == gi && x.State == store.TISuccess && x.Output != nil {
					if v := rs.value(x); v != nil {
						list = append(list, v)
					}
				}
			}
			return list, true
		}
		x := u.ti(gi)
		if x == nil || x.State != store.TISuccess || x.Output == nil {
			return nil, false
		}
		return rs.value(x), true
	}
	if u.mapped || u.group != nil {
		list := []any{}
		for _, x := range u.tis {
			if x.MapIndex >= 0 && x.State == store.TISuccess && x.Output != nil {
				if v := rs.value(x); v != nil {
					list = append(list, v)
				}
			}
		}
		return list, true
	}
	x := u.tis[0]
	if x.State != store.TISuccess || x.Output == nil {
		return nil, false
	}
	return rs.value(x), true
}

// value decodes and caches an instance's output.
func (rs *runState) value(ti *store.TaskInstance) any {
	if v, ok := rs.values[ti]; ok {
		return v
	}
	var v any
	if len(ti.Output) > 0 {
		_ = json.Unmarshal(ti.Output, &v)
	}
	rs.values[ti] = v
	return v
}

// pending reports whether an instance still has to reach a final state.
func pending(s store.TIState) bool { return !s.Finished() }

// tracked reports whether any task of the run is tracked.
func (rs *runState) tracked() bool {
	for _, n := range rs.order {
		if n.opts.Track {
			return true
		}
	}
	return false
}
