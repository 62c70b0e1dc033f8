// Package quality is the quality.check task kind: the expectations of package ml/quality
// (not null, unique, between, in set, regex, row count, schema, freshness, row and
// aggregate expressions, each of severity fail or warn) written in a DAG file and checked
// against a data set.
//
// The expectations are validated when the DAG loads (an unknown rule, a bad regex or
// expression, a missing bound is an error at the expectation's field, with file:line).
// When the task runs, the report goes three ways: a table in the task's log, JSON in the
// task's output, and a JSON file (in the artifact store, its URI under "report", and in
// the try's tracking run as quality_report.json). A failed expectation of severity fail
// fails the task without retry, the error naming the column, the rule, the number of
// failing rows and sample rows; failed warn expectations are only reported. A column an
// expectation names that the data lacks is a failed expectation, not an error, so the
// report always covers every expectation.
package quality

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/executor"
	mlquality "github.com/weirhq/weir/ml/quality"
	"github.com/weirhq/weir/steps/stepio"
)

// Spec is the YAML of a quality.check task.
type Spec struct {
	// Data is the data set checked.
	Data string `yaml:"data" template:"true" required:"the data set to check: a path relative to the DAG file, a URL, or an upstream step's URI such as {{ outputs.load.data }}" doc:"The data set to check: a CSV, JSON-lines or Parquet path (relative to the DAG file), a file:// or object-store URL, or a URI from an upstream step's output."`
	// Expectations are the checks, in order.
	Expectations []Expectation `yaml:"expectations" required:"the list of expectations to check (rule: not_null, column: ...)" doc:"The checks, in order (see the rules below)."`
	// AsOf is the time freshness is measured against; empty means now.
	AsOf string `yaml:"as_of" template:"true" doc:"The time freshness expectations are measured against: RFC 3339 or YYYY-MM-DD, such as {{ logical_date }} for backfills (default: now)."`
	// SampleSize is the number of failing rows kept per expectation; nil means 5.
	SampleSize *int `yaml:"sample_size" doc:"Failing rows kept per expectation in the report (default 5; 0 keeps none)."`
}

// Expectation is one check, as package ml/quality defines it.
type Expectation struct {
	Rule     string            `yaml:"rule" doc:"not_null, unique, between, in_set, regex, row_count, schema, freshness, expression or aggregate."`
	Name     string            `yaml:"name" doc:"The label in the report; default rule(column)."`
	Column   string            `yaml:"column" doc:"The column checked (every rule but row_count, schema, expression and aggregate)."`
	Severity string            `yaml:"severity" doc:"fail (default: a failure fails the task) or warn (reported only)."`
	Min      *float64          `yaml:"min" doc:"Inclusive lower bound of between (values) and row_count (rows)."`
	Max      *float64          `yaml:"max" doc:"Inclusive upper bound of between and row_count."`
	Values   []string          `yaml:"values,lenient" doc:"The allowed values of in_set, compared as text."`
	Pattern  string            `yaml:"pattern" doc:"The RE2 regular expression regex values must match."`
	Columns  map[string]string `yaml:"columns" doc:"schema: column name to type (float, int, bool, string, time)."`
	Exact    bool              `yaml:"exact" doc:"schema: also fail on columns not listed."`
	MaxAge   string            `yaml:"max_age" doc:"freshness: how old the newest timestamp may be (24h, 90m)."`
	Expr     string            `yaml:"expr" doc:"expression (per row) or aggregate (once): an expr-lang boolean expression."`
}

// Kind returns the quality.check registration.
func Kind(deps stepio.Deps) executor.Registration {
	return executor.Registration{
		Def: dag.KindDef{
			Name:     "quality.check",
			Doc:      "Checks a data set against expectations (package ml/quality); a failed expectation of severity fail fails the task.",
			New:      func() any { return &Spec{} },
			Validate: validate,
			Tracked:  true,
			CPUBound: true,
		},
		Run: executor.KindFunc(func(ctx context.Context, job *executor.Job) executor.Result {
			return run(ctx, deps, job)
		}),
	}
}

