package dag

import (
	"fmt"
	"strings"
)

// listOutput checks a reference outputs.<id>.<rest…> of task t: when t sees the output of
// task id as a list (id is mapped, or in a mapped group t is not in), a property of it
// (rest) does not exist, and the message says how to read it instead. Indexing it
// (outputs.train[0].r2) or reading it whole is fine.
func (v *validator) listOutput(t *Task, id string, rest []string) string {
	if len(rest) == 0 || !v.seesList(t, id) {
		return ""
	}
	return fmt.Sprintf("outputs.%s is a list (%s is mapped: one output per instance, in map index order), so it has no field %q; "+
		"index it (outputs.%s[0].%s), or map over it with expand", id, id, rest[0], id, strings.Join(rest, "."))
}

// seesList reports whether task reader sees the output of task id as the list of its
// instances' outputs: id expands itself, or an enclosing group of id is mapped and does not
// hold reader (inside it, instance i reads instance i).
func (v *validator) seesList(reader *Task, id string) bool {
	x := v.tasks[id]
	if x == nil {
		return false
	}
	if x.IsMapped() {
		return true
	}
	for g := x.Group; g != ""; g = parentGroup(g) {
		if grp := v.groups[g]; grp != nil && grp.IsMapped() && !strings.HasPrefix(reader.ID, g+".") {
			return true
		}
	}
	return false
}
