package mlflowapi

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			code = 1
		}
	}
	// BenchmarkSearchRuns' database outlives its benchmark (built once per process).
	if searchDB.path != "" {
		_ = os.RemoveAll(filepath.Dir(searchDB.path))
	}
	os.Exit(code)
}
