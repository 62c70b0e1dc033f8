package dag

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// LoadOptions tune loading and validation.
type LoadOptions struct {
	// GoFuncs reports whether a Go function is registered under name. When it is set, a
	// "go" task naming an unregistered function is an error; when nil, go function names are
	// not checked (the plain weir binary cannot know the functions of users' Go programs).
	GoFuncs func(name string) bool
	// Kinds are the task kinds a DAG may use, with their YAML fields, checks and templates.
	// Nil means BuiltinKinds(): command, http, go and sensor. The composition root passes
	// the same set it gives the executor (package kinds).
	Kinds *Kinds
}

// kinds returns the kind set to load with.
func (o LoadOptions) kinds() *Kinds {
	if o.Kinds != nil {
		return o.Kinds
	}
	return builtinKinds()
}

// idPattern is what DAG, group and task IDs (a task's own part, without its groups) match.
// Dots are reserved: they separate group IDs from task IDs.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// LoadFile reads, expands and validates the DAG defined in the YAML file at path (the format
// is described in docs/dag-yaml.md). On any problem it returns a nil DAG and a List with
// every problem found, each with its file:line:col.
func LoadFile(path string, opts LoadOptions) (*DAG, error) {
	src, err := readSource(path, MaxFileSize)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			return nil, List{e}
		}
		return nil, List{{Pos: Pos{File: path}, Msg: err.Error()}}
	}
	return LoadBytes(path, src, opts)
}

// LoadBytes is LoadFile on the content src of the file at path: path names the file in
// errors and in DAG.Source, gives the default DAG ID and anchors relative command dirs.
func LoadBytes(path string, src []byte, opts LoadOptions) (*DAG, error) {
	return loadBytes(path, src, opts, defaultLimits)
}

func loadBytes(path string, src []byte, opts LoadOptions, lim limits) (*DAG, error) {
	r, errs := decodeFile(path, src, lim, opts.kinds())
	if r == nil {
		return nil, errs.capped(maxErrors).err()
	}
	implyUpstreams(r.dag, opts.kinds())
	v := newValidator(r.dag, opts, r.locate, r.skipSpec)
	v.skipID = r.skipID
	v.run()
	errs = append(errs, v.errs...)
	if len(errs) > 0 {
		return nil, errs.capped(maxErrors).err()
	}
	trackByKind(r.dag, opts.kinds())
	return r.dag, nil
}

// trackByKind turns tracking on for the tasks of kinds tracked by default (the ML steps)
// that neither they nor the DAG's defaults set track for.
func trackByKind(d *DAG, ks *Kinds) {
	if d.Defaults.Track != nil {
		return
	}
	for _, t := range d.Tasks {
		if t.Track != nil {
			continue
		}
		if def, ok := ks.Lookup(t.Kind); ok && def.Tracked {
			on := true
			t.Track = &on
		}
	}
}

// LoadDir loads every *.yaml and *.yml file directly in dir (not in subfolders; names
// starting with "." are skipped), one DAG per file. It returns the DAGs that loaded, sorted
// by ID, and a List of every problem of every file; two files defining the same DAG ID is a
// problem of the second (in name order), whose DAG is left out.
func LoadDir(dir string, opts LoadOptions) ([]*DAG, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, List{{Pos: Pos{File: dir}, Msg: err.Error()}}
	}
	var dags []*DAG
	var all List
	seen := map[string]string{}
	for _, e := range entries {
		name := e.Name()
		ext := filepath.Ext(name)
		if e.IsDir() || strings.HasPrefix(name, ".") || (ext != ".yaml" && ext != ".yml") {
			continue
		}
		path := filepath.Join(dir, name)
		d, err := LoadFile(path, opts)
		if err != nil {
			var l List
			if errors.As(err, &l) {
				all = append(all, l...)
			} else {
				all = append(all, &Error{Pos: Pos{File: path}, Msg: err.Error()})
			}
			continue
		}
		if first, dup := seen[d.ID]; dup {
			all = append(all, &Error{Pos: Pos{File: path, Line: 1, Column: 1}, Field: "dag_id",
				Msg: fmt.Sprintf("dag %q is already defined in %s", d.ID, first)})
			continue
		}
		seen[d.ID] = path
		dags = append(dags, d)
	}
	slices.SortFunc(dags, func(a, b *DAG) int { return strings.Compare(a.ID, b.ID) })
	return dags, all.err()
}

