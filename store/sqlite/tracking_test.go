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
