package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/store/storetest"
)

// openTest opens the store at path and closes it when the test ends.
func openTest(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(t.Context(), path, nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// setup returns a store on a fresh database in a temporary directory.
func setup(t *testing.T) *Store {
	t.Helper()
	return openTest(t, filepath.Join(t.TempDir(), "weir.db"))
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store { return setup(t) })
	storetest.RunPersistence(t, func(t *testing.T) storetest.Opener {
		path := filepath.Join(t.TempDir(), "sub", "dir", "weir.db") // parents are created
		return func(t *testing.T) store.Store {
			s, err := Open(t.Context(), path, nil)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			return s
		}
	})
}

// pragma returns the value of a one-row, one-column query on db.
func pragma(t *testing.T, db *sql.DB, name string) string {
	t.Helper()
	var v string
	if err := db.QueryRowContext(t.Context(), query(name)).Scan(&v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

func TestPragmas(t *testing.T) {
	t.Parallel()
	s := setup(t)
	for _, c := range []struct {
		db         *sql.DB
		name, want string
	}{
		{s.w, "JournalMode", "wal"},
		{s.r, "JournalMode", "wal"},
		{s.w, "Synchronous", "1"}, // NORMAL
		{s.w, "ForeignKeys", "1"},
		{s.w, "BusyTimeout", "5000"},
		{s.w, "JournalSizeLimit", "67108864"},
		{s.r, "BusyTimeout", "5000"},
	} {
		if got := pragma(t, c.db, c.name); got != c.want {
			t.Errorf("%s = %s, want %s", c.name, got, c.want)
		}
	}
	// The WAL file exists next to the database once something was written.
	if _, err := os.Stat(s.Path() + "-wal"); err != nil {
		t.Errorf("no write-ahead log: %v", err)
	}
	// Read connections are query-only.
	if _, err := s.r.ExecContext(t.Context(), query("DeletePool"), "x"); err == nil {
		t.Errorf("a write through the read pool succeeded")
	}
}

func TestConfig(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "weir.db")
	s, err := Open(t.Context(), path, &Config{BusyTimeout: 1500 * 1e6, MaxReadConns: 1})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	if got := pragma(t, s.r, "BusyTimeout"); got != "1500" {
		t.Errorf("busy_timeout = %s, want 1500", got)
	}
	if got := s.r.Stats().MaxOpenConnections; got != 1 {
		t.Errorf("read pool size = %d, want 1", got)
	}
	if got := s.w.Stats().MaxOpenConnections; got != 1 {
		t.Errorf("write pool size = %d, want 1", got)
	}
	for _, bad := range []*Config{{BusyTimeout: -1}, {MaxReadConns: -1}, {JournalSizeLimit: -1}} {
		if s, err := Open(t.Context(), path, bad); err == nil {
			s.Close()
			t.Errorf("Open(%+v) succeeded, want an error", bad)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte(strings.Repeat("not a database\n", 100)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"", ":memory:", "file:x.db", filepath.Join(file, "weir.db"), file} {
		if s, err := Open(t.Context(), path, nil); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded, want an error", path)
		}
	}
}

func TestOddPath(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "we ir?#%41", "weir.db")
	s := openTest(t, path)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database not at %s: %v", path, err)
	}
	if _, err := s.GetPool(t.Context(), store.DefaultPool); err != nil {
		t.Fatalf("GetPool: %v", err)
	}
}

func TestClose(t *testing.T) {
	t.Parallel()
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "weir.db"), nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := s.GetPool(t.Context(), store.DefaultPool); err == nil {
		t.Fatalf("GetPool after Close succeeded")
	}
	if err := s.Apply(t.Context(), &store.Batch{Runs: []*store.DAGRun{{DAGID: "d", RunID: "r"}}}); err == nil {
		t.Fatalf("Apply after Close succeeded")
	}
}

// appliedMigrations returns the versions recorded in the database at path.
func appliedMigrations(t *testing.T, s *Store) []int {
	t.Helper()
	rows, err := s.r.QueryContext(t.Context(), query("ListMigrations"))
	if err != nil {
		t.Fatalf("ListMigrations: %v", err)
	}
	defer rows.Close()
	var vs []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return vs
}