// parse runs the YAML parser on the tokens of lexSource, turning a panic of the parser on
// odd input into an error.
func parse(tokens token.Tokens) (f *ast.File, err error) {
	defer func() {
		if p := recover(); p != nil {
			f, err = nil, fmt.Errorf("yaml parser failed: %v", p)
		}
	}()
	return parser.Parse(tokens, 0)
}

// decodeFile parses src and decodes its one document into a raw DAG with its dependencies
// resolved and groups expanded. It returns a nil raw DAG when nothing could be decoded.
func decodeFile(path string, src []byte, lim limits, ks *Kinds) (*rawDAG, List) {
	tokens, lerr := lexSource(path, src, lim.source)
	if lerr != nil {
		return nil, List{lerr}
	}
	f, err := parse(tokens)
	if err != nil {
		return nil, List{yamlError(path, err)}
	}
	d := &decoder{file: path, limits: lim}
	var body ast.Node
	for _, doc := range f.Docs {
		if doc == nil || doc.Body == nil {
			continue
		}
		if body != nil {
			d.errs = append(d.errs, &Error{Pos: d.pos(doc.Body), Msg: "a DAG file holds one YAML document; remove this one or move it to its own file"})
			break
		}
		body = doc.Body
	}
	if body == nil {
		return nil, List{{Pos: Pos{File: path, Line: 1, Column: 1}, Msg: "empty file: a DAG file holds a mapping with tasks (see docs/dag-yaml.md)"}}
	}
	d.collectAnchors(body)
	r := &rawDAG{dec: d, path: path, body: body, kinds: ks}
	r.decode()
	if e := r.taskLimit(lim.source); e != nil {
		return nil, append(d.errs, e)
	}
	r.build()
	return r, d.errs
}

// yamlError converts a parser error to an *Error with the position of the offending token.
func yamlError(path string, err error) *Error {
	e := &Error{Pos: Pos{File: path, Line: 1, Column: 1}, Msg: "yaml: " + err.Error()}
	var te interface {
		GetMessage() string
	}
	if errors.As(err, &te) {
		e.Msg = "yaml: " + te.GetMessage()
	}
	e.Msg += ": " + yamlFix(e.Msg)
	var tk interface{ GetToken() *token.Token }
	if errors.As(err, &tk) {
		if t := tk.GetToken(); t != nil && t.Position != nil && t.Position.Line > 0 {
			e.Pos.Line, e.Pos.Column = t.Position.Line, max(t.Position.Column, 1)
		}
	}
	return e
}

// dagFields, taskFields, groupFields, ... are the keys each YAML item accepts.
var (
	dagFields = []string{"dag_id", "description", "schedule", "tags", "params", "defaults",
		"run_timeout", "max_active_tasks", "max_map_length", "on_failure", "on_success", "tasks", "groups",
		"timezone", "start_date", "end_date", "catchup", "max_active_runs", "datasets", "assets", "sla", "on_sla_miss", "is_paused_upon_creation"}
	optionFields = []string{"retries", "retry_delay", "retry_exponential_backoff", "max_retry_delay",
		"timeout", "pool", "pool_slots", "priority_weight", "weight_rule", "on_failure", "on_retry",
		"on_success", "output_limit", "sla", "on_sla_miss", "track", "cache"}
	groupFields    = []string{"id", "upstream", "tasks", "groups", "expand", "expand_kwargs", "partial", "map_index_template"}
	teardownFields = []string{"setups", "on_failure_fail_dagrun"}
	shortFields    = []string{"expr", "ignore_downstream_trigger_rules"}
	callbackFields = []string{"command", "webhook"}
)

