package audit_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weirhq/weir/audit"
	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/store/sqlite"
)

func benchStore(b *testing.B) *sqlite.Store {
	b.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "weir.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return st
}

// BenchmarkAppend is one audit entry appended (read the last hash, insert, commit).
func BenchmarkAppend(b *testing.B) {
	st := benchStore(b)
	ctx := context.Background()
	d := audit.Details(map[string]any{"method": "POST", "route": "/api/v1/dags/{dag_id}/dagRuns", "status": 200})
	for b.Loop() {
		if err := audit.Append(ctx, st, &store.AuditEntry{Actor: "ana", ActorKind: audit.KindToken, Action: "dag_run.trigger",
			TargetType: "dag", TargetID: "etl", Details: d}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMiddleware is the cost the audit log adds to a state-changing request.
func BenchmarkMiddleware(b *testing.B) {
	st := benchStore(b)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/dags/{dag_id}/dagRuns", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) })
	h := audit.Middleware(audit.MiddlewareConfig{Store: st})(mux)
	for b.Loop() {
		req := httptest.NewRequest("POST", "/api/v1/dags/etl/dagRuns", strings.NewReader(`{"conf": {"a": 1}}`))
		req.Header.Set("Content-Type", "application/json")
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
}

// BenchmarkVerify walks a chain of 10,000 entries.
func BenchmarkVerify(b *testing.B) {
	st := benchStore(b)
	ctx := context.Background()
	for i := 0; i < 10000; i++ {
		if err := audit.Append(ctx, st, &store.AuditEntry{Actor: "ana", ActorKind: audit.KindToken, Action: "x"}); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		if n, err := audit.Verify(ctx, st); err != nil || n != 10000 {
			b.Fatal(n, err)
		}
	}
}
