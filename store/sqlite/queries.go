package sqlite

import (
	"bufio"
	"embed"
	"fmt"
	"io/fs"
	"strings"
	"text/template"
)

// queryFS holds the query files: each is a sequence of queries, each introduced by a
// "-- name: Name" line and running to the next such line or the end of the file.
//
//go:embed query/*.sql
var queryFS embed.FS

// queries maps a query's name to its SQL text.
var queries = mustParseQueries(queryFS, "query")

// query returns the SQL text of the named query. It panics on an unknown name, a
// programming error that any test of the caller finds.
func query(name string) string {
	q, ok := queries[name]
	if !ok {
		panic("sqlite: unknown query " + name)
	}
	return q
}

// mustParseQueries reads every .sql file of dir in fsys and splits it into named queries.
func mustParseQueries(fsys fs.FS, dir string) map[string]string {
	m, err := parseQueries(fsys, dir)
	if err != nil {
		panic(err)
	}
	return m
}

func parseQueries(fsys fs.FS, dir string) (map[string]string, error) {
	files, err := fs.Glob(fsys, dir+"/*.sql")
	if err != nil {
		return nil, err
	}
	m := make(map[string]string)
	for _, f := range files {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		var name string
		var body strings.Builder
		flush := func() error {
			if name == "" {
				return nil
			}
			if _, dup := m[name]; dup {
				return fmt.Errorf("sqlite: %s: query %s defined twice", f, name)
			}
			q := strings.TrimSpace(body.String())
			if q == "" {
				return fmt.Errorf("sqlite: %s: query %s is empty", f, name)
			}
			m[name] = q
			body.Reset()
			return nil
		}
		sc := bufio.NewScanner(strings.NewReader(string(b)))
		for sc.Scan() {
			line := sc.Text()
			if n, ok := strings.CutPrefix(line, "-- name:"); ok {
				if err := flush(); err != nil {
					return nil, err
				}
				name = strings.TrimSpace(n)
				continue
			}
			if name != "" {
				body.WriteString(line)
				body.WriteByte('\n')
			}
		}
		if err := flush(); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// runFilter selects a variant of the ListRuns template: each true field adds its condition.
type runFilter struct {
	DAGID, RunID, States bool
}

// tiFilter selects a variant of the ListTIs template: each true field adds its condition.
type tiFilter struct {
	DAGID, RunID, TaskIDs, States, Page bool
}

// eventFilter selects a variant of the ListDatasetEvents template: each true field adds its
// condition.
type eventFilter struct {
	URI, SourceDAGID, AfterID bool
}

// renderQuery executes the named query as a text/template with data.
func renderQuery(name string, data any) (string, error) {
	t, err := template.New(name).Option("missingkey=error").Parse(query(name))
	if err != nil {
		return "", fmt.Errorf("sqlite: query %s: %w", name, err)
	}
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return "", fmt.Errorf("sqlite: query %s: %w", name, err)
	}
	return b.String(), nil
}

// rowsPerStmt is how many rows the multi-row upserts of Apply write per statement: one
// statement for many rows saves most of the per-statement cost of the driver.
const rowsPerStmt = 32

// multiRow turns a single-row "INSERT ... VALUES (?, ...)" query into one inserting n rows,
// by repeating its first VALUES tuple.
func multiRow(q string, n int) string {
	i := strings.Index(q, "VALUES (")
	if i < 0 {
		panic("sqlite: multiRow: no VALUES tuple in " + q)
	}
	start := i + len("VALUES ")
	end := strings.IndexByte(q[start:], ')')
	tuple := q[start : start+end+1]
	var b strings.Builder
	b.WriteString(q[:start])
	for k := 0; k < n; k++ {
		if k > 0 {
			b.WriteString(", ")
		}
		b.WriteString(tuple)
	}
	b.WriteString(q[start+end+1:])
	return b.String()
}
