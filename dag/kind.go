package dag

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sync"
)

// KindDef describes one task kind to the loader, the validator and the renderer: the YAML
// fields of its spec (a Go struct decoded strictly), which of them are templates, and its
// checks. A kind's executor is paired with its KindDef one level up (package kinds), so
// adding a kind never edits this package.
//
// The spec struct's exported fields are its YAML fields, described by struct tags:
//
//	yaml:"name[,lenient][,single]"  the YAML key; lenient accepts numbers and booleans as
//	                                written where a string is wanted; single accepts a lone
//	                                scalar where a list is wanted. Fields without a yaml tag
//	                                are not read from YAML.
//	doc:"..."                       one sentence for `weir kinds` and docs/dag-yaml.md.
//	template:"true"                 string leaves are templates, rendered before execution
//	                                ("{{ ds }}"); template:"value" also keeps the typed
//	                                value of a string that is exactly one "{{ expr }}".
//	required:"message"              the field must be set; a zero value is reported as
//	                                "missing: message" at the field. required:"custom"
//	                                marks it required in listings only (Validate reports it).
//	scalar:"message"                the error when a list field is given a single string.
//
// Supported field types: string, int, float64, bool, Duration, pointers to those (nil: not
// set), []string, []int, []float64, map[string]string, map[string]any, any (a JSON-like
// value), and structs and slices of structs whose fields are tagged the same way (decoded
// strictly, as nested mappings and lists of mappings).
type KindDef struct {
	// Name is the kind's name, the value of a task's kind field ("command",
	// "quality.check"); dots are allowed. Required.
	Name string
	// Doc is one sentence describing the kind.
	Doc string
	// Keys are the task keys that select the kind (its action keys); default [Name]. A task
	// has exactly one action key of one kind.
	Keys []string
	// Inline puts the spec's fields directly on the task (command: [..], script, env, ...);
	// otherwise they are the fields of a mapping under Keys[0] (http: {url: ...}). With
	// Inline, every action key must be one of the spec's fields.
	Inline bool
	// New returns a pointer to a new zero spec struct. Required.
	New func() any
	// Validate checks a decoded spec (after the required fields were found set) and reports
	// problems through c; nil means no checks beyond the field types.
	Validate func(c *KindCheck, spec any)
	// Get returns the task's spec (a pointer made by New, or nil); Set stores one. Nil
	// means Task.Spec, which is where every kind keeps its spec except the built-in ones
	// that the DAG model has typed fields for.
	Get func(t *Task) any
	Set func(t *Task, spec any)
	// Needs says what a task of the kind is missing when it has none of its keys, as in
	// "a http task needs <Needs>"; default "<key>: {...}".
	Needs string
	// Tasks names the kind's tasks in "applies to <Tasks> only"; default "<name> tasks".
	Tasks string
	// Tracked opens an experiment-tracking run for every try of the kind's tasks unless the
	// task or the DAG's defaults say track: false (the ML steps log their params, metrics
	// and artifacts without a track: line).
	Tracked bool
	// CPUBound says the kind computes inside weir's process and keeps the cores busy (model
	// training, hyperparameter search, evaluation): the engine runs at most
	// engine.Config.CPUSlots instances of CPU-bound kinds at once, across runs, so the 20
	// instances of a mapped search do not each hold a copy of the data at the same time
	// for no gain in speed. Command tasks (subprocesses) are not limited this way.
	CPUBound bool
	// Repokes says a try of the kind only waits and checks (it returns executor.Rescheduled
	// until what it waits for happens, and checking again is harmless): when the process
	// running it dies, the next engine pokes again instead of counting a failed try, as
	// Airflow's triggerer re-runs a deferred task's trigger. The approval kind sets it.
	Repokes bool
	// Inputs returns the data a task of the kind reads, given its rendered spec: local paths
	// (relative to the DAG file's folder) and URIs. For a task with cache: true their
	// content hashes are part of its cache key, as its inlets' are (data passed by upstream
	// outputs is keyed through them already). Nil means the kind declares nothing, and the
	// engine hashes every string of the spec that names an existing file instead.
	Inputs func(spec any) []string
	// MapArgs names a template:"value" field that takes a mapped instance's arguments
	// when the task leaves it empty (the go kind's args); "" means none.
	MapArgs string
	// Expand, when set, makes a task of the kind a mapped task whose instances the kind
	// computes from its spec at load time (a search's candidates): called after Validate
	// found no problem, it returns one argument object per instance, or nil for an unmapped
	// task. The loader sets the task's expand_kwargs to that literal list (so the task must
	// not have expand or expand_kwargs of its own); each instance gets its object as its
	// arguments ("args" in templates, the MapArgs field, the tracking run's params). An
	// error is reported at the kind's spec.
	Expand func(spec any) ([]map[string]any, error)
}

