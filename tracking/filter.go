package tracking

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// Kinds of the entities a filter or order_by clause names.
const (
	KindMetric    = "metric"
	KindParam     = "param"
	KindTag       = "tag"
	KindAttribute = "attribute"
	KindDataset   = "dataset"
)

// Clause is one comparison of a filter: Kind.Key Op value.
type Clause struct {
	// Kind is KindMetric, KindParam, KindTag, KindAttribute or KindDataset.
	Kind string
	// Key is the metric, param or tag key, or the attribute's name (run_name, status…).
	Key string
	// Op is one of = != < <= > >= LIKE ILIKE IN "NOT IN" (upper case).
	Op string
	// Value is the constant compared with; for a number, its text.
	Value string
	// IsNumber says the constant was a number (then Number holds it).
	IsNumber bool
	Number   float64
	// Values are the constants of IN and NOT IN.
	Values []string
}

// OrderBy is one order_by clause.
type OrderBy struct {
	// Kind is KindMetric, KindParam, KindTag or KindAttribute.
	Kind string
	Key  string
	// Desc sorts descending; the default is ascending.
	Desc bool
}

var kindPrefixes = map[string]string{
	"metric": KindMetric, "metrics": KindMetric,
	"param": KindParam, "params": KindParam, "parameter": KindParam, "parameters": KindParam,
	"tag": KindTag, "tags": KindTag,
	"attribute": KindAttribute, "attributes": KindAttribute, "attr": KindAttribute, "run": KindAttribute,
	"dataset": KindDataset, "datasets": KindDataset,
}

// lexer splits filter text into tokens.
type lexer struct {
	s   string
	pos int
}

// token kinds.
const (
	tokIdent = iota // bare word (identifier, keyword, number)
	tokQuotedIdent
	tokString
	tokOp
	tokPunct
	tokEOF
)

type token struct {
	kind int
	text string
	pos  int
}

func (l *lexer) next() (token, error) {
	for l.pos < len(l.s) && unicode.IsSpace(rune(l.s[l.pos])) {
		l.pos++
	}
	start := l.pos
	if l.pos >= len(l.s) {
		return token{kind: tokEOF, pos: start}, nil
	}
	c := l.s[l.pos]
	switch {
	case c == '\'' || c == '"' || c == '`':
		// The quote character itself is written twice inside the quotes ('it''s'), as
		// in SQL; QuoteString and QuoteKey write constants and keys that way.
		var text strings.Builder
		l.pos++
		for {
			end := strings.IndexByte(l.s[l.pos:], c)
			if end < 0 {
				return token{}, fmt.Errorf("%w: filter: unterminated quote at offset %d (a quote inside a quoted text is written twice)", ErrInvalid, start)
			}
			text.WriteString(l.s[l.pos : l.pos+end])
			l.pos += end + 1
			if l.pos < len(l.s) && l.s[l.pos] == c {
				text.WriteByte(c)
				l.pos++
				continue
			}
			break
		}
		k := tokString
		if c == '`' {
			k = tokQuotedIdent
		}
		// A double-quoted text is an identifier after a prefix's dot and a string
		// elsewhere; the parser decides.
		if c == '"' {
			k = tokQuotedIdent
		}
		return token{kind: k, text: text.String(), pos: start}, nil
	case c == '(' || c == ')' || c == ',':
		l.pos++
		return token{kind: tokPunct, text: string(c), pos: start}, nil
	case c == '=' || c == '!' || c == '<' || c == '>':
		l.pos++
		if l.pos < len(l.s) && (l.s[l.pos] == '=' || (c == '<' && l.s[l.pos] == '>')) {
			l.pos++
		}
		op := l.s[start:l.pos]
		switch op {
		case "==":
			op = "="
		case "<>":
			op = "!="
		case "!":
			return token{}, fmt.Errorf("%w: filter: unexpected '!' at offset %d", ErrInvalid, start)
		}
		return token{kind: tokOp, text: op, pos: start}, nil
	}
	for l.pos < len(l.s) {
		c := rune(l.s[l.pos])
		if unicode.IsSpace(c) || strings.ContainsRune("'\"`(),=!<>", c) {
			break
		}
		l.pos++
	}
	if l.pos == start {
		return token{}, fmt.Errorf("%w: filter: unexpected %q at offset %d", ErrInvalid, c, start)
	}
	return token{kind: tokIdent, text: l.s[start:l.pos], pos: start}, nil
}

// tokens returns all tokens of s.
func tokenize(s string) ([]token, error) {
	l := &lexer{s: s}
	var out []token
	for {
		t, err := l.next()
		if err != nil {
			return nil, err
		}
		out = append(out, t)
		if t.kind == tokEOF {
			return out, nil
		}
	}
}

