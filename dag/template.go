package dag

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"
)

// TemplateVars lists the variables a template expression can use:
//
//   - params: the run's resolved params (ResolveParams); conf: the run's free-form conf.
//   - run_id, dag_id, task_id: strings; map_index (-1 when unmapped) and try_number: ints.
//   - logical_date, ts: the run's logical date as RFC 3339 ("2024-01-31T00:00:00Z");
//     ds: "2024-01-31"; ds_nodash: "20240131"; ts_nodash: "20240131T000000".
//   - outputs: upstream outputs by task ID: outputs.extract, outputs["prep.scale"], and
//     also nested by group, outputs.prep.scale.
//   - args: a mapped instance's arguments (its partial arguments merged with its item).
//   - zip(a, b, ...) pairs lists up to the shortest; zip_longest(fill, a, b, ...) pads the
//     shorter ones with fill; concat(a, b, ...) joins lists (for expand).
//   - data_interval_start, data_interval_end: the run's data interval, RFC 3339 (UTC).
//   - triggering_dataset_events: for a dataset-triggered run, the events that triggered
//     it by dataset URI (each with uri, extra, source_dag_id, source_run_id, timestamp…).
//   - var, conn: Airflow's variables and connections, looked up when the task runs (see
//     SecretLookup): var.value.KEY, var.json.KEY.field, conn.ID.host, conn.ID.get_uri().
var TemplateVars = []string{"args", "concat", "conf", "conn", "dag_id", "data_interval_end", "data_interval_start", "ds", "ds_nodash", "logical_date", "map_index",
	"outputs", "params", "run_id", "task_id", "triggering_dataset_events", "try_number", "ts", "ts_nodash", "var", "zip", "zip_longest"}

// compileEnv declares the variables and their types to the expression compiler; rendering
// passes values of the same types.
var compileEnv = map[string]any{
	"params": map[string]any{}, "conf": map[string]any{}, "outputs": map[string]any{},
	"run_id": "", "dag_id": "", "task_id": "", "logical_date": "", "ds": "", "ds_nodash": "",
	"ts": "", "ts_nodash": "", "map_index": 0, "try_number": 0, "args": map[string]any{}, "data_interval_start": "", "data_interval_end": "",
	"triggering_dataset_events": map[string]any{}, "var": map[string]any{}, "conn": map[string]any{},
	"zip": zipFunc, "zip_longest": zipLongestFunc, "concat": concatFunc,
}

// Response is what an http sensor's condition (SensorSpec.Condition) sees: the variables
// status, headers and body.
type Response struct {
	// Status is the response's status code.
	Status int `expr:"status"`
	// Headers maps lower-case header names to their (first) value.
	Headers map[string]any `expr:"headers"`
	// Body is the body parsed as JSON, or else its text.
	Body any `expr:"body"`
}

// CompileResponseCondition compiles an http sensor's condition, a boolean expression over a
// Response. Run the program with a Response value.
func CompileResponseCondition(src string) (*vm.Program, error) {
	return expr.Compile(src, expr.Env(Response{}), expr.AsBool())
}

// segment is a part of a template: literal text, or the source of an expression.
type segment struct {
	text string
	expr bool
	off  int // byte offset of text in the template
}

// templateError is a problem at a byte offset of a template.
type templateError struct {
	off int
	msg string
}

func (e *templateError) Error() string { return e.msg }

// isTemplate reports whether s has a "{{" or a "{% raw %}" and so is evaluated as a template.
func isTemplate(s string) bool { return strings.Contains(s, "{{") || rawOpen.MatchString(s) }

// rawOpen and rawClose are Jinja's {% raw %} and {% endraw %} (also {%- raw -%}): the text
// between them is literal, "{{" included, as in Airflow's templates.
var (
	rawOpen  = regexp.MustCompile(`\{%-?\s*raw\s*-?%\}`)
	rawClose = regexp.MustCompile(`\{%-?\s*endraw\s*-?%\}`)
)

// rawBlock finds the first {% raw %} of s at or after from, before limit: it returns the
// offsets of the tag's start, of the literal text's start and end, and of the end of the
// closing tag; ok is false when there is none, err set when it is not closed.
func rawBlock(s string, from, limit int) (start, textStart, textEnd, end int, ok bool, err *templateError) {
	loc := rawOpen.FindStringIndex(s[from:])
	if loc == nil || from+loc[0] >= limit {
		return 0, 0, 0, 0, false, nil
	}
	start, textStart = from+loc[0], from+loc[1]
	c := rawClose.FindStringIndex(s[textStart:])
	if c == nil {
		return 0, 0, 0, 0, false, &templateError{off: start, msg: `unclosed "{% raw %}": end the literal text with "{% endraw %}"`}
	}
	return start, textStart, textStart + c[0], textStart + c[1], true, nil
}

// literalHint ends an unknown-variable error: the "{{" may have been meant literally.
const literalHint = `; for a literal "{{" (a Python f-string), write {% raw %}{{x}}{% endraw %} or {{ "{{" }}`

