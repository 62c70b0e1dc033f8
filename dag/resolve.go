package dag

import (
	"slices"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// build gives every decoded task and group its fully qualified ID, drops the ones with a
// missing, invalid or duplicate ID, resolves upstream names and expands groups.
func (r *rawDAG) build() {
	r.byTask = map[string]*rawTask{}
	r.byGroup = map[string]*rawGroup{}
	r.broken = map[string]bool{}
	taken := map[string]ast.Node{} // full ID -> the id node of its first definition
	claim := func(s *scope, full, local, what string, idNode ast.Node) bool {
		if !idPattern.MatchString(local) {
			s.errorf(idNode, "id", "invalid %s id %q: use letters, digits, _ and - (dots separate groups)", what, local)
			r.broken[full] = true
			return false
		}
		if first, dup := taken[full]; dup {
			where := "already"
			if r.dec.pos(first).Line > r.dec.pos(idNode).Line {
				where = "also"
			}
			s.errorf(idNode, "id", "duplicate id %q: %s defined at line %d", full, where, r.dec.pos(first).Line)
			return false
		}
		taken[full] = idNode
		return true
	}
	// Groups first, parents before children, so that the tasks of a dropped group are
	// dropped without more errors; then tasks, in document order.
	full := map[*rawGroup]string{}
	for _, g := range r.groups {
		if g.idNode == nil || g.idBad || (g.parent != nil && full[g.parent] == "") {
			g.dropped = true
			continue
		}
		id := g.local
		if g.parent != nil {
			id = full[g.parent] + "." + g.local
		}
		full[g] = id
		if g.parent != nil && g.parent.dropped {
			g.dropped = true
			r.broken[id] = true
			continue
		}
		if !claim(g.scope, id, g.local, "group", g.idNode) {
			g.dropped = true
			continue
		}
		g.group.ID = id
		r.byGroup[id] = g
	}
	for _, rt := range r.tasks {
		if rt.idNode == nil || rt.idBad || (rt.group != nil && full[rt.group] == "") {
			rt.dropped = true
			continue
		}
		id := rt.local
		if rt.group != nil {
			id = full[rt.group] + "." + rt.local
		}
		if rt.group != nil && rt.group.dropped {
			rt.dropped = true
			r.broken[id] = true
			continue
		}
		if !claim(rt.scope, id, rt.local, "task", rt.idNode) {
			rt.dropped = true
			continue
		}
		rt.task.ID = id
		if rt.group != nil {
			rt.task.Group = rt.group.group.ID
		}
		r.byTask[id] = rt
		if rt.badSpec {
			r.skipSpec[id] = true
		}
	}

	d := r.dag
	for _, rt := range r.tasks {
		if rt.dropped {
			continue
		}
		t := rt.task
		var ups []string
		for _, u := range rt.ups {
			id, ok := r.resolveRef(rt.scope, u, rt.group)
			switch {
			case !ok || id == "":
			case id == t.ID:
				rt.scope.errorf(u.node, u.field, "a task cannot depend on itself")
			case r.byGroup[id] != nil && strings.HasPrefix(t.ID, id+"."):
				rt.scope.errorf(u.node, u.field, "task %s is inside group %s: a task cannot depend on a group holding it", t.ID, id)
			default:
				ups = append(ups, id)
			}
		}
		if t.Teardown != nil {
			var setups []string
			for _, u := range rt.setups {
				id, ok := r.resolveRef(rt.scope, u, rt.group)
				switch {
				case !ok || id == "":
				case r.byTask[id] == nil:
					rt.scope.errorf(u.node, u.field, "%s is a group: a teardown names setup tasks", id)
				case !r.byTask[id].task.Setup:
					rt.scope.errorf(u.node, u.field, "task %s is not a setup task: mark it with setup: true", id)
				default:
					setups = append(setups, id)
					// The teardown runs after its setups.
					if !slices.Contains(ups, id) {
						ups = append(ups, id)
					}
				}
			}
			t.Teardown.Setups = setups
		}
		t.Upstream = ups
		d.Tasks = append(d.Tasks, t)
		for g := rt.group; g != nil; g = g.parent {
			g.group.Tasks = append(g.group.Tasks, t.ID)
		}
	}
	for _, g := range r.groups {
		if g.dropped {
			continue
		}
		gid := g.group.ID
		var ups []string
		for _, u := range g.ups {
			id, ok := r.resolveRef(g.scope, u, g.parent)
			switch {
			case !ok || id == "":
			case id == gid:
				g.scope.errorf(u.node, u.field, "a group cannot depend on itself")
			case strings.HasPrefix(id, gid+"."):
				g.scope.errorf(u.node, u.field, "%s is inside group %s: a group cannot depend on what it holds", id, gid)
			case r.byGroup[id] != nil && strings.HasPrefix(gid, id+"."):
				g.scope.errorf(u.node, u.field, "group %s is inside group %s: a group cannot depend on a group holding it", gid, id)
			default:
				ups = append(ups, id)
			}
		}
		g.group.Upstream = sortedKeys(setOf(ups))
		if len(g.group.Tasks) == 0 {
			g.scope.errorf(g.node, "group", "group %s has no tasks", gid)
		}
		d.Groups = append(d.Groups, g.group)
	}
	if err := ExpandGroups(d); err != nil {
		// The references were checked above; this is a safety net.
		r.dec.errs = append(r.dec.errs, err.(List)...)
	}
}

func setOf(l []string) map[string]bool {
	m := make(map[string]bool, len(l))
	for _, s := range l {
		m[s] = true
	}
	return m
}

// resolveRef finds what an upstream name refers to from inside group g: a sibling in g,
// then in each enclosing group outward, then at the top level. It returns "" and true for
// a reference to an item already reported as broken, and false after reporting an unknown
// name.
func (r *rawDAG) resolveRef(s *scope, u ref, g *rawGroup) (string, bool) {
	var prefixes []string
	for ; g != nil; g = g.parent {
		prefixes = append(prefixes, g.group.ID+".")
	}
	prefixes = append(prefixes, "")
	for _, p := range prefixes {
		id := p + u.name
		if r.byTask[id] != nil || r.byGroup[id] != nil {
			return id, true
		}
		if r.broken[id] {
			return "", true
		}
	}
	s.errorf(u.node, u.field, "unknown task or group %q%s", u.name, r.refHints().hintIn(u.name, prefixes))
	return "", false
}

// locate returns the position of a field of a task, a group or the DAG, for validation
// errors. With off >= 0 it points at that byte offset inside the field's string value when
// it can. Fields without a node of their own point at the nearest enclosing field, then at
// the item.
func (r *rawDAG) locate(task, group, field string, off int) Pos {
	var s *scope
	var fallback Pos
	switch {
	case task != "":
		rt := r.byTask[task]
		if rt == nil {
			return Pos{File: r.path}
		}
		s, fallback = rt.scope, rt.task.Pos
	case group != "":
		g := r.byGroup[group]
		if g == nil {
			return Pos{File: r.path}
		}
		s, fallback = g.scope, r.dec.pos(g.node)
	default:
		s, fallback = r.scope, r.dec.pos(r.body)
	}
	for f := field; f != ""; f = parentField(f) {
		if n, ok := s.nodes[f]; ok {
			if f == field && off >= 0 {
				return r.dec.posAt(n, off)
			}
			return r.dec.pos(n)
		}
	}
	return fallback
}

// parentField strips the last key or index of a field path: "a.b[2]" -> "a.b" -> "a" -> "".
func parentField(f string) string {
	if strings.HasSuffix(f, "]") {
		if i := strings.LastIndexByte(f, '['); i >= 0 {
			return f[:i]
		}
	}
	if i := strings.LastIndexByte(f, '.'); i >= 0 {
		return f[:i]
	}
	return ""
}
