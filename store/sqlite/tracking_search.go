package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/weirhq/weir/tracking"
)

// searchPlan is the data of the TrackingSearchRuns template: the tables of one runs/search
// in nested-loop order, its conditions and order, and their arguments.
//
// The join order is chosen, not left to SQLite, whose planner (without statistics) tends
// to start from a range filter and look every other table up per row, several µs a row:
//
//   - with a param or tag equality filter, the loop starts from that key's rows of the
//     (key, value) index, usually the most selective;
//   - otherwise, ordered first by a metric, param or tag, it walks that key's index in
//     value order and stops after the page (the runs lacking the key come after, from a
//     second query, as MLflow sorts them last);
//   - otherwise it starts from the filters' tables, or from the runs of the experiment in
//     start-time order.
type searchPlan struct {
	From  []searchTable
	Left  []searchTable
	View  string
	Conds []searchCond
	Order []searchOrder
	// OneExperiment compares experiment_id with one ID instead of a JSON list.
	OneExperiment bool
	// Count selects count(*) instead of the runs, without order or page.
	Count bool

	leftArgs, fromArgs, condArgs []any
}

// searchTable is a per-run key table (latest_metrics, run_params, run_tags) restricted to
// one key, or the runs themselves (alias r).
type searchTable struct {
	Table, Alias string
}

// searchCond is one condition: "Col Op ?", "Col IN (json list)", an EXISTS over
// run_inputs for datasets, or, with Missing, "the run has no row of key ? in table Col".
type searchCond struct {
	Col, Op                  string
	In, Not, Exists, Missing bool
}

// searchOrder sorts by Col; Nullable puts NULLs last.
type searchOrder struct {
	Col            string
	Desc, Nullable bool
}

// runColumns maps canonical run attributes to their columns.
var runColumns = map[string]string{
	"run_id": "r.run_uuid", "run_name": "r.name", "status": "r.status", "user_id": "r.user_id",
	"artifact_uri": "r.artifact_uri", "lifecycle_stage": "r.lifecycle_stage",
	"start_time": "r.start_time", "end_time": "r.end_time",
}

var kindTables = map[string]string{
	tracking.KindMetric: "latest_metrics", tracking.KindParam: "run_params", tracking.KindTag: "run_tags",
}

// likeToGlob turns a LIKE pattern into a GLOB pattern (SQLite's LIKE ignores ASCII case,
// MLflow's LIKE does not): % is *, _ is ?, and GLOB's own wildcards are bracketed.
func likeToGlob(p string) string {
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

// condition returns the column comparison of c on column col, and its argument.
func condition(col string, c tracking.Clause) (searchCond, any) {
	switch c.Op {
	case "LIKE":
		return searchCond{Col: col, Op: "GLOB"}, likeToGlob(c.Value)
	case "ILIKE":
		return searchCond{Col: col, Op: "LIKE"}, c.Value // SQLite's LIKE ignores ASCII case
	case "IN", "NOT IN":
		b, _ := json.Marshal(c.Values)
		return searchCond{Col: col, In: true, Not: c.Op == "NOT IN"}, string(b)
	}
	if c.IsNumber {
		return searchCond{Col: col, Op: c.Op}, c.Number
	}
	return searchCond{Col: col, Op: c.Op}, c.Value
}

// planSearch translates a parsed filter and order into a searchPlan. With driveByOrder,
// the first order clause (a metric, param or tag) drives the loop and only runs that have
// its key are selected; missingKey is then the key table's condition that selects the
// others instead (for the second query).
func planSearch(clauses []tracking.Clause, orders []tracking.OrderBy, view tracking.ViewType, driveByOrder, missingFirst bool) *searchPlan {
	p := &searchPlan{View: string(view)}
	if p.View == "" {
		p.View = string(tracking.ActiveOnly)
	}
	n := 0
	alias := func() string { n++; return "j" + strconv.Itoa(n-1) }
	var eqFrom, otherFrom []searchTable
	var eqArgs, otherArgs []any
	for _, c := range clauses {
		var sc searchCond
		var arg any
		switch c.Kind {
		case tracking.KindMetric, tracking.KindParam, tracking.KindTag:
			t := searchTable{Table: kindTables[c.Kind], Alias: alias()}
			if c.Op == "=" && c.Kind != tracking.KindMetric {
				eqFrom, eqArgs = append(eqFrom, t), append(eqArgs, c.Key)
			} else {
				otherFrom, otherArgs = append(otherFrom, t), append(otherArgs, c.Key)
			}
			sc, arg = condition(t.Alias+".value", c)
			if c.Kind == tracking.KindMetric {
				// NaN compares with nothing.
				p.Conds = append(p.Conds, searchCond{Col: t.Alias + ".is_nan", Op: "="})
				p.condArgs = append(p.condArgs, 0)
			}
		case tracking.KindAttribute:
			sc, arg = condition(runColumns[c.Key], c)
		case tracking.KindDataset:
			col := "i.dataset ->> '$." + c.Key + "'"
			if c.Key == "context" {
				col = "(SELECT t.value ->> 1 FROM json_each(i.tags) t WHERE t.value ->> 0 = 'mlflow.data.context')"
			}
			sc, arg = condition(col, c)
			if sc.In {
				// IN over a dataset column: compare inside the EXISTS.
				p.Conds = append(p.Conds, searchCond{Col: col, Op: "IN (SELECT value FROM json_each(?)) AND 1 =", Exists: true})
				p.condArgs = append(p.condArgs, arg, 1)
				continue
			}
			sc.Exists = true
		}
		p.Conds = append(p.Conds, sc)
		p.condArgs = append(p.condArgs, arg)
	}
	runs := searchTable{Table: "tracking_runs", Alias: "r"}
	if driveByOrder {
		o := orders[0]
		t := searchTable{Table: kindTables[o.Kind], Alias: alias()}
		if missingFirst {
			p.Conds = append(p.Conds, searchCond{Col: t.Table, Missing: true})
			p.condArgs = append(p.condArgs, o.Key)
		} else {
			p.From = append(p.From, t)
			p.fromArgs = append(p.fromArgs, o.Key)
			p.Order = append(p.Order, searchOrder{Col: t.Alias + ".value", Desc: o.Desc})
		}
		orders = orders[1:]
		p.From = append(p.From, runs)
		p.From = append(p.From, eqFrom...)
		p.From = append(p.From, otherFrom...)
		p.fromArgs = append(append(p.fromArgs, eqArgs...), otherArgs...)
	} else {
		p.From = append(append(append(p.From, eqFrom...), otherFrom...), runs)
		p.fromArgs = append(eqArgs, otherArgs...)
	}
	for _, o := range orders {
		if o.Kind == tracking.KindAttribute {
			p.Order = append(p.Order, searchOrder{Col: runColumns[o.Key], Desc: o.Desc})
			continue
		}
		t := searchTable{Table: kindTables[o.Kind], Alias: alias()}
		p.Left = append(p.Left, t)
		p.leftArgs = append(p.leftArgs, o.Key)
		p.Order = append(p.Order, searchOrder{Col: t.Alias + ".value", Desc: o.Desc, Nullable: true})
	}
	return p
}

// queryPlan runs a plan (with limit and offset unless it counts) and returns its runs, or
// its count.
func (s *Store) queryPlan(ctx context.Context, p *searchPlan, exp any, limit, offset int) ([]runRow, int, error) {
	q, err := renderQuery("TrackingSearchRuns", p)
	if err != nil {
		return nil, 0, err
	}
	args := append(append([]any{}, p.leftArgs...), p.fromArgs...)
	args = append(args, exp)
	args = append(args, p.condArgs...)
	if p.Count {
		var n int
		if err := s.r.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
			return nil, 0, fmt.Errorf("search runs: %w", err)
		}
		return nil, n, nil
	}
	args = append(args, limit, offset)
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("search runs: %w", err)
	}
	defer rows.Close()
	var rs []runRow
	for rows.Next() {
		r, err := scanRunInfo(rows)
		if err != nil {
			return nil, 0, err
		}
		rs = append(rs, r)
	}
	return rs, len(rs), rows.Err()
}

