package dag

import (
	"fmt"
	"slices"
	"strings"
)

// ExpandGroups rewrites the dependencies of d so that Task.Upstream holds only task IDs:
// an upstream naming a group is replaced by the group's leaves (its tasks with no downstream
// inside the group), and each group's Upstream is added to the group's roots (its tasks with
// no upstream inside the group). Upstream lists end up deduplicated and sorted. All IDs must
// be fully qualified; group membership comes from Group.Tasks and nesting from the dotted
// group IDs. The YAML loader calls it; the Go SDK calls it after building a DAG. It is
// idempotent. It returns a List of errors for references that name neither a task nor a
// group, and for tasks or groups that depend on a group holding them.
func ExpandGroups(d *DAG) error {
	e := newExpander(d)
	var errs List
	for _, g := range d.Groups {
		for i, r := range g.Upstream {
			if msg := e.checkGroupRef(g, r); msg != "" {
				errs = append(errs, &Error{DAG: d.ID, Group: g.ID, Field: fmt.Sprintf("upstream[%d]", i), Msg: msg})
			}
		}
	}
	for _, t := range d.Tasks {
		for i, r := range t.Upstream {
			if msg := e.checkTaskRef(t, r); msg != "" {
				errs = append(errs, &Error{DAG: d.ID, Task: t.ID, Field: fmt.Sprintf("upstream[%d]", i), Msg: msg, Pos: t.Pos})
			}
		}
	}
	if len(errs) > 0 {
		return errs.err()
	}
	// Compute every new upstream list before changing any: roots and leaves are read from
	// the references as written.
	newUp := make([][]string, len(d.Tasks))
	for i, t := range d.Tasks {
		set := map[string]bool{}
		for _, r := range t.Upstream {
			for _, u := range e.expand(r) {
				set[u] = true
			}
		}
		for _, g := range d.Groups {
			if !e.members[g.ID][t.ID] || !slices.Contains(e.roots(g.ID), t.ID) {
				continue
			}
			for _, r := range g.Upstream {
				for _, u := range e.expand(r) {
					set[u] = true
				}
			}
		}
		newUp[i] = sortedKeys(set)
	}
	for i, t := range d.Tasks {
		t.Upstream = newUp[i]
	}
	return nil
}

// expander computes group roots and leaves.
type expander struct {
	d       *DAG
	tasks   map[string]*Task
	groups  map[string]*Group
	members map[string]map[string]bool
	memo    map[string][2][]string // group ID -> roots, leaves
	busy    map[string]bool
}

func newExpander(d *DAG) *expander {
	e := &expander{d: d, tasks: map[string]*Task{}, groups: map[string]*Group{},
		members: map[string]map[string]bool{}, memo: map[string][2][]string{}, busy: map[string]bool{}}
	for _, t := range d.Tasks {
		if _, dup := e.tasks[t.ID]; !dup {
			e.tasks[t.ID] = t
		}
	}
	for _, g := range d.Groups {
		if _, dup := e.groups[g.ID]; dup {
			continue
		}
		e.groups[g.ID] = g
		set := map[string]bool{}
		for _, id := range g.Tasks {
			set[id] = true
		}
		e.members[g.ID] = set
	}
	return e
}

// within reports whether the task or group ref is inside group g (a group is not inside
// itself).
func (e *expander) within(ref, g string) bool {
	if _, ok := e.groups[ref]; ok {
		return strings.HasPrefix(ref, g+".")
	}
	return e.members[g][ref]
}

func (e *expander) checkTaskRef(t *Task, r string) string {
	if _, ok := e.tasks[r]; ok {
		return ""
	}
	if _, ok := e.groups[r]; !ok {
		return fmt.Sprintf("unknown task or group %q", r)
	}
	if e.members[r][t.ID] {
		return fmt.Sprintf("task %s is inside group %s: a task cannot depend on a group holding it", t.ID, r)
	}
	return ""
}

