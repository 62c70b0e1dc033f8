package trackingtest

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/weirhq/weir/tracking"
)

// testSearchRunsSyntax checks what a driver's rendering of a search must get right beyond
// the plan: constants quoted with tracking.QuoteString compare as themselves, LIKE is
// case-sensitive and only % and _ are wildcards, datasets filter on any input, and a search
// spans several experiments.
func testSearchRunsSyntax(t *testing.T, setup func(t *testing.T) (context.Context, *tracking.Service)) {
	ctx, s := setup(t)
	exp := get(s.CreateExperiment(ctx, tracking.CreateExperimentParams{Name: "syntax"}))(t)
	other := get(s.CreateExperiment(ctx, tracking.CreateExperimentParams{Name: "syntax-other"}))(t)
	names := []string{"it's", "a*c", "abc", "aBc", "a?c", "a[b]c", "100%", "x' OR 'a'='a", `say "hi"`}
	byName := map[string]string{}
	for i, n := range names {
		e := exp
		if i == len(names)-1 {
			e = other
		}
		r := get(s.CreateRun(ctx, tracking.CreateRunParams{ExperimentID: e, RunName: n, StartTime: int64(1000 + i),
			Tags: []tracking.Tag{{Key: "my tag", Value: n}}}))(t)
		byName[n] = r.Info.RunID
	}
	noErr(t, s.LogInputs(ctx, byName["abc"], []tracking.DatasetInput{
		{Tags: []tracking.Tag{{Key: "mlflow.data.context", Value: "train"}}, Dataset: []byte(`{"name":"iris","digest":"d1"}`)},
		{Tags: []tracking.Tag{{Key: "mlflow.data.context", Value: "test"}}, Dataset: []byte(`{"name":"wine","digest":"d2"}`)},
	}))
	noErr(t, s.LogInputs(ctx, byName["aBc"], []tracking.DatasetInput{
		{Tags: []tracking.Tag{{Key: "mlflow.data.context", Value: "eval"}}, Dataset: []byte(`{"name":"iris","digest":"e1"}`)},
	}))
	search := func(filter string, exps ...string) string {
		t.Helper()
		if len(exps) == 0 {
			exps = []string{exp}
		}
		p, err := s.SearchRuns(ctx, tracking.SearchRunsParams{ExperimentIDs: exps, Filter: filter, OrderBy: []string{"run_name"}})
		if err != nil {
			t.Errorf("filter %s: %v", filter, err)
			return ""
		}
		var got []string
		for _, r := range p.Runs {
			got = append(got, r.Info.RunName)
		}
		return strings.Join(got, "|")
	}
	for _, n := range names[:len(names)-1] {
		for _, f := range []string{"run_name = " + tracking.QuoteString(n), "tags." + tracking.QuoteKey("my tag") + " = " + tracking.QuoteString(n),
			"attributes.run_id IN (" + tracking.QuoteString(byName[n]) + ", 'none')"} {
			if got := search(f); got != n {
				t.Errorf("filter %s: got %q, want only %q", f, got, n)
			}
		}
	}
	sorted := func(ns ...string) string { slices.Sort(ns); return strings.Join(ns, "|") }
	for _, c := range []struct{ filter, want string }{
		{"run_name LIKE 'a*%'", "a*c"},
		{"run_name LIKE 'a?c'", "a?c"},
		{"run_name LIKE 'a[b]%'", "a[b]c"},
		{"run_name LIKE 'a_c'", sorted("a*c", "abc", "aBc", "a?c")},
		{"run_name LIKE 'ab%'", "abc"},
		{"run_name ILIKE 'ab%'", sorted("abc", "aBc")},
		{"run_name LIKE '100%'", "100%"},
		{"tags.`my tag` LIKE '%''%'", sorted("it's", "x' OR 'a'='a")},
		{"datasets.name = 'iris'", sorted("abc", "aBc")},
		{"datasets.name = 'wine' AND datasets.context = 'train'", "abc"}, // each condition on any input
		{"datasets.digest LIKE 'd%'", "abc"},
		{"datasets.context IN ('eval', 'none')", "aBc"},
		{"datasets.name NOT IN ('iris')", "abc"}, // abc has an input that is not iris
		{"datasets.name != 'iris'", "abc"},
	} {
		if got := search(c.filter); got != c.want {
			t.Errorf("filter %s: got %q, want %q", c.filter, got, c.want)
		}
	}
	if got := search("run_name LIKE '%h%'", exp, other); got != `say "hi"` {
		t.Errorf("two experiments: got %q", got)
	}
	if got := search("", other); got != `say "hi"` {
		t.Errorf("other experiment: got %q", got)
	}
}
