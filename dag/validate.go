package dag

import (
	"errors"
	"fmt"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/weirhq/weir/schedule"
)

// Validate checks a DAG, whether loaded from YAML or built in Go, and returns a List of
// every problem found, or nil. It checks IDs (format, duplicates), kinds and their specs,
// task options and DAG defaults, callbacks, trigger and weight rules, that upstream IDs name
// tasks, that there is no cycle, the param schemas and their defaults, and every template:
// its syntax, its variables, that params.X is declared and that outputs.X names an upstream
// (direct or transitive) of the task. Group references in Task.Upstream must have been
// expanded (ExpandGroups). Templates compiled here are cached for rendering.
//
// First, as LoadFile does, a task whose templates read outputs.X gets X as an upstream
// when X is not upstream of it yet (Airflow's XComArg dependencies): Validate adds it to
// Task.Upstream.
//
// Errors point at Task.Pos when the DAG was loaded from YAML; LoadFile's own errors are
// finer (the exact field), since it keeps the YAML nodes.
func Validate(d *DAG, opts LoadOptions) error {
	if d == nil {
		return List{{Msg: "nil DAG"}}
	}
	implyUpstreams(d, opts.kinds())
	v := newValidator(d, opts, nil, nil)
	v.run()
	return v.errs.err()
}

// locateFunc maps an error to its source position: the field of a task, group or the DAG
// (both IDs empty), and a byte offset inside the field's string value or -1.
type locateFunc func(task, group, field string, off int) Pos

type validator struct {
	d        *DAG
	opts     LoadOptions
	locate   locateFunc
	skipSpec map[string]bool
	// skipID is set when the loader already reported the DAG ID.
	skipID bool
	errs   List
	tasks  map[string]*Task
	groups map[string]*Group
	anc    *ancestry
	hints  *hinter // did-you-mean for task IDs (hints.go)
	paramH *hinter // did-you-mean for params, and their list
	plist  string
}

func newValidator(d *DAG, opts LoadOptions, locate locateFunc, skipSpec map[string]bool) *validator {
	v := &validator{d: d, opts: opts, locate: locate, skipSpec: skipSpec,
		tasks: map[string]*Task{}, groups: map[string]*Group{}}
	for _, t := range d.Tasks {
		if t != nil {
			if _, dup := v.tasks[t.ID]; !dup {
				v.tasks[t.ID] = t
			}
		}
	}
	for _, g := range d.Groups {
		if g != nil {
			if _, dup := v.groups[g.ID]; !dup {
				v.groups[g.ID] = g
			}
		}
	}
	v.anc = newAncestry(d)
	return v
}

// add records an error about a field of a task (task != ""), a group (group != "") or the
// DAG; off is a byte offset inside the field's string value, or -1.
func (v *validator) add(task, group, field string, off int, format string, args ...any) {
	e := &Error{DAG: v.d.ID, Task: task, Group: group, Field: field, Msg: fmt.Sprintf(format, args...)}
	switch {
	case v.locate != nil:
		e.Pos = v.locate(task, group, field, off)
	case task != "" && v.tasks[task] != nil:
		e.Pos = v.tasks[task].Pos
	}
	v.errs = append(v.errs, e)
}