// parseTemplate splits s into literal text ({% raw %}…{% endraw %} included, without its
// tags) and "{{ expr }}" expressions. A "}}" inside a
// quoted string or closing a map literal of the expression does not end it.
func parseTemplate(s string) ([]segment, *templateError) {
	var segs []segment
	i := 0
	for i < len(s) {
		j := strings.Index(s[i:], "{{")
		limit := len(s)
		if j >= 0 {
			limit = i + j
		}
		if start, ts, te, end, ok, err := rawBlock(s, i, limit); err != nil {
			return nil, err
		} else if ok {
			if start > i {
				segs = append(segs, segment{text: s[i:start], off: i})
			}
			if te > ts {
				segs = append(segs, segment{text: s[ts:te], off: ts})
			}
			i = end
			continue
		}
		if j < 0 {
			segs = append(segs, segment{text: s[i:], off: i})
			break
		}
		if j > 0 {
			segs = append(segs, segment{text: s[i : i+j], off: i})
		}
		open := i + j
		end := exprEnd(s, open+2)
		if end < 0 {
			return nil, &templateError{off: open, msg: `unclosed "{{": end the expression with "}}"`}
		}
		raw := s[open+2 : end]
		src := strings.TrimSpace(raw)
		off := open + 2 + strings.Index(raw, src)
		if src == "" {
			return nil, &templateError{off: open, msg: `empty expression "{{ }}"`}
		}
		segs = append(segs, segment{text: src, expr: true, off: off})
		i = end + 2
	}
	return segs, nil
}

