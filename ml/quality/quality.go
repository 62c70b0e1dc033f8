package quality

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
	"github.com/goccy/go-yaml"

	"github.com/weirhq/weir/ml/frame"
)

// Severities.
const (
	// Fail makes the report fail when the expectation fails.
	Fail = "fail"
	// Warn reports the failure without failing the report.
	Warn = "warn"
)

// Rules.
const (
	NotNull    = "not_null"
	Unique     = "unique"
	Between    = "between"
	InSet      = "in_set"
	Regex      = "regex"
	RowCount   = "row_count"
	Schema     = "schema"
	Freshness  = "freshness"
	Expression = "expression"
	Aggregate  = "aggregate"
)

// Expectation is one declarative check. Rule selects the check and which of
// the other fields it uses.
type Expectation struct {
	// Rule is one of not_null, unique, between, in_set, regex, row_count,
	// schema, freshness, expression and aggregate.
	Rule string `yaml:"rule" json:"rule"`
	// Name labels the expectation in reports; empty means rule and column.
	Name string `yaml:"name,omitempty" json:"name,omitempty"`
	// Column is the column checked (all rules but row_count, schema,
	// expression and aggregate).
	Column string `yaml:"column,omitempty" json:"column,omitempty"`
	// Severity is "fail" (default) or "warn".
	Severity string `yaml:"severity,omitempty" json:"severity,omitempty"`
	// Min is the inclusive lower bound of between (values) and row_count
	// (rows); nil means none.
	Min *float64 `yaml:"min,omitempty" json:"min,omitempty"`
	// Max is the inclusive upper bound of between and row_count; nil means
	// none.
	Max *float64 `yaml:"max,omitempty" json:"max,omitempty"`
	// Values are the allowed values of in_set, compared as text.
	Values []string `yaml:"values,omitempty" json:"values,omitempty"`
	// Pattern is the regular expression (RE2 syntax) regex values must
	// match.
	Pattern string `yaml:"pattern,omitempty" json:"pattern,omitempty"`
	// Columns maps column names to types for schema.
	Columns map[string]string `yaml:"columns,omitempty" json:"columns,omitempty"`
	// Exact makes schema also fail on columns it does not list.
	Exact bool `yaml:"exact,omitempty" json:"exact,omitempty"`
	// MaxAge is how old the newest timestamp of a freshness column may be,
	// as a Go duration ("24h", "90m").
	MaxAge string `yaml:"max_age,omitempty" json:"max_age,omitempty"`
	// Expr is the expr-lang boolean expression of expression (per row) and
	// aggregate (once).
	Expr string `yaml:"expr,omitempty" json:"expr,omitempty"`

	re      *regexp.Regexp
	program *vm.Program
	maxAge  time.Duration
	types   map[string]frame.Type
}

// Suite is a list of expectations.
type Suite struct {
	// Expectations are checked in order.
	Expectations []*Expectation `yaml:"expectations" json:"expectations"`
}

// ParseYAML reads a suite from YAML and validates it.
func ParseYAML(data []byte) (*Suite, error) {
	var s Suite
	if err := yaml.UnmarshalWithOptions(data, &s, yaml.Strict()); err != nil {
		return nil, fmt.Errorf("quality: %w", err)
	}
	if err := s.Compile(); err != nil {
		return nil, err
	}
	return &s, nil
}

// LoadFile reads a suite from a YAML file.
func LoadFile(path string) (*Suite, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	s, err := ParseYAML(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// Compile validates every expectation and prepares its regex, expression
// or duration. ParseYAML calls it; call it for suites built in Go.
func (s *Suite) Compile() error {
	for i, e := range s.Expectations {
		if err := e.compile(); err != nil {
			return fmt.Errorf("quality: expectation %d (%s): %w", i+1, e.Rule, err)
		}
	}
	return nil
}

// FieldError is an invalid expectation: Field names the YAML field that is wrong
// ("rule", "column", "severity", "min", "values", "pattern", "columns.<name>", "max_age"
// or "expr"), and the message says what is wrong with it.
type FieldError struct {
	// Field is the expectation's YAML field at fault.
	Field string
	// Err describes the problem; its message is the error's message.
	Err error
}

func (e *FieldError) Error() string { return e.Err.Error() }

// Unwrap returns Err.
func (e *FieldError) Unwrap() error { return e.Err }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Err: fmt.Errorf(format, args...)}
}

// Compile validates the expectation and prepares its regex, expression or duration, as
// Suite.Compile does for each. An invalid expectation is a *FieldError naming the field.
// It sets an empty Severity to "fail".
func (e *Expectation) Compile() error { return e.compile() }