// KindField describes one YAML field of a kind, as `weir kinds` lists it.
type KindField struct {
	// Name is the YAML key.
	Name string `json:"name"`
	// Type names the accepted values: "string", "list of strings", "integer", ...
	Type string `json:"type"`
	// Required is true when the field must be set.
	Required bool `json:"required"`
	// Template is true when the field's strings are templates rendered before execution.
	Template bool `json:"template"`
	// Doc is the field's documentation.
	Doc string `json:"doc,omitempty"`

	index       int
	typ         fieldType
	lenient     bool
	single      bool
	typed       bool   // template:"value"
	requiredMsg string // "" when not checked generically
	scalar      string
	path        string      // a top-level field's path in errors: its name, after the kind's key if nested
	ptr         bool        // the Go field is a pointer to typ (nil: not set)
	sub         []KindField // the fields of a struct or list-of-structs field
}

// KindInfo describes a registered kind for listings.
type KindInfo struct {
	// Name is the kind's name.
	Name string `json:"name"`
	// Doc describes the kind.
	Doc string `json:"doc,omitempty"`
	// Keys are the task keys that select the kind.
	Keys []string `json:"keys"`
	// Inline is true when the fields sit on the task itself, false when they are under
	// Keys[0].
	Inline bool `json:"inline"`
	// Fields are the spec's YAML fields, in struct order; the fields of a nested struct
	// follow it, named by their path ("split.test", "checks[].column").
	Fields []KindField `json:"fields"`
}

// kindReg is a registered KindDef with its fields resolved.
type kindReg struct {
	def      KindDef
	fields   []KindField
	byName   map[string]*KindField
	specType reflect.Type
}

// Kinds is a set of task kinds, the kinds a DAG may use. Build it with NewKinds (or
// BuiltinKinds) and pass it in LoadOptions.Kinds. It is immutable and safe for concurrent
// use.
type Kinds struct {
	list   []*kindReg
	byName map[string]*kindReg
	// byKey maps a task key to its kind and field (field nil for a nested kind's key).
	byKey   map[string]keyRef
	actions []string // every action key, in registration order
	names   []string // Names()
	keys    []string // every key a task may have
}

type keyRef struct {
	k      *kindReg
	field  *KindField
	action bool
}

// engineKinds are the kinds the engine evaluates itself; they are task flags (branch:,
// short_circuit:, latest_only:) rather than registrations.
var engineKinds = []string{KindBranch, KindShortCircuit, KindLatestOnly}

// coreTaskKeys are the task keys that belong to every task; no kind may claim them.
var coreTaskKeys = append([]string{"id", "kind", "upstream", "trigger_rule", "setup", "teardown",
	"branch", "short_circuit", "latest_only", "expand", "expand_kwargs", "partial",
	"map_index_template", "max_active_tis_per_dag", "outlets", "inlets"}, optionFields...)

// NewKinds checks defs and returns the set holding them, in order. It refuses a def
// without name or New, a spec that is not a pointer to a struct, an unsupported field
// type, and a name or key that another kind or a task field already uses.
func NewKinds(defs ...KindDef) (*Kinds, error) {
	ks := &Kinds{byName: map[string]*kindReg{}, byKey: map[string]keyRef{}}
	for _, def := range defs {
		if err := ks.add(def); err != nil {
			return nil, err
		}
	}
	for _, k := range ks.list {
		ks.names = append(ks.names, k.def.Name)
	}
	ks.names = append(ks.names, engineKinds...)
	ks.keys = ks.taskKeys()
	return ks, nil
}

