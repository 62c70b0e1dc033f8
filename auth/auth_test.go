package auth_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
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
	return newAuthOn(t, st, now)
}

// newAuthOn returns an authenticator on an open store (another process's, after a restart).
func newAuthOn(t *testing.T, st *sqlite.Store, now *atomic.Int64) (*auth.Authenticator, *sqlite.Store) {
	t.Helper()
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

	try := auth.Try{DAGID: "etl", RunID: "r1", TaskID: "train", MapIndex: 2, TryNumber: 1}
	minted, revoke, err := a.Mint(ctx, try, auth.ScopeRead, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	check("minted", "Bearer "+minted, auth.ScopeRead, false)
	r := httptest.NewRequest("GET", "/api/v1/dags", nil)
	r.Header.Set("Authorization", "Bearer "+minted)
	if p, err := a.Authenticate(r); err != nil || p.Name != "task:etl/r1/train[2]#1" || p.Kind != auth.KindTask {
		t.Errorf("minted token's principal = %+v, %v; want task:etl/r1/train[2]#1 of kind task", p, err)
	}
	// Another authenticator on the same store (a restarted server) accepts it too.
	a2, _ := newAuthOn(t, st, &now)
	if p, err := a2.Authenticate(r); err != nil || p.Name != "task:etl/r1/train[2]#1" {
		t.Errorf("minted token after a restart: principal %+v, %v; want the try's", p, err)
	}
	if n, err := st.CountActiveTokens(ctx); err != nil || n != 1 {
		t.Errorf("CountActiveTokens after minting = %d, %v; want 1 (task tokens are not API tokens)", n, err)
	}
	now.Add(int64(2 * time.Minute))
	check("minted, expired", "Bearer "+minted, "", true)
	check("stored, before its expiry", "Bearer "+secret, auth.ScopeWrite, false)
	now.Add(int64(time.Hour))
	check("stored, expired", "Bearer "+secret, "", true)

	m2, revoke2, err := a.Mint(ctx, auth.Try{DAGID: "etl", RunID: "r1", TaskID: "eval", MapIndex: -1, TryNumber: 2}, auth.ScopeWrite, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	check("second minted", "Bearer "+m2, auth.ScopeWrite, false)
	revoke2()
	revoke()
	check("minted, revoked", "Bearer "+m2, "", true)
}

// Wrong passwords are limited per user name and per address: after MaxLoginFailures in
// the window even the right password gets 429, until the window ends; a user's password
// works over HTTP Basic and the store holds only its argon2id hash.
func TestLoginRateLimit(t *testing.T) {
	t.Parallel()
	var now atomic.Int64
	now.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	_, st := newAuth(t, &now)
	a, err := auth.New(auth.Config{Store: st, Clock: func() time.Time { return time.Unix(0, now.Load()) },
		MaxLoginFailures: 3, LoginWindow: time.Minute, Required: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	u, err := auth.CreateUser(ctx, st, "ann", "correct horse battery", auth.RoleOperator, time.Unix(0, now.Load()))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(u.PasswordHash, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q: want argon2id with OWASP's parameters", u.PasswordHash)
	}
	if _, err := auth.CreateUser(ctx, st, "bob", "short", auth.RoleViewer, time.Now()); err == nil {
		t.Fatal("a 5-character password was accepted")
	}
	if _, err := auth.CreateUser(ctx, st, "bob", auth.Prefix+"looks like a token", auth.RoleViewer, time.Now()); err == nil {
		t.Fatal("a password starting with the token prefix was accepted")
	}
	h := a.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.PrincipalFrom(r.Context())
		fmt.Fprint(w, p.Name, " ", p.Kind, " ", p.Role)
	}))
	try := func(user, pass, addr string) (int, string) {
		r := httptest.NewRequest("GET", "/api/v1/dags", nil)
		r.RemoteAddr = addr
		r.SetBasicAuth(user, pass)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code, w.Body.String()
	}
	if code, body := try("ann", "correct horse battery", "10.0.0.1:1"); code != 200 || body != "ann user operator" {
		t.Fatalf("right password: %d %q", code, body)
	}
	for i := range 3 {
		if code, _ := try("ann", "wrong guess", fmt.Sprintf("10.0.0.%d:1", 10+i)); code != 401 {
			t.Fatalf("wrong password %d: %d, want 401", i, code)
		}
	}
	code, _ := try("ann", "correct horse battery", "10.0.0.1:1")
	if code != 429 {
		t.Fatalf("right password after 3 failures for the user: %d, want 429", code)
	}
	// Per address too: three unknown users from one address block it for everyone.
	for i := range 3 {
		try(fmt.Sprintf("nobody%d", i), "whatever it is", "10.0.0.99:1")
	}
	if _, err := auth.CreateUser(ctx, st, "cy", "correct horse battery", auth.RoleViewer, time.Now()); err != nil {
		t.Fatal(err)
	}
	if code, _ := try("cy", "correct horse battery", "10.0.0.99:2"); code != 429 {
		t.Errorf("right password from an address after 3 failures there: %d, want 429", code)
	}
	if code, _ := try("cy", "correct horse battery", "10.0.0.5:1"); code != 200 {
		t.Errorf("cy from another address: %d, want 200", code)
	}
	now.Add(int64(time.Minute))
	if code, body := try("ann", "correct horse battery", "10.0.0.1:1"); code != 200 {
		t.Errorf("right password after the window: %d %s, want 200", code, body)
	}
	// A changed password: the old one no longer works, even though it was just checked.
	if err := auth.SetPassword(ctx, st, "ann", "a brand new password"); err != nil {
		t.Fatal(err)
	}
	if code, _ := try("ann", "correct horse battery", "10.0.0.1:1"); code != 401 {
		t.Errorf("old password after a change: %d, want 401", code)
	}
	if code, _ := try("ann", "a brand new password", "10.0.0.1:1"); code != 200 {
		t.Errorf("new password: %d, want 200", code)
	}
}

// Minting a token for a task instance's next try revokes the earlier tries' tokens (a try
// whose process died with its server never revoked its own); other instances keep theirs.
func TestMintRevokesEarlierTries(t *testing.T) {
	t.Parallel()
	var now atomic.Int64
	now.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	a, _ := newAuth(t, &now)
	ctx := context.Background()
	mint := func(task string, try int) string {
		t.Helper()
		s, _, err := a.Mint(ctx, auth.Try{DAGID: "etl", RunID: "r1", TaskID: task, MapIndex: -1, TryNumber: try}, auth.ScopeWrite, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	works := func(secret string) bool {
		r := httptest.NewRequest("GET", "/api/v1/dags", nil)
		r.Header.Set("Authorization", "Bearer "+secret)
		_, err := a.Authenticate(r)
		return err == nil
	}
	first, other := mint("train", 1), mint("eval", 1)
	if !works(first) { // now in the authenticator's cache too
		t.Fatal("try 1's fresh token does not work")
	}
	second := mint("train", 2)
	if works(first) {
		t.Error("try 1's token still works after try 2 got one")
	}
	if !works(second) || !works(other) {
		t.Errorf("try 2's token works: %v, another task's: %v; want both", works(second), works(other))
	}
}
