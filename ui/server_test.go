package ui_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/weirhq/weir/node"
	"github.com/weirhq/weir/store/sqlite"
)

// openStore opens a real SQLite store in home, closed at the end of the test.
func openStore(t testing.TB, home string) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(home, "weir.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// serve starts a weir server node on home and st, on a loopback port, with the DAG files
// dags (file name → YAML; none when nil) in a folder of their own; it is stopped at the end
// of the test (before the store closes). It returns the server's base URL.
func serve(t testing.TB, home string, st *sqlite.Store, dags map[string]string) string {
	t.Helper()
	cfg := node.Config{Mode: node.ModeServer, Store: st, Tracking: st.Tracking(), Home: home,
		Addr: "127.0.0.1:0", TickInterval: 50 * time.Millisecond, GracePeriod: time.Second}
	if dags != nil {
		cfg.DAGsDir = t.TempDir()
		for name, body := range dags {
			if err := os.WriteFile(filepath.Join(cfg.DAGsDir, name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	srv, err := node.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	return "http://" + srv.Addr()
}