func (v *validator) run() {
	d := v.d
	switch {
	case v.skipID:
	case d.ID == "":
		v.add("", "", "dag_id", -1, "missing: every DAG needs an id")
	case !idPattern.MatchString(d.ID):
		v.add("", "", "dag_id", -1, "invalid DAG id %q: use letters, digits, _ and -", d.ID)
	}
	if d.MaxActiveTasks < 0 {
		v.add("", "", "max_active_tasks", -1, "must not be negative, got %d", d.MaxActiveTasks)
	}
	if d.Schedule != "" || d.Timezone != "" {
		if _, err := schedule.Parse(d.Schedule, d.Timezone); err != nil {
			field := "schedule"
			var se *schedule.Error
			if errors.As(err, &se) && se.Field != "" {
				field = se.Field
			}
			v.add("", "", field, -1, "%s", presetHint(d.Schedule, err.Error()))
		}
	}
	if d.MaxActiveRuns < 0 {
		v.add("", "", "max_active_runs", -1, "must not be negative, got %d", d.MaxActiveRuns)
	}
	if !d.StartDate.IsZero() && !d.EndDate.IsZero() && d.EndDate.Before(d.StartDate) {
		v.add("", "", "end_date", -1, "end_date %s is before start_date %s", d.EndDate.Format(time.RFC3339), d.StartDate.Format(time.RFC3339))
	}
	v.callbacks("", "on_sla_miss", d.OnSLAMiss)
	if d.MaxMapLength < 0 {
		v.add("", "", "max_map_length", -1, "must not be negative, got %d", d.MaxMapLength)
	}
	if d.RunTimeout < 0 {
		v.add("", "", "run_timeout", -1, "must not be negative, got %s", d.RunTimeout.D())
	}
	v.callbacks("", "on_failure", d.OnFailure)
	v.callbacks("", "on_success", d.OnSuccess)
	v.params()
	v.options("", "defaults.", d.Defaults)
	v.ids()
	for _, t := range d.Tasks {
		if t == nil {
			v.add("", "", "tasks", -1, "nil task")
			continue
		}
		if !v.skipSpec[t.ID] {
			v.spec(t)
		}
		if t.TriggerRule != "" && !t.TriggerRule.Valid() {
			v.add(t.ID, "", "trigger_rule", -1, "unknown trigger rule %q%s; valid: %s", t.TriggerRule,
				DidYouMean(string(t.TriggerRule), ruleNames()), strings.Join(ruleNames(), ", "))
		}
		v.options(t.ID, "", t.TaskOptions)
		if t.Cache != nil && *t.Cache && !Cacheable(t) {
			v.add(t.ID, "", "cache", -1, "a %s task cannot be cached: its result depends on the moment it runs, not on its inputs; remove cache: true", t.Kind)
		}
		v.flow(t)
	}
	v.mappedGroups()
	v.graph()
	for _, t := range d.Tasks {
		if t != nil {
			v.templates(t)
		}
	}
}

func ruleNames() []string {
	names := make([]string, len(TriggerRules))
	for i, r := range TriggerRules {
		names[i] = string(r)
	}
	return names
}

// ids checks task and group IDs: format, uniqueness across tasks and groups, and that each
// task's Group is the prefix of its ID.
func (v *validator) ids() {
	seen := map[string]string{}
	for _, g := range v.d.Groups {
		if g == nil {
			continue
		}
		if !validQualified(g.ID) {
			v.add("", g.ID, "id", -1, "invalid group id %q: use letters, digits, _ and -, with dots between nested groups", g.ID)
		}
		if what, dup := seen[g.ID]; dup {
			v.add("", g.ID, "id", -1, "duplicate id %q: already used by a %s", g.ID, what)
		}
		seen[g.ID] = "group"
		if i := strings.LastIndexByte(g.ID, '.'); i > 0 && v.groups[g.ID[:i]] == nil {
			v.add("", g.ID, "id", -1, "group %s is nested in group %s, which is not defined", g.ID, g.ID[:i])
		}
		for _, id := range g.Tasks {
			if v.tasks[id] == nil {
				v.add("", g.ID, "tasks", -1, "unknown task %q", id)
			} else if !strings.HasPrefix(id, g.ID+".") {
				v.add("", g.ID, "tasks", -1, "task %s does not have the group's prefix %q", id, g.ID+".")
			}
		}
		for _, u := range g.Upstream {
			if v.tasks[u] == nil && v.groups[u] == nil {
				v.add("", g.ID, "upstream", -1, "unknown task or group %q", u)
			}
		}
	}
	for _, t := range v.d.Tasks {
		if t == nil {
			continue
		}
		local := t.ID
		if t.Group != "" {
			if !strings.HasPrefix(t.ID, t.Group+".") {
				v.add(t.ID, "", "id", -1, "task id %q does not start with its group %q", t.ID, t.Group+".")
			} else {
				local = t.ID[len(t.Group)+1:]
			}
			if v.groups[t.Group] == nil {
				v.add(t.ID, "", "group", -1, "unknown group %q", t.Group)
			}
			// Group.Tasks lists the tasks directly or indirectly in a group.
			for g := t.Group; g != ""; g = parentGroup(g) {
				if grp := v.groups[g]; grp != nil && !slices.Contains(grp.Tasks, t.ID) {
					v.add(t.ID, "", "group", -1, "group %s does not list the task in its tasks", g)
				}
			}
		}
		switch {
		case t.ID == "":
			v.add("", "", "tasks", -1, "a task has no id")
		case !idPattern.MatchString(local):
			v.add(t.ID, "", "id", -1, "invalid task id %q: use letters, digits, _ and - (dots separate groups)", local)
		}
		if what, dup := seen[t.ID]; dup && t.ID != "" {
			v.add(t.ID, "", "id", -1, "duplicate id %q: already used by a %s", t.ID, what)
		}
		seen[t.ID] = "task"
	}
}