func TestMigrationsIdempotent(t *testing.T) {
	t.Parallel()
	ms, err := migrations()
	if err != nil {
		t.Fatalf("migrations: %v", err)
	}
	if len(ms) == 0 || ms[0].Version != 1 {
		t.Fatalf("migrations = %+v, want them to start at 1", ms)
	}
	path := filepath.Join(t.TempDir(), "weir.db")
	ctx := t.Context()
	s, err := Open(ctx, path, nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if got := appliedMigrations(t, s); len(got) != len(ms) {
		t.Fatalf("applied %v, want %d migrations", got, len(ms))
	}
	// A change to what a migration created must survive reopening: no migration runs twice.
	if err := s.UpsertPool(ctx, &store.Pool{Name: store.DefaultPool, Slots: 3}); err != nil {
		t.Fatalf("UpsertPool: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for range 2 {
		s = openTest(t, path)
		if got := appliedMigrations(t, s); len(got) != len(ms) {
			t.Fatalf("after reopening, applied %v, want %d migrations", got, len(ms))
		}
		p, err := s.GetPool(ctx, store.DefaultPool)
		if err != nil || p.Slots != 3 {
			t.Fatalf("default pool after reopening = %+v, %v; want 3 slots", p, err)
		}
	}
}

func TestMigrationsConcurrentOpen(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "weir.db")
	const n = 4
	stores := make([]*Store, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			s, err := Open(t.Context(), path, nil)
			if err != nil {
				t.Errorf("Open: %v", err)
				return
			}
			stores[i] = s
		})
	}
	wg.Wait()
	ms, err := migrations()
	if err != nil {
		t.Fatalf("migrations: %v", err)
	}
	for _, s := range stores {
		if s == nil {
			continue
		}
		if got := appliedMigrations(t, s); len(got) != len(ms) {
			t.Errorf("applied %v, want %d migrations", got, len(ms))
		}
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}
}

// schemaV1Rows fills a database of schema version 1 (001_init only): a run with a DAG
// snapshot, a task instance and one try of it. It is SQL of that schema, not of the query
// files, which follow the newest.
const schemaV1Rows = `
INSERT INTO dag_runs (dag_id, run_id, state, dag, queued_at)
    VALUES ('d', 'r', 'running', '{"dag_id":"d","v":1}', 1700000000000000);
INSERT INTO task_instances (dag_id, run_id, task_id, map_index, state, try_number, output, error)
    VALUES ('d', 'r', 't', -1, 'failed', 1, '{"rows":1}', 'boom');
INSERT INTO task_tries (dag_id, run_id, task_id, map_index, try_number, state)
    VALUES ('d', 'r', 't', -1, 1, 'failed');
`

