package search

import (
	"reflect"
	"strings"
	"sync"
	"testing"
)

const testTemplate = `SELECT * FROM runs r
{{- range .Left}} LEFT JOIN t {{.Alias}} ON {{.Alias}}.key = {{arg .Key}}{{end}}
WHERE r.experiment_id IN ({{args .ExperimentIDs}})
{{- range .Conds}} AND {{if eq .Op "LIKE"}}{{.Key}} GLOB {{arg (glob .Value)}}{{else if eq .Op "IN"}}{{.Key}} IN ({{args .Values}}){{else}}{{.Key}} {{.Op}} {{arg .Value}}{{end}}{{end}}
LIMIT {{arg .Limit}} OFFSET {{arg .Offset}}`

func TestTemplateRender(t *testing.T) {
	t.Parallel()
	q := &RunQuery{
		Left:          []Table{{Kind: "metric", Alias: "j0", Key: "acc"}},
		ExperimentIDs: []int64{3, 4},
		Conds: []Cond{
			{Kind: "attribute", Key: "run_name", Op: "LIKE", Value: "a%_*?[x"},
			{Kind: "attribute", Key: "run_id", Op: "IN", Values: []string{"x", "y'); DROP TABLE runs; --"}},
			{Kind: "attribute", Key: "start_time", Op: ">", Value: 5.0},
		},
		Limit: 10, Offset: 20,
	}
	wantArgs := []any{"acc", int64(3), int64(4), "a*?[*][?][[]x", "x", "y'); DROP TABLE runs; --", 5.0, 10, 20}
	for _, c := range []struct {
		d    Dialect
		want string
	}{
		{Dialect{}, `SELECT * FROM runs r LEFT JOIN t j0 ON j0.key = ?
WHERE r.experiment_id IN (?, ?) AND run_name GLOB ? AND run_id IN (?, ?) AND start_time > ?
LIMIT ? OFFSET ?`},
		{Dialect{Numbered: true}, `SELECT * FROM runs r LEFT JOIN t j0 ON j0.key = $1
WHERE r.experiment_id IN ($2, $3) AND run_name GLOB $4 AND run_id IN ($5, $6) AND start_time > $7
LIMIT $8 OFFSET $9`},
	} {
		tmpl, err := NewTemplate("test", testTemplate, c.d)
		if err != nil {
			t.Fatal(err)
		}
		// Concurrent renderings keep their own arguments.
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				text, args, err := tmpl.Render(q)
				if err != nil || text != c.want || !reflect.DeepEqual(args, wantArgs) {
					t.Errorf("Render = %q, %#v, %v;\nwant %q, %#v", text, args, err, c.want, wantArgs)
				}
			}()
		}
		wg.Wait()
	}
}

func TestTemplateErrors(t *testing.T) {
	t.Parallel()
	if _, err := NewTemplate("bad", "{{if}}", Dialect{}); err == nil || !strings.Contains(err.Error(), "template bad") {
		t.Errorf("parse error: %v", err)
	}
	tmpl, err := NewTemplate("list", "{{args .Limit}}", Dialect{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := tmpl.Render(&RunQuery{}); err == nil || !strings.Contains(err.Error(), "want []string or []int64") {
		t.Errorf("args of an int: %v", err)
	}
}

func TestLikeToGlob(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"": "", "abc": "abc", "a%": "a*", "_x_": "?x?", "*?[": "[*][?][[]", "100%]": "100*]"} {
		if got := LikeToGlob(in); got != want {
			t.Errorf("LikeToGlob(%q) = %q, want %q", in, got, want)
		}
	}
}