// QuoteString returns s as a string constant of a filter: in single quotes, each single
// quote inside doubled, so that any text (quotes, AND, parentheses included) compares as
// itself. Build filters from values with it, never by pasting values between quotes:
//
//	filter := "tags.owner = " + tracking.QuoteString(owner)
func QuoteString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// QuoteKey returns a metric, param or tag key as it follows its prefix's dot in a filter or
// order_by clause: in backticks, each backtick inside doubled ("tags." +
// QuoteKey("weir.run_id")).
func QuoteKey(key string) string {
	return "`" + strings.ReplaceAll(key, "`", "``") + "`"
}

// ParseFilter parses a filter in MLflow's search grammar: comparisons joined by AND, each
// "identifier comparator constant". An identifier is "metrics.KEY", "params.KEY",
// "tags.KEY", "attributes.NAME" (or a bare attribute name), "datasets.NAME"; a key with
// special characters is quoted with double quotes or backticks (metrics."my metric").
// Comparators: = != < <= > >= LIKE ILIKE IN, NOT IN; string constants are quoted with
// single (or double) quotes, a quote inside written twice ('it”s'; see QuoteString), IN
// takes a parenthesised list. The empty filter has no clauses. Errors wrap ErrInvalid.
func ParseFilter(filter string) ([]Clause, error) {
	toks, err := tokenize(filter)
	if err != nil {
		return nil, err
	}
	var out []Clause
	i := 0
	for toks[i].kind != tokEOF {
		if len(out) > 0 {
			if toks[i].kind != tokIdent || !strings.EqualFold(toks[i].text, "AND") {
				return nil, fmt.Errorf("%w: filter: expected AND at offset %d, got %q (only AND is supported)", ErrInvalid, toks[i].pos, toks[i].text)
			}
			i++
		}
		var c Clause
		c.Kind, c.Key, i, err = parseIdentifier(toks, i)
		if err != nil {
			return nil, err
		}
		t := toks[i]
		switch {
		case t.kind == tokOp:
			c.Op = t.text
			i++
		case t.kind == tokIdent && (strings.EqualFold(t.text, "LIKE") || strings.EqualFold(t.text, "ILIKE") || strings.EqualFold(t.text, "IN")):
			c.Op = strings.ToUpper(t.text)
			i++
		case t.kind == tokIdent && strings.EqualFold(t.text, "NOT") && toks[i+1].kind == tokIdent && strings.EqualFold(toks[i+1].text, "IN"):
			c.Op = "NOT IN"
			i += 2
		default:
			return nil, fmt.Errorf("%w: filter: expected a comparator after %s.%s at offset %d", ErrInvalid, c.Kind, c.Key, t.pos)
		}
		if c.Op == "IN" || c.Op == "NOT IN" {
			if toks[i].text != "(" || toks[i].kind != tokPunct {
				return nil, fmt.Errorf("%w: filter: expected ( after %s at offset %d", ErrInvalid, c.Op, toks[i].pos)
			}
			i++
			for {
				v := toks[i]
				if v.kind != tokString && v.kind != tokQuotedIdent {
					return nil, fmt.Errorf("%w: filter: expected a quoted string in the list at offset %d", ErrInvalid, v.pos)
				}
				c.Values = append(c.Values, v.text)
				i++
				if toks[i].kind == tokPunct && toks[i].text == "," {
					i++
					continue
				}
				if toks[i].kind == tokPunct && toks[i].text == ")" {
					i++
					break
				}
				return nil, fmt.Errorf("%w: filter: expected , or ) at offset %d", ErrInvalid, toks[i].pos)
			}
		} else {
			v := toks[i]
			switch v.kind {
			case tokString, tokQuotedIdent:
				c.Value = v.text
			case tokIdent:
				n, err := strconv.ParseFloat(v.text, 64)
				if err != nil {
					return nil, fmt.Errorf("%w: filter: constant %q at offset %d is neither a quoted string nor a number", ErrInvalid, v.text, v.pos)
				}
				c.Value, c.IsNumber, c.Number = v.text, true, n
			default:
				return nil, fmt.Errorf("%w: filter: expected a constant at offset %d", ErrInvalid, v.pos)
			}
			i++
		}
		out = append(out, c)
	}
	return out, nil
}

