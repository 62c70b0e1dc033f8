package dag

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// docSection returns the text of docs/dag-yaml.md from the heading "## title" to the next
// "## " heading.
func docSection(t *testing.T, doc, title string) string {
	t.Helper()
	i := strings.Index(doc, "\n## "+title+"\n")
	if i < 0 {
		t.Fatalf("docs/dag-yaml.md has no section %q", title)
	}
	rest := doc[i+len(title)+5:]
	if j := strings.Index(rest, "\n## "); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

// tableFields returns the backquoted names of the first column of the markdown tables of
// text (a cell may name several: `on_failure`, `on_success`).
func tableFields(text string) []string {
	var out []string
	name := regexp.MustCompile("`([a-z_]+)`")
	for _, line := range strings.Split(text, "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cell := strings.SplitN(line[1:], "|", 2)[0]
		for _, m := range name.FindAllStringSubmatch(cell, -1) {
			out = append(out, m[1])
		}
	}
	return out
}

// TestDocsListEveryField fails when the loader accepts a field that docs/dag-yaml.md does
// not document: every DAG field in the table of "DAG fields", every task option in the
// table of "Task options", and every task and group key somewhere in the page. (The
// fields of each kind are generated: go test ./kinds -run TestDocsMatchRegistrations.)
func TestDocsListEveryField(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../docs/dag-yaml.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	check := func(where string, documented, accepted []string) {
		t.Helper()
		for _, f := range accepted {
			if !slices.Contains(documented, f) {
				t.Errorf("field %q is accepted but not documented in docs/dag-yaml.md (%s)", f, where)
			}
		}
	}
	check(`table of "## DAG fields"`, tableFields(docSection(t, doc, "DAG fields")), dagFields)
	check(`table of "## Task options"`, tableFields(docSection(t, doc, "Task options")), optionFields)
	// Anywhere: quoted (`name` or `name: …`) or as a key of a YAML example.
	var anywhere []string
	for _, re := range []string{"`([a-z_]+)[`:]", `(?m)(?:^\s*(?:- )?|[{,]\s*)([a-z_]+):`} {
		for _, m := range regexp.MustCompile(re).FindAllStringSubmatch(doc, -1) {
			anywhere = append(anywhere, m[1])
		}
	}
	keys := append(append(append([]string{}, coreTaskKeys...), groupFields...), teardownFields...)
	check("anywhere", anywhere, append(append(keys, shortFields...), callbackFields...))
}
