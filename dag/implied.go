package dag

import (
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
)

// OutputRefs returns what the template s reads of upstream outputs: for each reference
// outputs.<a>.<b>… (or outputs["a"]…), its leading constant property names ([a b …]).
// It returns nil when s is not a template or does not parse (validation reports that).
func OutputRefs(s string) [][]string {
	if !isTemplate(s) {
		return nil
	}
	segs, terr := parseTemplate(s)
	if terr != nil {
		return nil
	}
	var out [][]string
	for _, seg := range segs {
		if !seg.expr {
			continue
		}
		tree, err := parser.Parse(seg.text)
		if err != nil {
			continue
		}
		c := &refCollector{inner: map[ast.Node]bool{}, locals: map[string]bool{}}
		ast.Walk(&tree.Node, c)
		for _, m := range c.members {
			if c.inner[m] {
				continue
			}
			root, props := memberChain(m)
			if root != nil && root.Value == "outputs" && !c.locals["outputs"] && len(props) > 0 {
				out = append(out, props)
			}
		}
	}
	return out
}

// RefTask returns the ID of the task a reference's properties (from OutputRefs) start
// with: the shortest leading props naming one of tasks, and how many props it took.
func RefTask(props []string, isTask func(id string) bool) (string, int) {
	for k := 1; k <= len(props); k++ {
		if id := strings.Join(props[:k], "."); isTask(id) {
			return id, k
		}
	}
	return "", 0
}

// implyUpstreams makes every task (or task group) whose output a task's templates read an
// upstream of that task, as an XComArg passed to an operator does in Airflow (the
// operator's set_upstream on the XComArg's operator): any template field of the task's
// kind, its expand, expand_kwargs and map_index_template. Tasks already upstream, directly
// or not, are left as they are, so that explicit dependencies keep their meaning. Group
// references must have been expanded (ExpandGroups).
func implyUpstreams(d *DAG, ks *Kinds) {
	tasks := map[string]*Task{}
	for _, t := range d.Tasks {
		if t != nil {
			tasks[t.ID] = t
		}
	}
	groups := map[string]*Group{}
	for _, g := range d.Groups {
		if g != nil {
			groups[g.ID] = g
		}
	}
	isTask := func(id string) bool { return tasks[id] != nil }
	anc := newAncestry(d)
	for _, t := range d.Tasks {
		if t == nil {
			continue
		}
		var add []string
		eachTemplatable(t, ks, func(_, s string) {
			for _, props := range OutputRefs(s) {
				if id, _ := RefTask(props, isTask); id != "" {
					add = append(add, id)
					continue
				}
				// outputs.<group>: every task of the group.
				for k := len(props); k >= 1; k-- {
					if g := groups[strings.Join(props[:k], ".")]; g != nil {
						if !strings.HasPrefix(t.ID, g.ID+".") {
							add = append(add, g.Tasks...)
						}
						break
					}
				}
			}
		})
		if len(add) == 0 {
			continue
		}
		set := setOf(t.Upstream)
		changed := false
		for _, id := range add {
			// A task's own output is left to validation.
			if id == t.ID || set[id] || anc.of(t.ID)[id] {
				continue
			}
			set[id], changed = true, true
		}
		if changed {
			t.Upstream = sortedKeys(set)
			anc.memo = map[string]map[string]bool{} // the new edges change ancestries
		}
	}
}