// TestMigrationsUpgrade builds a database of schema version 1, as the first weir left it,
// and opens it with this one: Open applies the later migrations, the rows survive with the
// new columns at their defaults, and every method works on them.
func TestMigrationsUpgrade(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	ms, err := migrations()
	if err != nil {
		t.Fatalf("migrations: %v", err)
	}
	path := filepath.Join(t.TempDir(), "weir.db")
	old, err := sql.Open("sqlite", dsn(path, url.Values{"_foreign_keys": {"1"}, "_txlock": {"immediate"}}))
	if err != nil {
		t.Fatal(err)
	}
	if err := applyMigrations(ctx, old, ms[:1]); err != nil {
		t.Fatalf("migration 001 alone: %v", err)
	}
	if _, err := old.ExecContext(ctx, schemaV1Rows); err != nil {
		t.Fatalf("rows of schema version 1: %v", err)
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}

	s := openTest(t, path)
	if got := appliedMigrations(t, s); len(got) != len(ms) || got[len(got)-1] != ms[len(ms)-1].Version {
		t.Fatalf("after upgrading, applied %v, want every one of the %d migrations", got, len(ms))
	}
	if got := pragma(t, s.r, "IntegrityCheck"); got != "ok" {
		t.Fatalf("integrity_check: %s", got)
	}
	run, err := s.GetRun(ctx, "d", "r")
	if err != nil {
		t.Fatalf("GetRun: %v", err)
	}
	if string(run.DAG) != `{"dag_id":"d","v":1}` || run.DAGHash != "" || run.State != store.RunRunning {
		t.Fatalf("run after upgrading = %+v, want its snapshot, state and no DAG hash", run)
	}
	x, err := s.GetTaskInstance(ctx, "d", "r", "t", -1)
	if err != nil {
		t.Fatalf("GetTaskInstance: %v", err)
	}
	if !run.DataIntervalStart.IsZero() || !run.DataIntervalEnd.IsZero() || run.TriggerEvents != nil {
		t.Fatalf("run after upgrading = %+v, want no data interval nor trigger events", run)
	}
	if x.Args != nil || x.RenderedMapIndex != "" || x.State != store.TIFailed || string(x.Output) != `{"rows":1}` || x.Error != "boom" {
		t.Fatalf("task instance after upgrading = %+v, want its values and no args nor rendered map index", x)
	}
	if tries, err := s.ListTries(ctx, "d", "r", "t", -1); err != nil || len(tries) != 1 {
		t.Fatalf("ListTries after upgrading = %d tries, %v; want 1", len(tries), err)
	}

	// The new columns work on the upgraded tables: a heartbeat without the snapshot keeps
	// it, and the unmapped instance becomes mapped ones, its try deleted with it.
	upd := *run
	upd.DAG, upd.DAGHash, upd.HeartbeatAt = nil, "h1", time.UnixMicro(1700000000000001)
	mapped := []*store.TaskInstance{
		{DAGID: "d", RunID: "r", TaskID: "t", MapIndex: 0, Args: json.RawMessage(`{"x":0}`), RenderedMapIndex: "x=0"},
		{DAGID: "d", RunID: "r", TaskID: "t", MapIndex: 1, Args: json.RawMessage(`{"x":1}`), RenderedMapIndex: "x=1"},
	}
	if err := s.Apply(ctx, &store.Batch{
		DeleteTIs: []store.TIKey{{DAGID: "d", RunID: "r", TaskID: "t", MapIndex: -1}},
		Runs:      []*store.DAGRun{&upd},
		TIs:       mapped,
	}); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	run, err = s.GetRun(ctx, "d", "r")
	if err != nil || string(run.DAG) != `{"dag_id":"d","v":1}` || run.DAGHash != "h1" {
		t.Fatalf("run = %+v, %v; want the old snapshot and hash h1", run, err)
	}
	tis, err := s.ListTaskInstances(ctx, store.ListTIParams{DAGID: "d", RunID: "r"})
	if err != nil || len(tis) != 2 || string(tis[1].Args) != `{"x":1}` || tis[1].RenderedMapIndex != "x=1" {
		t.Fatalf("ListTaskInstances = %v, %v; want the two mapped instances", tis, err)
	}
	if tries, err := s.ListTries(ctx, "d", "r", "t", -1); err != nil || len(tries) != 0 {
		t.Fatalf("ListTries of the deleted instance = %d tries, %v; want none", len(tries), err)
	}
}

func TestMigrationsNewerSchema(t *testing.T) {
	t.Parallel()
	s := setup(t)
	if _, err := s.w.ExecContext(t.Context(), query("InsertMigration"), 999, "future", 0); err != nil {
		t.Fatalf("InsertMigration: %v", err)
	}
	_, err := Open(t.Context(), s.Path(), nil)
	if err == nil || !strings.Contains(err.Error(), "newer weir") {
		t.Fatalf("Open of a database from a newer weir = %v, want an error saying so", err)
	}
}

