package auth_test

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weirhq/weir/auth"
	"github.com/weirhq/weir/store/sqlite"
)

func newAuth(t *testing.T, now *atomic.Int64) (*auth.Authenticator, *sqlite.Store) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "weir.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	a, err := auth.New(auth.Config{Store: st, Clock: func() time.Time { return time.Unix(0, now.Load()) }})
	if err != nil {
		t.Fatal(err)
	}
	return a, st
}

func TestNeed(t *testing.T) {
	t.Parallel()
	var now atomic.Int64
	a, _ := newAuth(t, &now)
	for _, c := range []struct {
		method, path string
		want         auth.Action
	}{
		{"GET", "/api/v1/dags", auth.ActionRead},
		{"HEAD", "/api/v1/pools", auth.ActionRead},
		{"POST", "/api/v1/dags/d/dagRuns", auth.ActionOperate},
		{"DELETE", "/api/2.0/mlflow/runs/delete", auth.ActionML},
		{"POST", "/api/2.0/mlflow/runs/search", auth.ActionRead},
		{"POST", "/ajax-api/2.0/mlflow/experiments/search", auth.ActionRead},
		{"POST", "/api/v1/pools", auth.ActionOperate},
		{"DELETE", "/api/v1/pools/p", auth.ActionOperate},
		{"PUT", "/api/v1/deployments/iris", auth.ActionML},
		{"POST", "/api/v1/predictions/p1/feedback", auth.ActionML},
		{"PUT", "/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/m.txt", auth.ActionML},
		{"POST", "/serve/iris/invocations", auth.ActionRead},
		{"POST", "/v2/models/iris/infer", auth.ActionRead},
		{"GET", "/api/v1/users", auth.ActionAdmin},
		{"POST", "/api/v1/grants", auth.ActionAdmin},
		{"POST", "/api/v1/tokens", auth.ActionRead},
		{"GET", "/api/v1/me", auth.ActionRead},
		{"POST", "/elsewhere", auth.ActionAdmin},
	} {
		if got := a.Need(httptest.NewRequest(c.method, c.path, nil)); got != c.want {
			t.Errorf("Need(%s %s) = %s, want %s", c.method, c.path, got, c.want)
		}
	}
}

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	var now atomic.Int64
	now.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	a, st := newAuth(t, &now)
	ctx := context.Background()
	secret, tok, err := auth.Create(ctx, st, "ci", auth.ScopeWrite, time.Hour, time.Unix(0, now.Load()))
	if err != nil {
		t.Fatal(err)
	}
	if tok.Hash != auth.Hash(secret) || tok.Hash == secret {
		t.Fatalf("stored hash %q: want the SHA-256 of the secret, never the secret", tok.Hash)
	}
	check := func(what, header string, want auth.Scope, wantErr bool) {
		t.Helper()
		r := httptest.NewRequest("GET", "/api/v1/dags", nil)
		if header != "" {
			r.Header.Set("Authorization", header)
		}
		got, err := a.Authenticate(r)
		if (err != nil) != wantErr || got.Role != auth.ScopeRole(want) {
			t.Errorf("%s: principal %+v, err %v; want role of scope %q, error %v", what, got, err, want, wantErr)
		}
	}
	basic := func(user, pass string) string {
		r := httptest.NewRequest("GET", "/", nil)
		r.SetBasicAuth(user, pass)
		return r.Header.Get("Authorization")
	}
	check("bearer", "Bearer "+secret, auth.ScopeWrite, false)
	check("lower-case bearer", "bearer "+secret, auth.ScopeWrite, false)
	check("basic, any user name", basic("mlflow-user", secret), auth.ScopeWrite, false)
	check("none", "", "", true)
	check("wrong", "Bearer "+secret+"x", "", true)
	check("basic with the token as user name", basic(secret, ""), "", true)

	minted, revoke, err := a.Mint(auth.ScopeRead, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	check("minted", "Bearer "+minted, auth.ScopeRead, false)
	now.Add(int64(2 * time.Minute))
	check("minted, expired", "Bearer "+minted, "", true)
	check("stored, before its expiry", "Bearer "+secret, auth.ScopeWrite, false)
	now.Add(int64(time.Hour))
	check("stored, expired", "Bearer "+secret, "", true)

	m2, revoke2, err := a.Mint(auth.ScopeWrite, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	check("second minted", "Bearer "+m2, auth.ScopeWrite, false)
	revoke2()
	revoke()
	check("minted, revoked", "Bearer "+m2, "", true)
}
