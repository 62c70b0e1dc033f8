package quality_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/weirhq/weir/ml/frame"
	"github.com/weirhq/weir/ml/quality"
)

const orders = `id,email,age,country,price,cost,updated_at
1,a@x.com,34,FR,10,8,2026-11-24T10:00:00Z
2,b@x.com,,DE,12,13,2026-11-24T11:00:00Z
3,bad-email,130,FR,9,5,2026-11-24T12:00:00Z
3,d@x.com,51,ES,20,10,2026-11-24T09:00:00Z
5,e@x.com,28,IT,15,1,2026-11-23T12:00:00Z
`

const suiteYAML = `
expectations:
  - rule: not_null
    column: age
  - rule: between
    column: age
    min: 0
    max: 120
    severity: warn
  - rule: unique
    column: id
  - rule: in_set
    column: country
    values: [FR, DE, IT]
  - rule: regex
    column: email
    pattern: '^[^@]+@[^@]+$'
  - rule: row_count
    min: 1
    max: 1000
  - rule: schema
    columns: {id: int, age: int, email: string, updated_at: time}
  - rule: freshness
    column: updated_at
    max_age: 6h
  - rule: expression
    name: price_covers_cost
    expr: price >= cost
  - rule: aggregate
    name: mean_age
    expr: mean(age) > 18 && rows >= 5 && nulls.age <= 1
`

func setup(t *testing.T) (*quality.Suite, *frame.Frame) {
	t.Helper()
	s, err := quality.ParseYAML([]byte(suiteYAML))
	if err != nil {
		t.Fatal(err)
	}
	f, err := frame.ReadCSV(strings.NewReader(orders), frame.CSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return s, f
}

func TestSuite(t *testing.T) {
	t.Parallel()
	s, f := setup(t)
	now := time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC)
	rep, err := s.Run(f, quality.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		passed  bool
		failing int
		rows    []int
	}{
		{false, 1, []int{2}}, // not_null(age)
		{false, 1, []int{3}}, // between, warn
		{false, 1, []int{4}}, // unique(id): second 3
		{false, 1, []int{4}}, // in_set: ES
		{false, 1, []int{3}}, // regex
		{true, 0, nil},       // row_count
		{true, 0, nil},       // schema
		{true, 0, nil},       // freshness: newest 12:00, 3h old
		{false, 1, []int{2}}, // price_covers_cost
		{true, 0, nil},       // mean_age
	}
	if len(rep.Results) != len(want) {
		t.Fatalf("%d results", len(rep.Results))
	}
	for i, w := range want {
		r := rep.Results[i]
		if r.Passed != w.passed || r.Failing != w.failing {
			t.Errorf("%s: passed %v failing %d (%s), want %v %d", r.Name, r.Passed, r.Failing, r.Message, w.passed, w.failing)
		}
		for k, row := range w.rows {
			if k >= len(r.Sample) || r.Sample[k].Row != row {
				t.Errorf("%s: sample %v, want rows %v", r.Name, r.Sample, w.rows)
			}
		}
	}
	if rep.Passed || rep.Failures != 5 || rep.Warnings != 1 {
		t.Errorf("report passed %v failures %d warnings %d", rep.Passed, rep.Failures, rep.Warnings)
	}
	table := rep.Table()
	for _, s := range []string{"FAILED  fail      unique(id)", "WARN    warn      between(age)", "price_covers_cost: sample of failing rows", "row 2: age=null cost=13", "FAILED: 5 rows, 10 expectations, 5 failed, 1 warnings"} {
		if !strings.Contains(table, s) {
			t.Errorf("table lacks %q:\n%s", s, table)
		}
	}
	var buf bytes.Buffer
	if err := rep.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var back quality.Report
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Results[3].Sample[0].Values["country"] != "ES" || back.Results[2].Column != "id" {
		t.Errorf("JSON report: %s", buf.String())
	}
	// Freshness fails a day later.
	rep, _ = s.Run(f, quality.Options{Now: now.Add(24 * time.Hour)})
	if rep.Results[7].Passed || !strings.Contains(rep.Results[7].Message, "max 6h") {
		t.Errorf("freshness a day later: %+v", rep.Results[7])
	}
}

func TestSchemaAndMissingColumns(t *testing.T) {
	t.Parallel()
	_, f := setup(t)
	s, err := quality.ParseYAML([]byte(`
expectations:
  - rule: schema
    columns: {id: string, nope: int}
    exact: true
  - rule: not_null
    column: ghost
`))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := s.Run(f, quality.Options{})
	if err != nil {
		t.Fatal(err)
	}
	msg := rep.Results[0].Message
	for _, want := range []string{`column "id" is int, want string`, `column "nope" is missing`, `column "email" is not in the schema`} {
		if !strings.Contains(msg, want) {
			t.Errorf("schema message %q lacks %q", msg, want)
		}
	}
	if rep.Results[1].Passed || !strings.Contains(rep.Results[1].Message, `column "ghost"`) {
		t.Errorf("missing column: %+v", rep.Results[1])
	}
}

func TestLoadErrors(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct{ yaml, want string }{
		"unknown rule":  {"expectations:\n  - rule: magic\n", "expectation 1 (magic): unknown rule"},
		"bad regex":     {"expectations:\n  - rule: regex\n    column: a\n    pattern: '('\n", "pattern"},
		"no bounds":     {"expectations:\n  - rule: between\n    column: a\n", "min or max is required"},
		"bad severity":  {"expectations:\n  - rule: unique\n    column: a\n    severity: panic\n", "severity"},
		"bad expr":      {"expectations:\n  - rule: expression\n    expr: 'a >'\n", "expr"},
		"bad duration":  {"expectations:\n  - rule: freshness\n    column: t\n    max_age: soon\n", "max_age"},
		"unknown field": {"expectations:\n  - rule: unique\n    colum: a\n", "colum"},
		"no column":     {"expectations:\n  - rule: not_null\n", "column is required"},
	} {
		if _, err := quality.ParseYAML([]byte(tc.yaml)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", name, err, tc.want)
		}
	}
}

func TestCompileNamesTheField(t *testing.T) {
	t.Parallel()
	for field, e := range map[string]*quality.Expectation{
		"rule":      {Rule: "magic"},
		"column":    {Rule: quality.NotNull},
		"pattern":   {Rule: quality.Regex, Column: "a", Pattern: "("},
		"severity":  {Rule: quality.Unique, Column: "a", Severity: "panic"},
		"columns.a": {Rule: quality.Schema, Columns: map[string]string{"a": "decimal"}},
		"expr":      {Rule: quality.Aggregate, Expr: "mean(x) >"},
	} {
		var fe *quality.FieldError
		if err := e.Compile(); !errors.As(err, &fe) || fe.Field != field {
			t.Errorf("%s: err = %v (%#v)", field, err, fe)
		}
	}
	ok := &quality.Expectation{Rule: quality.NotNull, Column: "a"}
	if err := ok.Compile(); err != nil || ok.Severity != quality.Fail {
		t.Errorf("valid expectation: %v, severity %q", err, ok.Severity)
	}
}
