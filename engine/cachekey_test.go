package engine

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/executor"
)

func TestFileArgs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		spec dag.CommandSpec
		want []string
	}{
		{"argv with flag values", dag.CommandSpec{Argv: []string{"python3", "train.py", "--data=in.csv", "k=v"}},
			[]string{"python3", "train.py", "--data=in.csv", "in.csv", "k=v", "v"}},
		{"script words, operators and quotes", dag.CommandSpec{Script: "cat 'a b.csv' \"c.csv\"|wc -l>out.txt;./run.sh&&(x.py)`y`"},
			[]string{"cat", "'a", "b.csv'", "c.csv", "wc", "-l", "out.txt", "./run.sh", "x.py", "y"}},
		{"expansions left out", dag.CommandSpec{Script: `cp "$IN" ${OUT} data.csv`}, []string{"cp", "data.csv"}},
	} {
		if got := fileArgs(&tc.spec); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// keyOf computes the key of a command task rendered as spec, in folder dir.
func keyOf(t *testing.T, dir string, task *dag.Task, params map[string]any, inputs map[string]json.RawMessage) string {
	t.Helper()
	job := &executor.Job{DAGID: "d", TaskID: task.ID, Task: task, Dir: dir, Params: params, Inputs: inputs}
	k, _, err := cacheKey(job, nil, dag.BuiltinKinds())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestCacheKeyCoversWhatTheTaskReads(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("in.csv", "1\n")
	write("other.csv", "1\n")
	cmd := func(argv ...string) *dag.Task {
		return &dag.Task{ID: "t", Kind: dag.KindCommand, Command: &dag.CommandSpec{Argv: argv}}
	}
	base := keyOf(t, dir, cmd("cat", "in.csv"), nil, nil)
	if again := keyOf(t, dir, cmd("cat", "in.csv"), nil, nil); again != base {
		t.Fatalf("the same inputs gave keys %s and %s", base, again)
	}
	// Scheduling options are not in the key.
	retried := cmd("cat", "in.csv")
	retried.Retries = new(int)
	*retried.Retries = 3
	if k := keyOf(t, dir, retried, nil, nil); k != base {
		t.Fatal("retries changed the key")
	}
	// Upstream outputs are compared as JSON values, not as text.
	a := keyOf(t, dir, cmd("cat", "in.csv"), nil, map[string]json.RawMessage{"up": json.RawMessage(`{"a": 1, "b": [2]}`)})
	b := keyOf(t, dir, cmd("cat", "in.csv"), nil, map[string]json.RawMessage{"up": json.RawMessage(`{"b":[2],"a":1}`)})
	if a != b || a == base {
		t.Fatalf("upstream outputs: keys %s and %s should be equal, and differ from %s", a, b, base)
	}
	for name, k := range map[string]string{
		"another argument": keyOf(t, dir, cmd("cat", "other.csv"), nil, nil),
		"a param":          keyOf(t, dir, cmd("cat", "in.csv"), map[string]any{"n": 1}, nil),
		"an upstream":      a,
	} {
		if k == base {
			t.Errorf("%s did not change the key", name)
		}
	}
	write("in.csv", "2\n")
	if k := keyOf(t, dir, cmd("cat", "in.csv"), nil, nil); k == base {
		t.Fatal("the content of a file argument did not change the key")
	}
	// A declared inlet that is missing, then present.
	inlet := cmd("true")
	inlet.Inlets = []string{"later.csv", "s3://bucket/key"}
	missing := keyOf(t, dir, inlet, nil, nil)
	write("later.csv", "x")
	if keyOf(t, dir, inlet, nil, nil) == missing {
		t.Fatal("an inlet that appeared did not change the key")
	}
}

func TestCacheKeyHashesFilesNamedInASpec(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "in.csv"), []byte("1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	task := &dag.Task{ID: "t", Kind: dag.KindGo, Go: &dag.GoSpec{Func: "f", Args: map[string]any{"data": "in.csv", "uri": "file:///in.csv", "n": 1}}}
	got := specStrings(mustJSON(t, task))
	if !slices.Equal(got, []string{"in.csv", "f"}) {
		t.Fatalf("specStrings = %q, want [in.csv f] (keys in order; no task fields, no URIs)", got)
	}
	before := keyOf(t, dir, task, nil, nil)
	if err := os.WriteFile(filepath.Join(dir, "in.csv"), []byte("2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if keyOf(t, dir, task, nil, nil) == before {
		t.Fatal("the content of a file named in a go task's args did not change the key")
	}
}

func mustJSON(t *testing.T, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestMissingData(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	kept := filepath.Join(dir, "train.parquet")
	if err := os.WriteFile(kept, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	gone := "file://" + filepath.ToSlash(filepath.Join(dir, "model.json"))
	keptURI := "file://" + filepath.ToSlash(kept)
	for _, tc := range []struct {
		out, want string
	}{
		{`{"datasets": {"train": {"uri": "` + keptURI + `", "hash": "sha256:ab"}}}`, ""},
		{`{"datasets": {"train": {"uri": "` + keptURI + `"}}, "model": ["` + gone + `"]}`, gone},
		{`{"uri": "s3://bucket/gone", "path": "/no/such/file"}`, ""},
		{`not json`, ""},
	} {
		if got := missingData(json.RawMessage(tc.out)); got != tc.want {
			t.Errorf("missingData(%s) = %q, want %q", tc.out, got, tc.want)
		}
	}
}
