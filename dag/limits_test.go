package dag

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goccy/go-yaml/lexer"
)

// deepFile is the hostile file of issue 9: 80 KB of nested "[" that took the parser 2.4 GB.
func deepFile(depth int) []byte {
	return []byte("dag_id: deep\ntasks: " + strings.Repeat("[", depth) + "\n")
}

func TestDeepNestingIsRefusedBeforeParsing(t *testing.T) {
	t.Parallel()
	for name, src := range map[string]string{
		"flow":         string(deepFile(40_000)),
		"block dashes": "dag_id: deep\ntasks:\n" + strings.Repeat("- ", 2_000) + "x\n",
		"block indent": "dag_id: deep\ntasks:\n" + func() string {
			var b strings.Builder
			for i := range 1000 {
				fmt.Fprintf(&b, "%sk%d:\n", strings.Repeat(" ", i), i)
			}
			return b.String()
		}(),
	} {
		_, err := load(t, src)
		if err == nil || !strings.Contains(err.Error(), "nested more than 256 levels deep here") ||
			!strings.Contains(err.Error(), "dag.MaxNesting") {
			t.Errorf("%s: err = %v", name, err)
			continue
		}
		// The error points into the file, where the 257th level starts (the key "tasks" is the first).
		if !strings.HasPrefix(err.Error(), "test.yaml:") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: want one error with a position, got %v", name, err)
		}
	}
	_, err := load(t, string(deepFile(40_000)))
	if want := "test.yaml:2:263: lists and mappings nested more than 256 levels deep here"; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("err = %v, want it to start with %q", err, want)
	}
}

// nestingOf returns the smallest nesting limit src passes, as tooDeep counts.
func nestingOf(t *testing.T, src string) int {
	t.Helper()
	toks := lexer.Tokenize(src)
	for limit := 1; limit < 100; limit++ {
		if tooDeep(toks, limit) == nil {
			return limit
		}
	}
	t.Fatalf("nesting of %q is 100 or more", src)
	return 0
}

func TestNestingCount(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		src  string
		want int
	}{
		{"a: b\n", 1},
		{"a:\n  b:\n    c: d\n", 3},
		{"a:\n  b: c\nd:\n  e: f\n", 2},
		{"a: [b, {c: d}]\n", 3},
		{"a: [[[x]]]\nb: [[[[y]]]]\n", 5},
		{"- - - a\n", 4},
		{"tasks:\n  - id: a\n    env: {A: b}\n", 4},
		// Brackets and quotes inside scalars, comments and block scalars are not nesting.
		{"a: echo [ [ [ x\nb: '[[[['\nc: \"{{{{\" # [[[[\n", 1},
		{"script: |\n  [ -f x ] && {\n      [[[[\n  }\nnext: x\n", 2},
		{"# [[[[[[\n- a\n", 2},
	} {
		if got := nestingOf(t, tt.src); got != tt.want {
			t.Errorf("nesting of %q = %d, want %d", tt.src, got, tt.want)
		}
	}
}

func TestNestingWithinTheLimitLoads(t *testing.T) {
	t.Parallel()
	// A param default nested 150 levels deep (values may nest 200) is a valid DAG.
	src := "dag_id: ok\nparams:\n  p:\n    default: " + strings.Repeat("[", 150) + strings.Repeat("]", 150) +
		"\ntasks:\n  - id: a\n    script: |\n      if [ -f x ]; then\n          echo '[[[[{'\n      fi\n"
	d := mustLoad(t, src)
	if len(d.Tasks) != 1 {
		t.Errorf("tasks = %v", taskIDs(d))
	}
}

func TestTokenLimit(t *testing.T) {
	t.Parallel()
	src := "dag_id: wide\ntasks:\n  - id: a\n    command: [echo, " + strings.Repeat("x, ", 100) + "x]\n"
	_, err := loadBytes("test.yaml", []byte(src), LoadOptions{}, limits{aliases: maxAliases, nodes: maxNodes, source: sourceLimits{tokens: 50}})
	want := "test.yaml:4:"
	if err == nil || !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), "more than 50 YAML tokens") ||
		!strings.Contains(err.Error(), "dag.MaxTokens") {
		t.Errorf("err = %v", err)
	}
	// With the default limit the same file loads.
	if _, err := load(t, src); err != nil {
		t.Errorf("default limits: %v", err)
	}
	// A file of 600,000 one-letter items is refused without being parsed.
	_, err = load(t, "dag_id: wide\ntasks: ["+strings.Repeat("a,", 300_000)+"a]\n")
	if err == nil || !strings.Contains(err.Error(), "more than 500000 YAML tokens") {
		t.Errorf("wide file: err = %v", err)
	}
}

