package api_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"go.uber.org/goleak"

	"github.com/weirhq/weir/api"
)

// TestMain checks for leaked goroutines and, when the whole suite ran, that every operation
// of the spec was called by some test (every request of every test is recorded by the
// validating server of setup).
func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if code == 0 && flag.Lookup("test.run").Value.String() == "" && flag.Lookup("test.skip").Value.String() == "" {
		if missing := untested(); len(missing) > 0 {
			fmt.Fprintf(os.Stderr, "FAIL: operations of openapi.yaml no test calls:\n")
			for _, op := range missing {
				fmt.Fprintf(os.Stderr, "\t%s\n", op)
			}
			code = 1
		}
	}
	if code == 0 {
		if err := goleak.Find(goleak.IgnoreTopFunction("database/sql.(*DB).connectionOpener"),
			goleak.IgnoreTopFunction("internal/poll.runtime_pollWait")); err != nil {
			fmt.Fprintf(os.Stderr, "FAIL: goleak: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

var (
	specOnce sync.Once
	specDoc  *openapi3.T
	specErr  error

	coveredMu sync.Mutex
	covered   = map[string]bool{} // "METHOD /path" of the spec
)

// loadSpec parses and validates the embedded spec once.
func loadSpec() (*openapi3.T, error) {
	specOnce.Do(func() {
		l := openapi3.NewLoader()
		specDoc, specErr = l.LoadFromData(api.Spec)
		if specErr == nil {
			specErr = specDoc.Validate(context.Background())
		}
	})
	return specDoc, specErr
}

// specOperations lists the spec's operations as "METHOD /path", sorted.
func specOperations(t testing.TB) []string {
	doc, err := loadSpec()
	if err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	var out []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			out = append(out, method+" "+path)
		}
	}
	slices.Sort(out)
	return out
}

func cover(op string) {
	coveredMu.Lock()
	covered[op] = true
	coveredMu.Unlock()
}

func untested() []string {
	coveredMu.Lock()
	defer coveredMu.Unlock()
	var missing []string
	for _, op := range specOperations(nopTB{}) {
		if !covered[op] {
			missing = append(missing, op)
		}
	}
	return missing
}

// nopTB is a testing.TB outside any test, for TestMain.
type nopTB struct{ testing.TB }

func (nopTB) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }
func (nopTB) Helper()                           {}
