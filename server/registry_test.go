package server_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/server"
	"github.com/weirhq/weir/store/sqlite"
)

// TestPausedAtCreation follows Airflow: core.dags_are_paused_at_creation (config.yml,
// default True) decides whether a DAG is paused when first recorded, a DAG's own
// is_paused_upon_creation (sdk/definitions/dag.py) overrides it, and a DAG already known
// keeps its state.
func TestPausedAtCreation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "weir.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	dags := filepath.Join(dir, "dags")
	if err := os.Mkdir(dags, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, src string) {
		if err := os.WriteFile(filepath.Join(dags, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("plain.yaml", "schedule: '@daily'\ntasks: [{id: a, command: [echo]}]\n")
	write("eager.yaml", "schedule: '@daily'\nis_paused_upon_creation: false\ntasks: [{id: a, command: [echo]}]\n")
	r := server.NewRegistry(dags, dag.LoadOptions{}, nil, st, slog.New(slog.DiscardHandler))
	r.PausedAtCreation = true
	if _, err := r.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	paused := func(id string) bool {
		t.Helper()
		m, err := st.GetDAG(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return m.IsPaused
	}
	if !paused("plain") || paused("eager") {
		t.Errorf("plain paused %v (want true), eager paused %v (want false)", paused("plain"), paused("eager"))
	}
	// Unpaused by hand, then the file changes: the DAG keeps its state.
	if err := st.SetPaused(ctx, "plain", false); err != nil {
		t.Fatal(err)
	}
	write("plain.yaml", "schedule: '@hourly'\ntasks: [{id: a, command: [echo]}]\n")
	if _, err := r.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if paused("plain") {
		t.Error("a known DAG was paused again")
	}
}
