package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/weirhq/weir/api/client"
	"github.com/weirhq/weir/auth"
)

// Users, grants and tokens through every operation of the API (mounted here without the
// server's authentication, so the caller is trusted as an admin; node's tests check the
// refusals).
func TestUsersGrantsTokens(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	var u client.User
	e.json("POST", "/users", `{"name":"ann","password":"correct horse battery","role":"operator"}`, 201, &u)
	if u.Name != "ann" || u.Role != "operator" || !u.HasPassword || u.Disabled {
		t.Errorf("created %+v", u)
	}
	e.problem("POST", "/users", `{"name":"ann","password":"correct horse battery","role":"viewer"}`, 409, client.CodeAlreadyExists, "")
	e.problem("POST", "/users", `{"name":"bob","password":"short","role":"viewer"}`, 400, client.CodeInvalidField, "password")
	e.problem("POST", "/users", `{"name":"b:ob","password":"correct horse battery","role":"viewer"}`, 400, client.CodeInvalidField, "name")
	e.problem("POST", "/users", `{"name":"bob","password":"correct horse battery","role":"root"}`, 400, client.CodeInvalidField, "role")
	stored, err := e.st.GetUser(ctx, "ann")
	if err != nil || !strings.HasPrefix(stored.PasswordHash, "$argon2id$") || strings.Contains(stored.PasswordHash, "horse") {
		t.Fatalf("stored user %+v, %v: want an argon2id hash, never the password", stored, err)
	}
	if _, err := e.c.CreateUser(ctx, "bob", "", "viewer"); err != nil {
		t.Fatal(err)
	}
	var us client.UserCollection
	e.json("GET", "/users", "", 200, &us)
	if len(us.Users) != 2 || us.Users[0].Name != "ann" || us.Users[1].HasPassword {
		t.Errorf("list %+v", us)
	}
	e.json("GET", "/users/ann", "", 200, &u)
	e.problem("GET", "/users/cy", "", 404, client.CodeNotFound, "")
	e.json("PATCH", "/users/bob", `{"role":"ml-engineer","disabled":true}`, 200, &u)
	if u.Role != "ml-engineer" || !u.Disabled || u.DisabledAt == nil {
		t.Errorf("patched %+v", u)
	}
	e.problem("PATCH", "/users/bob", `{"password":"short"}`, 400, client.CodeInvalidField, "password")
	role := "viewer"
	if got, err := e.c.PatchUser(ctx, "bob", client.UserPatch{Role: &role}); err != nil || got.Role != "viewer" {
		t.Errorf("client PatchUser: %+v, %v", got, err)
	}

	var g client.Grant
	e.json("POST", "/users/ann/grants", `{"target":"dag:etl","role":"admin"}`, 201, &g)
	if g.User != "ann" || g.Target != "dag:etl" || g.Role != "admin" {
		t.Errorf("grant %+v", g)
	}
	e.problem("POST", "/users/ann/grants", `{"target":"pool:x","role":"admin"}`, 400, client.CodeInvalidField, "target")
	e.problem("POST", "/users/cy/grants", `{"target":"dag:x","role":"admin"}`, 404, client.CodeNotFound, "")
	if _, err := e.c.PutGrant(ctx, "bob", "dag-tag:team-a", "operator"); err != nil {
		t.Fatal(err)
	}
	var gs client.GrantCollection
	e.json("GET", "/users/ann/grants", "", 200, &gs)
	if len(gs.Grants) != 1 {
		t.Errorf("ann's grants %+v", gs)
	}
	e.json("GET", "/grants", "", 200, &gs)
	if len(gs.Grants) != 2 {
		t.Errorf("all grants %+v", gs)
	}
	if a := e.do("DELETE", "/users/ann/grants/dag:etl", ""); a.status != 204 {
		t.Errorf("delete grant: %d %s", a.status, a.body)
	}
	e.problem("DELETE", "/users/ann/grants/dag:etl", "", 404, client.CodeNotFound, "")

	var nt client.NewToken
	e.json("POST", "/tokens", `{"name":"ann-ci","user":"ann","expires_in_seconds":3600}`, 201, &nt)
	if !strings.HasPrefix(nt.Secret, auth.Prefix) || nt.Role != "operator" || nt.User != "ann" || nt.ExpiresAt == nil {
		t.Errorf("new token %+v", nt)
	}
	e.problem("POST", "/tokens", `{"name":"too-much","user":"ann","role":"admin"}`, 409, client.CodeAlreadyExists, "")
	e.problem("POST", "/tokens", `{"name":"nobody"}`, 400, client.CodeInvalidField, "role")
	if _, err := e.c.CreateToken(ctx, "robot", "viewer", "", time.Hour); err != nil {
		t.Fatal(err)
	}
	var ts client.TokenCollection
	e.json("GET", "/tokens", "", 200, &ts)
	if len(ts.Tokens) != 2 || ts.Tokens[0].Name != "ann-ci" || ts.Tokens[0].State != "active" {
		t.Errorf("tokens %+v", ts)
	}
	if a := e.do("DELETE", "/tokens/ann-ci", ""); a.status != 204 {
		t.Errorf("revoke: %d %s", a.status, a.body)
	}
	e.problem("DELETE", "/tokens/ann-ci", "", 404, client.CodeNotFound, "")

	if a := e.do("DELETE", "/users/bob", ""); a.status != 204 {
		t.Errorf("delete user: %d %s", a.status, a.body)
	}
	e.problem("DELETE", "/users/bob", "", 404, client.CodeNotFound, "")
	if err := e.c.DeleteUser(ctx, "bob"); err == nil {
		t.Error("client DeleteUser of a deleted user: no error")
	}
}

