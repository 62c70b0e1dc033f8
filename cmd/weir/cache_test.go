package main_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCacheCommands runs a DAG with a cached command task through the real binary: the
// second run reuses the result and says so, --no-cache runs it, `weir cache clear` makes
// it run again. The task appends a line to a counter file (named by an environment
// variable, so the counter is not one of its file arguments) each time it really runs.
func TestCacheCommands(t *testing.T) {
	t.Parallel()
	home, dags := t.TempDir(), t.TempDir()
	count := filepath.Join(t.TempDir(), "count.log")
	if err := os.WriteFile(filepath.Join(dags, "data.csv"), []byte("x\n1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	yaml := `tasks:
  - id: count
    cache: true
    env: {COUNTER: ` + count + `}
    script: |
      echo ran >> "$COUNTER"
      wc -l < data.csv > /dev/null
      echo '{"rows": 1}' > "$WEIR_OUTPUT"
  - id: report
    command: [echo, "{{ outputs.count.rows }}"]
    upstream: [count]
`
	if err := os.WriteFile(filepath.Join(dags, "cached.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	runs := func() int {
		b, _ := os.ReadFile(count)
		return strings.Count(string(b), "\n")
	}
	run := func(step string, wantRuns int, args ...string) string {
		t.Helper()
		r := weir(t, home, nil, append([]string{"run", "cached", "--dags", dags}, args...)...)
		if r.code != 0 {
			t.Fatalf("%s: exit %d\n%s\n%s", step, r.code, r.stdout, r.stderr)
		}
		if got := runs(); got != wantRuns {
			t.Fatalf("%s: the task ran %d times in all, want %d\n%s", step, got, wantRuns, r.stdout)
		}
		return r.stdout
	}
	out := run("first run", 1)
	if strings.Contains(out, "(cached") || strings.Contains(out, "count: cached") {
		t.Fatalf("first run says cached:\n%s", out)
	}
	out = run("second run", 1)
	if !strings.Contains(out, "(cached, key sha256:") || !strings.Contains(out, "success (cached)") || !strings.Contains(out, "count: cached, key sha256:") {
		t.Fatalf("second run does not say the task was cached, with its key:\n%s", out)
	}
	second := lastRun(t, home)
	r := weir(t, home, nil, "tasks", "list", second, "--output", "json")
	var rows []struct {
		TaskID     string `json:"task_id"`
		CacheKey   string `json:"cache_key"`
		CachedFrom string `json:"cached_from"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil {
		t.Fatal(err)
	}
	var key string
	for _, row := range rows {
		if row.TaskID == "count" {
			key = row.CacheKey
			if !strings.HasPrefix(row.CachedFrom, "cached/") || !strings.HasSuffix(row.CachedFrom, "/count") {
				t.Fatalf("tasks list: count cached from %q, want the first run's instance", row.CachedFrom)
			}
		}
	}
	if r := weir(t, home, nil, "tasks", "list", second); !strings.Contains(r.stdout, "cached "+key[:len("sha256:")+12]) {
		t.Fatalf("tasks list table lacks the cache column:\n%s", r.stdout)
	}
	if r := weir(t, home, nil, "cache", "list"); !strings.Contains(r.stdout, key) || !strings.Contains(r.stdout, "count") {
		t.Fatalf("cache list lacks the entry %s:\n%s%s", key, r.stdout, r.stderr)
	}
	for _, k := range []string{key, key[:len("sha256:")+12]} {
		if r := weir(t, home, nil, "cache", "show", k); !strings.Contains(r.stdout, `"data.csv"`) || !strings.Contains(r.stdout, `"weir-cache-1"`) {
			t.Fatalf("cache show %s lacks the inputs of the key:\n%s%s", k, r.stdout, r.stderr)
		}
	}
	if r := weir(t, home, nil, "cache", "show", "sha256:0000"); r.code == 0 || !strings.Contains(r.stderr, "not found") {
		t.Fatalf("cache show of an unknown key: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	run("--no-cache", 2, "--no-cache")
	if r := weir(t, home, nil, "cache", "clear", "--dag", "other"); r.code != 0 || !strings.Contains(r.stdout, "cleared 0 cached results") {
		t.Fatalf("cache clear of another DAG: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	run("after clearing another DAG", 2)
	if r := weir(t, home, nil, "cache", "clear", "--dag", "cached", "--task", "count"); r.code != 0 || !strings.Contains(r.stdout, "cleared 1 cached result\n") {
		t.Fatalf("cache clear: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	run("after cache clear", 3)
	if err := os.WriteFile(filepath.Join(dags, "data.csv"), []byte("x\n2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run("changed file argument", 4)
}

// TestCachedStepsExample runs examples/dags/cached_steps.yaml twice from a fresh home: the
// second run reuses profile and fit and says so, and report runs again.
func TestCachedStepsExample(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	first := weir(t, home, nil, "run", "cached_steps", "--dags", "../../examples/dags")
	if first.code != 0 || strings.Contains(first.stdout, "(cached") {
		t.Fatalf("first run: exit %d\n%s\n%s", first.code, first.stdout, first.stderr)
	}
	second := weir(t, home, nil, "run", "cached_steps", "--dags", "../../examples/dags")
	if second.code != 0 {
		t.Fatalf("second run: exit %d\n%s\n%s", second.code, second.stdout, second.stderr)
	}
	for _, want := range []string{"profile: cached, key sha256:", "fit: cached, key sha256:", "report                       success in"} {
		if !strings.Contains(second.stdout, want) {
			t.Errorf("second run's output lacks %q:\n%s", want, second.stdout)
		}
	}
}
