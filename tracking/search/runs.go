package search

import (
	"context"
	"fmt"
	"strconv"

	"github.com/weirhq/weir/tracking"
)

// RunQuery is one query of a run search, in the terms of the tracking model. A driver
// renders it with one template of its dialect (see Render) into
//
//	SELECT the runs (or, with Count, their number)
//	FROM the From tables, joined in that order on the run
//	LEFT JOIN the Left tables on the run and their key
//	WHERE the From key tables have their key, the run is in ExperimentIDs and in View,
//	  and every condition of Conds holds
//	ORDER BY Order, then start time descending, then run ID
//	LIMIT Limit OFFSET Offset
type RunQuery struct {
	// From are the tables to loop over, outermost first: key tables (Kind set) and the
	// runs (Kind empty, alias "r"). The template must keep this order (SQLite: CROSS JOIN).
	From []Table
	// Left are key tables left-joined to order by their value, NULL for a run lacking the
	// key.
	Left []Table
	// ExperimentIDs are the experiments searched; never empty.
	ExperimentIDs []int64
	// View selects runs by lifecycle stage: tracking.ActiveOnly, DeletedOnly or AllViews.
	View tracking.ViewType
	// Conds are conditions the runs must all satisfy.
	Conds []Cond
	// Order are the sort keys; the tiebreak (start time descending, run ID) follows them.
	Order []Order
	// Count asks for the number of runs selected, without order, limit or offset.
	Count bool
	// Limit and Offset select the page.
	Limit, Offset int
}

// Table is a table of a RunQuery: the rows of one key of a run's metrics (the latest
// value of each), params or tags, or the runs themselves.
type Table struct {
	// Kind is tracking.KindMetric, KindParam or KindTag for a key table, empty for the runs.
	Kind string
	// Alias names the table in the query: "r" for the runs, "j0", "j1"… for key tables.
	Alias string
	// Key is the metric, param or tag key the table is restricted to.
	Key string
}

// Cond is one condition of a RunQuery: a column compared with a constant, or (Op
// OpMissing) the absence of a key.
type Cond struct {
	// Kind says what is compared:
	//   - tracking.KindMetric, KindParam, KindTag: the value of the key table Alias (for a
	//     metric, a NaN value satisfies no comparison);
	//   - tracking.KindAttribute: the run attribute Key (canonical: run_id, run_name,
	//     status, user_id, artifact_uri, lifecycle_stage, start_time, end_time);
	//   - tracking.KindDataset: field Key (name, digest or context) of one of the run's
	//     dataset inputs (the condition holds if any input satisfies it).
	Kind string
	// Alias is the key table compared, for a metric, param or tag.
	Alias string
	// Key is the attribute, dataset field, or (OpMissing) the missing key.
	Key string
	// Op is = != < <= > >= LIKE (case-sensitive) ILIKE (ignoring case) IN, NOT IN, or
	// OpMissing: the run has no row of key Key in Kind's table.
	Op string
	// Value is the constant: a string, or a float64 when the filter gave a number.
	Value any
	// Values are the constants of IN and NOT IN.
	Values []string
}

// OpMissing is the Op of a Cond that selects the runs lacking a key.
const OpMissing = "MISSING"

// Order is one sort key of a RunQuery.
type Order struct {
	// Kind is tracking.KindAttribute (the run attribute Key) or the kind of the key table
	// Alias, whose value is sorted.
	Kind, Alias, Key string
	// Desc sorts descending.
	Desc bool
	// NullsLast puts the runs without a value (the key table is left-joined) after the
	// others, as MLflow does, whatever the direction.
	NullsLast bool
}

// RunQuerier runs the queries of a run search for Runs; R is the driver's row of a run
// (what it needs to load the page's runs).
type RunQuerier[R any] interface {
	// QueryRuns returns the runs q selects, in its order, at most q.Limit from q.Offset.
	QueryRuns(ctx context.Context, q *RunQuery) ([]R, error)
	// CountRuns returns how many runs q selects (q.Count is set).
	CountRuns(ctx context.Context, q *RunQuery) (int, error)
}