// With returns a new set holding the kinds of ks followed by defs.
func (ks *Kinds) With(defs ...KindDef) (*Kinds, error) {
	var all []KindDef
	if ks != nil {
		for _, k := range ks.list {
			all = append(all, k.def)
		}
	}
	return NewKinds(append(all, defs...)...)
}

func (ks *Kinds) add(def KindDef) error {
	switch {
	case def.Name == "":
		return fmt.Errorf("task kind without a name: set KindDef.Name")
	case !validQualified(def.Name):
		return fmt.Errorf("task kind %q: invalid name (use letters, digits, _ and -, with dots between parts)", def.Name)
	case def.New == nil:
		return fmt.Errorf("task kind %s: KindDef.New is nil: it must return a pointer to a new spec struct", def.Name)
	case ks.byName[def.Name] != nil || slices.Contains(engineKinds, def.Name):
		return fmt.Errorf("task kind %s is registered twice", def.Name)
	}
	if len(def.Keys) == 0 {
		def.Keys = []string{def.Name}
	}
	fields, err := specFields(def.Name, def.New())
	if err != nil {
		return err
	}
	k := &kindReg{def: def, fields: fields, byName: map[string]*KindField{}, specType: reflect.TypeOf(def.New())}
	for i := range k.fields {
		k.byName[k.fields[i].Name] = &k.fields[i]
		k.fields[i].path = join(k.prefix(), k.fields[i].Name)
	}
	claim := func(key string, ref keyRef) error {
		if slices.Contains(coreTaskKeys, key) {
			return fmt.Errorf("task kind %s: key %q is a task field of every task; choose another", def.Name, key)
		}
		if other, dup := ks.byKey[key]; dup {
			return fmt.Errorf("task kind %s: key %q is already used by kind %s", def.Name, key, other.k.def.Name)
		}
		ks.byKey[key] = ref
		return nil
	}
	if def.Inline {
		for _, key := range def.Keys {
			if k.byName[key] == nil {
				return fmt.Errorf("task kind %s: action key %q is not a field of its inline spec", def.Name, key)
			}
		}
		for i := range k.fields {
			f := &k.fields[i]
			if err := claim(f.Name, keyRef{k: k, field: f, action: slices.Contains(def.Keys, f.Name)}); err != nil {
				return err
			}
		}
	} else {
		if len(def.Keys) != 1 {
			return fmt.Errorf("task kind %s: a kind whose fields are nested under its key has exactly one key", def.Name)
		}
		if err := claim(def.Keys[0], keyRef{k: k, action: true}); err != nil {
			return err
		}
	}
	if def.MapArgs != "" {
		if f := k.byName[def.MapArgs]; f == nil || !f.typed {
			return fmt.Errorf("task kind %s: MapArgs %q is not a template:\"value\" field", def.Name, def.MapArgs)
		}
	}
	ks.actions = append(ks.actions, def.Keys...)
	ks.list = append(ks.list, k)
	ks.byName[def.Name] = k
	return nil
}

// Names lists the registered kinds, in registration order, then the kinds the engine
// evaluates itself (branch, short_circuit, latest_only).
func (ks *Kinds) Names() []string { return slices.Clone(ks.names) }

// Lookup returns the definition of the kind named name.
func (ks *Kinds) Lookup(name string) (KindDef, bool) {
	k, ok := ks.byName[name]
	if !ok {
		return KindDef{}, false
	}
	return k.def, true
}

// Inputs returns the data inputs task t's kind declares for result caching (KindDef.Inputs),
// from t's spec as it is (render the task first), and whether the kind has an Inputs hook
// at all; nil when it has none or t has no spec.
func (ks *Kinds) Inputs(t *Task) (inputs []string, declared bool) {
	var k *kindReg
	if ks != nil {
		k = ks.byName[t.Kind]
	}
	if k == nil {
		k = t.kindDef()
	}
	if k == nil || k.def.Inputs == nil {
		return nil, false
	}
	spec := k.spec(t)
	if spec == nil {
		return nil, true
	}
	return k.def.Inputs(spec), true
}