func (e *expander) checkGroupRef(g *Group, r string) string {
	if _, ok := e.tasks[r]; ok {
		if e.members[g.ID][r] {
			return fmt.Sprintf("task %s is inside group %s: a group cannot depend on its own tasks", r, g.ID)
		}
		return ""
	}
	if _, ok := e.groups[r]; !ok {
		return fmt.Sprintf("unknown task or group %q", r)
	}
	switch {
	case r == g.ID:
		return "a group cannot depend on itself"
	case strings.HasPrefix(g.ID, r+"."):
		return fmt.Sprintf("group %s is inside group %s: a group cannot depend on a group holding it", g.ID, r)
	case strings.HasPrefix(r, g.ID+"."):
		return fmt.Sprintf("group %s is inside group %s: a group cannot depend on its own groups", r, g.ID)
	}
	return ""
}

// expand returns the tasks a reference stands for: itself, or a group's leaves.
func (e *expander) expand(ref string) []string {
	if _, ok := e.tasks[ref]; ok {
		return []string{ref}
	}
	if _, ok := e.groups[ref]; ok {
		return e.leaves(ref)
	}
	return nil
}

func (e *expander) roots(g string) []string  { return e.shape(g)[0] }
func (e *expander) leaves(g string) []string { return e.shape(g)[1] }

// shape computes the roots and leaves of group g from the edges between its members: task
// upstreams, and the upstreams of groups nested in g, that lie inside g. Only groups nested
// deeper than g are consulted, so the recursion ends; busy guards against malformed input.
func (e *expander) shape(g string) [2][]string {
	if s, ok := e.memo[g]; ok {
		return s
	}
	if e.busy[g] {
		return [2][]string{}
	}
	e.busy[g] = true
	defer delete(e.busy, g)
	hasUp, hasDown := map[string]bool{}, map[string]bool{}
	ups := map[string][]string{}
	edge := func(from, to string) {
		hasUp[to], hasDown[from] = true, true
		ups[to] = append(ups[to], from)
	}
	for _, t := range e.d.Tasks {
		if !e.members[g][t.ID] {
			continue
		}
		for _, r := range t.Upstream {
			if r == g || !e.within(r, g) {
				continue
			}
			for _, u := range e.expand(r) {
				edge(u, t.ID)
			}
		}
	}
	for _, s := range e.d.Groups {
		if !strings.HasPrefix(s.ID, g+".") {
			continue
		}
		for _, r := range s.Upstream {
			if !e.within(r, g) || r == s.ID || strings.HasPrefix(r, s.ID+".") || strings.HasPrefix(s.ID, r+".") {
				continue
			}
			for _, v := range e.roots(s.ID) {
				for _, u := range e.expand(r) {
					edge(u, v)
				}
			}
		}
	}
	// A task "has a real downstream" when something in g other than a teardown follows it.
	realDown := map[string]bool{}
	for to, froms := range ups {
		if t := e.tasks[to]; t != nil && t.Teardown != nil {
			continue
		}
		for _, f := range froms {
			realDown[f] = true
		}
	}
	var s [2][]string
	seenLeaf := map[string]bool{}
	addLeaf := func(id string) {
		if !seenLeaf[id] {
			seenLeaf[id] = true
			s[1] = append(s[1], id)
		}
	}
	// A dependency on a group does not wait for the teardowns inside it (Airflow's
	// TaskGroup.get_leaves): a teardown leaf is replaced by the work it follows.
	var throughTeardown func(id string, depth int)
	throughTeardown = func(id string, depth int) {
		if depth > len(e.d.Tasks) {
			return
		}
		for _, u := range ups[id] {
			ut := e.tasks[u]
			switch {
			case ut == nil:
			case ut.Teardown != nil:
				throughTeardown(u, depth+1)
			case ut.Setup:
				// never through the teardown-to-setup edge
			case !realDown[u]:
				addLeaf(u)
			}
		}
	}
	for _, t := range e.d.Tasks {
		if !e.members[g][t.ID] || e.tasks[t.ID] != t {
			continue
		}
		if !hasUp[t.ID] {
			s[0] = append(s[0], t.ID)
		}
		if !hasDown[t.ID] {
			if t.Teardown == nil {
				addLeaf(t.ID)
			} else {
				throughTeardown(t.ID, 0)
			}
		}
	}
	e.memo[g] = s
	return s
}

func sortedKeys(set map[string]bool) []string {
	if len(set) == 0 {
		return nil
	}
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