// rawDAG is a DAG being decoded: the model plus the YAML nodes errors point to.
type rawDAG struct {
	dec    *decoder
	kinds  *Kinds
	path   string
	body   ast.Node
	dag    *DAG
	scope  *scope
	idNode ast.Node
	tasks  []*rawTask  // every task, in document order
	groups []*rawGroup // every group, parents before children
	// byTask and byGroup index the kept items by fully qualified ID.
	byTask   map[string]*rawTask
	byGroup  map[string]*rawGroup
	broken   map[string]bool // IDs of items dropped after an error: references to them are not reported again
	skipSpec map[string]bool // tasks whose kind or action already had an error
	skipID   bool            // the DAG ID already had an error
	hints    *hinter         // did-you-mean for upstream names (hints.go)
	// assetField is the field that gave the DAG's dataset condition (datasets, assets or
	// schedule), to refuse a second one.
	assetField string
}

type rawTask struct {
	task    *Task
	local   string
	scope   *scope
	idNode  ast.Node
	idBad   bool // the id had an error already
	ups     []ref
	setups  []ref // a teardown's setups, as written
	group   *rawGroup
	dropped bool
	badSpec bool // the kind or action had an error: the validator does not check them again
}

type rawGroup struct {
	group   *Group
	local   string
	scope   *scope
	node    ast.Node
	idNode  ast.Node
	idBad   bool
	ups     []ref
	parent  *rawGroup
	dropped bool
	depth   int
}

// ref is one name in an upstream list, as written.
type ref struct {
	name  string
	node  ast.Node
	field string
}

// decode reads the top-level mapping.
func (r *rawDAG) decode() {
	s := r.dec.newScope()
	r.scope = s
	r.dag = &DAG{Source: r.path}
	r.skipSpec = map[string]bool{}
	d := r.dag
	es, ok := s.mapping(r.body, "dag")
	if !ok {
		return
	}
	for _, e := range es {
		s.record(e.key, e.valNode)
		switch e.key {
		case "dag_id":
			var ok bool
			d.ID, ok = s.str(e.valNode, e.key, false)
			r.idNode = e.valNode
			r.skipID = r.skipID || !ok
		case "description":
			d.Description, _ = s.str(e.valNode, e.key, false)
		case "schedule":
			r.schedule(e)
		case "tags":
			d.Tags, _ = s.strList(e.valNode, e.key, true, true)
		case "params":
			d.Params = r.decodeParams(e.valNode)
		case "defaults":
			des, _ := s.mapping(e.valNode, "defaults")
			for _, de := range des {
				if !s.option(de, &d.Defaults) {
					s.unknownField(de, "defaults", optionFields)
				}
			}
		case "run_timeout":
			d.RunTimeout, _ = s.duration(e.valNode, e.key)
		case "max_active_tasks":
			d.MaxActiveTasks, _ = s.integer(e.valNode, e.key)
		case "max_map_length":
			d.MaxMapLength, _ = s.integer(e.valNode, e.key)
		case "timezone":
			d.Timezone, _ = s.str(e.valNode, e.key, false)
		case "start_date":
			d.StartDate = s.date(e.valNode, e.key)
		case "end_date":
			d.EndDate = s.date(e.valNode, e.key)
		case "catchup":
			d.Catchup, _ = s.boolean(e.valNode, e.key)
		case "is_paused_upon_creation":
			if b, ok := s.boolean(e.valNode, e.key); ok {
				d.PausedUponCreation = &b
			}
		case "max_active_runs":
			d.MaxActiveRuns, _ = s.integer(e.valNode, e.key)
		case "datasets", "assets":
			r.assets(e)
		case "sla":
			d.SLA, _ = s.duration(e.valNode, e.key)
		case "on_sla_miss":
			d.OnSLAMiss = s.callbacks(e.valNode, e.key)
		case "on_failure":
			d.OnFailure = s.callbacks(e.valNode, e.key)
		case "on_success":
			d.OnSuccess = s.callbacks(e.valNode, e.key)
		case "tasks":
			items, _ := s.list(e.valNode, e.key, false)
			for _, it := range items {
				r.decodeTask(it, nil)
			}
		case "groups":
			items, _ := s.list(e.valNode, e.key, false)
			for _, it := range items {
				r.decodeGroup(it, nil)
			}
		default:
			if !strings.HasPrefix(e.key, "x-") {
				s.unknownField(e, "dag", dagFields)
			}
		}
	}
	if r.idNode == nil {
		base := filepath.Base(r.path)
		d.ID = strings.TrimSuffix(base, filepath.Ext(base))
		if !idPattern.MatchString(d.ID) {
			s.errorf(r.body, "dag_id", "the file name gives the invalid DAG id %q (use letters, digits, _ and -); set dag_id", d.ID)
			r.skipID = true
		}
	}
}