func (e *Expectation) compile() error {
	switch e.Severity {
	case "":
		e.Severity = Fail
	case Fail, Warn:
	default:
		return fieldErr("severity", "severity %q is not fail or warn", e.Severity)
	}
	needColumn := func() error {
		if e.Column == "" {
			return fieldErr("column", "column is required")
		}
		return nil
	}
	switch e.Rule {
	case NotNull, Unique:
		return needColumn()
	case Between:
		if e.Min == nil && e.Max == nil {
			return fieldErr("min", "min or max is required")
		}
		return needColumn()
	case RowCount:
		if e.Min == nil && e.Max == nil {
			return fieldErr("min", "min or max is required")
		}
	case InSet:
		if len(e.Values) == 0 {
			return fieldErr("values", "values are required")
		}
		return needColumn()
	case Regex:
		re, err := regexp.Compile(e.Pattern)
		if err != nil {
			return fieldErr("pattern", "pattern: %w", err)
		}
		e.re = re
		return needColumn()
	case Schema:
		if len(e.Columns) == 0 {
			return fieldErr("columns", "columns are required")
		}
		e.types = map[string]frame.Type{}
		for n, t := range e.Columns {
			typ, err := frame.ParseType(t)
			if err != nil {
				return fieldErr("columns."+n, "column %q: %w", n, err)
			}
			e.types[n] = typ
		}
	case Freshness:
		d, err := time.ParseDuration(e.MaxAge)
		if err != nil || d <= 0 {
			return fieldErr("max_age", "max_age %q is not a positive duration such as 24h", e.MaxAge)
		}
		e.maxAge = d
		return needColumn()
	case Expression, Aggregate:
		if strings.TrimSpace(e.Expr) == "" {
			return fieldErr("expr", "expr is required")
		}
		p, err := expr.Compile(e.Expr, expr.AsBool(), expr.AllowUndefinedVariables())
		if err != nil {
			return fieldErr("expr", "expr: %w", err)
		}
		e.program = p
	case "":
		return fieldErr("rule", "rule is required")
	default:
		return fieldErr("rule", "unknown rule (want not_null, unique, between, in_set, regex, row_count, schema, freshness, expression or aggregate)")
	}
	return nil
}

// Label returns the expectation's name, or its rule and column.
func (e *Expectation) Label() string {
	if e.Name != "" {
		return e.Name
	}
	if e.Column != "" {
		return e.Rule + "(" + e.Column + ")"
	}
	return e.Rule
}

// SampleRow is an offending row: its 1-based number and its values as
// text (missing values are null).
type SampleRow struct {
	// Row is the 1-based data row.
	Row int `json:"row"`
	// Values maps column names to the row's values.
	Values map[string]any `json:"values"`
}

// Result is the outcome of one expectation.
type Result struct {
	// Name is the expectation's label.
	Name string `json:"name"`
	// Rule is the expectation's rule.
	Rule string `json:"rule"`
	// Column is the column checked, if any.
	Column string `json:"column,omitempty"`
	// Severity is fail or warn.
	Severity string `json:"severity"`
	// Passed reports whether the expectation held.
	Passed bool `json:"passed"`
	// Failing is the number of failing rows (for row rules) or 1 (for
	// table rules that failed).
	Failing int `json:"failing"`
	// Checked is the number of rows or items checked.
	Checked int `json:"checked"`
	// Message explains a failure, or gives the observed value.
	Message string `json:"message,omitempty"`
	// Sample holds up to Options.SampleSize failing rows.
	Sample []SampleRow `json:"sample,omitempty"`
}

// Report is the outcome of a suite.
type Report struct {
	// Passed is false when an expectation of severity fail failed.
	Passed bool `json:"passed"`
	// Rows is the number of rows checked.
	Rows int `json:"rows"`
	// Failures counts the failed expectations of severity fail.
	Failures int `json:"failures"`
	// Warnings counts the failed expectations of severity warn.
	Warnings int `json:"warnings"`
	// Results has one entry per expectation, in order.
	Results []Result `json:"results"`
}

// Options configure Run.
type Options struct {
	// SampleSize is the number of failing rows kept per result; 0 means 5,
	// negative means none.
	SampleSize int
	// Now is the time freshness is measured against; zero means
	// time.Now().
	Now time.Time
}

