package engine

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/store"
)

// DefaultMaxMapLength is the most instances one mapped task may expand into, as Airflow's
// core.max_map_length.
const DefaultMaxMapLength = 1024

func maxMapLength(d *dag.DAG) int {
	if d.MaxMapLength > 0 {
		return d.MaxMapLength
	}
	return DefaultMaxMapLength
}

// expand replaces the placeholder of a mapped task (or of every task of its mapped group)
// with one instance per item. It returns other nodes whose instances changed.
func (e *Engine) expand(rs *runState, n *node) []*node {
	if n.group != nil {
		return e.expandGroup(rs, n.group, n)
	}
	ph := n.tis[0]
	items, err := e.items(rs, n, ph, n.task.Expand, n.task.ExpandKwargs, n.task.Partial)
	switch {
	case err != nil:
		e.failNow(rs, n, ph, err)
		return n.down
	case len(items) == 0:
		e.finishWithout(rs, n, ph, store.TISkipped, "nothing to map over: the expanded input is empty")
		return n.down
	}
	if err := e.replace(rs, n, items, n.task.MapIndexTemplate); err != nil {
		e.failNow(rs, n, ph, err)
		return n.down
	}
	return nil
}

// expandGroup expands every task of a mapped group at once, when the first of them is ready.
func (e *Engine) expandGroup(rs *runState, g *mgroup, trigger *node) []*node {
	g.expanded = true
	ph := trigger.tis[0]
	items, err := e.items(rs, trigger, ph, g.g.Expand, g.g.ExpandKwargs, g.g.Partial)
	if err == nil {
		for _, m := range g.nodes {
			tmpl, mi := firstNonEmpty(m.task.MapIndexTemplate, g.g.MapIndexTemplate), identity
			if m.nested {
				// One sub-placeholder per group instance, expanded when that instance gets there.
				tmpl, mi = g.g.MapIndexTemplate, func(i int) int { return i*m.stride + m.stride - 1 }
			}
			if rerr := e.replaceAt(rs, m, m.tis[0], items, tmpl, mi); rerr != nil {
				err = rerr
				break
			}
		}
	}
	if err != nil || len(items) == 0 {
		for _, m := range g.nodes {
			for _, ti := range m.tis {
				if ti.State != store.TINone {
					continue
				}
				if err != nil {
					e.failNow(rs, m, ti, fmt.Errorf("group %s: %w", g.g.ID, err))
				} else {
					e.finishWithout(rs, m, ti, store.TISkipped, "nothing to map over: the group's expanded input is empty")
				}
			}
		}
	}
	var out []*node
	for _, m := range g.nodes {
		out = append(out, m)
		out = append(out, m.down...)
	}
	return out
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// items resolves the expansion of a mapped task or group: the cross product of the
// expanded lists (keys in sorted order, the first varying slowest), or the objects of
// expand_kwargs, each merged over the partial arguments.
func (e *Engine) items(rs *runState, n *node, ph *store.TaskInstance, expand map[string]any, kwargs any, partial map[string]any) ([]map[string]any, error) {
	tctx := e.templateContext(rs, n, ph, true)
	var out []map[string]any
	merge := func(item map[string]any) map[string]any {
		m := make(map[string]any, len(partial)+len(item))
		for k, v := range partial {
			m[k] = v
		}
		for k, v := range item {
			m[k] = v
		}
		return m
	}
	if kwargs != nil {
		v, err := dag.EvalValue(kwargs, tctx)
		if err != nil {
			return nil, fmt.Errorf("expand_kwargs: %w", err)
		}
		list, err := asList(v, "expand_kwargs")
		if err != nil {
			return nil, err
		}
		for i, it := range list {
			obj, ok := it.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("expand_kwargs: item %d is %s, want an object of arguments", i, describe(it))
			}
			out = append(out, merge(obj))
		}
	} else {
		keys := make([]string, 0, len(expand))
		for k := range expand {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		out = []map[string]any{{}}
		for _, k := range keys {
			v, err := dag.EvalValue(expand[k], tctx)
			if err != nil {
				return nil, fmt.Errorf("expand.%s: %w", k, err)
			}
			list, err := asList(v, "expand."+k)
			if err != nil {
				return nil, err
			}
			next := make([]map[string]any, 0, len(out)*len(list))
			for _, base := range out {
				for _, it := range list {
					m := make(map[string]any, len(base)+1)
					for bk, bv := range base {
						m[bk] = bv
					}
					m[k] = it
					next = append(next, m)
				}
			}
			out = next
		}
		for i := range out {
			out[i] = merge(out[i])
		}
	}
	if max := maxMapLength(rs.dag); len(out) > max {
		return nil, fmt.Errorf("the expansion has %d items, more than max_map_length (%d)", len(out), max)
	}
	return out, nil
}

// asList turns a value to map over into its items: a list as it is, a map as its
// [key, value] pairs in key order.
func asList(v any, field string) ([]any, error) {
	switch x := v.(type) {
	case []any:
		return x, nil
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		out := make([]any, 0, len(keys))
		for _, k := range keys {
			out = append(out, []any{k, x[k]})
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s: cannot map over %s: want a list or a map", field, describe(v))
}

// describe names a JSON value's type with a short excerpt, for error messages.
func describe(v any) string {
	b, _ := json.Marshal(v)
	s := string(b)
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string " + s
	case float64, int, int64:
		return "a number " + s
	case bool:
		return "a boolean " + s
	case map[string]any:
		return "an object " + s
	case []any:
		return "a list " + s
	}
	return fmt.Sprintf("%T %s", v, s)
}

func identity(i int) int { return i }

// replace swaps a node's placeholder for one instance per item, in the same transaction.
func (e *Engine) replace(rs *runState, n *node, items []map[string]any, nameTemplate string) error {
	return e.replaceAt(rs, n, n.tis[0], items, nameTemplate, identity)
}

// expandNested expands a nested task's sub-placeholder for one group instance: its items
// come from the task's expand over what that group instance sees, merged over the group
// instance's arguments; an empty expansion skips only this group instance's share.
func (e *Engine) expandNested(rs *runState, n *node, sub *store.TaskInstance) {
	var groupArgs map[string]any
	if len(sub.Args) > 0 {
		_ = json.Unmarshal(sub.Args, &groupArgs)
	}
	partial := map[string]any{}
	for k, v := range groupArgs {
		partial[k] = v
	}
	for k, v := range n.task.Partial {
		partial[k] = v
	}
	items, err := e.items(rs, n, sub, n.task.Expand, n.task.ExpandKwargs, partial)
	switch {
	case err != nil:
		e.failNow(rs, n, sub, err)
		return
	case len(items) == 0:
		e.finishWithout(rs, n, sub, store.TISkipped, "nothing to map over in this group instance: the expanded input is empty")
		return
	}
	base := (sub.MapIndex / n.stride) * n.stride
	if err := e.replaceAt(rs, n, sub, items, n.task.MapIndexTemplate, func(i int) int { return base + i }); err != nil {
		e.failNow(rs, n, sub, err)
	}
}

// replaceAt swaps instance old of a node for one instance per item, at the map indexes
// index(0), index(1)…, in the same transaction.
func (e *Engine) replaceAt(rs *runState, n *node, old *store.TaskInstance, items []map[string]any, nameTemplate string, index func(int) int) error {
	ph := old
	tis := make([]*store.TaskInstance, len(items))
	for i, it := range items {
		args, err := json.Marshal(it)
		if err != nil {
			return fmt.Errorf("encode the arguments of instance %d: %w", i, err)
		}
		ti := *ph
		ti.MapIndex = index(i)
		ti.Args = args
		ti.State = store.TINone
		if nameTemplate != "" {
			tctx := e.templateContext(rs, n, &ti, false)
			name, err := dag.RenderString(nameTemplate, tctx)
			if err != nil {
				return fmt.Errorf("map_index_template: %w", err)
			}
			ti.RenderedMapIndex = name
		}
		tis[i] = &ti
	}
	e.batch.DeleteTIs = append(e.batch.DeleteTIs, store.TIKey{DAGID: ph.DAGID, RunID: ph.RunID, TaskID: ph.TaskID, MapIndex: ph.MapIndex})
	if st, ok := e.stored[ph]; ok {
		// The placeholder is deleted in the state last committed.
		e.delGuards = append(e.delGuards, store.TIGuard{TIKey: store.TIKey{DAGID: ph.DAGID, RunID: ph.RunID, TaskID: ph.TaskID, MapIndex: ph.MapIndex}, State: st})
		delete(e.stored, ph)
	}
	if _, ok := e.touched[ph]; ok {
		for i, x := range e.batch.TIs {
			if x == ph {
				e.batch.TIs = append(e.batch.TIs[:i], e.batch.TIs[i+1:]...)
				break
			}
		}
		delete(e.touched, ph)
	}
	rest := make([]*store.TaskInstance, 0, len(n.tis)-1+len(tis))
	for _, x := range n.tis {
		if x != ph {
			rest = append(rest, x)
		}
	}
	n.tis = append(rest, tis...)
	sort.Slice(n.tis, func(i, j int) bool { return n.tis[i].MapIndex < n.tis[j].MapIndex })
	for _, ti := range tis {
		e.touch(ti)
	}
	return nil
}

// checkMapLength fails a task whose output a downstream mapped task or group expands
// over, when the output has more items than max_map_length (Airflow fails the upstream).
func (e *Engine) checkMapLength(rs *runState, n *node, out json.RawMessage) error {
	if err := e.checkMappable(rs, n, out); err != nil {
		return err
	}
	if len(out) == 0 || (out[0] != '[' && out[0] != '{') {
		return nil
	}
	for _, d := range n.down {
		var src any
		switch {
		case d.nested:
			continue // a group instance's share is checked when it expands
		case d.mapped:
			src = []any{d.task.Expand, d.task.ExpandKwargs}
		case d.group != nil && !aligned(n, d):
			src = []any{d.group.g.Expand, d.group.g.ExpandKwargs}
		default:
			continue
		}
		b, _ := json.Marshal(src)
		if !strings.Contains(string(b), n.task.ID) {
			continue
		}
		var v any
		if json.Unmarshal(out, &v) != nil {
			return nil
		}
		size := 0
		switch x := v.(type) {
		case []any:
			size = len(x)
		case map[string]any:
			size = len(x)
		}
		if max := maxMapLength(rs.dag); size > max {
			return fmt.Errorf("the output has %d items, more than max_map_length (%d), and %s is mapped over it", size, max, d.task.ID)
		}
	}
	return nil
}

// templateContext returns what the templates of instance ti of node n see. With
// ancestorsToo every ancestor's output is included (for expansions), else the direct
// upstreams' (and the ancestors' when the templates may read them).
func (e *Engine) templateContext(rs *runState, n *node, ti *store.TaskInstance, ancestorsToo bool) *dag.TemplateContext {
	outputs := map[string]any{}
	from := n.up
	if ancestorsToo || n.readsAncestors {
		from = ancestors(n)
	}
	groups := map[*mgroup]bool{}
	for _, u := range from {
		if v, ok := rs.outputOf(u, n, ti); ok {
			outputs[u.task.ID] = v
		}
		if u.group != nil && !aligned(u, n) && !groups[u.group] {
			groups[u.group] = true
			outputs[u.group.g.ID] = rs.groupOutput(u.group)
		}
	}
	var args map[string]any
	if len(ti.Args) > 0 {
		_ = json.Unmarshal(ti.Args, &args)
	}
	return &dag.TemplateContext{
		DAGID: ti.DAGID, RunID: ti.RunID, TaskID: ti.TaskID, LogicalDate: rs.run.LogicalDate,
		TryNumber: ti.TryNumber, MapIndex: ti.MapIndex, Params: rs.params, Conf: rs.conf,
		Outputs: outputs, Args: args, DataIntervalStart: rs.run.DataIntervalStart,
		DataIntervalEnd: rs.run.DataIntervalEnd, TriggeringEvents: rs.triggering,
	}
}

// groupOutput is a mapped group's output seen from outside: for each instance in order,
// the output of the group's leaf (or an object of its leaves' outputs by their own ID).
func (rs *runState) groupOutput(g *mgroup) []any {
	var leaves []*node
	for _, m := range g.nodes {
		inner := false
		for _, d := range m.down {
			if d.group == g && !d.isTeardown() {
				inner = true
			}
		}
		if !inner && !m.isTeardown() {
			leaves = append(leaves, m)
		}
	}
	size := 0
	for _, m := range leaves {
		for _, x := range m.tis {
			if x.MapIndex >= 0 && m.groupIndex(x)+1 > size {
				size = m.groupIndex(x) + 1
			}
		}
	}
	// Instance i of a leaf as seen from outside: its output, or for a nested leaf the list
	// of the outputs of group instance i.
	leafValue := func(m *node, i int) (any, bool) {
		probe := &store.TaskInstance{MapIndex: i}
		return rs.outputOf(m, &node{group: m.group, stride: m.stride}, probe)
	}
	out := []any{}
	for i := 0; i < size; i++ {
		if len(leaves) == 1 {
			if v, ok := leafValue(leaves[0], i); ok && v != nil {
				out = append(out, v)
			}
			continue
		}
		obj := map[string]any{}
		for _, m := range leaves {
			if v, ok := leafValue(m, i); ok {
				obj[strings.TrimPrefix(m.task.ID, g.g.ID+".")] = v
			}
		}
		out = append(out, obj)
	}
	return out
}
