package search

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/weirhq/weir/tracking"
)

// memRun is a run of memStore.
type memRun struct {
	id, name, status, stage string
	exp, start              int64
	metrics                 map[string]float64
	params, tags            map[string]string
	datasets                []map[string]string // name, digest, context
}

// memStore runs RunQuery values over runs in memory: the semantics every driver's
// template implements, written plainly, so Runs' planning and paging are tested without
// SQL.
type memStore struct {
	runs    []memRun
	queries int
	counts  int
}

func (m *memStore) keyValue(r *memRun, kind, key string) (any, bool) {
	switch kind {
	case tracking.KindMetric:
		v, ok := r.metrics[key]
		return v, ok
	case tracking.KindParam:
		v, ok := r.params[key]
		return v, ok
	default:
		v, ok := r.tags[key]
		return v, ok
	}
}

func attribute(r *memRun, key string) any {
	switch key {
	case "run_id":
		return r.id
	case "run_name":
		return r.name
	case "status":
		return r.status
	case "lifecycle_stage":
		return r.stage
	case "start_time":
		return float64(r.start)
	}
	panic("memStore: attribute " + key)
}

func holds(c Cond, v any) bool {
	cl := tracking.Clause{Op: c.Op, Values: c.Values}
	if n, ok := c.Value.(float64); ok {
		cl.Number, cl.IsNumber = n, true
	} else {
		cl.Value = c.Value.(string)
	}
	if f, ok := v.(float64); ok {
		return !math.IsNaN(f) && cl.IsNumber && tracking.MatchNumber(cl, f)
	}
	return tracking.MatchString(cl, v.(string))
}

// selected returns the runs q selects, each with the values of its tables by alias.
func (m *memStore) selected(q *RunQuery) ([]*memRun, []map[string]any) {
	var out []*memRun
	var vals []map[string]any
next:
	for i := range m.runs {
		r := &m.runs[i]
		if !slices.Contains(q.ExperimentIDs, r.exp) || !q.View.Includes(r.stage) {
			continue
		}
		v := map[string]any{}
		for _, t := range append(append([]Table{}, q.From...), q.Left...) {
			if t.Kind == "" {
				continue
			}
			x, ok := m.keyValue(r, t.Kind, t.Key)
			if !ok && slices.Contains(q.From, t) {
				continue next
			}
			if ok {
				v[t.Alias] = x
			}
		}
		for _, c := range q.Conds {
			ok := false
			switch c.Kind {
			case tracking.KindAttribute:
				ok = holds(c, attribute(r, c.Key))
			case tracking.KindDataset:
				for _, d := range r.datasets {
					ok = ok || holds(c, d[c.Key])
				}
			default:
				if c.Op == OpMissing {
					_, has := m.keyValue(r, c.Kind, c.Key)
					ok = !has
				} else {
					ok = holds(c, v[c.Alias])
				}
			}
			if !ok {
				continue next
			}
		}
		out, vals = append(out, r), append(vals, v)
	}
	idx := make([]int, len(out))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		for _, o := range q.Order {
			var x, y any
			var hx, hy bool
			if o.Kind == tracking.KindAttribute {
				x, y, hx, hy = attribute(out[a], o.Key), attribute(out[b], o.Key), true, true
			} else {
				x, hx = vals[a][o.Alias]
				y, hy = vals[b][o.Alias]
			}
			if hx != hy {
				if hx {
					return -1
				}
				return 1
			}
			if !hx {
				continue
			}
			c := compareAny(x, y)
			if o.Desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		if c := cmp.Compare(out[b].start, out[a].start); c != 0 {
			return c
		}
		return strings.Compare(out[a].id, out[b].id)
	})
	sorted := make([]*memRun, len(out))
	for i, j := range idx {
		sorted[i] = out[j]
	}
	return sorted, nil
}

func compareAny(x, y any) int {
	if f, ok := x.(float64); ok {
		return cmp.Compare(f, y.(float64))
	}
	return strings.Compare(x.(string), y.(string))
}

func (m *memStore) QueryRuns(_ context.Context, q *RunQuery) ([]*memRun, error) {
	m.queries++
	rs, _ := m.selected(q)
	if q.Offset >= len(rs) {
		return nil, nil
	}
	rs = rs[q.Offset:]
	return rs[:min(len(rs), q.Limit)], nil
}

func (m *memStore) CountRuns(_ context.Context, q *RunQuery) (int, error) {
	m.counts++
	if !q.Count {
		return 0, fmt.Errorf("CountRuns of a query without Count")
	}
	rs, _ := m.selected(q)
	return len(rs), nil
}