// Run checks every expectation against f.
func (s *Suite) Run(f *frame.Frame, opts Options) (*Report, error) {
	if opts.SampleSize == 0 {
		opts.SampleSize = 5
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	rep := &Report{Passed: true, Rows: f.NumRows()}
	for i, e := range s.Expectations {
		if e.Severity == "" || (e.Rule == Regex && e.re == nil) || ((e.Rule == Expression || e.Rule == Aggregate) && e.program == nil) ||
			(e.Rule == Schema && e.types == nil) || (e.Rule == Freshness && e.maxAge == 0) {
			if err := e.compile(); err != nil {
				return nil, fmt.Errorf("quality: expectation %d (%s): %w", i+1, e.Rule, err)
			}
		}
		r := e.run(f, opts)
		r.Name, r.Rule, r.Column, r.Severity = e.Label(), e.Rule, e.Column, e.Severity
		if !r.Passed {
			if e.Severity == Fail {
				rep.Failures++
				rep.Passed = false
			} else {
				rep.Warnings++
			}
		}
		rep.Results = append(rep.Results, r)
	}
	return rep, nil
}

func sampleRow(f *frame.Frame, i int) SampleRow {
	v := make(map[string]any, f.NumCols())
	for _, c := range f.Columns() {
		if c.IsNull(i) {
			v[c.Name()] = nil
		} else {
			v[c.Name()] = c.Format(i)
		}
	}
	return SampleRow{Row: i + 1, Values: v}
}

// rowCheck runs bad over the rows and fills the result.
func rowCheck(f *frame.Frame, opts Options, bad func(i int) bool) Result {
	r := Result{Checked: f.NumRows()}
	for i := 0; i < f.NumRows(); i++ {
		if bad(i) {
			r.Failing++
			if len(r.Sample) < opts.SampleSize {
				r.Sample = append(r.Sample, sampleRow(f, i))
			}
		}
	}
	r.Passed = r.Failing == 0
	if !r.Passed {
		r.Message = fmt.Sprintf("%d of %d rows fail", r.Failing, r.Checked)
	}
	return r
}

func (e *Expectation) run(f *frame.Frame, opts Options) Result {
	var c *frame.Column
	if e.Column != "" {
		var err error
		if c, err = f.Column(e.Column); err != nil {
			return Result{Failing: 1, Message: err.Error()}
		}
	}
	switch e.Rule {
	case NotNull:
		return rowCheck(f, opts, func(i int) bool {
			return c.IsNull(i) || (c.Type() == frame.Float && math.IsNaN(c.Float(i)))
		})
	case Unique:
		first := map[string]int{}
		for i := 0; i < c.Len(); i++ {
			if !c.IsNull(i) {
				if _, ok := first[c.Format(i)]; !ok {
					first[c.Format(i)] = i
				}
			}
		}
		return rowCheck(f, opts, func(i int) bool { return !c.IsNull(i) && first[c.Format(i)] != i })
	case Between:
		switch c.Type() {
		case frame.Float, frame.Int, frame.Time:
		default:
			return Result{Failing: 1, Message: fmt.Sprintf("column %q is %s, not numeric", c.Name(), c.Type())}
		}
		return rowCheck(f, opts, func(i int) bool {
			if c.IsNull(i) {
				return false
			}
			v := c.Float(i)
			return math.IsNaN(v) || (e.Min != nil && v < *e.Min) || (e.Max != nil && v > *e.Max)
		})
	case InSet:
		allowed := map[string]bool{}
		for _, v := range e.Values {
			allowed[v] = true
		}
		return rowCheck(f, opts, func(i int) bool { return !c.IsNull(i) && !allowed[c.Format(i)] })
	case Regex:
		return rowCheck(f, opts, func(i int) bool { return !c.IsNull(i) && !e.re.MatchString(c.Format(i)) })
	case RowCount:
		n := float64(f.NumRows())
		r := Result{Checked: 1, Passed: (e.Min == nil || n >= *e.Min) && (e.Max == nil || n <= *e.Max)}
		r.Message = fmt.Sprintf("%d rows", f.NumRows())
		if !r.Passed {
			r.Failing = 1
			r.Message += " is outside " + bounds(e.Min, e.Max)
		}
		return r
	case Schema:
		return e.runSchema(f)
	case Freshness:
		if c.Type() != frame.Time {
			return Result{Failing: 1, Message: fmt.Sprintf("column %q is %s, not time", c.Name(), c.Type())}
		}
		var newest time.Time
		for i := 0; i < c.Len(); i++ {
			if t := c.Time(i); !c.IsNull(i) && t.After(newest) {
				newest = t
			}
		}
		r := Result{Checked: c.Len()}
		if newest.IsZero() {
			r.Failing, r.Message = 1, "no timestamps"
			return r
		}
		age := opts.Now.Sub(newest)
		r.Passed = age <= e.maxAge
		r.Message = fmt.Sprintf("newest %s, %s old (max %s)", newest.Format(time.RFC3339), age.Round(time.Second), e.maxAge)
		if !r.Passed {
			r.Failing = 1
		}
		return r
	case Expression:
		env := make(map[string]any, f.NumCols())
		var evalErr error
		r := rowCheck(f, opts, func(i int) bool {
			for _, col := range f.Columns() {
				env[col.Name()] = col.Value(i)
			}
			out, err := expr.Run(e.program, env)
			if err != nil {
				if evalErr == nil {
					evalErr = fmt.Errorf("row %d: %w", i+1, err)
				}
				return true
			}
			ok, _ := out.(bool)
			return !ok
		})
		if evalErr != nil {
			r.Message += " (first error: " + evalErr.Error() + ")"
		}
		return r
	case Aggregate:
		env := aggregateEnv(f)
		out, err := expr.Run(e.program, env)
		r := Result{Checked: 1}
		if err != nil {
			r.Failing, r.Message = 1, err.Error()
			return r
		}
		ok, _ := out.(bool)
		r.Passed = ok
		if !ok {
			r.Failing, r.Message = 1, "expression is false"
		}
		return r
	}
	return Result{Failing: 1, Message: "unknown rule"}
}

func bounds(lo, hi *float64) string {
	switch {
	case lo != nil && hi != nil:
		return fmt.Sprintf("[%g, %g]", *lo, *hi)
	case lo != nil:
		return fmt.Sprintf("[%g, ∞)", *lo)
	default:
		return fmt.Sprintf("(-∞, %g]", *hi)
	}
}

func (e *Expectation) runSchema(f *frame.Frame) Result {
	var problems []string
	names := make([]string, 0, len(e.types))
	for n := range e.types {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		c, err := f.Column(n)
		if err != nil {
			problems = append(problems, fmt.Sprintf("column %q is missing", n))
			continue
		}
		if want := e.types[n]; c.Type() != want {
			problems = append(problems, fmt.Sprintf("column %q is %s, want %s", n, c.Type(), want))
		}
	}
	if e.Exact {
		for _, n := range f.Names() {
			if _, ok := e.types[n]; !ok {
				problems = append(problems, fmt.Sprintf("column %q is not in the schema", n))
			}
		}
	}
	r := Result{Checked: len(e.types), Failing: len(problems), Passed: len(problems) == 0}
	r.Message = strings.Join(problems, "; ")
	return r
}

func aggregateEnv(f *frame.Frame) map[string]any {
	env := map[string]any{"rows": f.NumRows()}
	nulls := map[string]int{}
	for _, c := range f.Columns() {
		nulls[c.Name()] = c.NullCount()
		switch c.Type() {
		case frame.Float, frame.Int, frame.Bool:
			v := make([]float64, 0, c.Len())
			for i := 0; i < c.Len(); i++ {
				if x := c.Float(i); !c.IsNull(i) && !math.IsNaN(x) {
					v = append(v, x)
				}
			}
			env[c.Name()] = v
		default:
			v := make([]any, 0, c.Len())
			for i := 0; i < c.Len(); i++ {
				if !c.IsNull(i) {
					v = append(v, c.Value(i))
				}
			}
			env[c.Name()] = v
		}
	}
	env["nulls"] = nulls
	return env
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// Table returns the report as an aligned text table, one line per
// expectation, followed by the sample rows of failed expectations.
func (r *Report) Table() string {
	header := []string{"STATUS", "SEVERITY", "EXPECTATION", "FAILING", "DETAIL"}
	rows := [][]string{header}
	for _, res := range r.Results {
		status := "ok"
		if !res.Passed {
			status = "FAILED"
			if res.Severity == Warn {
				status = "WARN"
			}
		}
		rows = append(rows, []string{status, res.Severity, res.Name, fmt.Sprintf("%d/%d", res.Failing, res.Checked), res.Message})
	}
	width := make([]int, len(header))
	for _, row := range rows {
		for j, s := range row {
			width[j] = max(width[j], len([]rune(s)))
		}
	}
	var b strings.Builder
	for _, row := range rows {
		for j, s := range row {
			if j == len(row)-1 {
				b.WriteString(s)
				continue
			}
			b.WriteString(s + strings.Repeat(" ", width[j]-len([]rune(s))+2))
		}
		b.WriteString("\n")
	}
	for _, res := range r.Results {
		if len(res.Sample) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n%s: sample of failing rows\n", res.Name)
		for _, s := range res.Sample {
			keys := make([]string, 0, len(s.Values))
			for k := range s.Values {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			parts := make([]string, len(keys))
			for i, k := range keys {
				v := s.Values[k]
				if v == nil {
					v = "null"
				}
				parts[i] = fmt.Sprintf("%s=%v", k, v)
			}
			fmt.Fprintf(&b, "  row %d: %s\n", s.Row, strings.Join(parts, " "))
		}
	}
	verdict := "PASSED"
	if !r.Passed {
		verdict = "FAILED"
	}
	fmt.Fprintf(&b, "\n%s: %d rows, %d expectations, %d failed, %d warnings\n", verdict, r.Rows, len(r.Results), r.Failures, r.Warnings)
	return b.String()
}