// decodeParams reads the params mapping: each value is a JSON schema, or a plain value
// taken as the default of a schema without type.
func (r *rawDAG) decodeParams(n ast.Node) map[string]Param {
	s := r.scope
	es, _ := s.mapping(n, "params")
	var out map[string]Param
	for _, e := range es {
		v, ok := s.value(e.valNode, e.valField)
		if !ok {
			continue
		}
		schema, isMap := v.(map[string]any)
		if !isMap {
			schema = map[string]any{"default": v}
		}
		if out == nil {
			out = map[string]Param{}
		}
		out[e.key] = Param{Schema: schema}
	}
	return out
}

// option reads one TaskOptions field; it returns false when the key is not an option.
func (s *scope) option(e entry, o *TaskOptions) bool {
	n, f := e.valNode, e.valField
	setInt := func(p **int) {
		if v, ok := s.integer(n, f); ok {
			*p = &v
		}
	}
	setDur := func(p **Duration) {
		if v, ok := s.duration(n, f); ok {
			*p = &v
		}
	}
	switch e.key {
	case "retries":
		setInt(&o.Retries)
	case "retry_delay":
		setDur(&o.RetryDelay)
	case "retry_exponential_backoff":
		if v, ok := s.boolean(n, f); ok {
			o.RetryExponentialBackoff = &v
		}
	case "max_retry_delay":
		setDur(&o.MaxRetryDelay)
	case "timeout":
		setDur(&o.Timeout)
	case "pool":
		o.Pool, _ = s.str(n, f, false)
	case "pool_slots":
		setInt(&o.PoolSlots)
	case "priority_weight":
		setInt(&o.PriorityWeight)
	case "weight_rule":
		o.WeightRule, _ = s.str(n, f, false)
	case "on_failure":
		o.OnFailure = s.callbacks(n, f)
	case "on_retry":
		o.OnRetry = s.callbacks(n, f)
	case "on_success":
		o.OnSuccess = s.callbacks(n, f)
	case "output_limit":
		setInt(&o.OutputLimit)
	case "sla":
		setDur(&o.SLA)
	case "track":
		if v, ok := s.boolean(n, f); ok {
			o.Track = &v
		}
	case "cache":
		if v, ok := s.boolean(n, f); ok {
			o.Cache = &v
		}
	case "on_sla_miss":
		o.OnSLAMiss = s.callbacks(n, f)
	default:
		return false
	}
	return true
}

// callbacks reads a list of {command: [...]} or {webhook: url} items.
func (s *scope) callbacks(n ast.Node, field string) []Callback {
	items, _ := s.list(n, field, false)
	var out []Callback
	for i, it := range items {
		f := index(field, i)
		s.record(f, it)
		es, ok := s.mapping(it, f)
		if !ok {
			continue
		}
		var cb Callback
		for _, e := range es {
			switch e.key {
			case "command":
				cb.Command, _ = s.strList(e.valNode, e.valField, true, false)
			case "webhook":
				cb.Webhook, _ = s.str(e.valNode, e.valField, false)
			default:
				s.unknownField(e, f, callbackFields)
			}
		}
		out = append(out, cb)
	}
	return out
}