// Login sets an HttpOnly, SameSite=Strict session cookie and answers the CSRF token; a
// wrong password is a 401; logout clears the cookie.
func TestLoginLogoutMe(t *testing.T) {
	t.Parallel()
	e := setup(t)
	if _, err := e.c.CreateUser(context.Background(), "ann", "correct horse battery", "viewer"); err != nil {
		t.Fatal(err)
	}
	a := e.do("POST", "/login", `{"username":"ann","password":"correct horse battery"}`)
	if a.status != 200 {
		t.Fatalf("login: %d %s", a.status, a.body)
	}
	c := a.header.Get("Set-Cookie")
	for _, want := range []string{auth.SessionCookie + "=", "HttpOnly", "SameSite=Strict", "Path=/"} {
		if !strings.Contains(c, want) {
			t.Errorf("session cookie %q lacks %s", c, want)
		}
	}
	if strings.Contains(c, "Secure") {
		t.Errorf("session cookie %q is Secure over plain HTTP (the browser would drop it)", c)
	}
	if !strings.Contains(string(a.body), `"csrf_token"`) || !strings.Contains(string(a.body), `"role":"viewer"`) {
		t.Errorf("login answer %s: want the role and a csrf_token", a.body)
	}
	e.problem("POST", "/login", `{"username":"ann","password":"wrong password!!"}`, 401, "unauthorized", "")
	e.problem("POST", "/login", `{"username":"ann"}`, 400, client.CodeInvalidField, "username")
	var me client.Me
	e.json("GET", "/me", "", 200, &me)
	if me.Kind != "anonymous" {
		t.Errorf("me without authentication in front: %+v", me)
	}
	if got, err := e.c.Me(context.Background()); err != nil || got.Role != "admin" {
		t.Errorf("client Me: %+v, %v", got, err)
	}
	a = e.do("POST", "/logout", "")
	if a.status != 204 || !strings.Contains(a.header.Get("Set-Cookie"), "Max-Age=0") {
		t.Errorf("logout: %d, Set-Cookie %q", a.status, a.header.Get("Set-Cookie"))
	}
}