// testRuns returns 12 runs of experiment 1 (run 11 deleted) and one of experiment 2:
// metric m on even runs only, nan on runs 2 (1) and 4 (NaN), param p on every run (three values), tag t on runs 0-5.
func testRuns() *memStore {
	m := &memStore{}
	for i := range 13 {
		r := memRun{id: fmt.Sprintf("id%02d", i), name: fmt.Sprintf("run-%d", i), status: "RUNNING", stage: tracking.StageActive,
			exp: 1, start: int64(100 + i%7), metrics: map[string]float64{"all": float64(i)},
			params: map[string]string{"p": fmt.Sprint(i % 3)}, tags: map[string]string{}}
		if i%2 == 0 {
			r.metrics["m"] = float64(i % 5)
		}
		if i < 6 {
			r.tags["t"] = []string{"Alpha", "beta"}[i%2]
		}
		switch i {
		case 2:
			r.metrics["nan"] = 1
		case 4:
			r.metrics["nan"] = math.NaN()
		}
		if i == 3 {
			r.datasets = []map[string]string{{"name": "iris", "digest": "d1", "context": "train"}}
		}
		switch i {
		case 11:
			r.stage = tracking.StageDeleted
		case 12:
			r.exp = 2
		}
		m.runs = append(m.runs, r)
	}
	return m
}

func names(rs []*memRun) string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = strings.TrimPrefix(r.name, "run-")
	}
	return strings.Join(out, ",")
}

func TestRunsPagesMatchOneBigPage(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		filter string
		order  []string
		want   string // every page, joined
	}{
		{"", nil, "6,5,4,3,10,2,9,1,8,0,7"},                                        // start time descending (100+i%7), then ID
		{"", []string{"metrics.m DESC"}, "4,8,2,6,10,0,5,3,9,1,7"},                 // the runs lacking m come last
		{"", []string{"metrics.m ASC", "params.p DESC"}, "10,0,6,2,8,4,5,1,7,3,9"}, // missing last whatever the direction
		{"", []string{"tags.t", "start_time"}, "0,2,4,1,3,5,7,8,9,10,6"},           // the lacking in the second order
		{"params.p = '1'", []string{"metrics.m DESC"}, "4,10,1,7"},                 // equality drives: one query
		{"metrics.m >= 1", []string{"metrics.all DESC"}, "8,6,4,2"},
		{"metrics.nan >= 0", nil, "2"}, // NaN compares with nothing
		{"tags.t LIKE 'a%'", nil, ""},  // LIKE is case-sensitive
		{"tags.t ILIKE 'a%'", []string{"metrics.m"}, "0,2,4"},
		{"run_id IN ('id01', 'id02', 'id11')", nil, "2,1"},
		{"run_id NOT IN ('id01', 'id02')", []string{"run_name"}, "0,10,3,4,5,6,7,8,9"},
		{"datasets.name = 'iris'", nil, "3"},
		{"datasets.context IN ('test', 'train')", nil, "3"},
		{"attributes.start_time < 102", []string{"metrics.m DESC"}, "8,0,1,7"},
	} {
		m := testRuns()
		full, next, err := Runs(t.Context(), tracking.SearchRunsParams{ExperimentIDs: []string{"1"}, Filter: c.filter, OrderBy: c.order}, m)
		if err != nil || next != "" {
			t.Fatalf("%q %v: %v, next %q", c.filter, c.order, err, next)
		}
		if got := names(full); got != c.want {
			t.Errorf("%q %v: got %s, want %s", c.filter, c.order, got, c.want)
			continue
		}
		for size := 1; size <= len(full)+1; size++ {
			var got []*memRun
			tok := ""
			for calls := 0; ; calls++ {
				if calls > len(full)+1 {
					t.Fatalf("%q %v pages of %d never end", c.filter, c.order, size)
				}
				page, next, err := Runs(t.Context(), tracking.SearchRunsParams{ExperimentIDs: []string{"1"}, Filter: c.filter, OrderBy: c.order, MaxResults: size, PageToken: tok}, m)
				if err != nil {
					t.Fatal(err)
				}
				if len(page) > size {
					t.Fatalf("page of %d runs, max %d", len(page), size)
				}
				got = append(got, page...)
				if tok = next; tok == "" {
					break
				}
			}
			if g := names(got); g != c.want {
				t.Errorf("%q %v pages of %d: %s, want %s", c.filter, c.order, size, g, c.want)
			}
		}
	}
}

