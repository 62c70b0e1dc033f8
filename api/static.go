package api

import (
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/weirhq/weir/dag"
)

// StaticDAGs is a DAGSource over a fixed list of DAGs (as dag.LoadDir returns them); a DAG's
// source is read from its Source file when asked for.
type StaticDAGs []*dag.DAG

var _ DAGSource = StaticDAGs(nil)

// DAGs implements DAGSource.
func (s StaticDAGs) DAGs() []*dag.DAG { return append([]*dag.DAG(nil), s...) }

// DAG implements DAGSource.
func (s StaticDAGs) DAG(id string) (*dag.DAG, bool) {
	for _, d := range s {
		if d.ID == id {
			return d, true
		}
	}
	return nil, false
}

// Source implements DAGSource.
func (s StaticDAGs) Source(id string) (string, []byte, error) {
	d, ok := s.DAG(id)
	if !ok {
		return "", nil, fmt.Errorf("no DAG %q: %w", id, fs.ErrNotExist)
	}
	if d.Source == "" || strings.HasPrefix(d.Source, "go:") {
		return d.Source, nil, fmt.Errorf("DAG %s is defined in Go (%s): %w", id, d.Source, fs.ErrNotExist)
	}
	text, err := os.ReadFile(d.Source)
	return d.Source, text, err
}