// Runs returns the rows of the page of runs p selects, in order, and the token of the
// next page (empty on the last). It parses and checks p (tracking.ParseRunFilter,
// ParseRunOrderBy, the page token, numeric experiment IDs: ErrInvalid), plans the queries
// (see the package documentation) and runs them with q: one query, or two when the first
// order key drives the loop and the page reaches the runs that lack it (plus a count when
// the first query's part of the page is empty).
func Runs[R any](ctx context.Context, p tracking.SearchRunsParams, q RunQuerier[R]) ([]R, string, error) {
	clauses, err := tracking.ParseRunFilter(p.Filter)
	if err != nil {
		return nil, "", err
	}
	orders, err := tracking.ParseRunOrderBy(p.OrderBy)
	if err != nil {
		return nil, "", err
	}
	offset, err := tracking.DecodePageToken(p.PageToken)
	if err != nil {
		return nil, "", err
	}
	size := pageSize(p.MaxResults, tracking.DefaultSearchResults)
	exps := make([]int64, 0, len(p.ExperimentIDs))
	for _, id := range p.ExperimentIDs {
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil {
			return nil, "", fmt.Errorf("%w: experiment ID %q is not a number", tracking.ErrInvalid, id)
		}
		exps = append(exps, n)
	}
	if len(exps) == 0 {
		return nil, "", nil
	}
	hasEq := false
	for _, c := range clauses {
		hasEq = hasEq || (c.Op == "=" && (c.Kind == tracking.KindParam || c.Kind == tracking.KindTag))
	}
	drive := !hasEq && len(orders) > 0 && orders[0].Kind != tracking.KindAttribute
	plan := PlanRuns(clauses, orders, exps, p.ViewType, drive, false)
	plan.Limit, plan.Offset = size+1, offset
	rs, err := q.QueryRuns(ctx, plan)
	if err != nil {
		return nil, "", err
	}
	if drive && len(rs) <= size {
		// The runs lacking the first order key come last: how many runs with it precede
		// them decides where the page starts among them.
		have := offset + len(rs)
		if len(rs) == 0 && offset > 0 {
			plan.Count = true
			if have, err = q.CountRuns(ctx, plan); err != nil {
				return nil, "", err
			}
		}
		missing := PlanRuns(clauses, orders, exps, p.ViewType, true, true)
		missing.Limit, missing.Offset = size+1-len(rs), max(0, offset-have)
		more, err := q.QueryRuns(ctx, missing)
		if err != nil {
			return nil, "", err
		}
		rs = append(rs, more...)
	}
	if len(rs) > size {
		return rs[:size], tracking.EncodePageToken(offset + size), nil
	}
	return rs, "", nil
}

// PlanRuns translates a parsed and checked filter and order into a RunQuery over the
// experiments exps (without its page). With driveByOrder, the first order clause (a
// metric, param or tag) drives the loop and only the runs having its key are selected;
// with missingKey too, the runs lacking it are selected instead, in the order of the
// other clauses. Runs calls it; it is exported for drivers' tests of their templates.
func PlanRuns(clauses []tracking.Clause, orders []tracking.OrderBy, exps []int64, view tracking.ViewType, driveByOrder, missingKey bool) *RunQuery {
	q := &RunQuery{ExperimentIDs: exps, View: view}
	if q.View == "" {
		q.View = tracking.ActiveOnly
	}
	n := 0
	table := func(kind, key string) Table {
		n++
		return Table{Kind: kind, Alias: "j" + strconv.Itoa(n-1), Key: key}
	}
	// Key tables of equality filters on params and tags come first: the most selective.
	var eqFrom, otherFrom []Table
	for _, c := range clauses {
		cond := Cond{Kind: c.Kind, Key: c.Key, Op: c.Op, Value: c.Value, Values: c.Values}
		if c.IsNumber {
			cond.Value = c.Number
		}
		switch c.Kind {
		case tracking.KindMetric, tracking.KindParam, tracking.KindTag:
			t := table(c.Kind, c.Key)
			if c.Op == "=" && c.Kind != tracking.KindMetric {
				eqFrom = append(eqFrom, t)
			} else {
				otherFrom = append(otherFrom, t)
			}
			cond.Alias = t.Alias
		}
		q.Conds = append(q.Conds, cond)
	}
	runs := Table{Alias: "r"}
	if driveByOrder {
		o := orders[0]
		t := table(o.Kind, o.Key)
		if missingKey {
			q.Conds = append(q.Conds, Cond{Kind: o.Kind, Key: o.Key, Op: OpMissing})
		} else {
			q.From = append(q.From, t)
			q.Order = append(q.Order, Order{Kind: o.Kind, Alias: t.Alias, Key: o.Key, Desc: o.Desc})
		}
		orders = orders[1:]
		q.From = append(q.From, runs)
		q.From = append(append(q.From, eqFrom...), otherFrom...)
	} else {
		q.From = append(append(append(q.From, eqFrom...), otherFrom...), runs)
	}
	for _, o := range orders {
		if o.Kind == tracking.KindAttribute {
			q.Order = append(q.Order, Order{Kind: o.Kind, Key: o.Key, Desc: o.Desc})
			continue
		}
		t := table(o.Kind, o.Key)
		q.Left = append(q.Left, t)
		q.Order = append(q.Order, Order{Kind: o.Kind, Alias: t.Alias, Key: o.Key, Desc: o.Desc, NullsLast: true})
	}
	return q
}