// exprEnd returns the offset of the "}}" ending the expression starting at from, or -1.
func exprEnd(s string, from int) int {
	depth := 0
	var quote byte
	for k := from; k < len(s); k++ {
		c := s[k]
		switch {
		case quote != 0:
			if c == '\\' && quote != '`' {
				k++
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'' || c == '`':
			quote = c
		case c == '{':
			depth++
		case c == '}':
			if depth == 0 && k+1 < len(s) && s[k+1] == '}' {
				return k
			}
			if depth > 0 {
				depth--
			}
		}
	}
	return -1
}

// compiled is a cached compilation result.
type compiled struct {
	prog *vm.Program
	err  error
}

// programs caches compiled expressions by source, for validation and rendering alike.
var programs sync.Map

// compileExpr compiles an expression once and caches the program (or the error).
func compileExpr(src string) (*vm.Program, error) {
	if c, ok := programs.Load(src); ok {
		return c.(*compiled).prog, c.(*compiled).err
	}
	prog, err := expr.Compile(src, expr.Env(compileEnv))
	c, _ := programs.LoadOrStore(src, &compiled{prog: prog, err: err})
	return c.(*compiled).prog, c.(*compiled).err
}

// exprMessage returns an expr error's message without its source snippet, and the rune
// offset it points at (-1 if none).
func exprMessage(err error) (string, int) {
	var fe *file.Error
	if errors.As(err, &fe) {
		return fe.Message, fe.From
	}
	return err.Error(), -1
}

// byteOffset converts a rune offset in s to a byte offset.
func byteOffset(s string, runes int) int {
	if runes <= 0 {
		return 0
	}
	n := 0
	for i := range s {
		if n == runes {
			return i
		}
		n++
	}
	return len(s)
}

// eachTemplatable calls fn with the field path and value of every string field of t that
// is evaluated as a template: the template fields of its kind's spec (KindDef), then its
// mapping fields (expand, expand_kwargs, map_index_template).
func eachTemplatable(t *Task, ks *Kinds, fn func(field, s string)) {
	for _, k := range ks.list {
		if spec := k.spec(t); spec != nil {
			k.eachTemplate(spec, fn)
		}
	}
	for _, k := range sortedMapKeys(t.Expand) {
		eachArg("expand."+k, t.Expand[k], fn)
	}
	eachArg("expand_kwargs", t.ExpandKwargs, fn)
	fn("map_index_template", t.MapIndexTemplate)
}

func eachArg(field string, v any, fn func(field, s string)) {
	switch x := v.(type) {
	case string:
		fn(field, x)
	case map[string]any:
		for _, k := range sortedMapKeys(x) {
			eachArg(field+"."+k, x[k], fn)
		}
	case []any:
		for i, e := range x {
			eachArg(index(field, i), e, fn)
		}
	}
}

// templates checks every template of t: syntax, variables, params and outputs references,
// and compilation (which caches the programs for rendering).
func (v *validator) templates(t *Task) {
	eachTemplatable(t, v.opts.kinds(), func(field, s string) {
		if !isTemplate(s) {
			return
		}
		segs, terr := parseTemplate(s)
		if terr != nil {
			v.add(t.ID, "", field, terr.off, "%s", terr.msg)
			return
		}
		for _, seg := range segs {
			if seg.expr {
				v.expression(t, field, seg)
			}
		}
	})
}

// expression checks one "{{ expr }}" of a field of t.
func (v *validator) expression(t *Task, field string, seg segment) {
	report := func(runeOff int, msg string) {
		off := seg.off
		if runeOff > 0 {
			off += byteOffset(seg.text, runeOff)
		}
		v.add(t.ID, "", field, off, "{{ %s }}: %s", seg.text, msg)
	}
	tree, err := parser.Parse(seg.text)
	if err != nil {
		msg, at := exprMessage(err)
		report(at, msg)
		return
	}
	problems := v.references(t, tree.Node)
	for _, p := range problems {
		report(p.at, p.msg)
	}
	if len(problems) > 0 {
		return
	}
	if _, err := compileExpr(seg.text); err != nil {
		msg, at := exprMessage(err)
		report(at, msg)
	}
}

// problem is an error at a rune offset of an expression.
type problem struct {
	at  int
	msg string
}

// refCollector gathers what the reference checks need in one walk.
type refCollector struct {
	idents  []*ast.IdentifierNode
	members []*ast.MemberNode
	inner   map[ast.Node]bool // member nodes that are part of a longer chain
	locals  map[string]bool   // names declared with let
}

func (c *refCollector) Visit(n *ast.Node) {
	switch x := (*n).(type) {
	case *ast.IdentifierNode:
		c.idents = append(c.idents, x)
	case *ast.MemberNode:
		c.members = append(c.members, x)
		if _, ok := x.Node.(*ast.MemberNode); ok {
			c.inner[x.Node] = true
		}
		if ch, ok := x.Node.(*ast.ChainNode); ok {
			c.inner[ch.Node] = true
		}
	case *ast.VariableDeclaratorNode:
		c.locals[x.Name] = true
	}
}

// references checks the variables an expression uses: each must be one of TemplateVars,
// params.X must be a declared param, and outputs.X must name an upstream of t.
func (v *validator) references(t *Task, root ast.Node) []problem {
	c := &refCollector{inner: map[ast.Node]bool{}, locals: map[string]bool{}}
	ast.Walk(&root, c)
	out := secretProblems(c)
	for _, id := range c.idents {
		name := id.Value
		if c.locals[name] || name == "$env" || slices.Contains(TemplateVars, name) {
			continue
		}
		out = append(out, problem{id.Location().From, fmt.Sprintf("unknown variable %q%s; valid: %s%s",
			name, DidYouMean(name, TemplateVars), strings.Join(TemplateVars, ", "), literalHint)})
	}
	for _, m := range c.members {
		if c.inner[m] {
			continue
		}
		root, props := memberChain(m)
		if root == nil || len(props) == 0 || c.locals[root.Value] {
			continue
		}
		at := root.Location().From
		switch root.Value {
		case "params":
			if _, ok := v.d.Params[props[0]]; !ok {
				h, list := v.paramHints()
				out = append(out, problem{at, fmt.Sprintf("unknown param %q%s; declared: %s", props[0], h.hint(props[0]), list)})
			}
		case "outputs":
			if msg := v.outputRef(t, props); msg != "" {
				out = append(out, problem{at, msg})
			}
		}
	}
	return out
}

// memberChain returns the identifier a member chain starts from and the leading constant
// property names: outputs.prep["scale"].rows gives outputs, [prep scale rows].
func memberChain(m *ast.MemberNode) (*ast.IdentifierNode, []string) {
	var propsRev []ast.Node
	var n ast.Node = m
	for {
		switch x := n.(type) {
		case *ast.MemberNode:
			propsRev = append(propsRev, x.Property)
			n = x.Node
			continue
		case *ast.ChainNode:
			n = x.Node
			continue
		case *ast.IdentifierNode:
			var props []string
			for i := len(propsRev) - 1; i >= 0; i-- {
				s, ok := propsRev[i].(*ast.StringNode)
				if !ok {
					break
				}
				props = append(props, s.Value)
			}
			return x, props
		}
		return nil, nil
	}
}

// outputRef checks a reference outputs.<props...>: the longest leading props that name a
// task (or a group, when the chain ends there) must be upstream of t.
func (v *validator) outputRef(t *Task, props []string) string {
	anc := v.anc.of(t.ID)
	id := ""
	for k := 1; k <= len(props); k++ {
		id = strings.Join(props[:k], ".")
		if v.tasks[id] != nil {
			switch {
			case id == t.ID:
				return fmt.Sprintf("task %s cannot read its own output", id)
			case !anc[id]:
				return fmt.Sprintf("outputs.%s is not upstream of task %s; add %q to upstream", id, t.ID, id)
			}
			return v.listOutput(t, id, props[k:])
		}
		g := v.groups[id]
		if g == nil {
			break
		}
		if k == len(props) {
			for _, member := range g.Tasks {
				if !anc[member] {
					return fmt.Sprintf("outputs.%s: task %s of group %s is not upstream of task %s; add %q to upstream", id, member, id, t.ID, id)
				}
			}
			return ""
		}
	}
	return fmt.Sprintf("outputs.%s: no task %q%s", id, id, v.taskHints().hint(id))
}