// decodeTask reads one task mapping.
func (r *rawDAG) decodeTask(n ast.Node, g *rawGroup) {
	s := r.dec.newScope()
	es, ok := s.mapping(n, "task")
	if !ok {
		return
	}
	t := &Task{Pos: r.dec.pos(n)}
	rt := &rawTask{task: t, scope: s, group: g}
	r.tasks = append(r.tasks, rt)
	var kindNode ast.Node
	present := map[string]entry{} // the keys of registered kinds, by key
	specs := map[*kindReg]any{}   // the specs of the kinds whose keys are present
	var specErr bool
	for _, e := range es {
		s.record(e.key, e.valNode)
		n, f := e.valNode, e.valField
		switch e.key {
		case "id":
			var ok bool
			rt.local, ok = s.str(n, f, false)
			rt.idNode, rt.idBad = n, !ok
		case "kind":
			kindNode = n
			t.Kind, _ = s.str(n, f, false)
		case "upstream":
			rt.ups = s.refs(n, f)
		case "trigger_rule":
			rule, _ := s.str(n, f, false)
			t.TriggerRule = TriggerRule(rule)
		case "setup":
			t.Setup, _ = s.boolean(n, f)
		case "teardown":
			rt.setups = s.teardown(n, f, t)
		case "branch":
			switch v, _ := s.value(n, f); x := v.(type) {
			case bool:
				if x {
					t.Branch = &BranchSpec{}
				}
			case string:
				t.Branch = &BranchSpec{Expr: x}
			default:
				s.errorf(n, f, "want true (the task's output is the choice) or an expression choosing the downstream task ids")
			}
		case "short_circuit":
			t.ShortCircuit = s.shortCircuit(n, f)
		case "latest_only":
			if on, _ := s.boolean(n, f); on {
				t.Kind = KindLatestOnly
				kindNode = n
			}
		case "expand":
			t.Expand = s.expandMap(n, f)
		case "expand_kwargs":
			t.ExpandKwargs, _ = s.value(n, f)
		case "partial":
			t.Partial = s.objectValue(n, f)
		case "map_index_template":
			t.MapIndexTemplate, _ = s.str(n, f, false)
		case "max_active_tis_per_dag":
			t.MaxActiveTIsPerDAG, _ = s.integer(n, f)
		case "outlets":
			t.Outlets, t.OutletAliases = s.outlets(n, f)
		case "inlets":
			t.Inlets, _ = s.strList(n, f, false, true)
		default:
			if s.option(e, &t.TaskOptions) {
				break
			}
			ref, isKind := r.kinds.byKey[e.key]
			if !isKind {
				keys := r.kinds.keys
				s.unknownField(e, "task", keys)
				// A misspelt action ("comand") must not also report a missing action.
				rt.badSpec = rt.badSpec || slices.Contains(r.kinds.actions, closest(e.key, keys))
				break
			}
			errs := len(r.dec.errs)
			present[e.key] = e
			if ref.field == nil {
				if spec := s.decodeNested(ref.k, n, f); spec != nil {
					specs[ref.k] = spec
				}
			} else {
				spec := specs[ref.k]
				if spec == nil {
					spec = ref.k.def.New()
					specs[ref.k] = spec
				}
				s.decodeField(ref.field, spec, n, f)
			}
			specErr = specErr || len(r.dec.errs) > errs
		}
	}
	if rt.idNode == nil {
		s.errorf(n, "id", "missing: every task needs an id")
	}
	r.decodeKind(rt, kindNode, present, specs)
	rt.badSpec = rt.badSpec || specErr
}

