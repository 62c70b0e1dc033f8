package dag

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/token"
)

// FuzzLoadBytes feeds arbitrary bytes to the loader: it must never panic; it returns
// either a DAG or an error; an error names the file (and, when it is about a place, the
// line and column); a loaded DAG has a topological order, validates again, and loads the
// same from its JSON form.
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
		if err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				if line != "" && !strings.HasPrefix(strings.TrimSpace(line), "fuzz.yaml") && !strings.HasPrefix(line, "  ") && !strings.HasPrefix(line, "\t") {
					t.Fatalf("an error line does not name the file: %q (of %q)", line, err)
				}
			}
		}
		if d != nil {
			if _, err := Topo(d); err != nil {
				t.Fatalf("a loaded DAG has no topological order: %v", err)
			}
			if err := Validate(d, LoadOptions{}); err != nil {
				t.Fatalf("a loaded DAG does not validate again: %v", err)
			}
			if b, err := json.Marshal(d); err != nil {
				t.Fatalf("a loaded DAG does not marshal: %v", err)
			} else {
				var back DAG
				if err := json.Unmarshal(b, &back); err != nil || back.ID != d.ID || len(back.Tasks) != len(d.Tasks) {
					t.Fatalf("a loaded DAG's JSON does not read back (%v):\n%s", err, b)
				}
			}
		}
	})
}

// FuzzNestingBound checks that the nesting counted before parsing is an upper bound of the
// nesting of the parsed tree: a file that passes the check cannot hide deeper nesting from
// it (which would make the parser's quadratic cost reachable again).
func FuzzNestingBound(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*", "*.yaml"))
	examples, _ := filepath.Glob(filepath.Join("..", "examples", "dags", "*.yaml"))
	for _, file := range append(files, examples...) {
		if src, err := os.ReadFile(file); err == nil {
			f.Add(src)
		}
	}
	for _, s := range []string{
		"a: [b, {c: [d]}]\n", "- - - a\n", "a:\n  - b:\n      - [c]\n", "? [a]\n: [b]\n",
		"a: |\n  [[[\nb: [[c]]\n", "a: x\n  \"\nb: [[[c]]]\nc: \"\n", "a: 'x\n  [[['\nb: [[c]]\n",
		"- a: b\n  c: [d]\n", "a: &x [[b]]\nc: *x\n", "a: !t [[b]]\n", "{a: [b, [c]]}\n",
		"a:\n- - b\n- [c]\n", "a: >-\n  {{\n    [[\nb: {c: {d: e}}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		if len(src) > 4096 {
			return
		}
		tokens := func() (tk token.Tokens) {
			defer func() { _ = recover() }()
			return lexer.Tokenize(string(src))
		}()
		if tokens == nil {
			return
		}
		file, err := parse(lexer.Tokenize(string(src)))
		if err != nil || file == nil {
			return
		}
		depth := 0
		for _, doc := range file.Docs {
			if doc != nil {
				depth = max(depth, astDepth(doc.Body, false))
			}
		}
		if depth > 0 && tooDeep(tokens, depth-1) == nil {
			t.Fatalf("the tree nests %d deep, the check counted less:\n%s", depth, src)
		}
	})
}

// astDepth is the nesting of mappings and sequences under n; inMapping tells whether n is
// an item of a mapping node (whose level is already counted).
func astDepth(n ast.Node, inMapping bool) int {
	switch x := n.(type) {
	case *ast.MappingNode:
		d := 0
		for _, v := range x.Values {
			d = max(d, astDepth(v, true))
		}
		return d + 1
	case *ast.MappingValueNode:
		d := max(astDepth(x.Key, false), astDepth(x.Value, false))
		if inMapping {
			return d
		}
		return d + 1
	case *ast.SequenceNode:
		d := 0
		for _, v := range x.Values {
			d = max(d, astDepth(v, false))
		}
		return d + 1
	case *ast.AnchorNode:
		return astDepth(x.Value, inMapping)
	case *ast.TagNode:
		return astDepth(x.Value, inMapping)
	case *ast.MappingKeyNode:
		return astDepth(x.Value, false)
	case *ast.DocumentNode:
		return astDepth(x.Body, false)
	}
	return 0
}
