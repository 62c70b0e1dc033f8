package frame_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them: the
// parallel loops must always be joined.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