// parseIdentifier parses "prefix.key", "prefix.`key`" or a bare attribute at toks[i].
func parseIdentifier(toks []token, i int) (kind, key string, next int, err error) {
	t := toks[i]
	switch t.kind {
	case tokIdent:
		prefix, rest, ok := strings.Cut(t.text, ".")
		k, known := kindPrefixes[strings.ToLower(prefix)]
		if !ok || !known {
			// A bare attribute name (a dotted unknown prefix is a bad identifier).
			if ok {
				return "", "", 0, fmt.Errorf("%w: filter: invalid identifier %q at offset %d: want metrics., params., tags., attributes. or datasets.", ErrInvalid, t.text, t.pos)
			}
			return KindAttribute, t.text, i + 1, nil
		}
		if rest == "" {
			// prefix."quoted key"
			q := toks[i+1]
			if q.kind != tokQuotedIdent && q.kind != tokString {
				return "", "", 0, fmt.Errorf("%w: filter: expected a key after %q at offset %d", ErrInvalid, t.text, q.pos)
			}
			return k, q.text, i + 2, nil
		}
		return k, rest, i + 1, nil
	case tokQuotedIdent:
		return KindAttribute, t.text, i + 1, nil
	}
	return "", "", 0, fmt.Errorf("%w: filter: expected an identifier at offset %d, got %q", ErrInvalid, t.pos, t.text)
}

// Run attributes that filters and order_by accept, and whether each is numeric.
var runAttributes = map[string]bool{
	"run_id": false, "run_name": false, "status": false, "user_id": false,
	"artifact_uri": false, "lifecycle_stage": false,
	"start_time": true, "end_time": true, "created": true, "Created": true,
}

// CanonicalRunAttribute returns the canonical name of a run attribute (created is
// start_time) and whether it is numeric; ok is false for an unknown attribute.
func CanonicalRunAttribute(name string) (canon string, numeric, ok bool) {
	numeric, ok = runAttributes[name]
	if !ok {
		return "", false, false
	}
	if name == "created" || name == "Created" {
		name = "start_time"
	}
	return name, numeric, true
}

var stringOps = map[string]bool{"=": true, "!=": true, "LIKE": true, "ILIKE": true}
var numberOps = map[string]bool{"=": true, "!=": true, "<": true, "<=": true, ">": true, ">=": true}

// ParseRunFilter parses a runs/search filter and checks each clause against MLflow's rules:
// metrics compare with numbers; params and tags with strings (= != LIKE ILIKE); attributes
// by their type (run_id also takes IN and NOT IN); datasets name, digest and context with
// strings. Attribute names are made canonical.
func ParseRunFilter(filter string) ([]Clause, error) {
	cs, err := ParseFilter(filter)
	if err != nil {
		return nil, err
	}
	for i := range cs {
		c := &cs[i]
		bad := func(why string) error {
			return fmt.Errorf("%w: filter: %s.%s %s: %s", ErrInvalid, c.Kind, c.Key, c.Op, why)
		}
		switch c.Kind {
		case KindMetric:
			if !numberOps[c.Op] || !c.IsNumber {
				return nil, bad("a metric compares with a number (= != < <= > >=)")
			}
		case KindParam, KindTag:
			if !stringOps[c.Op] || c.IsNumber {
				return nil, bad("a param or tag compares with a quoted string (= != LIKE ILIKE)")
			}
		case KindDataset:
			if c.Key != "name" && c.Key != "digest" && c.Key != "context" {
				return nil, bad("datasets have name, digest and context")
			}
			if !stringOps[c.Op] && c.Op != "IN" && c.Op != "NOT IN" {
				return nil, bad("a dataset attribute compares with a string")
			}
		case KindAttribute:
			canon, numeric, ok := CanonicalRunAttribute(c.Key)
			if !ok {
				return nil, bad("unknown attribute (run_id, run_name, status, user_id, artifact_uri, start_time, end_time)")
			}
			c.Key = canon
			switch {
			case numeric && (!numberOps[c.Op] || !c.IsNumber):
				return nil, bad("a time compares with a number")
			case !numeric && (c.Op == "IN" || c.Op == "NOT IN"):
				if canon != "run_id" {
					return nil, bad("only run_id takes IN")
				}
			case !numeric && (!stringOps[c.Op] || c.IsNumber):
				return nil, bad("this attribute compares with a quoted string (= != LIKE ILIKE)")
			}
		}
	}
	return cs, nil
}

var orderByRE = regexp.MustCompile(`(?i)^\s*(.+?)(?:\s+(ASC|DESC))?\s*$`)

