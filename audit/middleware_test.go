package audit_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/weirhq/weir/audit"
	"github.com/weirhq/weir/auth"
	"github.com/weirhq/weir/store"
)

// A route the middleware has no name for (one another part of weir adds later, such as a
// secrets API) is recorded by its method and template, its target from the path values;
// a body's secrets are not kept, only its field names; the handler still reads the body.
func TestMiddlewareRecordsRoutesItDoesNotKnow(t *testing.T) {
	ctx, st, _ := setup(t)
	mux := http.NewServeMux()
	var seen string
	mux.HandleFunc("PUT /api/v1/connections/{conn_id}", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		seen = string(b)
		w.WriteHeader(http.StatusCreated)
	})
	mux.HandleFunc("GET /api/v1/connections/{conn_id}", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("DELETE /api/v1/connections/{conn_id}", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "nope", http.StatusForbidden)
	})
	h := audit.Middleware(audit.MiddlewareConfig{Store: st})(mux)
	serve := func(method, path, body string, p *auth.Principal) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if p != nil {
			req = req.WithContext(auth.WithPrincipal(req.Context(), *p))
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	body := `{"conn_type": "postgres", "password": "s3cret-pw", "name": "warehouse"}`
	rec := serve("PUT", "/api/v1/connections/warehouse?rotate=1", body, &auth.Principal{Name: "ops", Kind: "token", Role: "admin"})
	if seen != body {
		t.Fatalf("the handler read %q, want the whole body", seen)
	}
	if rec.Header().Get("X-Request-Id") == "" {
		t.Error("no X-Request-Id on the answer")
	}
	serve("GET", "/api/v1/connections/warehouse", "", nil)
	serve("DELETE", "/api/v1/connections/warehouse", "", nil)
	all, err := st.ListAudit(ctx, store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 {
		t.Fatalf("%d entries, want 2 (the GET is not recorded)", len(all))
	}
	put, del := all[0], all[1]
	if put.Actor != "ops" || put.ActorKind != "token" || put.Action != "PUT /api/v1/connections/{conn_id}" ||
		put.TargetType != "conn" || put.TargetID != "warehouse" || put.Outcome != audit.OutcomeSuccess {
		t.Errorf("PUT entry %+v", put)
	}
	if strings.Contains(string(put.Details), "s3cret") || strings.Contains(string(put.Details), "postgres") {
		t.Errorf("details keep a body value that is not an identifier: %s", put.Details)
	}
	var d struct {
		Status     int               `json:"status"`
		BodyFields []string          `json:"body_fields"`
		Body       map[string]string `json:"body"`
		QueryKeys  []string          `json:"query_keys"`
	}
	if err := json.Unmarshal(put.Details, &d); err != nil || d.Status != 201 || strings.Join(d.BodyFields, ",") != "conn_type,name,password" ||
		d.Body["name"] != "warehouse" || len(d.Body) != 1 || strings.Join(d.QueryKeys, ",") != "rotate" {
		t.Errorf("details %s", put.Details)
	}
	if del.Actor != "anonymous" || del.ActorKind != audit.KindAnonymous || del.Outcome != audit.OutcomeDenied {
		t.Errorf("DELETE entry %+v, want anonymous and denied", del)
	}
}
