package sqlite

import (
	"testing"

	"github.com/weirhq/weir/tracking"
	"github.com/weirhq/weir/tracking/trackingtest"
)

func TestTrackingConformance(t *testing.T) {
	t.Parallel()
	trackingtest.Run(t, func(t *testing.T) tracking.Store { return setup(t).Tracking() })
}

// TestTrackingConformanceRunByRun runs the suite through a Store that hides the SQLite
// store's bulk reads (tracking.HistoriesReader), so Service.MetricHistories takes its run
// by run path and must answer the same.
func TestTrackingConformanceRunByRun(t *testing.T) {
	t.Parallel()
	trackingtest.Run(t, func(t *testing.T) tracking.Store { return struct{ tracking.Store }{setup(t).Tracking()} })
}