// decodeKind sets the task's kind and spec from the kind field and the action keys
// present, reporting conflicts.
func (r *rawDAG) decodeKind(rt *rawTask, kindNode ast.Node, present map[string]entry, specs map[*kindReg]any) {
	s, t, ks := rt.scope, rt.task, r.kinds
	var actions []string
	for _, a := range ks.actions {
		if _, ok := present[a]; ok {
			actions = append(actions, a)
		}
	}
	bad := func() { rt.badSpec = true }
	// Kinds the engine evaluates itself take no action field.
	var engineKind string
	switch {
	case t.Branch != nil && t.Branch.Expr != "":
		engineKind = KindBranch
	case t.ShortCircuit != nil && t.ShortCircuit.Expr != "":
		engineKind = KindShortCircuit
	case t.Kind == KindLatestOnly:
		engineKind = KindLatestOnly
	}
	if engineKind != "" {
		if len(actions) > 0 {
			s.errorf(present[actions[0]].keyNode, actions[0], "a %s task is evaluated by weir itself and takes no %s", engineKind, actions[0])
			bad()
		}
		t.Kind = engineKind
		return
	}
	names := ks.names
	declared := ks.byName[t.Kind]
	switch {
	case kindNode != nil && t.Kind != "" && !slices.Contains(names, t.Kind):
		s.errorf(kindNode, "kind", "unknown kind %q%s; valid: %s", t.Kind, DidYouMean(t.Kind, names), strings.Join(names, ", "))
		bad()
	case len(actions) == 0 && rt.badSpec:
	case len(actions) == 0:
		if kindNode != nil && declared != nil {
			s.errorf(kindNode, "kind", "a %s task needs %s", t.Kind, declared.needs())
		} else {
			s.errorf(rt.scopeNode(), "task", "no action: a task needs exactly one of %s", strings.Join(ks.actions, ", "))
		}
		bad()
	case len(actions) > 1:
		s.errorf(present[actions[1]].keyNode, actions[1], "a task has exactly one of %s; this one has %s", strings.Join(ks.actions, ", "), strings.Join(actions, " and "))
		bad()
	case kindNode != nil && t.Kind != "" && t.Kind != ks.byKey[actions[0]].k.def.Name:
		s.errorf(kindNode, "kind", "kind %s does not match %s (a %s task)", t.Kind, actions[0], ks.byKey[actions[0]].k.def.Name)
		bad()
	default:
		t.Kind = ks.byKey[actions[0]].k.def.Name
	}
	if t.Kind != "" {
		// Inline fields of another kind than the task's.
		for _, key := range sortedMapKeys(present) {
			ref := ks.byKey[key]
			if ref.field != nil && !ref.action && ref.k.def.Name != t.Kind {
				s.errorf(present[key].keyNode, key, "applies to %s only", ref.k.tasks())
			}
		}
	}
	if k := ks.byName[t.Kind]; k != nil && k.def.Get == nil {
		t.def = k // the renderer finds the built-in kinds by name
	}
	for _, k := range ks.list {
		spec, ok := specs[k]
		hasAction := false
		for _, a := range k.def.Keys {
			if _, p := present[a]; p {
				hasAction = true
			}
		}
		switch {
		case hasAction && ok:
			k.set(t, spec)
		case hasAction && !k.def.Inline:
			// The nested spec did not decode; the error is reported already.
		case t.Kind == k.def.Name && k.spec(t) == nil:
			k.set(t, k.def.New())
		}
	}
}

// scopeNode returns a node for errors about the task as a whole.
func (rt *rawTask) scopeNode() ast.Node {
	if rt.idNode != nil {
		return rt.idNode
	}
	for _, n := range rt.scope.nodes {
		return n
	}
	return nil
}

// refs reads an upstream list (or a single name).
func (s *scope) refs(n ast.Node, field string) []ref {
	items, _ := s.list(n, field, true)
	var out []ref
	for i, it := range items {
		f := index(field, i)
		if len(items) == 1 && s.deref(n, field) == it {
			f = field
		}
		name, ok := s.str(it, f, false)
		if ok {
			out = append(out, ref{name: name, node: it, field: f})
		}
	}
	return out
}

// decodeGroup reads one group mapping and, recursively, its tasks and groups.
func (r *rawDAG) decodeGroup(n ast.Node, parent *rawGroup) {
	s := r.dec.newScope()
	es, ok := s.mapping(n, "group")
	if !ok {
		return
	}
	rg := &rawGroup{group: &Group{}, scope: s, node: n, parent: parent}
	if parent != nil {
		rg.depth = parent.depth + 1
	}
	if rg.depth > maxDepth {
		s.errorf(n, "group", "groups nested too deeply")
		return
	}
	r.groups = append(r.groups, rg)
	for _, e := range es {
		s.record(e.key, e.valNode)
		switch e.key {
		case "id":
			var ok bool
			rg.local, ok = s.str(e.valNode, e.key, false)
			rg.idNode, rg.idBad = e.valNode, !ok
		case "upstream":
			rg.ups = s.refs(e.valNode, e.key)
		case "tasks":
			items, _ := s.list(e.valNode, e.key, false)
			for _, it := range items {
				r.decodeTask(it, rg)
			}
		case "groups":
			items, _ := s.list(e.valNode, e.key, false)
			for _, it := range items {
				r.decodeGroup(it, rg)
			}
		case "expand":
			rg.group.Expand = s.expandMap(e.valNode, e.key)
		case "expand_kwargs":
			rg.group.ExpandKwargs, _ = s.value(e.valNode, e.key)
		case "partial":
			rg.group.Partial = s.objectValue(e.valNode, e.key)
		case "map_index_template":
			rg.group.MapIndexTemplate, _ = s.str(e.valNode, e.key, false)
		default:
			s.unknownField(e, "group", groupFields)
		}
	}
	if rg.idNode == nil {
		s.errorf(n, "id", "missing: every group needs an id")
	}
}

