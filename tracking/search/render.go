package search

import (
	"fmt"
	"strconv"
	"strings"
	"text/template"
)

// Dialect is what Template needs to know of a database's SQL.
type Dialect struct {
	// Numbered makes placeholders $1, $2… (PostgreSQL); the default is ? (SQLite).
	Numbered bool
}

// Template is a driver's text/template of the SQL of a RunQuery, parsed once and safe for
// concurrent use. Besides the query's fields, the template calls:
//
//   - arg V: a placeholder for the argument V (a value, not text pasted into the SQL);
//   - args LIST: placeholders for each element of LIST ([]string or []int64), separated
//     by commas, for IN (…);
//   - glob PATTERN: the LIKE pattern as a GLOB pattern (see LikeToGlob), for a dialect
//     whose LIKE ignores case.
//
// Arguments are numbered in the order the template writes their placeholders.
type Template struct {
	t *template.Template
	d Dialect
}

// NewTemplate parses text, a template of the SQL of a RunQuery for dialect d.
func NewTemplate(name, text string, d Dialect) (*Template, error) {
	t, err := template.New(name).Option("missingkey=error").Funcs((&binder{}).funcs()).Parse(text)
	if err != nil {
		return nil, fmt.Errorf("search: template %s: %w", name, err)
	}
	return &Template{t: t, d: d}, nil
}

// Render returns the SQL of q and its arguments, in placeholder order.
func (t *Template) Render(q *RunQuery) (string, []any, error) {
	b := &binder{d: t.d}
	tt, err := t.t.Clone()
	if err != nil {
		return "", nil, err
	}
	var sb strings.Builder
	if err := tt.Funcs(b.funcs()).Execute(&sb, q); err != nil {
		return "", nil, fmt.Errorf("search: template %s: %w", t.t.Name(), err)
	}
	return sb.String(), b.args, nil
}

// binder collects the arguments of one rendering.
type binder struct {
	d    Dialect
	args []any
}

func (b *binder) funcs() template.FuncMap {
	return template.FuncMap{"arg": b.arg, "args": b.list, "glob": LikeToGlob}
}

func (b *binder) arg(v any) string {
	b.args = append(b.args, v)
	if b.d.Numbered {
		return "$" + strconv.Itoa(len(b.args))
	}
	return "?"
}

func (b *binder) list(list any) (string, error) {
	var ph []string
	switch l := list.(type) {
	case []string:
		for _, v := range l {
			ph = append(ph, b.arg(v))
		}
	case []int64:
		for _, v := range l {
			ph = append(ph, b.arg(v))
		}
	default:
		return "", fmt.Errorf("args: want []string or []int64, got %T", list)
	}
	return strings.Join(ph, ", "), nil
}

// LikeToGlob turns a LIKE pattern into a GLOB pattern, for SQLite, whose LIKE ignores
// ASCII case where MLflow's LIKE does not: % is *, _ is ?, and GLOB's own wildcards *, ?
// and [ are bracketed.
func LikeToGlob(p string) string {
	var b strings.Builder
	for _, r := range p {
		switch r {
		case '%':
			b.WriteByte('*')
		case '_':
			b.WriteByte('?')
		case '*', '?', '[':
			b.WriteByte('[')
			b.WriteRune(r)
			b.WriteByte(']')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
