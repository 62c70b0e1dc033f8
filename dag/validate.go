package dag

import (
	"errors"
	"fmt"
	"net/url"
	"path"
	"path/filepath"
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
// Errors point at Task.Pos when the DAG was loaded from YAML; LoadFile's own errors are
// finer (the exact field), since it keeps the YAML nodes.
func Validate(d *DAG, opts LoadOptions) error {
	if d == nil {
		return List{{Msg: "nil DAG"}}
	}
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
			v.add("", "", field, -1, "%v", err)
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
	id := t.ID
	specs := map[string]bool{KindCommand: t.Command != nil, KindHTTP: t.HTTP != nil, KindGo: t.Go != nil,
		KindBranch: t.Branch != nil && t.Branch.Expr != "", KindShortCircuit: t.ShortCircuit != nil && t.ShortCircuit.Expr != "",
		KindLatestOnly: true, KindSensor: t.Sensor != nil}
	switch {
	case t.Kind == "":
		v.add(id, "", "kind", -1, "missing: set kind or one of command, script, http, go, sensor")
		return
	case !slices.Contains(kinds, t.Kind):
		v.add(id, "", "kind", -1, "unknown kind %q%s; valid: %s", t.Kind, DidYouMean(t.Kind, kinds), strings.Join(kinds, ", "))
		return
	case !specs[t.Kind]:
		v.add(id, "", "kind", -1, "a %s task needs its %s spec", t.Kind, t.Kind)
		return
	}
	for _, k := range kinds {
		if specs[k] && k != t.Kind && k != KindLatestOnly {
			v.add(id, "", k, -1, "a %s task cannot also have a %s spec", t.Kind, k)
		}
	}
	switch t.Kind {
	case KindCommand:
		v.command(t)
	case KindHTTP:
		v.http(t)
	case KindSensor:
		v.sensor(t)
	case KindGo:
		switch {
		case t.Go.Func == "":
			v.add(id, "", "go", -1, "missing function name")
		case v.opts.GoFuncs != nil && !v.opts.GoFuncs(t.Go.Func):
			v.add(id, "", "go", -1, "go function %q is not registered", t.Go.Func)
		}
	}
}

func (v *validator) command(t *Task) {
	c, id := t.Command, t.ID
	switch {
	case len(c.Argv) > 0 && c.Script != "":
		v.add(id, "", "script", -1, "a task has either command (argv) or script, not both")
	case len(c.Argv) == 0 && strings.TrimSpace(c.Script) == "":
		if c.Script != "" {
			v.add(id, "", "script", -1, "empty script")
		} else {
			v.add(id, "", "command", -1, "empty command: give the program and its arguments")
		}
	case len(c.Argv) > 0 && c.Argv[0] == "":
		v.add(id, "", "command[0]", -1, "empty program name")
	}
	if len(c.Shell) > 0 {
		if len(c.Argv) > 0 {
			v.add(id, "", "shell", -1, "applies to script only: command runs its program without a shell")
		} else if c.Shell[0] == "" {
			v.add(id, "", "shell[0]", -1, "empty program name")
		}
	}
	for _, k := range sortedMapKeys(c.Env) {
		if k == "" || strings.ContainsAny(k, "=\x00") {
			v.add(id, "", "env."+k, -1, "invalid environment variable name %q", k)
		}
	}
	for i, code := range c.SkipExitCodes {
		if code < 0 || code > 255 {
			v.add(id, "", index("skip_exit_codes", i), -1, "exit code %d out of range 0-255", code)
		}
	}
	for i, code := range c.FailFastExitCodes {
		if code < 0 || code > 255 {
			v.add(id, "", index("fail_fast_exit_codes", i), -1, "exit code %d out of range 0-255", code)
		}
	}
}

func (v *validator) http(t *Task) {
	h, id := t.HTTP, t.ID
	if h.Method != "" && strings.Trim(h.Method, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") != "" {
		v.add(id, "", "http.method", -1, "invalid HTTP method %q", h.Method)
	}
	switch {
	case h.URL == "":
		v.add(id, "", "http.url", -1, "missing: the request URL is required")
	case !isTemplate(h.URL):
		if msg := checkURL(h.URL); msg != "" {
			v.add(id, "", "http.url", -1, "%s", msg)
		}
	}
	for _, k := range sortedMapKeys(h.Headers) {
		if k == "" || strings.ContainsAny(k, " :\r\n") {
			v.add(id, "", "http.headers."+k, -1, "invalid header name %q", k)
		}
	}
	for i, code := range h.ExpectStatus {
		if code < 100 || code > 599 {
			v.add(id, "", index("http.expect_status", i), -1, "invalid HTTP status %d: want 100-599", code)
		}
	}
}

// tiStateNames and runStateNames are the states an external_task sensor may name (the
// store's task instance and run states; "none" is a task instance with no state yet).
var (
	tiStateNames = []string{"none", "scheduled", "queued", "running", "success", "failed", "skipped",
		"upstream_failed", "up_for_retry", "up_for_reschedule", "removed"}
	runStateNames = []string{"queued", "running", "success", "failed"}
)

// sensor checks a sensor spec: its type, mode and durations, the fields its type requires,
// and that it has no field of another type.
func (v *validator) sensor(t *Task) {
	sp, id := t.Sensor, t.ID
	f := func(name string) string { return "sensor." + name }
	switch {
	case sp.Type == "":
		v.add(id, "", "sensor", -1, "missing type: one of %s", strings.Join(SensorTypes, ", "))
		return
	case !slices.Contains(SensorTypes, sp.Type):
		v.add(id, "", f("type"), -1, "unknown sensor type %q%s; valid: %s", sp.Type, DidYouMean(sp.Type, SensorTypes), strings.Join(SensorTypes, ", "))
		return
	}
	if sp.Mode != "" && sp.Mode != SensorPoke && sp.Mode != SensorReschedule {
		v.add(id, "", f("mode"), -1, "unknown mode %q%s; valid: poke, reschedule", sp.Mode, DidYouMean(sp.Mode, []string{SensorPoke, SensorReschedule}))
	}
	for _, d := range []struct {
		name string
		val  Duration
	}{{"poke_interval", sp.PokeInterval}, {"timeout", sp.Timeout}, {"execution_delta", sp.ExecutionDelta}} {
		if d.val < 0 {
			v.add(id, "", f(d.name), -1, "must not be negative, got %s", d.val.D())
		}
	}
	// Fields that apply to some types only.
	only := map[string][]string{
		"path": {SensorFile}, "url": {SensorFile, SensorHTTP}, "uri": {SensorDataset},
		"dag_id": {SensorExternalTask}, "task_id": {SensorExternalTask}, "states": {SensorExternalTask},
		"failed_states": {SensorExternalTask}, "execution_delta": {SensorExternalTask},
		"method": {SensorHTTP}, "headers": {SensorHTTP}, "expect_status": {SensorHTTP},
		"condition": {SensorHTTP, SensorExpr},
	}
	set := map[string]bool{
		"path": sp.Path != "", "url": sp.URL != "", "uri": sp.URI != "", "dag_id": sp.DAGID != "",
		"task_id": sp.TaskID != "", "states": len(sp.States) > 0, "failed_states": len(sp.FailedStates) > 0,
		"execution_delta": sp.ExecutionDelta != 0, "method": sp.Method != "", "headers": len(sp.Headers) > 0,
		"expect_status": len(sp.ExpectStatus) > 0, "condition": sp.Condition != "",
	}
	for _, name := range sortedMapKeys(only) {
		if set[name] && !slices.Contains(only[name], sp.Type) {
			v.add(id, "", f(name), -1, "does not apply to a %s sensor (only to %s)", sp.Type, strings.Join(only[name], " and "))
		}
	}
	switch sp.Type {
	case SensorFile:
		switch {
		case sp.Path == "" && sp.URL == "":
			v.add(id, "", "sensor", -1, "a file sensor needs path (a local path or glob) or url (a blob URL)")
		case sp.Path != "" && sp.URL != "":
			v.add(id, "", f("url"), -1, "a file sensor has path or url, not both")
		case sp.Path != "" && !isTemplate(sp.Path):
			if _, err := filepath.Match(sp.Path, ""); err != nil {
				v.add(id, "", f("path"), -1, "invalid glob %q: %v", sp.Path, err)
			}
		case sp.URL != "" && !isTemplate(sp.URL):
			if msg := checkBlobURL(sp.URL); msg != "" {
				v.add(id, "", f("url"), -1, "%s", msg)
			}
		}
	case SensorDataset:
		if strings.TrimSpace(sp.URI) == "" {
			v.add(id, "", "sensor", -1, "a dataset sensor needs uri, the dataset to wait for")
		}
	case SensorExternalTask:
		if sp.DAGID == "" {
			v.add(id, "", "sensor", -1, "an external_task sensor needs dag_id (and task_id, or none to wait for the whole run)")
		}
		valid, what := tiStateNames, "task instance"
		if sp.TaskID == "" {
			valid, what = runStateNames, "run"
		}
		for _, l := range []struct {
			name   string
			states []string
		}{{"states", sp.States}, {"failed_states", sp.FailedStates}} {
			for i, st := range l.states {
				if !slices.Contains(valid, st) {
					v.add(id, "", index(f(l.name), i), -1, "unknown %s state %q%s; valid: %s", what, st, DidYouMean(st, valid), strings.Join(valid, ", "))
				} else if l.name == "failed_states" && slices.Contains(sp.States, st) {
					v.add(id, "", index(f(l.name), i), -1, "state %q is in both states and failed_states", st)
				}
			}
		}
	case SensorHTTP:
		if sp.Method != "" && strings.Trim(sp.Method, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") != "" {
			v.add(id, "", f("method"), -1, "invalid HTTP method %q", sp.Method)
		}
		switch {
		case sp.URL == "":
			v.add(id, "", "sensor", -1, "an http sensor needs url, the absolute http(s) URL to request")
		case !isTemplate(sp.URL):
			if msg := checkURL(sp.URL); msg != "" {
				v.add(id, "", f("url"), -1, "%s", msg)
			}
		}
		for _, k := range sortedMapKeys(sp.Headers) {
			if k == "" || strings.ContainsAny(k, " :\r\n") {
				v.add(id, "", f("headers."+k), -1, "invalid header name %q", k)
			}
		}
		for i, code := range sp.ExpectStatus {
			if code < 100 || code > 599 {
				v.add(id, "", index(f("expect_status"), i), -1, "invalid HTTP status %d: want 100-599", code)
			}
		}
		if sp.Condition != "" {
			if _, err := CompileResponseCondition(sp.Condition); err != nil {
				msg, at := exprMessage(err)
				v.add(id, "", f("condition"), byteOffset(sp.Condition, max(at, 0)), "%s (the condition sees status, headers and body)", msg)
			}
		}
	case SensorExpr:
		if strings.TrimSpace(sp.Condition) == "" {
			v.add(id, "", "sensor", -1, "an expr sensor needs condition, an expression that is true when the wait is over")
		} else {
			v.expression(t, f("condition"), segment{expr: true, text: sp.Condition, off: 0})
		}
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