// teardown reads a teardown mapping ({setups: [...], on_failure_fail_dagrun: bool}) or a
// plain list of setups, and returns the setup references to resolve.
func (s *scope) teardown(n ast.Node, field string, t *Task) []ref {
	t.Teardown = &TeardownSpec{}
	if _, isMap := s.deref(n, field).(*ast.MappingNode); !isMap {
		return s.refs(n, field)
	}
	es, _ := s.mapping(n, field)
	var refs []ref
	for _, e := range es {
		s.record(e.valField, e.valNode)
		switch e.key {
		case "setups":
			refs = s.refs(e.valNode, e.valField)
		case "on_failure_fail_dagrun":
			t.Teardown.OnFailureFailDagrun, _ = s.boolean(e.valNode, e.valField)
		default:
			s.unknownField(e, field, teardownFields)
		}
	}
	if len(refs) == 0 {
		s.errorf(n, field, "a teardown names its setups: teardown: {setups: [create_workspace]}")
	}
	return refs
}

// shortCircuit reads short_circuit: true (the output is the condition), an expression,
// or {expr, ignore_downstream_trigger_rules}.
func (s *scope) shortCircuit(n ast.Node, field string) *ShortCircuitSpec {
	if _, isMap := s.deref(n, field).(*ast.MappingNode); isMap {
		sc := &ShortCircuitSpec{}
		es, _ := s.mapping(n, field)
		for _, e := range es {
			s.record(e.valField, e.valNode)
			switch e.key {
			case "expr":
				sc.Expr, _ = s.str(e.valNode, e.valField, false)
			case "ignore_downstream_trigger_rules":
				v, _ := s.boolean(e.valNode, e.valField)
				sc.IgnoreDownstreamTriggerRules = &v
			default:
				s.unknownField(e, field, shortFields)
			}
		}
		return sc
	}
	switch v, _ := s.value(n, field); x := v.(type) {
	case bool:
		if x {
			return &ShortCircuitSpec{}
		}
		return nil
	case string:
		return &ShortCircuitSpec{Expr: x}
	}
	s.errorf(n, field, "want true (the task's output is the condition), an expression, or {expr, ignore_downstream_trigger_rules}")
	return nil
}

// expandMap reads expand: a mapping of argument names to lists, maps or templates.
func (s *scope) expandMap(n ast.Node, field string) map[string]any {
	v, ok := s.value(n, field)
	if !ok {
		return nil
	}
	m, isMap := v.(map[string]any)
	if !isMap {
		s.errorf(n, field, "want a mapping of argument names to what they range over, e.g. expand: {lr: [0.1, 0.01]}")
		return nil
	}
	for k, x := range m {
		switch y := x.(type) {
		case []any, map[string]any:
		case string:
			if !isTemplate(y) {
				s.errorf(n, field+"."+k, "got the string %q: want a list, a map, or a template such as \"{{ outputs.grid }}\"", y)
			}
		default:
			s.errorf(n, field+"."+k, "got %v: want a list, a map, or a template such as \"{{ outputs.grid }}\"", y)
		}
	}
	return m
}

// objectValue reads a mapping as a JSON object.
func (s *scope) objectValue(n ast.Node, field string) map[string]any {
	v, ok := s.value(n, field)
	if !ok {
		return nil
	}
	m, isMap := v.(map[string]any)
	if !isMap {
		s.errorf(n, field, "want a mapping of argument names to values")
		return nil
	}
	return m
}

