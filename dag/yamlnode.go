package dag

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// This file reads goccy/go-yaml AST nodes into Go values, recording an error with the node's
// position for every value of the wrong type instead of stopping at the first.

// maxAliases bounds how many alias expansions one file may make, so that an "aliases of
// aliases" bomb cannot make the loader allocate without limit.
const maxAliases = 10000

// maxDepth bounds the nesting of values.
const maxDepth = 200

// maxNodes bounds how many nodes one file may make the loader read, aliases included, so
// that a large anchor used many times cannot make loading slow.
const maxNodes = 1_000_000

// decoder holds the state of reading one file.
type decoder struct {
	file    string
	errs    List
	anchors map[string]ast.Node
	aliases int
	nodes   int
	limits  limits
}

// limits bound the work of decoding one file; tests lower them.
type limits struct {
	aliases, nodes int
	source         sourceLimits // checked before parsing (limits.go)
}

var defaultLimits = limits{aliases: maxAliases, nodes: maxNodes}

// scope is the item (DAG, group or task) whose fields are being read: errors name fields
// relative to it, and the nodes of its fields are kept for positions of later errors.
type scope struct {
	d     *decoder
	nodes map[string]ast.Node
}

func (d *decoder) newScope() *scope { return &scope{d: d, nodes: map[string]ast.Node{}} }

// pos returns the position of node n.
func (d *decoder) pos(n ast.Node) Pos {
	if n == nil {
		return Pos{File: d.file, Line: 1, Column: 1}
	}
	tk := n.GetToken()
	switch x := n.(type) {
	case *ast.MappingNode:
		if len(x.Values) > 0 && !x.IsFlowStyle {
			tk = x.Values[0].Key.GetToken()
		} else if x.Start != nil {
			tk = x.Start
		}
	case *ast.MappingValueNode:
		tk = x.Key.GetToken()
	}
	if tk == nil || tk.Position == nil {
		return Pos{File: d.file}
	}
	return Pos{File: d.file, Line: tk.Position.Line, Column: max(tk.Position.Column, 1)}
}

func (s *scope) errorf(n ast.Node, field, format string, args ...any) {
	s.d.errs = append(s.d.errs, &Error{Pos: s.d.pos(n), Field: field, Msg: fmt.Sprintf(format, args...)})
}

// record keeps the node of field for positions of later errors.
func (s *scope) record(field string, n ast.Node) {
	if _, ok := s.nodes[field]; !ok {
		s.nodes[field] = n
	}
}

// collectAnchors records every anchor of the document, so aliases can be resolved wherever
// they are read from.
func (d *decoder) collectAnchors(n ast.Node) {
	d.anchors = map[string]ast.Node{}
	ast.Walk(anchorVisitor(d.anchors), n)
}

type anchorVisitor map[string]ast.Node

func (v anchorVisitor) Visit(n ast.Node) ast.Visitor {
	if a, ok := n.(*ast.AnchorNode); ok && a.Name != nil {
		v[a.Name.String()] = a.Value
	}
	return v
}

// deref follows anchors, aliases and tags to the node holding the value. It returns nil for
// an unknown alias or too many expansions, after recording an error.
func (s *scope) deref(n ast.Node, field string) ast.Node {
	if s.d.nodes++; s.d.nodes > s.d.limits.nodes {
		if s.d.nodes == s.d.limits.nodes+1 {
			s.errorf(n, field, "more than %d values to read: the file is too large", s.d.limits.nodes)
		}
		return nil
	}
	for i := 0; n != nil; i++ {
		if i > maxDepth {
			s.errorf(n, field, "alias chain too long")
			return nil
		}
		switch x := n.(type) {
		case *ast.AnchorNode:
			n = x.Value
		case *ast.TagNode:
			if x.Start != nil && x.Start.Value == "!!str" {
				return n
			}
			n = x.Value
		case *ast.AliasNode:
			if s.d.aliases++; s.d.aliases > s.d.limits.aliases {
				if s.d.aliases == s.d.limits.aliases+1 {
					s.errorf(n, field, "more than %d alias expansions", s.d.limits.aliases)
				}
				return nil
			}
			name := ""
			if x.Value != nil {
				name = x.Value.String()
			}
			target, ok := s.d.anchors[name]
			if !ok {
				s.errorf(n, field, "unknown alias %q", name)
				return nil
			}
			n = target
		default:
			return n
		}
	}
	return nil
}