// bigDAG is a DAG file of n tasks with the fields a real DAG has: a script with a template,
// env, retries and an upstream.
func bigDAG(n int) string {
	var b strings.Builder
	b.WriteString("dag_id: big\nparams:\n  x: {default: 1}\ntasks:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - id: task_%d\n    script: echo hello {{ params.x }} from task %d\n    env: {A: b, C: d}\n    retries: 2\n", i, i)
		if i > 0 {
			fmt.Fprintf(&b, "    upstream: [task_%d]\n", i/2)
		}
	}
	return b.String()
}

func TestLargestDAGFitsTheTokenLimit(t *testing.T) {
	t.Parallel()
	// MaxTasks tasks of a few fields each stay well inside MaxTokens (the check is
	// countTokens alone: loading 10,000 tasks under -race is slow).
	src := []byte(bigDAG(MaxTasks))
	if _, _, ok := countTokens(src, MaxTokens*3/4); !ok {
		t.Errorf("a %d-task DAG uses more than 3/4 of MaxTokens", MaxTasks)
	}
}

func TestTaskLimit(t *testing.T) {
	t.Parallel()
	src := bigDAG(4)
	_, err := loadBytes("test.yaml", []byte(src), LoadOptions{}, limits{aliases: maxAliases, nodes: maxNodes, source: sourceLimits{tasks: 3}})
	// The fourth task, task_3, starts on line 19.
	want := "test.yaml:19:5: tasks: more than 3 tasks: a DAG file may declare at most 3 (dag.MaxTasks"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("err = %v\nwant it to start with %q", err, want)
	}
	if _, err := loadBytes("test.yaml", []byte(bigDAG(3)), LoadOptions{}, limits{aliases: maxAliases, nodes: maxNodes, source: sourceLimits{tasks: 3}}); err != nil {
		t.Errorf("3 tasks: %v", err)
	}
}

