package auth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/weirhq/weir/auth"
	"github.com/weirhq/weir/store/sqlite"
)

// benchAuth is an authenticator on a real store with a token and a user with a grant.
func benchAuth(b *testing.B) (http.Handler, string) {
	b.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "weir.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	secret, _, err := auth.Create(ctx, st, "ci", auth.ScopeWrite, 0, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	if _, err := auth.CreateUser(ctx, st, "ann", "correct horse battery", auth.RoleViewer, time.Now()); err != nil {
		b.Fatal(err)
	}
	a, err := auth.New(auth.Config{Store: st, Required: true, MaxLoginFailures: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	return a.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})), secret
}

// BenchmarkBearerToken is the cost authentication adds to a request with a stored token.
func BenchmarkBearerToken(b *testing.B) {
	h, secret := benchAuth(b)
	for b.Loop() {
		r := httptest.NewRequest("POST", "/api/v1/dags/etl/dagRuns", nil)
		r.Header.Set("Authorization", "Bearer "+secret)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}

// BenchmarkBasicPasswordRemembered is an MLflow client's request with a user's password
// checked within the last minute (no argon2id).
func BenchmarkBasicPasswordRemembered(b *testing.B) {
	h, _ := benchAuth(b)
	for b.Loop() {
		r := httptest.NewRequest("GET", "/api/v1/dags", nil)
		r.SetBasicAuth("ann", "correct horse battery")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}

// BenchmarkHashPassword is one argon2id hash with PasswordParams (a login's check costs
// the same).
func BenchmarkHashPassword(b *testing.B) {
	for b.Loop() {
		if _, err := auth.HashPassword("correct horse battery"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTaskToken is the cost authentication adds to a tracked task's MLflow request
// with the token minted for its try (stored, and read from the store at most every few
// seconds).
func BenchmarkTaskToken(b *testing.B) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "weir.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	a, err := auth.New(auth.Config{Store: st, Required: true})
	if err != nil {
		b.Fatal(err)
	}
	secret, revoke, err := a.Mint(ctx, auth.Try{DAGID: "etl", RunID: "r1", TaskID: "train", MapIndex: -1, TryNumber: 1}, auth.ScopeWrite, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	defer revoke()
	h := a.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	for b.Loop() {
		r := httptest.NewRequest("POST", "/api/2.0/mlflow/runs/log-metric", nil)
		r.Header.Set("Authorization", "Bearer "+secret)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}