// Infos describes every registered kind and its fields, in registration order.
func (ks *Kinds) Infos() []KindInfo {
	var out []KindInfo
	for _, k := range ks.list {
		out = append(out, KindInfo{Name: k.def.Name, Doc: k.def.Doc, Keys: slices.Clone(k.def.Keys),
			Inline: k.def.Inline, Fields: flatFields(k.fields, "")})
	}
	return out
}

// Restore gives the tasks of d, decoded from JSON (a run's DAG snapshot), their kinds'
// spec structs back: JSON decodes Task.Spec as raw JSON, since only the kind knows its
// struct. Tasks of kinds not in ks,
// and specs already of their kind's type, are left alone. A nil ks restores nothing (the
// built-in kinds keep their specs in typed fields, which JSON restores).
func (ks *Kinds) Restore(d *DAG) error {
	if ks == nil || d == nil {
		return nil
	}
	for _, t := range d.Tasks {
		if t == nil || t.Spec == nil {
			continue
		}
		k := ks.byName[t.Kind]
		if k == nil || k.def.Get != nil {
			continue
		}
		t.def = k
		if reflect.TypeOf(t.Spec) == k.specType {
			continue
		}
		b, ok := t.Spec.(json.RawMessage)
		if !ok {
			var err error
			if b, err = json.Marshal(t.Spec); err != nil {
				return fmt.Errorf("task %s: encode its %s spec: %w", t.ID, t.Kind, err)
			}
		}
		spec := k.def.New()
		if err := unmarshalNumbers(b, spec); err != nil {
			return fmt.Errorf("task %s: decode its %s spec: %w", t.ID, t.Kind, err)
		}
		mapValues(reflect.ValueOf(spec).Elem(), fromJSONNumbers)
		t.Spec = spec
	}
	return nil
}

// taskKeys returns every key a task may have with these kinds.
func (ks *Kinds) taskKeys() []string {
	out := slices.Clone(coreTaskKeys)
	for _, k := range ks.list {
		if k.def.Inline {
			for _, f := range k.fields {
				out = append(out, f.Name)
			}
		} else {
			out = append(out, k.def.Keys[0])
		}
	}
	return out
}

// builtinKinds is the built-in set, built once, for tasks that do not know their kind.
var builtinKinds = sync.OnceValue(BuiltinKinds)

// kindDef returns the kind of t: the one it was loaded with, else the built-in kind of its
// name, else (a spec built in Go for another kind) one read from the spec's type, whose
// fields nest under the kind's name.
func (t *Task) kindDef() *kindReg {
	if t.def != nil {
		return t.def
	}
	if k := builtinKinds().byName[t.Kind]; k != nil {
		return k
	}
	if t.Spec == nil || t.Kind == "" {
		return nil
	}
	fields, err := specFields(t.Kind, t.Spec)
	if err != nil {
		return nil
	}
	spec := t.Spec
	k := &kindReg{def: KindDef{Name: t.Kind, Keys: []string{t.Kind}, New: func() any {
		return reflect.New(reflect.TypeOf(spec).Elem()).Interface()
	}}, fields: fields, specType: reflect.TypeOf(spec)}
	for i := range k.fields {
		k.fields[i].path = join(t.Kind, k.fields[i].Name)
	}
	return k
}

// spec returns the spec of t for kind k, or nil when the task has none.
func (k *kindReg) spec(t *Task) any {
	var s any
	if k.def.Get != nil {
		s = k.def.Get(t)
	} else {
		s = t.Spec
		if s != nil && reflect.TypeOf(s) != k.specType {
			return nil // another kind's spec
		}
	}
	if s == nil {
		return nil
	}
	if rv := reflect.ValueOf(s); rv.Kind() == reflect.Pointer && rv.IsNil() {
		return nil
	}
	return s
}