// parentGroup returns the ID of the group holding group g, or "".
func parentGroup(g string) string {
	if i := strings.LastIndexByte(g, '.'); i >= 0 {
		return g[:i]
	}
	return ""
}

// validQualified reports whether id is dot-separated valid IDs.
func validQualified(id string) bool {
	for _, part := range strings.Split(id, ".") {
		if !idPattern.MatchString(part) {
			return false
		}
	}
	return true
}

// spec checks the kind of t and the spec of that kind.
func (v *validator) spec(t *Task) {
	id, ks := t.ID, v.opts.kinds()
	names := ks.names
	switch {
	case t.Kind == "":
		v.add(id, "", "kind", -1, "missing: set kind or one of %s", strings.Join(ks.actions, ", "))
		return
	case !slices.Contains(names, t.Kind):
		v.add(id, "", "kind", -1, "unknown kind %q%s; valid: %s", t.Kind, DidYouMean(t.Kind, names), strings.Join(names, ", "))
		return
	}
	engine := map[string]bool{KindBranch: t.Branch != nil && t.Branch.Expr != "",
		KindShortCircuit: t.ShortCircuit != nil && t.ShortCircuit.Expr != "", KindLatestOnly: true}
	own := ks.byName[t.Kind]
	if (own != nil && own.spec(t) == nil) || (own == nil && !engine[t.Kind]) {
		v.add(id, "", "kind", -1, "a %s task needs its %s spec", t.Kind, t.Kind)
		return
	}
	for _, k := range ks.list {
		if k != own && k.spec(t) != nil {
			v.add(id, "", k.def.Keys[0], -1, "a %s task cannot also have a %s spec", t.Kind, k.def.Name)
		}
	}
	for _, k := range []string{KindBranch, KindShortCircuit} {
		if engine[k] && k != t.Kind {
			v.add(id, "", k, -1, "a %s task cannot also have a %s spec", t.Kind, k)
		}
	}
	if t.Spec != nil && (own == nil || own.def.Get != nil) {
		v.add(id, "", "kind", -1, "a %s task cannot have a spec of type %T", t.Kind, t.Spec)
	}
	if own != nil {
		v.checkSpec(t, own, own.spec(t))
	}
}

// checkBlobURL returns why u is not a blob URL a file sensor can watch, or "".
func checkBlobURL(u string) string {
	p, err := url.Parse(u)
	switch {
	case err != nil:
		return fmt.Sprintf("invalid URL %q: %v", u, err)
	case p.Scheme == "":
		return fmt.Sprintf("%q has no scheme: use path for a local file, or a blob URL such as file:///data/x.csv or s3://bucket/key", u)
	case p.Scheme == "http" || p.Scheme == "https":
		return fmt.Sprintf("%q is an http URL: use an http sensor to wait for it", u)
	case p.Scheme == "file" && (p.Path == "" || strings.HasSuffix(p.Path, "/")):
		return fmt.Sprintf("%q names no file: write file:///folder/name", u)
	}
	if _, err := path.Match(strings.TrimPrefix(p.Path, "/"), ""); err != nil {
		return fmt.Sprintf("invalid glob in %q: %v", u, err)
	}
	return ""
}

// checkURL returns why u is not an absolute http(s) URL, or "".
func checkURL(u string) string {
	p, err := url.Parse(u)
	switch {
	case err != nil:
		return fmt.Sprintf("invalid URL %q: %v", u, err)
	case p.Scheme != "http" && p.Scheme != "https":
		return fmt.Sprintf("%q is not an absolute http:// or https:// URL", u)
	case p.Host == "":
		return fmt.Sprintf("URL %q has no host", u)
	}
	return ""
}