// ParseOrderBy parses one order_by clause: an identifier as in filters, optionally
// followed by ASC or DESC.
func ParseOrderBy(s string) (OrderBy, error) {
	m := orderByRE.FindStringSubmatch(s)
	if m == nil {
		return OrderBy{}, fmt.Errorf("%w: order_by %q: empty", ErrInvalid, s)
	}
	toks, err := tokenize(m[1])
	if err != nil {
		return OrderBy{}, fmt.Errorf("%w: order_by %q", err, s)
	}
	kind, key, next, err := parseIdentifier(toks, 0)
	if err != nil || toks[next].kind != tokEOF {
		return OrderBy{}, fmt.Errorf("%w: order_by %q: want an identifier and ASC or DESC", ErrInvalid, s)
	}
	return OrderBy{Kind: kind, Key: key, Desc: strings.EqualFold(m[2], "DESC")}, nil
}

// ParseRunOrderBy parses the order_by clauses of runs/search (metrics, params, tags and
// attributes), with attribute names made canonical.
func ParseRunOrderBy(clauses []string) ([]OrderBy, error) {
	out := make([]OrderBy, 0, len(clauses))
	for _, s := range clauses {
		o, err := ParseOrderBy(s)
		if err != nil {
			return nil, err
		}
		switch o.Kind {
		case KindAttribute:
			canon, _, ok := CanonicalRunAttribute(o.Key)
			if !ok {
				return nil, fmt.Errorf("%w: order_by %q: unknown attribute", ErrInvalid, s)
			}
			o.Key = canon
		case KindDataset:
			return nil, fmt.Errorf("%w: order_by %q: cannot order by datasets", ErrInvalid, s)
		}
		out = append(out, o)
	}
	return out, nil
}

// Like reports whether s matches the SQL LIKE pattern (% any run, _ one character);
// fold makes it ILIKE.
func Like(pattern, s string, fold bool) bool {
	if fold {
		pattern, s = strings.ToLower(pattern), strings.ToLower(s)
	}
	p, t := []rune(pattern), []rune(s)
	// Iterative wildcard matching with backtracking on the last %.
	pi, ti, star, mark := 0, 0, -1, 0
	for ti < len(t) {
		switch {
		case pi < len(p) && (p[pi] == '_' || p[pi] == t[ti]):
			pi++
			ti++
		case pi < len(p) && p[pi] == '%':
			star, mark = pi, ti
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			ti = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '%' {
		pi++
	}
	return pi == len(p)
}

// MatchString reports whether v satisfies a string comparison (= != LIKE ILIKE IN NOT IN,
// and < <= > >= lexically).
func MatchString(c Clause, v string) bool {
	switch c.Op {
	case "=":
		return v == c.Value
	case "!=":
		return v != c.Value
	case "LIKE":
		return Like(c.Value, v, false)
	case "ILIKE":
		return Like(c.Value, v, true)
	case "IN", "NOT IN":
		in := false
		for _, x := range c.Values {
			in = in || x == v
		}
		return in == (c.Op == "IN")
	case "<":
		return v < c.Value
	case "<=":
		return v <= c.Value
	case ">":
		return v > c.Value
	case ">=":
		return v >= c.Value
	}
	return false
}

// MatchNumber reports whether v satisfies a numeric comparison with c.Number.
func MatchNumber(c Clause, v float64) bool {
	switch c.Op {
	case "=":
		return v == c.Number
	case "!=":
		return v != c.Number
	case "<":
		return v < c.Number
	case "<=":
		return v <= c.Number
	case ">":
		return v > c.Number
	case ">=":
		return v >= c.Number
	}
	return false
}

// pageToken is the content of a page token: the offset of the page's first item.
type pageToken struct {
	Offset int `json:"offset"`
}

// EncodePageToken returns the page token of the page starting at offset.
func EncodePageToken(offset int) string {
	b, _ := json.Marshal(pageToken{Offset: offset})
	return base64.URLEncoding.EncodeToString(b)
}

// DecodePageToken returns the offset a page token stands for; the empty token is offset 0.
// A malformed token is ErrInvalid.
func DecodePageToken(tok string) (int, error) {
	if tok == "" {
		return 0, nil
	}
	b, err := base64.URLEncoding.DecodeString(tok)
	var p pageToken
	if err == nil {
		err = json.Unmarshal(b, &p)
	}
	if err != nil || p.Offset < 0 {
		return 0, fmt.Errorf("%w: invalid page token %q", ErrInvalid, tok)
	}
	return p.Offset, nil
}

// Page returns items[offset:offset+max] of a slice already filtered and sorted, with the
// token of the next page (empty if none). max <= 0 means all.
func Page[T any](items []T, offset, max int) ([]T, string) {
	if offset > len(items) {
		offset = len(items)
	}
	items = items[offset:]
	if max > 0 && len(items) > max {
		return items[:max], EncodePageToken(offset + max)
	}
	return items, ""
}