func validate(c *dag.KindCheck, spec any) {
	s := spec.(*Spec)
	if s.AsOf != "" && !strings.Contains(s.AsOf, "{{") {
		if _, err := parseTime(s.AsOf); err != nil {
			c.Errorf("as_of", "%v", err)
		}
	}
	if s.SampleSize != nil && *s.SampleSize < 0 {
		c.Errorf("sample_size", "must not be negative, got %d", *s.SampleSize)
	}
	for i, e := range s.Expectations {
		if err := e.expectation().Compile(); err != nil {
			field := fmt.Sprintf("expectations[%d]", i)
			var fe *mlquality.FieldError
			if errors.As(err, &fe) {
				field += "." + fe.Field
			}
			c.Errorf(field, "%v", err)
		}
	}
}

func (e Expectation) expectation() *mlquality.Expectation {
	return &mlquality.Expectation{Rule: e.Rule, Name: e.Name, Column: e.Column, Severity: e.Severity, Min: e.Min, Max: e.Max,
		Values: e.Values, Pattern: e.Pattern, Columns: e.Columns, Exact: e.Exact, MaxAge: e.MaxAge, Expr: e.Expr}
}

// Output is the JSON output of a quality.check task.
type Output struct {
	// Passed is false when an expectation of severity fail failed.
	Passed bool `json:"passed"`
	// Failures and Warnings count the failed expectations of severity fail and warn.
	Failures int `json:"failures"`
	Warnings int `json:"warnings"`
	// Rows is the number of rows checked.
	Rows int `json:"rows"`
	// Report is the URI of the JSON report in the artifact store.
	Report string `json:"report"`
	// Data is the data set checked, passed through for downstream steps.
	Data string `json:"data"`
	// Results are the report's results (without sample rows when the output would be too
	// large).
	Results []mlquality.Result `json:"results"`
	// Datasets describes the data set checked.
	Datasets map[string]*stepio.Dataset `json:"datasets"`
}

