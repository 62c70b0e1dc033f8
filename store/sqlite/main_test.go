package sqlite

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// A re-executed test binary is the child process of TestCrash.
	if path := os.Getenv(crashChildEnv); path != "" {
		crashChild(path)
		return
	}
	if arg := os.Getenv(trackingCrashChildEnv); arg != "" {
		trackingCrashChild(arg)
		return
	}
	goleak.VerifyTestMain(m)
}
