package tracking

import "context"

// HistoryStreamer is a Store that can pass a metric's history point by point instead of
// as one page in memory (the SQLite store does): the MLflow API then writes a history of
// millions of points as it reads them.
type HistoryStreamer interface {
	// StreamMetricHistory calls fn with each point of the page p selects, in order, and
	// returns the next page's token ("" for the last page). fn is first called only after
	// the run and the page token were found valid (errors as GetMetricHistory's); an error
	// of fn stops the stream and is returned.
	StreamMetricHistory(ctx context.Context, p GetMetricHistoryParams, fn func(Metric) error) (string, error)
}
