package sqlite

import (
	"context"
	"fmt"
	"sync"

	"github.com/weirhq/weir/tracking"
	"github.com/weirhq/weir/tracking/search"
)

// searchRunsTemplate is the TrackingSearchRuns template, parsed once.
var searchRunsTemplate = sync.OnceValues(func() (*search.Template, error) {
	return search.NewTemplate("TrackingSearchRuns", query("TrackingSearchRuns"), search.Dialect{})
})

// runQuerier runs the queries of search.Runs on the read pool.
type runQuerier struct{ s *Tracking }

// render returns the SQL and arguments of q.
func (rq runQuerier) render(q *search.RunQuery) (string, []any, error) {
	t, err := searchRunsTemplate()
	if err != nil {
		return "", nil, err
	}
	return t.Render(q)
}

// QueryRuns implements search.RunQuerier.
func (rq runQuerier) QueryRuns(ctx context.Context, q *search.RunQuery) ([]runRow, error) {
	text, args, err := rq.render(q)
	if err != nil {
		return nil, err
	}
	rows, err := rq.s.r.QueryContext(ctx, text, args...)
	if err != nil {
		return nil, fmt.Errorf("search runs: %w", err)
	}
	defer rows.Close()
	var rs []runRow
	for rows.Next() {
		r, err := scanRunInfo(rows)
		if err != nil {
			return nil, err
		}
		rs = append(rs, r)
	}
	return rs, rows.Err()
}

// CountRuns implements search.RunQuerier.
func (rq runQuerier) CountRuns(ctx context.Context, q *search.RunQuery) (int, error) {
	text, args, err := rq.render(q)
	if err != nil {
		return 0, err
	}
	var n int
	if err := rq.s.r.QueryRowContext(ctx, text, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("search runs: %w", err)
	}
	return n, nil
}

// SearchRuns implements tracking.Store: search.Runs plans the queries (filters become
// joins on the per-key tables latest_metrics, run_params and run_tags, each indexed by key
// and value) and only the page's runs are loaded.
func (s *Tracking) SearchRuns(ctx context.Context, p tracking.SearchRunsParams) (*tracking.RunPage, error) {
	rs, next, err := search.Runs(ctx, p, runQuerier{s})
	if err != nil {
		return nil, err
	}
	page := &tracking.RunPage{NextPageToken: next}
	if page.Runs, err = s.loadRuns(ctx, rs); err != nil {
		return nil, err
	}
	return page, nil
}
