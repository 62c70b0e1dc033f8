package kinds_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weirhq/weir/kinds"
)

var update = flag.Bool("update", false, "rewrite docs/dag-yaml.md's kind tables from the registrations")

const (
	beginMarker = "<!-- kinds:begin (generated from the kind registrations: go test ./kinds -run TestDocsMatchRegistrations -update) -->\n"
	endMarker   = "<!-- kinds:end -->"
)

// TestDocsMatchRegistrations fails when a registered field is not documented in
// docs/dag-yaml.md, or a documented one is not registered (or its type, required or
// template flag, or meaning changed): the tables there must be exactly what the
// registrations generate.
func TestDocsMatchRegistrations(t *testing.T) {
	path := filepath.Join("..", "docs", "dag-yaml.md")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	i, j := strings.Index(doc, beginMarker), strings.Index(doc, endMarker)
	if i < 0 || j < i {
		t.Fatalf("%s has no %q ... %q section", path, beginMarker, endMarker)
	}
	want := kinds.Markdown(kinds.Builtin(kinds.Deps{}).Infos())
	got := doc[i+len(beginMarker) : j]
	if got == want {
		return
	}
	if *update {
		if err := os.WriteFile(path, []byte(doc[:i+len(beginMarker)]+want+doc[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	gl, wl := strings.Split(got, "\n"), strings.Split(want, "\n")
	for k := 0; k < max(len(gl), len(wl)); k++ {
		var g, w string
		if k < len(gl) {
			g = gl[k]
		}
		if k < len(wl) {
			w = wl[k]
		}
		if g != w {
			t.Errorf("%s differs from the kind registrations at line %d of the generated section:\n doc:  %s\n want: %s", path, k+1, g, w)
			break
		}
	}
	t.Errorf("regenerate it with: go test ./kinds -run TestDocsMatchRegistrations -update")
}
