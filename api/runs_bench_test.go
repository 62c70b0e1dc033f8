package api_test

import (
	"context"
	"database/sql"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/weirhq/weir/api"
	"github.com/weirhq/weir/engine"
	"github.com/weirhq/weir/store/sqlite"
)

// BenchmarkListRunsAcrossDAGs measures GET /dags/~/dagRuns (the web UI's Runs page) over
// 100,000 runs of 100 DAGs: the newest page of 50, and the failed ones only. The runs are
// written straight into the table (no task instances, no snapshots): the listing reads
// neither.
//
//	go test -run '^$' -bench ListRunsAcrossDAGs -benchtime 20x ./api/
func BenchmarkListRunsAcrossDAGs(b *testing.B) {
	ctx := context.Background()
	home := b.TempDir()
	path := filepath.Join(home, "weir.db")
	st, err := sqlite.Open(ctx, path, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO dag_runs (dag_id, run_id, logical_date, run_type, state, queued_at, started_at, ended_at)
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 100000)
SELECT printf('dag_%03d', i % 100), printf('scheduled__%06d', i), 1700000000000000 + i * 1000000, 'scheduled',
       CASE WHEN i % 50 = 0 THEN 'failed' ELSE 'success' END,
       1700000000000000 + i * 1000000, 1700000000000000 + i * 1000000, 1700000000000000 + i * 1000000 + 500000
FROM c`); err != nil {
		b.Fatal(err)
	}
	_ = db.Close()
	eng, err := engine.New(engine.Config{Store: st, Home: home})
	if err != nil {
		b.Fatal(err)
	}
	a, err := api.New(api.Config{Store: st, Engine: eng, DAGs: api.StaticDAGs{}, Home: home})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
	for _, bc := range []struct{ name, query string }{
		{"newest_50", "?order_by=-queued_at&limit=50"},
		{"failed_newest_50", "?order_by=-queued_at&limit=50&state=failed"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				res, err := http.Get(srv.URL + "/api/v1/dags/~/dagRuns" + bc.query)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != 200 {
					b.Fatal(res.Status)
				}
			}
		})
	}
}
