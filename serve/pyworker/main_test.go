package pyworker_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"go.uber.org/goleak"
)

// python is Debian's interpreter, which has python3-sklearn (scripts/ensure-deps.sh).
const python = "/usr/bin/python3"

var (
	fixtureRoot string
	fixtureOnce sync.Once
	fixtureErr  error
)

// TestMain fails the package's tests if any goroutine outlives them (the process readers
// and supervisors must all be joined by Close), and removes the generated models.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "pyworker-models-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fixtureRoot = dir
	goleak.VerifyTestMain(m, goleak.Cleanup(func(int) { _ = os.RemoveAll(dir) }))
}

// fixtures trains the test models with scikit-learn, once per test binary, and returns
// the directory holding them (see testdata/make_models.py).
func fixtures(tb testing.TB) string {
	tb.Helper()
	fixtureOnce.Do(func() {
		out, err := exec.Command(python, "testdata/make_models.py", fixtureRoot).CombinedOutput()
		if err != nil {
			fixtureErr = fmt.Errorf("testdata/make_models.py with %s: %v\n%s(scripts/ensure-deps.sh installs python3-sklearn and python3-cloudpickle)", python, err, out)
		}
	})
	if fixtureErr != nil {
		tb.Fatal(fixtureErr)
	}
	return fixtureRoot
}

func modelDir(tb testing.TB, name string) string { return filepath.Join(fixtures(tb), name) }
