package main_test

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRunIDThatEscapesIsRefused runs `weir run DAG --run-id ../../../escaped` from inside a
// folder tree and shows that it is refused with an error naming the rule, and that nothing
// is written outside $WEIR_HOME (before the fix its logs landed in ../../../escaped).
func TestRunIDThatEscapesIsRefused(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	cwd := filepath.Join(root, "a", "b")
	home := filepath.Join(cwd, "home")
	if err := os.MkdirAll(home, 0o755); err != nil {
		t.Fatal(err)
	}
	dags, err := filepath.Abs("../../examples/dags")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"../../../escaped", "../x", "a/b", ".."} {
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
		cmd := exec.CommandContext(ctx, weirBin, "run", "pass_outputs", "--dags", dags, "--run-id", id)
		cmd.Dir = cwd
		cmd.Env = append(os.Environ(), "WEIR_HOME="+home, "NO_COLOR=1")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		cancel()
		if err == nil {
			t.Errorf("weir run --run-id %s succeeded, want a refusal", id)
		}
		want := `run id "` + id + `": must match [A-Za-z0-9_.~:+-]{1,250} and not be ., .. or ~`
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("weir run --run-id %s: stderr %q, want it to contain %q", id, stderr.String(), want)
		}
	}
	// Only the home holds anything, and no logs were written.
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == root || p == filepath.Join(root, "a") || p == cwd || p == home || strings.HasPrefix(p, home+string(filepath.Separator)) {
			return nil
		}
		t.Errorf("written outside $WEIR_HOME: %s", p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(home, "logs")); !os.IsNotExist(err) {
		t.Errorf("refused runs wrote logs (%v)", err)
	}
}
