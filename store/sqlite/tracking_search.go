package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/weirhq/weir/tracking"
)

// searchPlan is the data of the TrackingSearchRuns template: the joins, conditions and
// order of one runs/search, and the arguments they take, in template order.
type searchPlan struct {
	Joins []searchJoin
	View  string
	Conds []searchCond
	Order []searchOrder

	joinArgs, condArgs []any
}

// searchJoin joins the row of one key of a per-run table (latest_metrics, run_params,
// run_tags) as Alias; Left keeps runs without the key (for ordering).
type searchJoin struct {
	Table, Alias string
	Left         bool
}

// searchCond is one condition: "Col Op ?", "Col IN (json list)", or, for datasets, an
// EXISTS over run_inputs.
type searchCond struct {
	Col, Op         string
	In, Not, Exists bool
}

// searchOrder sorts by Col, NULLs last.
type searchOrder struct {
	Col  string
	Desc bool
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

// planSearch translates a parsed filter and order into a searchPlan.
func planSearch(clauses []tracking.Clause, orders []tracking.OrderBy, view tracking.ViewType) *searchPlan {
	p := &searchPlan{View: string(view)}
	if p.View == "" {
		p.View = string(tracking.ActiveOnly)
	}
	join := func(kind, key string, left bool) string {
		alias := "j" + strconv.Itoa(len(p.Joins))
		p.Joins = append(p.Joins, searchJoin{Table: kindTables[kind], Alias: alias, Left: left})
		p.joinArgs = append(p.joinArgs, key)
		return alias
	}
	for _, c := range clauses {
		var sc searchCond
		var arg any
		switch c.Kind {
		case tracking.KindMetric, tracking.KindParam, tracking.KindTag:
			alias := join(c.Kind, c.Key, false)
			sc, arg = condition(alias+".value", c)
			if c.Kind == tracking.KindMetric {
				// NaN compares with nothing.
				p.Conds = append(p.Conds, searchCond{Col: alias + ".is_nan", Op: "="})
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
				sc = searchCond{Col: col, Op: "IN (SELECT value FROM json_each(?)) AND 1 =", Exists: true}
				p.Conds = append(p.Conds, sc)
				p.condArgs = append(p.condArgs, arg, 1)
				continue
			}
			sc.Exists = true
		}
		p.Conds = append(p.Conds, sc)
		p.condArgs = append(p.condArgs, arg)
	}
	for _, o := range orders {
		col := runColumns[o.Key]
		if o.Kind != tracking.KindAttribute {
			col = join(o.Kind, o.Key, true) + ".value"
		}
		p.Order = append(p.Order, searchOrder{Col: col, Desc: o.Desc})
	}
	return p
}

// SearchMLRuns implements tracking.Store: the filter becomes joins on the per-key tables
// (latest_metrics, run_params, run_tags, all indexed by key and value) and conditions, the
// order joins of those tables, and only the page's runs are loaded.
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
	expJSON, _ := json.Marshal(exps)
	plan := planSearch(clauses, orders, p.ViewType)
	q, err := renderQuery("TrackingSearchRuns", plan)
	if err != nil {
		return nil, err
	}
	args := append(plan.joinArgs, string(expJSON))
	args = append(args, plan.condArgs...)
	args = append(args, max+1, offset)
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("search runs: %w", err)
	}
	var rs []runRow
	for rows.Next() {
		r, err := scanRunInfo(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		rs = append(rs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
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
