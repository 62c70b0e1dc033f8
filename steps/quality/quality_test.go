package quality_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/weirhq/weir/steps/internal/steptest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("database/sql.(*DB).connectionOpener"))
}

const people = `id,age,country,email,price,cost
1,34.5,FR,a@x.io,10,8
2,,DE,b@x.io,12,9
3,51,IT,not-an-email,7,9
4,29,FR,d@x.io,20,5
5,42,ES,e@x.io,11,10
`

// ages has a string where a float belongs: the reader infers a string column.
const ages = `id,age
1,34.5
2,abc
3,51
`

const checks = `dag_id: checks
tasks:
  - id: good
    quality.check:
      data: people.csv
      expectations:
        - {rule: unique, column: id}
        - {rule: between, column: age, min: 0, max: 120}
        - {rule: in_set, column: country, values: [FR, DE, IT, ES]}
        - {rule: row_count, min: 5, max: 5}
        - {rule: schema, columns: {id: int, age: float, country: string}}
        - {rule: aggregate, name: adults, expr: "mean(age) > 18 && rows == 5"}
        - {rule: regex, column: email, pattern: '^[^@]+@[^@]+$', severity: warn}
  - id: bad
    quality.check:
      data: people.csv
      expectations:
        - {rule: not_null, column: age}
        - {rule: expression, name: price_covers_cost, expr: price >= cost}
        - {rule: unique, column: id}
  - id: missing_column
    quality.check:
      data: people.csv
      expectations:
        - {rule: between, column: weight, min: 0}
  - id: string_in_float
    quality.check:
      data: ages.csv
      expectations:
        - {rule: schema, columns: {age: float}}
  - id: fresh
    quality.check:
      data: events.csv
      as_of: "{{ ds }}"
      expectations: [{rule: freshness, column: at, max_age: 48h}]
  - id: stale
    quality.check:
      data: events.csv
      as_of: 2030-01-01
      expectations: [{rule: freshness, column: at, max_age: 48h}]
  - id: empty
    quality.check:
      data: empty.csv
      expectations:
        - {rule: row_count, min: 1}
`

func TestQualityCheck(t *testing.T) {
	t.Parallel()
	dir := steptest.Files(t, map[string]string{"checks.yaml": checks, "people.csv": people, "ages.csv": ages, "empty.csv": "id,age\n",
		"events.csv": "id,at\n1,2026-03-03T10:00:00Z\n2,2026-03-02T10:00:00Z\n"})
	run := steptest.RunDAGAt(t, dir, "checks", time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC))

	// Passing with a warning: the output, the log's table, the report file and the
	// tracked artifact.
	var out struct {
		Passed   bool   `json:"passed"`
		Failures int    `json:"failures"`
		Warnings int    `json:"warnings"`
		Rows     int    `json:"rows"`
		Report   string `json:"report"`
		Data     string `json:"data"`
		Results  []struct {
			Name   string `json:"name"`
			Passed bool   `json:"passed"`
		} `json:"results"`
		Datasets map[string]struct {
			Rows int    `json:"rows"`
			Hash string `json:"hash"`
		} `json:"datasets"`
	}
	run.Output(t, "good", &out)
	if !out.Passed || out.Failures != 0 || out.Warnings != 1 || out.Rows != 5 || len(out.Results) != 7 || out.Data != "people.csv" {
		t.Errorf("good: output %+v", out)
	}
	if out.Results[6].Name != "regex(email)" || out.Results[6].Passed {
		t.Errorf("the warn expectation: %+v", out.Results[6])
	}
	if d := out.Datasets["data"]; d.Rows != 5 || !strings.HasPrefix(d.Hash, "sha256:") {
		t.Errorf("datasets: %+v", out.Datasets)
	}
	var report struct {
		Passed  bool `json:"passed"`
		Results []struct {
			Sample []struct {
				Row int `json:"row"`
			} `json:"sample"`
		} `json:"results"`
	}
	if err := json.Unmarshal(steptest.ReadURI(t, out.Report), &report); err != nil || !report.Passed || len(report.Results) != 7 {
		t.Fatalf("report file: %v %+v", err, report)
	}
	if s := report.Results[6].Sample; len(s) != 1 || s[0].Row != 3 {
		t.Errorf("regex sample rows: %+v", s)
	}
	if a := steptest.ReadURI(t, out.Report); len(run.TrackedArtifacts(t, "quality_report.json")) != len(run.TIs) || len(a) == 0 {
		t.Error("no tracked report")
	}
	log := run.Log(t, "good")
	for _, want := range []string{"quality.check of people.csv: 5 rows", "regex(email)", "adults", "report: file://"} {
		if !strings.Contains(log, want) {
			t.Errorf("good's log lacks %q:\n%s", want, log)
		}
	}

	// A failing fail expectation names the column, the rule, the count and sample rows.
	msg := run.Failed(t, "bad")
	for _, want := range []string{
		"2 of 3 expectations of severity fail failed",
		`not_null(age): rule not_null on column "age", 1 failing (1 of 5 rows fail); sample rows: row 2 {age: null}`,
		"price_covers_cost: rule expression, 1 failing (1 of 5 rows fail); sample rows: row 3 {age: 51, cost: 9,",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("bad: error lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "unique(id)") {
		t.Errorf("bad: a passing expectation is in the error: %s", msg)
	}
	if log := run.Log(t, "bad"); !strings.Contains(log, "price_covers_cost") {
		t.Errorf("bad's log has no table:\n%s", log)
	}

	run.Succeeded(t, "fresh")
	for id, want := range map[string]string{
		"missing_column":  `between(weight): rule between on column "weight", 1 failing (column "weight": no such column (have id, age, country, email, price, cost))`,
		"string_in_float": `rule schema, 1 failing (column "age" is string, want float)`,
		"empty":           "row_count: rule row_count, 1 failing",
		"stale":           `freshness(at): rule freshness on column "at", 1 failing`,
	} {
		if msg := run.Failed(t, id); !strings.Contains(msg, want) {
			t.Errorf("%s: error %q lacks %q", id, msg, want)
		}
	}
}

func TestQualityCheckLoadErrors(t *testing.T) {
	t.Parallel()
	msg := steptest.LoadError(t, "q.yaml", `dag_id: q
tasks:
  - id: q
    quality.check:
      data: x.csv
      expectations:
        - {rule: not_null, column: a}
        - rule: regex
          column: email
          pattern: '('
        - {rule: magic, column: a}
        - {rule: between, column: a}
        - {rule: unique, column: a, severity: panic}
      as_of: yesterday
  - id: nodata
    quality.check:
      expectations: [{rule: not_null, column: a}]
`)
	for _, want := range []string{
		"q.yaml:10:20: quality.check.expectations[1].pattern: pattern: error parsing regexp",
		"q.yaml:11:18: quality.check.expectations[2].rule: unknown rule",
		"q.yaml:12:11: quality.check.expectations[3].min: min or max is required",
		`quality.check.expectations[4].severity: severity "panic" is not fail or warn`,
		`quality.check.as_of: "yesterday" is not an RFC 3339 time`,
		"q.yaml:17:7: quality.check.data: missing: the data set to check",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("load error lacks %q:\n%s", want, msg)
		}
	}
	msg = steptest.LoadError(t, "q.yaml", "dag_id: q\ntasks:\n  - id: q\n    quality.check:\n      data: x.csv\n      expectations: [{rule: unique, colum: a}]\n")
	if want := `q.yaml:6:37: quality.check.expectations[0]: unknown field "colum" (did you mean "column"?)`; !strings.Contains(msg, want) {
		t.Errorf("load error lacks %q:\n%s", want, msg)
	}
}