// date reads a date ("2026-01-31") or a time (RFC 3339), UTC unless it says otherwise.
func (s *scope) date(n ast.Node, field string) time.Time {
	v, ok := s.value(n, field)
	if !ok {
		return time.Time{}
	}
	switch x := v.(type) {
	case string:
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
			if t, err := time.Parse(layout, x); err == nil {
				return t.UTC()
			}
		}
		s.errorf(n, field, "invalid date %q: write 2026-01-31 or 2026-01-31T06:00:00Z", x)
	case time.Time:
		return x.UTC()
	default:
		s.errorf(n, field, "want a date such as 2026-01-31")
	}
	return time.Time{}
}

// maxAliasName is the longest asset alias name, as Airflow's (1500 characters).
const maxAliasName = 1500

// aliasName reads the name of an asset alias: a non-empty string of at most maxAliasName
// characters.
func (s *scope) aliasName(n ast.Node, field string) string {
	name, ok := s.str(n, field, false)
	if !ok {
		return ""
	}
	if strings.TrimSpace(name) == "" {
		s.errorf(n, field, "empty asset alias name: write {alias: NAME}")
		return ""
	}
	if len(name) > maxAliasName {
		s.errorf(n, field, "asset alias name of %d characters: at most %d", len(name), maxAliasName)
		return ""
	}
	return name
}

// outlets reads a task's outlets: dataset URIs, and asset aliases as {alias: NAME} (the
// task adds assets through them at run time: Task.OutletAliases).
func (s *scope) outlets(n ast.Node, field string) (uris, aliases []string) {
	items, ok := s.list(n, field, true)
	if !ok {
		return nil, nil
	}
	for i, it := range items {
		f := index(field, i)
		if m, isMap := s.deref(it, f).(*ast.MappingNode); isMap {
			es, _ := s.mapping(m, f)
			if len(es) != 1 || es[0].key != "alias" {
				s.errorf(it, f, "want a dataset URI or {alias: NAME}")
				continue
			}
			if name := s.aliasName(es[0].valNode, es[0].valField); name != "" && !slices.Contains(aliases, name) {
				aliases = append(aliases, name)
			}
			continue
		}
		if v, ok := s.str(it, f, false); ok {
			uris = append(uris, v)
		}
	}
	return uris, aliases
}

// datasetCondition reads a dataset URI, a list of them (all must be updated), or
// {all: [...]} / {any: [...]} nested.
func (s *scope) datasetCondition(n ast.Node, field string, depth int) *DatasetCondition {
	if depth > maxDepth {
		s.errorf(n, field, "dataset condition nested too deeply")
		return nil
	}
	switch x := s.deref(n, field).(type) {
	case *ast.StringNode:
		uri, ok := s.str(n, field, false)
		if !ok {
			return nil
		}
		if strings.TrimSpace(uri) == "" {
			s.errorf(n, field, "empty dataset URI")
			return nil
		}
		return &DatasetCondition{URI: uri}
	case *ast.SequenceNode:
		items, _ := s.list(n, field, false)
		c := &DatasetCondition{}
		for i, it := range items {
			if sub := s.datasetCondition(it, index(field, i), depth+1); sub != nil {
				c.All = append(c.All, *sub)
			}
		}
		if len(c.All) == 0 {
			s.errorf(n, field, "an empty list of datasets")
			return nil
		}
		return c
	case *ast.MappingNode:
		es, _ := s.mapping(n, field)
		if len(es) == 1 && es[0].key == "alias" {
			name := s.aliasName(es[0].valNode, es[0].valField)
			if name == "" {
				return nil
			}
			return &DatasetCondition{Alias: name}
		}
		if len(es) != 1 || (es[0].key != "all" && es[0].key != "any") {
			s.errorf(n, field, "want a URI, a list of URIs, or one of {all: [...]} and {any: [...]}")
			return nil
		}
		inner := s.datasetCondition(es[0].valNode, es[0].valField, depth+1)
		if inner == nil {
			return nil
		}
		if es[0].key == "any" {
			if inner.URI != "" {
				return &DatasetCondition{Any: []DatasetCondition{*inner}}
			}
			return &DatasetCondition{Any: inner.All}
		}
		if inner.URI != "" {
			return &DatasetCondition{All: []DatasetCondition{*inner}}
		}
		return inner
	default:
		_ = x
		s.errorf(n, field, "want a dataset URI, a list of URIs, or {all: [...]} / {any: [...]}")
	}
	return nil
}