func (k *kindReg) set(t *Task, spec any) {
	if k.def.Set != nil {
		k.def.Set(t, spec)
		return
	}
	t.Spec = spec
}

// prefix is the field path of the kind's fields: "" inline, else its key.
func (k *kindReg) prefix() string {
	if k.def.Inline {
		return ""
	}
	return k.def.Keys[0]
}

func (k *kindReg) needs() string {
	if k.def.Needs != "" {
		return k.def.Needs
	}
	return k.def.Keys[0] + ": {...}"
}

func (k *kindReg) tasks() string {
	if k.def.Tasks != "" {
		return k.def.Tasks
	}
	return k.def.Name + " tasks"
}

// KindCheck reports the problems of one task's spec from a KindDef's Validate. Fields are
// YAML paths relative to the kind's fields ("url", "headers.X-Key", "states[1]"); they are
// prefixed with the kind's key for nested kinds.
type KindCheck struct {
	v    *validator
	t    *Task
	k    *kindReg
	errs int
}

// Task returns the task being checked.
func (c *KindCheck) Task() *Task { return c.t }

// Options returns the options the DAG is loaded with (for example LoadOptions.GoFuncs).
func (c *KindCheck) Options() LoadOptions { return c.v.opts }

// Field returns the full field path of a spec field, as errors name it ("http.url").
func (c *KindCheck) Field(field string) string { return join(c.k.prefix(), field) }

// Errorf reports a problem with field ("" for the kind's spec as a whole).
func (c *KindCheck) Errorf(field, format string, args ...any) {
	c.ErrorAt(field, -1, format, args...)
}

// ErrorAt reports a problem at byte offset off inside field's string value (-1: the
// field as a whole).
func (c *KindCheck) ErrorAt(field string, off int, format string, args ...any) {
	c.errs++
	f := c.Field(field)
	if field == "" {
		f = c.k.def.Keys[0]
	}
	c.v.add(c.t.ID, "", f, off, format, args...)
}

// Expression checks src as an expression (no braces) over the template variables (params,
// outputs of upstreams, ds, ...), as a template's {{ }} is checked, reporting at field.
func (c *KindCheck) Expression(field, src string) {
	before := len(c.v.errs)
	c.v.expression(c.t, c.Field(field), segment{expr: true, text: src, off: 0})
	c.errs += len(c.v.errs) - before
}

// Failed reports whether any problem was reported through c.
func (c *KindCheck) Failed() bool { return c.errs > 0 }

// checkSpec checks the required fields of the spec of t, then runs the kind's Validate.
func (v *validator) checkSpec(t *Task, k *kindReg, spec any) {
	c := &KindCheck{v: v, t: t, k: k}
	checkRequired(c, reflect.ValueOf(spec).Elem(), k.fields, "")
	if c.Failed() {
		return
	}
	if k.def.Validate != nil {
		k.def.Validate(c, spec)
	}
	if !c.Failed() && k.def.Expand != nil {
		expandByKind(c, spec)
	}
}

// expandByKind sets the mapping of a task whose kind expands it (KindDef.Expand). Applied
// again to the same task (a DAG validated twice, or restored from its snapshot) it finds
// the same list and leaves it.
func expandByKind(c *KindCheck, spec any) {
	t := c.t
	items, err := c.k.def.Expand(spec)
	if err != nil {
		c.Errorf("", "%v", err)
		return
	}
	if items == nil {
		return
	}
	list := make([]any, len(items))
	for i, it := range items {
		list[i] = it
	}
	if t.IsMapped() {
		have, _ := json.Marshal(t.ExpandKwargs)
		want, _ := json.Marshal(list)
		if t.Expand == nil && string(have) == string(want) {
			return
		}
		field := "expand"
		if t.Expand == nil {
			field = "expand_kwargs"
		}
		c.v.add(t.ID, "", field, -1, "a %s task maps itself (one instance per item of its spec): remove %s", t.Kind, field)
		return
	}
	t.ExpandKwargs = list
}
