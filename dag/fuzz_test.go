package dag

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoadBytes feeds arbitrary bytes to the loader: it must never panic, and it returns
// either a DAG or an error.
func FuzzLoadBytes(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*", "*.yaml"))
	for _, file := range files {
		if src, err := os.ReadFile(file); err == nil {
			f.Add(src)
		}
	}
	f.Add([]byte("tasks: [{id: a, command: [echo, '{{ x }}']}]"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("<<: *x\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		d, err := LoadBytes("fuzz.yaml", src, LoadOptions{GoFuncs: func(string) bool { return true }})
		if (d == nil) == (err == nil) {
			t.Fatalf("dag %v and error %v", d, err)
		}
		if d != nil {
			if _, err := Topo(d); err != nil {
				t.Fatalf("a loaded DAG has no topological order: %v", err)
			}
			if err := Validate(d, LoadOptions{}); err != nil {
				t.Fatalf("a loaded DAG does not validate again: %v", err)
			}
		}
	})
}