func run(ctx context.Context, deps stepio.Deps, job *executor.Job) executor.Result {
	s, ok := job.Task.Spec.(*Spec)
	if !ok {
		return executor.Result{Outcome: executor.FailedNoRetry, Err: fmt.Errorf("quality.check: the task's spec is %T, not a quality.check spec", job.Task.Spec)}
	}
	io, err := stepio.New(deps, job)
	if err != nil {
		return executor.Result{Outcome: executor.FailedNoRetry, Err: err}
	}
	f, ds, err := io.ReadFrame(ctx, s.Data)
	if err != nil {
		return executor.Result{Outcome: executor.Failed, Err: fmt.Errorf("quality.check: data: %w", err)}
	}
	suite := &mlquality.Suite{}
	for _, e := range s.Expectations {
		suite.Expectations = append(suite.Expectations, e.expectation())
	}
	opts := mlquality.Options{}
	if s.SampleSize != nil {
		opts.SampleSize = *s.SampleSize
		if opts.SampleSize == 0 {
			opts.SampleSize = -1
		}
	}
	if s.AsOf != "" {
		if opts.Now, err = parseTime(s.AsOf); err != nil {
			return executor.Result{Outcome: executor.FailedNoRetry, Err: fmt.Errorf("quality.check: as_of: %w", err)}
		}
	}
	rep, err := suite.Run(f, opts)
	if err != nil {
		return executor.Result{Outcome: executor.FailedNoRetry, Err: err}
	}
	fmt.Fprintf(job.Log, "quality.check of %s: %d rows, %d columns, %s\n\n%s\n", s.Data, f.NumRows(), f.NumCols(), ds.Hash, rep.Table())

	var buf bytes.Buffer
	if err := rep.WriteJSON(&buf); err != nil {
		return executor.Result{Outcome: executor.Failed, Err: err}
	}
	uri, err := io.WriteFile(ctx, "quality_report.json", buf.Bytes())
	if err != nil {
		return executor.Result{Outcome: executor.Failed, Err: err}
	}
	if _, err := io.LogArtifact(ctx, "quality_report.json", buf.Bytes()); err != nil {
		return executor.Result{Outcome: executor.Failed, Err: err}
	}
	if err := io.LogParams(ctx, map[string]any{"data": s.Data, "data_hash": ds.Hash, "expectations": len(s.Expectations)}); err != nil {
		return executor.Result{Outcome: executor.Failed, Err: err}
	}
	passed := 0.0
	if rep.Passed {
		passed = 1
	}
	if err := io.LogMetrics(ctx, map[string]float64{"quality_passed": passed, "quality_failures": float64(rep.Failures),
		"quality_warnings": float64(rep.Warnings), "rows": float64(rep.Rows)}); err != nil {
		return executor.Result{Outcome: executor.Failed, Err: err}
	}
	fmt.Fprintf(job.Log, "report: %s\n", uri)

	out := Output{Passed: rep.Passed, Failures: rep.Failures, Warnings: rep.Warnings, Rows: rep.Rows, Report: uri, Data: s.Data,
		Results: rep.Results, Datasets: map[string]*stepio.Dataset{"data": ds}}
	b, err := json.Marshal(out)
	if err == nil && job.OutputLimit > 0 && len(b) > job.OutputLimit/2 {
		out.Results = slices.Clone(out.Results)
		for i := range out.Results {
			out.Results[i].Sample = nil
		}
		b, err = json.Marshal(out)
	}
	if err != nil {
		return executor.Result{Outcome: executor.Failed, Err: err}
	}
	if !rep.Passed {
		return executor.Result{Outcome: executor.FailedNoRetry, Output: b, Err: failure(rep)}
	}
	return executor.Result{Outcome: executor.Succeeded, Output: b}
}

// parseTime reads an RFC 3339 time or a YYYY-MM-DD date (midnight UTC).
func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time (2024-01-31T00:00:00Z) or a date (2024-01-31)", s)
}

// failure describes the failed expectations of severity fail: column, rule, failing
// count and sample rows.
func failure(rep *mlquality.Report) error {
	var parts []string
	for _, r := range rep.Results {
		if r.Passed || r.Severity != mlquality.Fail {
			continue
		}
		var b strings.Builder
		fmt.Fprintf(&b, "%s: rule %s", r.Name, r.Rule)
		if r.Column != "" {
			fmt.Fprintf(&b, " on column %q", r.Column)
		}
		fmt.Fprintf(&b, ", %d failing", r.Failing)
		if r.Message != "" {
			fmt.Fprintf(&b, " (%s)", r.Message)
		}
		if len(r.Sample) > 0 {
			b.WriteString("; sample rows:")
			for _, row := range r.Sample[:min(len(r.Sample), 3)] {
				fmt.Fprintf(&b, " row %d {%s}", row.Row, values(row.Values, r.Column))
			}
		}
		parts = append(parts, b.String())
	}
	return fmt.Errorf("quality.check failed: %d of %d expectations of severity fail failed: %s",
		rep.Failures, len(rep.Results), strings.Join(parts, "; "))
}

// values formats a sample row: the checked column only when there is one, else up to six
// columns by name.
func values(v map[string]any, column string) string {
	names := slices.Sorted(maps.Keys(v))
	if _, ok := v[column]; ok && column != "" {
		names = []string{column}
	}
	var out []string
	for i, n := range names {
		if i == 6 {
			out = append(out, "…")
			break
		}
		if v[n] == nil {
			out = append(out, n+": null")
		} else {
			out = append(out, fmt.Sprintf("%s: %v", n, v[n]))
		}
	}
	return strings.Join(out, ", ")
}