// entry is one key/value pair of a mapping.
type entry struct {
	key      string
	keyNode  ast.Node
	valNode  ast.Node
	valField string
}

// mapping returns the entries of a mapping node, with merge keys ("<<: *base") expanded:
// explicit keys win over merged ones. ok is false (after an error) when n is not a mapping.
// A null node is an empty mapping.
func (s *scope) mapping(n ast.Node, field string) ([]entry, bool) {
	return s.mappingDepth(n, field, 0)
}

func (s *scope) mappingDepth(n ast.Node, field string, depth int) ([]entry, bool) {
	n = s.deref(n, field)
	if n == nil {
		return nil, false
	}
	if _, null := n.(*ast.NullNode); null {
		return nil, true
	}
	m, ok := n.(*ast.MappingNode)
	if !ok {
		if mv, isMV := n.(*ast.MappingValueNode); isMV {
			m = &ast.MappingNode{Values: []*ast.MappingValueNode{mv}}
		} else {
			s.errorf(n, field, "got %s, want a mapping", describe(n))
			return nil, false
		}
	}
	var merged, own []entry
	for _, kv := range m.Values {
		if kv.Key != nil && kv.Key.IsMergeKey() {
			if depth > maxDepth {
				s.errorf(kv, field, "merge keys nested too deeply")
				continue
			}
			for _, src := range s.mergeSources(kv.Value, field) {
				es, _ := s.mappingDepth(src, field, depth+1)
				merged = append(merged, es...)
			}
			continue
		}
		key := keyString(kv.Key)
		own = append(own, entry{key: key, keyNode: kv, valNode: kv.Value, valField: join(field, key)})
	}
	if len(merged) == 0 {
		return own, true
	}
	seen := map[string]bool{}
	for _, e := range own {
		seen[e.key] = true
	}
	var out []entry
	for _, e := range merged {
		if !seen[e.key] {
			seen[e.key] = true
			out = append(out, e)
		}
	}
	return append(out, own...), true
}

// mergeSources returns the mappings a merge key value names: one alias or mapping, or a list
// of them.
func (s *scope) mergeSources(n ast.Node, field string) []ast.Node {
	n = s.deref(n, field)
	if seq, ok := n.(*ast.SequenceNode); ok {
		return seq.Values
	}
	if n == nil {
		return nil
	}
	return []ast.Node{n}
}

// keyString returns the text of a mapping key.
func keyString(k ast.MapKeyNode) string {
	switch x := k.(type) {
	case nil:
		return ""
	case *ast.StringNode:
		return x.Value
	case *ast.MappingKeyNode:
		if x.Value != nil {
			return x.Value.String()
		}
		return ""
	}
	if tk := k.GetToken(); tk != nil {
		return tk.Value
	}
	return k.String()
}

// join appends a key to a field path.
func join(field, key string) string {
	if field == "" || field == "task" || field == "group" || field == "dag" {
		return key
	}
	return field + "." + key
}

// index appends a list index to a field path.
func index(field string, i int) string { return fmt.Sprintf("%s[%d]", field, i) }

// describe names the type and value of a node for error messages: `"three"`, `a list`.
func describe(n ast.Node) string {
	switch x := n.(type) {
	case *ast.StringNode:
		return strconv.Quote(x.Value)
	case *ast.LiteralNode:
		return "a block string"
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		return n.GetToken().Value
	case *ast.NullNode:
		return "null"
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.TagNode:
		return "a tagged value"
	}
	return n.Type().String()
}

// str reads a string. With lenient set, numbers and booleans are also accepted as written
// ("8080", "true"), as in argv items and environment values.
func (s *scope) str(n ast.Node, field string, lenient bool) (string, bool) {
	s.record(field, n)
	n = s.deref(n, field)
	switch x := n.(type) {
	case nil:
		return "", false
	case *ast.StringNode:
		return x.Value, true
	case *ast.LiteralNode:
		if x.Value == nil {
			return "", true
		}
		return x.Value.Value, true
	case *ast.TagNode: // !!str
		if x.Value != nil && x.Value.GetToken() != nil {
			return x.Value.GetToken().Value, true
		}
		return "", true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode:
		if lenient {
			return n.GetToken().Value, true
		}
	}
	s.errorf(n, field, "got %s, want a string", describe(n))
	return "", false
}