func TestRunsQueries(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	m := testRuns()
	// Ordered by a key some runs lack, a page past those having it needs their count.
	p := tracking.SearchRunsParams{ExperimentIDs: []string{"1"}, OrderBy: []string{"metrics.m DESC"}, MaxResults: 2, PageToken: tracking.EncodePageToken(8)}
	rs, next, err := Runs(ctx, p, m)
	if err != nil || names(rs) != "9,1" || next == "" {
		t.Fatalf("got %s, next %q, %v", names(rs), next, err)
	}
	if m.queries != 2 || m.counts != 1 {
		t.Errorf("%d queries, %d counts; want 2 and 1", m.queries, m.counts)
	}
	// A page within those having the key is one query.
	m.queries, m.counts = 0, 0
	p.PageToken = ""
	if rs, _, _ = Runs(ctx, p, m); names(rs) != "4,8" || m.queries != 1 || m.counts != 0 {
		t.Errorf("first page: %s, %d queries, %d counts", names(rs), m.queries, m.counts)
	}
	// Several experiments, every view.
	rs, _, err = Runs(ctx, tracking.SearchRunsParams{ExperimentIDs: []string{"1", "2"}, ViewType: tracking.AllViews, Filter: "metrics.all >= 10"}, m)
	if err != nil || names(rs) != "12,11,10" {
		t.Errorf("two experiments, all views: %s, %v", names(rs), err)
	}
	// No experiment: no run, no query.
	m.queries = 0
	if rs, _, err = Runs(ctx, tracking.SearchRunsParams{}, m); err != nil || len(rs) != 0 || m.queries != 0 {
		t.Errorf("no experiment: %d runs, %d queries, %v", len(rs), m.queries, err)
	}
	for _, bad := range []tracking.SearchRunsParams{
		{ExperimentIDs: []string{"x"}},
		{ExperimentIDs: []string{"1"}, Filter: "metrics.m > 'a'"},
		{ExperimentIDs: []string{"1"}, OrderBy: []string{"datasets.name"}},
		{ExperimentIDs: []string{"1"}, PageToken: "garbage!"},
	} {
		if _, _, err := Runs(ctx, bad, m); !isInvalid(err) {
			t.Errorf("%+v: err %v, want ErrInvalid", bad, err)
		}
	}
}

func isInvalid(err error) bool {
	return err != nil && strings.Contains(err.Error(), tracking.ErrInvalid.Error())
}

func TestPlanRunsJoinOrder(t *testing.T) {
	t.Parallel()
	tables := func(ts []Table) string {
		var out []string
		for _, t := range ts {
			if t.Kind == "" {
				out = append(out, "runs")
			} else {
				out = append(out, t.Kind+":"+t.Key)
			}
		}
		return strings.Join(out, " ")
	}
	for _, c := range []struct {
		filter          string
		order           []string
		drive, missing  bool
		from, left, ord string
	}{
		{"", nil, false, false, "runs", "", ""},
		{"metrics.a > 1 AND params.b = 'x'", nil, false, false, "param:b metric:a runs", "", ""},
		{"tags.t LIKE 'x%' AND tags.u = 'y'", []string{"start_time"}, false, false, "tag:u tag:t runs", "", "attribute:start_time"},
		{"metrics.a > 1", []string{"metrics.b DESC", "params.c"}, true, false, "metric:b runs metric:a", "param:c", "metric:b- param:c"},
		{"metrics.a > 1", []string{"metrics.b DESC", "params.c"}, true, true, "runs metric:a", "param:c", "param:c"},
	} {
		clauses, err := tracking.ParseRunFilter(c.filter)
		if err != nil {
			t.Fatal(err)
		}
		orders, err := tracking.ParseRunOrderBy(c.order)
		if err != nil {
			t.Fatal(err)
		}
		q := PlanRuns(clauses, orders, []int64{1}, "", c.drive, c.missing)
		var ord []string
		for _, o := range q.Order {
			s := o.Kind + ":" + o.Key
			if o.Desc {
				s += "-"
			}
			ord = append(ord, s)
		}
		if got := tables(q.From); got != c.from {
			t.Errorf("%q %v: from %s, want %s", c.filter, c.order, got, c.from)
		}
		if got := tables(q.Left); got != c.left {
			t.Errorf("%q %v: left %s, want %s", c.filter, c.order, got, c.left)
		}
		if got := strings.Join(ord, " "); got != c.ord {
			t.Errorf("%q %v: order %s, want %s", c.filter, c.order, got, c.ord)
		}
		if q.View != tracking.ActiveOnly {
			t.Errorf("view %q, want the default ACTIVE_ONLY", q.View)
		}
		if c.missing && (len(q.Conds) == 0 || q.Conds[len(q.Conds)-1].Op != OpMissing || q.Conds[len(q.Conds)-1].Key != "b") {
			t.Errorf("missing: conds %+v", q.Conds)
		}
	}
}