func TestParseQueries(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name    string
		files   map[string]string
		want    map[string]string
		wantErr string
	}{
		{
			name: "split",
			files: map[string]string{
				"q/a.sql": "-- header\n\n-- name: A\nSELECT 1;\n\n-- name: B\n-- comment\nSELECT 2\nFROM t;\n",
				"q/b.txt": "-- name: C\nSELECT 3;\n",
			},
			want: map[string]string{"A": "SELECT 1;", "B": "-- comment\nSELECT 2\nFROM t;"},
		},
		{
			name:    "duplicate",
			files:   map[string]string{"q/a.sql": "-- name: A\nSELECT 1;\n", "q/b.sql": "-- name: A\nSELECT 2;\n"},
			wantErr: "defined twice",
		},
		{
			name:    "empty",
			files:   map[string]string{"q/a.sql": "-- name: A\n\n-- name: B\nSELECT 1;"},
			wantErr: "empty",
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			fsys := fstest.MapFS{}
			for name, body := range c.files {
				fsys[name] = &fstest.MapFile{Data: []byte(body)}
			}
			got, err := parseQueries(fsys, "q")
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(c.want) {
				t.Fatalf("got %q, want %q", got, c.want)
			}
			for k, v := range c.want {
				if got[k] != v {
					t.Errorf("query %s = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

// TestQueryPlans checks that the frequent lists read an index rather than the whole table.
func TestQueryPlans(t *testing.T) {
	t.Parallel()
	s := setup(t)
	plan := func(q string, args ...any) string {
		t.Helper()
		rows, err := s.r.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+q, args...)
		if err != nil {
			t.Fatalf("EXPLAIN: %v", err)
		}
		defer rows.Close()
		var lines []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, detail)
		}
		return strings.Join(lines, "; ")
	}
	render := func(name string, f any) string {
		q, err := renderQuery(name, f)
		if err != nil {
			t.Fatal(err)
		}
		return q
	}
	lim := sql.Named("limit", 10)
	runsLim := []any{lim, sql.Named("offset", 0)}
	for _, c := range []struct {
		name, plan, want string
	}{
		{"ListRuns", plan(render("ListRuns", runFilter{}), runsLim...), "dag_runs_queued_at"},
		{"ListRuns by DAG", plan(render("ListRuns", runFilter{DAGID: true}), append(runsLim, sql.Named("dag_id", "d"))...), "dag_runs_dag_id"},
		{"ListRuns by run ID", plan(render("ListRuns", runFilter{RunID: true}), append(runsLim, sql.Named("run_id", "r"))...), "dag_runs_run_id"},
		{"ListRuns by DAG and run ID", plan(render("ListRuns", runFilter{DAGID: true, RunID: true}), append(runsLim, sql.Named("dag_id", "d"), sql.Named("run_id", "r"))...), "sqlite_autoindex_dag_runs_1"},
		{"ListRuns by state", plan(render("ListRuns", runFilter{States: true}), append(runsLim, sql.Named("states", `["running"]`))...), "dag_runs_state"},
		{"CountRuns by DAG", plan(render("CountRuns", runFilter{DAGID: true}), sql.Named("dag_id", "d")), "dag_runs_dag_id"},
		{"CountRuns by state", plan(render("CountRuns", runFilter{States: true}), sql.Named("states", `["failed"]`)), "dag_runs_state"},
		{"ListTIs by run", plan(render("ListTIs", tiFilter{DAGID: true, RunID: true}), sql.Named("dag_id", "d"), sql.Named("run_id", "r")), "sqlite_autoindex_task_instances_1"},
		{"ListTries", plan(query("ListTries"), "d", "r", "t", -1), "sqlite_autoindex_task_tries_1"},
		{"DeleteTI", plan(query("DeleteTI"), "d", "r", "t", -1), "sqlite_autoindex_task_instances_1"},
		{"ListDatasetEvents", plan(render("ListDatasetEvents", eventFilter{}), lim), "SCAN dataset_events"},
		{"ListDatasetEvents by URI", plan(render("ListDatasetEvents", eventFilter{URI: true}), lim, sql.Named("uri", "u")), "dataset_events_uri"},
		{"ListDatasetEvents by source", plan(render("ListDatasetEvents", eventFilter{SourceDAGID: true}), lim, sql.Named("source_dag_id", "d")), "dataset_events_source_dag_id"},
		{"ListDatasetEvents after", plan(render("ListDatasetEvents", eventFilter{AfterID: true}), lim, sql.Named("after_id", 1)), "INTEGER PRIMARY KEY (rowid>?)"},
		{"ListQueuedEvents", plan(query("ListQueuedEvents"), "d"), "PRIMARY KEY (dag_id=?)"},
		{"ListAllQueuedEvents", plan(query("ListAllQueuedEvents")), "SCAN q"}, // sorts the (small) queue
		{"ListPredictions", plan(render("ListPredictions", predFilter{}), lim), "predictions_by_time"},
		{"ListPredictions by endpoint", plan(render("ListPredictions", predFilter{Endpoint: true, Since: true}), lim, sql.Named("endpoint", "e"), sql.Named("since", 1)), "predictions_by_endpoint"},
		{"ListPredictions by version", plan(render("ListPredictions", predFilter{ModelName: true, ModelVersion: true}), lim, sql.Named("model_name", "m"), sql.Named("model_version", "1")), "predictions_by_model"},
		{"ListPredictions labelled", plan(render("ListPredictions", predFilter{Endpoint: true, Labelled: true}), lim, sql.Named("endpoint", "e")), "predictions_labelled"},
		{"DequeueDatasetEvents", plan(query("DequeueDatasetEvents"), "d", "[1]"), "PRIMARY KEY (dag_id=? AND event_id=?)"},
	} {
		t.Logf("%s: %s", c.name, c.plan)
		if !strings.Contains(c.plan, c.want) {
			t.Errorf("%s: plan %q does not use %s", c.name, c.plan, c.want)
		}
		if strings.Contains(c.name, "Events") && c.name != "ListAllQueuedEvents" && strings.Contains(c.plan, "TEMP B-TREE") {
			t.Errorf("%s: plan %q sorts: no index gives its order", c.name, c.plan)
		}
	}
}

func TestInterpretError(t *testing.T) {
	t.Parallel()
	if err := interpretError(sql.ErrNoRows); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("interpretError(ErrNoRows) = %v", err)
	}
	other := errors.New("other")
	if err := interpretError(other); err != other {
		t.Errorf("interpretError(other) = %v", err)
	}
}

// TestListVariants prepares every variant of the list queries: each combination of filters
// is valid SQL.
func TestListVariants(t *testing.T) {
	t.Parallel()
	s := setup(t)
	ctx := t.Context()
	bools := []bool{false, true}
	for _, d := range bools {
		for _, r := range bools {
			for _, st := range bools {
				f := runFilter{DAGID: d, RunID: r, States: st}
				if _, err := s.listRuns[f.index()].get(ctx, s.r, func() (string, error) { return renderQuery("ListRuns", f) }); err != nil {
					t.Errorf("ListRuns %+v: %v", f, err)
				}
				for _, ids := range bools {
					for _, page := range bools {
						f := tiFilter{DAGID: d, RunID: r, TaskIDs: ids, States: st, Page: page}
						if _, err := s.listTIs[f.index()].get(ctx, s.r, func() (string, error) { return renderQuery("ListTIs", f) }); err != nil {
							t.Errorf("ListTIs %+v: %v", f, err)
						}
					}
				}
			}
		}
	}
	for _, u := range bools {
		for _, src := range bools {
			for _, after := range bools {
				f := eventFilter{URI: u, SourceDAGID: src, AfterID: after}
				if _, err := s.listEvents[f.index()].get(ctx, s.r, func() (string, error) { return renderQuery("ListDatasetEvents", f) }); err != nil {
					t.Errorf("ListDatasetEvents %+v: %v", f, err)
				}
			}
		}
	}
	for i := range s.listEvents {
		if s.listEvents[i].stmt == nil {
			t.Errorf("ListDatasetEvents variant %d not prepared", i)
		}
	}
	for i := range s.listRuns {
		if s.listRuns[i].stmt == nil {
			t.Errorf("ListRuns variant %d not prepared", i)
		}
	}
	for i := range s.listTIs {
		if s.listTIs[i].stmt == nil {
			t.Errorf("ListTIs variant %d not prepared", i)
		}
	}
}

// TestClock checks the times the store records itself, with Config.Now.
func TestClock(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	var mu sync.Mutex
	now := time.Date(2024, 5, 1, 12, 0, 0, 123456789, time.UTC)
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	advance := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(time.Minute)
		return now.Truncate(time.Microsecond)
	}
	s, err := Open(ctx, filepath.Join(t.TempDir(), "weir.db"), &Config{Now: clock})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	t1 := now.Truncate(time.Microsecond)

	// DAG metadata: UpdatedAt is when a field last changed.
	m := &store.DAGMeta{DAGID: "d", Source: "dags/d.yaml", IsActive: true, UpdatedAt: time.Unix(1, 0)}
	updatedAt := func() time.Time {
		t.Helper()
		got, err := s.GetDAG(ctx, "d")
		if err != nil {
			t.Fatalf("GetDAG: %v", err)
		}
		return got.UpdatedAt
	}
	if err := s.UpsertDAG(ctx, m); err != nil {
		t.Fatal(err)
	}
	if got := updatedAt(); !got.Equal(t1) {
		t.Fatalf("UpdatedAt of a new DAG = %v, want %v", got, t1)
	}
	advance()
	if err := s.UpsertDAG(ctx, m); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPaused(ctx, "d", false); err != nil {
		t.Fatal(err)
	}
	if got := updatedAt(); !got.Equal(t1) {
		t.Fatalf("UpdatedAt after writes that changed nothing = %v, want %v", got, t1)
	}
	t2 := advance()
	if err := s.SetPaused(ctx, "d", true); err != nil {
		t.Fatal(err)
	}
	if got := updatedAt(); !got.Equal(t2) {
		t.Fatalf("UpdatedAt after a pause = %v, want %v", got, t2)
	}
	t3 := advance()
	if err := s.SetLastScheduled(ctx, "d", t1, t2, nil, nil); err != nil {
		t.Fatal(err)
	}
	if got := updatedAt(); !got.Equal(t3) {
		t.Fatalf("UpdatedAt after SetLastScheduled = %v, want %v", got, t3)
	}

	// Datasets: created when first seen, updated with every event; an event without a
	// timestamp gets the store's time, one with a timestamp keeps it.
	ev := &store.DatasetEvent{URI: "ds"}
	if err := s.AddDatasetEvent(ctx, ev); err != nil {
		t.Fatal(err)
	}
	if !ev.Timestamp.Equal(t3) || ev.Timestamp.Location() != time.UTC {
		t.Fatalf("Timestamp of an event without one = %v, want %v", ev.Timestamp, t3)
	}
	t4 := advance()
	if err := s.Apply(ctx, &store.Batch{DatasetEvents: []*store.DatasetEvent{{URI: "ds", Timestamp: t1}}}); err != nil {
		t.Fatal(err)
	}
	ds, err := s.ListDatasets(ctx)
	if err != nil || len(ds) != 1 || !ds[0].CreatedAt.Equal(t3) || !ds[0].UpdatedAt.Equal(t4) {
		t.Fatalf("ListDatasets = %+v, %v; want ds created at %v, updated at %v", ds, err, t3, t4)
	}
	evs, err := s.ListDatasetEvents(ctx, store.ListEventsParams{})
	if err != nil || len(evs) != 2 || !evs[0].Timestamp.Equal(t1) || !evs[1].Timestamp.Equal(t3) {
		t.Fatalf("ListDatasetEvents = %+v, %v; want timestamps %v and %v", evs, err, t1, t3)
	}

	// Import errors without a time get the store's.
	if err := s.ReplaceImportErrors(ctx, []*store.ImportError{{File: "a", Message: "bad"}, {File: "b", Message: "bad", At: t1}}); err != nil {
		t.Fatal(err)
	}
	errs, err := s.ListImportErrors(ctx)
	if err != nil || len(errs) != 2 || !errs[0].At.Equal(t4) || !errs[1].At.Equal(t1) {
		t.Fatalf("ListImportErrors = %+v, %v; want times %v and %v", errs, err, t4, t1)
	}
}

// TestBackgroundCheckpoint checks that commits leave checkpointing to the background
// connection, which keeps the write-ahead log from growing without bound.
func TestBackgroundCheckpoint(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "weir.db")
	s, err := Open(ctx, path, &Config{CheckpointInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	run := &store.DAGRun{DAGID: "d", RunID: "r", State: store.RunRunning, QueuedAt: time.Now()}
	if err := s.CreateRun(ctx, run, nil); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 200; i++ {
		ti := &store.TaskInstance{DAGID: "d", RunID: "r", TaskID: fmt.Sprintf("t%d", i), MapIndex: -1, State: store.TISuccess, Output: json.RawMessage(`"` + strings.Repeat("x", 2000) + `"`)}
		if err := s.Apply(ctx, &store.Batch{TIs: []*store.TaskInstance{ti}}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for s.Checkpoints() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if s.Checkpoints() == 0 {
		t.Fatal("no background checkpoint ran")
	}
}
