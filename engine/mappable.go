package engine

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/weirhq/weir/dag"
)

// checkMappable fails an unmapped task whose output a downstream mapped task or group
// expands over, when what is expanded is not a list or an object, as Airflow fails the
// producer (task-sdk task_runner.py _push_xcom_if_needed: UnmappableXComTypePushed, and
// XComForMappingNotPushed for no value at all); the mapped task then becomes
// upstream_failed instead of failing itself. Each expanded argument whose template reads
// no other task's output is evaluated on this output; the others are checked when the
// mapped task expands.
func (e *Engine) checkMappable(rs *runState, n *node, out json.RawMessage) error {
	if n.mapped || n.group != nil {
		return nil // a mapped producer's output is seen as the list of its instances'
	}
	var value any
	if len(out) > 0 && json.Unmarshal(out, &value) != nil {
		return nil
	}
	for _, d := range n.down {
		var m *dag.Mapping
		switch {
		case d.nested:
			continue
		case d.mapped:
			m = &d.task.Mapping
		case d.group != nil:
			m = &d.group.g.Mapping
		default:
			continue
		}
		fields := map[string]any{"expand_kwargs": m.ExpandKwargs}
		if m.ExpandKwargs == nil {
			fields = map[string]any{}
			for k, v := range m.Expand {
				fields["expand."+k] = v
			}
		}
		for _, field := range sortedKeys(fields) {
			src, ok := fields[field].(string)
			if !ok || !readsOnly(src, n.task.ID, rs) {
				continue
			}
			tctx := &dag.TemplateContext{DAGID: rs.key.dagID, TaskID: d.task.ID, MapIndex: -1, LogicalDate: rs.run.LogicalDate,
				Params: rs.params, Conf: rs.conf, Outputs: map[string]any{n.task.ID: value}}
			v, err := dag.EvalValue(src, tctx)
			if err != nil {
				continue // the mapped task reports it when it expands
			}
			switch v.(type) {
			case []any, map[string]any:
				continue
			case nil:
				return fmt.Errorf("XComForMappingNotPushed: task %s maps over %s (%s), which is null: a task that a mapped task expands over must output a list or an object", d.task.ID, src, field)
			}
			return fmt.Errorf("UnmappableXComTypePushed: task %s maps over %s (%s), which is %s: a task that a mapped task expands over must output a list or an object", d.task.ID, src, field, describe(v))
		}
	}
	return nil
}

// readsOnly reports whether the template src reads the output of task id and of no other
// task of the run.
func readsOnly(src, id string, rs *runState) bool {
	refs := dag.OutputRefs(src)
	if len(refs) == 0 {
		return false
	}
	for _, props := range refs {
		if got, _ := dag.RefTask(props, func(t string) bool { return rs.nodes[t] != nil }); got != id {
			return false
		}
	}
	return true
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