// integer reads an integer that fits an int.
func (s *scope) integer(n ast.Node, field string) (int, bool) {
	s.record(field, n)
	n = s.deref(n, field)
	if n == nil {
		return 0, false
	}
	if x, ok := n.(*ast.IntegerNode); ok {
		switch v := x.Value.(type) {
		case int64:
			if v >= math.MinInt && v <= math.MaxInt {
				return int(v), true
			}
		case uint64:
			if v <= math.MaxInt {
				return int(v), true
			}
		}
		s.errorf(n, field, "integer %s out of range", x.GetToken().Value)
		return 0, false
	}
	s.errorf(n, field, "got %s, want an integer", describe(n))
	return 0, false
}

// number reads an integer or a floating-point number as a float64.
func (s *scope) number(n ast.Node, field string) (float64, bool) {
	s.record(field, n)
	n = s.deref(n, field)
	switch x := n.(type) {
	case nil:
		return 0, false
	case *ast.FloatNode:
		return x.Value, true
	case *ast.IntegerNode:
		switch v := x.Value.(type) {
		case int64:
			return float64(v), true
		case uint64:
			return float64(v), true
		}
	}
	s.errorf(n, field, "got %s, want a number", describe(n))
	return 0, false
}

// boolean reads true or false.
func (s *scope) boolean(n ast.Node, field string) (bool, bool) {
	s.record(field, n)
	n = s.deref(n, field)
	if n == nil {
		return false, false
	}
	if x, ok := n.(*ast.BoolNode); ok {
		return x.Value, true
	}
	s.errorf(n, field, "got %s, want true or false", describe(n))
	return false, false
}

// duration reads a duration string ("90s") or a number of seconds.
func (s *scope) duration(n ast.Node, field string) (Duration, bool) {
	s.record(field, n)
	n = s.deref(n, field)
	var v any
	switch x := n.(type) {
	case nil:
		return 0, false
	case *ast.StringNode:
		v = x.Value
	case *ast.IntegerNode:
		v = x.Value
	case *ast.FloatNode:
		v = x.Value
	default:
		s.errorf(n, field, "got %s, want a duration such as \"90s\" or a number of seconds", describe(n))
		return 0, false
	}
	d, err := ParseDuration(v)
	if err != nil {
		s.errorf(n, field, "%v", err)
		return 0, false
	}
	return d, true
}

// list returns the items of a sequence. With single set, a lone scalar is taken as a list of
// one item. A null node is an empty list.
func (s *scope) list(n ast.Node, field string, single bool) ([]ast.Node, bool) {
	s.record(field, n)
	n = s.deref(n, field)
	switch x := n.(type) {
	case nil:
		return nil, false
	case *ast.NullNode:
		return nil, true
	case *ast.SequenceNode:
		return x.Values, true
	case *ast.StringNode:
		if single {
			return []ast.Node{n}, true
		}
	}
	s.errorf(n, field, "got %s, want a list", describe(n))
	return nil, false
}

// strList reads a list of strings; see str and list for lenient and single.
func (s *scope) strList(n ast.Node, field string, lenient, single bool) ([]string, bool) {
	items, ok := s.list(n, field, single)
	if !ok {
		return nil, false
	}
	var out []string
	for i, it := range items {
		v, ok2 := s.str(it, index(field, i), lenient)
		if !ok2 {
			ok = false
			continue
		}
		out = append(out, v)
	}
	return out, ok
}

// intList reads a list of integers.
func (s *scope) intList(n ast.Node, field string) ([]int, bool) {
	items, ok := s.list(n, field, false)
	if !ok {
		return nil, false
	}
	var out []int
	for i, it := range items {
		v, ok2 := s.integer(it, index(field, i))
		if !ok2 {
			ok = false
			continue
		}
		out = append(out, v)
	}
	return out, ok
}

// strMap reads a mapping of strings (lenient values: numbers and booleans as written).
func (s *scope) strMap(n ast.Node, field string) (map[string]string, bool) {
	s.record(field, n)
	es, ok := s.mapping(n, field)
	if !ok {
		return nil, false
	}
	var out map[string]string
	for _, e := range es {
		v, ok2 := s.str(e.valNode, e.valField, true)
		if !ok2 {
			ok = false
			continue
		}
		if out == nil {
			out = map[string]string{}
		}
		out[e.key] = v
	}
	return out, ok
}