// SearchMLRuns implements tracking.Store: filters become joins on the per-key tables
// (latest_metrics, run_params, run_tags, each indexed by key and value) in a chosen order
// (see searchPlan), and only the page's runs are loaded.
func (s *Store) SearchMLRuns(ctx context.Context, p tracking.SearchMLRunsParams) (*tracking.RunPage, error) {
	clauses, err := tracking.ParseRunFilter(p.Filter)
	if err != nil {
		return nil, err
	}
	orders, err := tracking.ParseRunOrderBy(p.OrderBy)
	if err != nil {
		return nil, err
	}
	offset, err := tracking.DecodePageToken(p.PageToken)
	if err != nil {
		return nil, err
	}
	max := p.MaxResults
	if max <= 0 {
		max = tracking.DefaultSearchResults
	}
	exps := make([]int64, 0, len(p.ExperimentIDs))
	for _, id := range p.ExperimentIDs {
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%w: experiment ID %q is not a number", tracking.ErrInvalid, id)
		}
		exps = append(exps, n)
	}
	var exp any
	if len(exps) == 1 {
		exp = exps[0]
	} else {
		b, _ := json.Marshal(exps)
		exp = string(b)
	}
	hasEq := false
	for _, c := range clauses {
		hasEq = hasEq || (c.Op == "=" && (c.Kind == tracking.KindParam || c.Kind == tracking.KindTag))
	}
	drive := !hasEq && len(orders) > 0 && orders[0].Kind != tracking.KindAttribute
	plan := planSearch(clauses, orders, p.ViewType, drive, false)
	plan.OneExperiment = len(exps) == 1
	rs, _, err := s.queryPlan(ctx, plan, exp, max+1, offset)
	if err != nil {
		return nil, err
	}
	if drive && len(rs) <= max {
		// The runs lacking the first order key come last: how many runs with it precede
		// them decides where the page starts among them.
		have := offset + len(rs)
		if len(rs) == 0 && offset > 0 {
			plan.Count = true
			if _, have, err = s.queryPlan(ctx, plan, exp, 0, 0); err != nil {
				return nil, err
			}
		}
		missing := planSearch(clauses, orders, p.ViewType, true, true)
		missing.OneExperiment = plan.OneExperiment
		more, _, err := s.queryPlan(ctx, missing, exp, max+1-len(rs), builtinMax(0, offset-have))
		if err != nil {
			return nil, err
		}
		rs = append(rs, more...)
	}
	page := &tracking.RunPage{}
	if len(rs) > max {
		rs = rs[:max]
		page.NextPageToken = tracking.EncodePageToken(offset + max)
	}
	if page.Runs, err = s.loadRuns(ctx, rs); err != nil {
		return nil, err
	}
	return page, nil
}

// builtinMax is the built-in max, which SearchMLRuns' page size shadows.
func builtinMax(a, b int) int { return max(a, b) }