// options checks TaskOptions of a task, or the DAG defaults (task "", prefix "defaults.").
func (v *validator) options(task, prefix string, o TaskOptions) {
	neg := func(field string, p *int) {
		if p != nil && *p < 0 {
			v.add(task, "", prefix+field, -1, "must not be negative, got %d", *p)
		}
	}
	negDur := func(field string, p *Duration) {
		if p != nil && *p < 0 {
			v.add(task, "", prefix+field, -1, "must not be negative, got %s", p.D())
		}
	}
	neg("retries", o.Retries)
	negDur("retry_delay", o.RetryDelay)
	negDur("max_retry_delay", o.MaxRetryDelay)
	negDur("timeout", o.Timeout)
	if o.PoolSlots != nil && *o.PoolSlots < 1 {
		v.add(task, "", prefix+"pool_slots", -1, "must be at least 1, got %d", *o.PoolSlots)
	}
	if o.OutputLimit != nil && *o.OutputLimit < 1 {
		v.add(task, "", prefix+"output_limit", -1, "must be at least 1 byte, got %d", *o.OutputLimit)
	}
	if o.WeightRule != "" && !slices.Contains(WeightRules, o.WeightRule) {
		v.add(task, "", prefix+"weight_rule", -1, "unknown weight rule %q%s; valid: %s", o.WeightRule,
			DidYouMean(o.WeightRule, WeightRules), strings.Join(WeightRules, ", "))
	}
	v.callbacks(task, prefix+"on_failure", o.OnFailure)
	v.callbacks(task, prefix+"on_retry", o.OnRetry)
	v.callbacks(task, prefix+"on_success", o.OnSuccess)
}

func (v *validator) callbacks(task, field string, cbs []Callback) {
	for i, cb := range cbs {
		f := index(field, i)
		switch {
		case len(cb.Command) > 0 && cb.Webhook != "":
			v.add(task, "", f, -1, "a callback has either command or webhook, not both")
		case len(cb.Command) == 0 && cb.Webhook == "":
			v.add(task, "", f, -1, "a callback needs command or webhook")
		case len(cb.Command) > 0 && cb.Command[0] == "":
			v.add(task, "", f+".command[0]", -1, "empty program name")
		case cb.Webhook != "":
			if msg := checkURL(cb.Webhook); msg != "" {
				v.add(task, "", f+".webhook", -1, "%s", msg)
			}
		}
	}
}

// params checks that every param schema compiles and that defaults satisfy their schema.
func (v *validator) params() {
	for _, name := range sortedMapKeys(v.d.Params) {
		p := v.d.Params[name]
		field := "params." + name
		if name == "" {
			v.add("", "", "params", -1, "empty param name")
			continue
		}
		if t, ok := p.Schema["type"].(string); ok && !slices.Contains(jsonTypes, t) {
			v.add("", "", field+".type", -1, "unknown type %q%s; valid: %s", t, DidYouMean(t, jsonTypes), strings.Join(jsonTypes, ", "))
			continue
		}
		sch, err := compileSchema(p.Schema)
		if err != nil {
			f := field
			var se *schemaError
			if errors.As(err, &se) && se.at != "" {
				f += "." + se.at
			}
			v.add("", "", f, -1, "invalid schema: %v", err)
			continue
		}
		if def, ok := p.Default(); ok {
			if msg := validationMessage(sch, canonical(def)); msg != "" {
				v.add("", "", field+".default", -1, "default does not satisfy the schema: %s", msg)
			}
		}
	}
}

// graph checks that upstream IDs name tasks and that there is no cycle.
func (v *validator) graph() {
	for _, t := range v.d.Tasks {
		if t == nil {
			continue
		}
		for i, u := range t.Upstream {
			switch {
			case v.tasks[u] != nil:
			case v.groups[u] != nil:
				v.add(t.ID, "", index("upstream", i), -1, "%q is a group: expand groups first (ExpandGroups)", u)
			default:
				v.add(t.ID, "", index("upstream", i), -1, "unknown task %q%s", u, v.taskHints().hint(u))
			}
		}
	}
	if _, cycle := topo(v.d, taskIndex(v.d)); cycle != nil {
		v.add(cycle[0], "", "upstream", -1, "%v", &CycleError{Cycle: cycle})
	}
}

// jsonTypes are the types a JSON schema's "type" names.
var jsonTypes = []string{"array", "boolean", "integer", "null", "number", "object", "string"}

func sortedMapKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// flow checks a task's setup/teardown, branching and mapping fields.
func (v *validator) flow(t *Task) {
	id := t.ID
	if t.Teardown != nil {
		if t.Setup {
			v.add(id, "", "teardown", -1, "a task is a setup or a teardown, not both")
		}
		if t.TriggerRule != "" && t.TriggerRule != AllDoneSetupSuccess {
			v.add(id, "", "trigger_rule", -1, "a teardown's trigger rule is all_done_setup_success and cannot be changed (it runs when one of its setups succeeded, also after the work failed)")
		}
		for _, s := range t.Teardown.Setups {
			st := v.tasks[s]
			switch {
			case st == nil:
				v.add(id, "", "teardown.setups", -1, "unknown setup task %q", s)
			case !st.Setup:
				v.add(id, "", "teardown.setups", -1, "task %s is not a setup task: mark it with setup: true", s)
			case !slices.Contains(t.Upstream, s):
				v.add(id, "", "teardown.setups", -1, "setup %s must be upstream of its teardown", s)
			}
		}
	}
	if t.Branch != nil || t.ShortCircuit != nil || t.Kind == KindLatestOnly {
		if t.IsMapped() {
			v.add(id, "", "expand", -1, "a branch, short-circuit or latest-only task cannot be mapped (as in Airflow)")
		}
		if t.Branch != nil && t.Kind != KindBranch && t.Kind != KindCommand && t.Kind != KindGo {
			v.add(id, "", "branch", -1, "branch: true applies to command and go tasks, whose output is the choice; use branch: <expression> otherwise")
		}
		if t.ShortCircuit != nil && t.Kind != KindShortCircuit && t.Kind != KindCommand && t.Kind != KindGo {
			v.add(id, "", "short_circuit", -1, "short_circuit: true applies to command and go tasks, whose output is the condition")
		}
		for _, src := range []string{branchExpr(t), shortExpr(t)} {
			if src != "" {
				v.expression(t, exprField(t), segment{expr: true, text: src, off: 0})
			}
		}
	}
	if t.Branch != nil && t.ShortCircuit != nil {
		v.add(id, "", "short_circuit", -1, "a task is a branch or a short-circuit, not both")
	}
	v.mapping(id, "", t.Mapping)
	if t.MaxActiveTIsPerDAG < 0 {
		v.add(id, "", "max_active_tis_per_dag", -1, "must not be negative, got %d", t.MaxActiveTIsPerDAG)
	}
}

func branchExpr(t *Task) string {
	if t.Branch != nil {
		return t.Branch.Expr
	}
	return ""
}

func shortExpr(t *Task) string {
	if t.ShortCircuit != nil {
		return t.ShortCircuit.Expr
	}
	return ""
}

func exprField(t *Task) string {
	if t.Branch != nil {
		return "branch"
	}
	return "short_circuit"
}

// mapping checks the mapping fields of a task or a group.
func (v *validator) mapping(task, group string, m Mapping) {
	switch {
	case m.Expand != nil && m.ExpandKwargs != nil:
		v.add(task, group, "expand_kwargs", -1, "use expand or expand_kwargs, not both")
	case !m.IsMapped() && m.Partial != nil:
		v.add(task, group, "partial", -1, "partial arguments need expand or expand_kwargs")
	case !m.IsMapped() && m.MapIndexTemplate != "":
		v.add(task, group, "map_index_template", -1, "map_index_template needs expand or expand_kwargs")
	}
	if m.Expand != nil && len(m.Expand) == 0 {
		v.add(task, group, "expand", -1, "expand names no argument")
	}
	switch x := m.ExpandKwargs.(type) {
	case nil, []any:
	case string:
		if !isTemplate(x) {
			v.add(task, group, "expand_kwargs", -1, "got the string %q: want a list of argument objects or a template such as \"{{ outputs.configs }}\"", x)
		}
	default:
		v.add(task, group, "expand_kwargs", -1, "want a list of argument objects or a template such as \"{{ outputs.configs }}\"")
	}
	for _, k := range sortedMapKeys(m.Partial) {
		if _, dup := m.Expand[k]; dup {
			v.add(task, group, "partial."+k, -1, "argument %q is both partial and expanded", k)
		}
	}
}

// mappedGroups checks mapped task groups: no nested mapping inside them yet.
func (v *validator) mappedGroups() {
	mapped := map[string]bool{}
	for _, g := range v.d.Groups {
		if g != nil && g.IsMapped() {
			mapped[g.ID] = true
			v.mapping("", g.ID, g.Mapping)
		}
	}
	if len(mapped) == 0 {
		return
	}
	inMapped := func(id string) string {
		for p := parentGroup(id); p != ""; p = parentGroup(p) {
			if mapped[p] {
				return p
			}
		}
		return ""
	}
	for _, g := range v.d.Groups {
		if g != nil && g.IsMapped() {
			if outer := inMapped(g.ID); outer != "" {
				v.add("", g.ID, "expand", -1, "group %s is mapped inside mapped group %s: nested mapping is not supported yet", g.ID, outer)
			}
		}
	}
	for _, t := range v.d.Tasks {
		if t == nil {
			continue
		}
		if g := inMapped(t.ID); g != "" {
			if t.Branch != nil || t.ShortCircuit != nil {
				v.add(t.ID, "", "branch", -1, "a branch or short-circuit inside mapped group %s is not supported (as in Airflow)", g)
			}
		}
	}
}