// value reads any JSON-like value (params schemas, go args) as canonical types, recording
// the node of every nested field.
func (s *scope) value(n ast.Node, field string) (any, bool) {
	return s.valueDepth(n, field, 0)
}

func (s *scope) valueDepth(n ast.Node, field string, depth int) (any, bool) {
	s.record(field, n)
	if depth > maxDepth {
		s.errorf(n, field, "value nested too deeply")
		return nil, false
	}
	n = s.deref(n, field)
	switch x := n.(type) {
	case nil:
		return nil, false
	case *ast.NullNode:
		return nil, true
	case *ast.StringNode, *ast.LiteralNode, *ast.TagNode:
		return s.str(x, field, true)
	case *ast.IntegerNode:
		return canonical(x.Value), true
	case *ast.FloatNode:
		return x.Value, true
	case *ast.BoolNode:
		return x.Value, true
	case *ast.InfinityNode, *ast.NanNode:
		s.errorf(n, field, "%s cannot be represented in JSON", describe(n))
		return nil, false
	case *ast.SequenceNode:
		out := make([]any, 0, len(x.Values))
		ok := true
		for i, it := range x.Values {
			v, ok2 := s.valueDepth(it, index(field, i), depth+1)
			ok = ok && ok2
			out = append(out, v)
		}
		return out, ok
	case *ast.MappingNode, *ast.MappingValueNode:
		es, ok := s.mappingDepth(n, field, depth)
		out := make(map[string]any, len(es))
		for _, e := range es {
			v, ok2 := s.valueDepth(e.valNode, e.valField, depth+1)
			ok = ok && ok2
			out[e.key] = v
		}
		return out, ok
	}
	s.errorf(n, field, "unsupported value %s", describe(n))
	return nil, false
}

// unknownField reports a key that the item does not have.
func (s *scope) unknownField(e entry, field string, allowed []string) {
	if hint := otherNameHint(e.key, allowed); hint != "" {
		s.errorf(e.keyNode, field, "unknown field %q%s", e.key, hint)
		return
	}
	if hint := DidYouMean(e.key, allowed); hint != "" {
		s.errorf(e.keyNode, field, "unknown field %q%s", e.key, hint)
		return
	}
	s.errorf(e.keyNode, field, "unknown field %q; allowed: %s", e.key, strings.Join(allowed, ", "))
}

// posAt returns the position of byte offset off inside the string value of node n: exact
// for plain and quoted one-line scalars without escapes and for literal ("|") blocks, else
// the node's own position.
func (d *decoder) posAt(n ast.Node, off int) Pos {
	p := d.pos(n)
	switch x := n.(type) {
	case *ast.StringNode:
		tk := x.Token
		if tk == nil || off > len(x.Value) || strings.Contains(x.Value, "\n") {
			return p
		}
		switch tk.Type {
		case token.StringType:
		case token.DoubleQuoteType:
			if strings.Contains(tk.Origin, `\`) {
				return p
			}
			p.Column++
		case token.SingleQuoteType:
			if strings.Contains(tk.Origin, "''") {
				return p
			}
			p.Column++
		default:
			return p
		}
		p.Column += utf8.RuneCountInString(x.Value[:off])
		return p
	case *ast.LiteralNode:
		if x.Start == nil || !strings.HasPrefix(x.Start.Value, "|") || x.Value == nil || x.Value.Token == nil ||
			x.Value.Token.Position == nil || off > len(x.Value.Value) {
			return p
		}
		v, tk := x.Value.Value, x.Value.Token
		indent := -1
		for _, line := range strings.Split(tk.Origin, "\n") {
			if strings.TrimSpace(line) != "" {
				indent = len(line) - len(strings.TrimLeft(line, " "))
				break
			}
		}
		if indent < 0 {
			return p
		}
		lineStart := strings.LastIndexByte(v[:off], '\n') + 1
		p.Line = tk.Position.Line + strings.Count(v[:off], "\n")
		p.Column = indent + 1 + utf8.RuneCountInString(v[lineStart:off])
		return p
	}
	return p
}