func TestFileSizeLimit(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// A sparse file just over the limit: it is refused from its size, without being read.
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, MaxFileSize+1); err != nil {
		t.Fatal(err)
	}
	_, err := LoadFile(big, LoadOptions{})
	want := big + ": the file is larger than 10 MiB (10.0 MiB or more): a DAG file may be at most 10 MiB (dag.MaxFileSize"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("err = %v\nwant it to start with %q", err, want)
	}
	if _, err := ReadSource(big); err == nil || !strings.Contains(err.Error(), "dag.MaxFileSize") {
		t.Errorf("ReadSource: err = %v", err)
	}
	// LoadBytes applies the same limit.
	if _, err := LoadBytes("x.yaml", make([]byte, MaxFileSize+1), LoadOptions{}); err == nil || !strings.Contains(err.Error(), "dag.MaxFileSize") {
		t.Errorf("LoadBytes: err = %v", err)
	}
	// A file at the limit is read whole.
	small := filepath.Join(dir, "small.yaml")
	if err := os.WriteFile(small, []byte("0123456789"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := readSource(small, 10); err != nil || string(b) != "0123456789" {
		t.Errorf("readSource at the limit = %q, %v", b, err)
	}
	if _, err := readSource(small, 9); err == nil {
		t.Error("readSource over the limit: no error")
	}
}

func TestUnknownUpstreamsKeepTheirHints(t *testing.T) {
	t.Parallel()
	// A thousand unknown names (BenchmarkUnknownUpstreams times 4,000): each is reported;
	// the first ones still get a hint.
	var b strings.Builder
	b.WriteString("dag_id: typos\ntasks:\n")
	for i := range 1000 {
		fmt.Fprintf(&b, "  - id: task_%d\n    script: echo\n    upstream: [tsak_%d]\n", i, i)
	}
	_, err := load(t, b.String())
	if err == nil {
		t.Fatal("no error")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 1000 {
		t.Errorf("%d errors, want 1000", len(lines))
	}
	if want := `test.yaml:5:16: upstream[0]: unknown task or group "tsak_0" (did you mean "task_0"?)`; lines[0] != want {
		t.Errorf("first error = %q, want %q", lines[0], want)
	}
}

func TestHinterBudget(t *testing.T) {
	t.Parallel()
	h := newHinter(func() []string { return []string{"extract", "grp.load", "grp.sub.train", "load"} })
	if got := h.hint("extrct"); got != ` (did you mean "extract"?)` {
		t.Errorf("hint = %q", got)
	}
	// From inside group grp.sub, "trian" may mean grp.sub.train, written "train".
	if got := h.hintIn("trian", []string{"grp.sub.", "grp.", ""}); got != ` (did you mean "train"?)` {
		t.Errorf("hintIn = %q", got)
	}
	h.budget = 3
	if got := h.hint("extrct"); got != "" {
		t.Errorf("hint past the budget = %q, want none", got)
	}
	if h.budget >= 0 {
		t.Errorf("budget = %d, want it spent", h.budget)
	}
}

func TestDistanceWithin(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		a, b  string
		limit int
		want  int
	}{
		{"upstream", "upsteam", 2, 1},
		{"retries", "retires", 2, 1},
		{"abc", "abc", 1, 0},
		{"abcdef", "uvwxyz", 2, 3},
		{"kitten", "sitting", 3, 3},
		{"kitten", "sitting", 2, 3},
	} {
		if got, _ := distanceWithin(tt.a, tt.b, tt.limit); got != tt.want {
			t.Errorf("distanceWithin(%q, %q, %d) = %d, want %d", tt.a, tt.b, tt.limit, got, tt.want)
		}
	}
	// Past the limit it stops early: two unrelated long names cost a few rows, not all.
	_, cells := distanceWithin(strings.Repeat("a", 60), strings.Repeat("b", 60), 3)
	if cells > 6*61 {
		t.Errorf("cells = %d, want it to stop after a few rows", cells)
	}
}

func BenchmarkDeepNesting(b *testing.B) {
	src := deepFile(40_000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := LoadBytes("deep.yaml", src, LoadOptions{}); err == nil {
			b.Fatal("no error")
		}
	}
}

func BenchmarkUnknownUpstreams(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("dag_id: typos\ntasks:\n")
	for i := range 4000 {
		fmt.Fprintf(&sb, "  - id: task_%d\n    script: echo\n    upstream: [missing_%d]\n", i, i)
	}
	src := []byte(sb.String())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := LoadBytes("typos.yaml", src, LoadOptions{}); err == nil {
			b.Fatal("no error")
		}
	}
}

func TestErrorsAreCapped(t *testing.T) {
	t.Parallel()
	// One error per item: 1,500 errors, of which the first 1,000 are reported.
	_, err := load(t, "dag_id: many\ntasks: ["+strings.Repeat("a, ", 1499)+"a]\n")
	if err == nil {
		t.Fatal("no error")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != maxErrors+1 || !strings.HasSuffix(lines[maxErrors], "and 500 more problems after this one, not shown: a file reports at most 1000; fix these first") {
		t.Errorf("%d lines, last %q", len(lines), lines[len(lines)-1])
	}
	// A message quoting a huge key is cut.
	_, err = load(t, "dag_id: long\n"+strings.Repeat("k", 100_000)+": 1\ntasks: [{id: a, command: [echo]}]\n")
	if err == nil || len(err.Error()) > 2*maxErrorMsg || !strings.HasSuffix(err.Error(), "… (message cut)") {
		t.Errorf("err (%d bytes) = %.200s…", len(fmt.Sprint(err)), err)
	}
}

func TestUnknownParamListsAreShort(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("dag_id: params\nparams:\n")
	for i := range 100 {
		fmt.Fprintf(&b, "  p%03d: {default: 1}\n", i)
	}
	b.WriteString("tasks:\n  - id: a\n    script: echo {{ params.p1000 }}\n")
	_, err := load(t, b.String())
	// p000 and p100 are both one edit away; the first in name order is suggested. The list
	// stops after 50 names.
	if err == nil || !strings.Contains(err.Error(), `unknown param "p1000" (did you mean "p000"?); declared: p000, p001,`) ||
		!strings.HasSuffix(err.Error(), "p049, … (50 more)") || strings.Contains(err.Error(), "p050") {
		t.Errorf("err = %v", err)
	}
}
