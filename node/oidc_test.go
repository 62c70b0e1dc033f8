package node_test

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"

	"github.com/oauth2-proxy/mockoidc"

	"github.com/weirhq/weir/auth"
	"github.com/weirhq/weir/node"
)

// OIDC login against a real provider on loopback (mockoidc: discovery, authorization,
// token and JWKS endpoints, RS256-signed ID tokens): the browser is sent to the provider
// and back, the user is made with the role their groups map to, and the session works;
// a callback whose state is not the browser's, and a user no group maps, are refused.
func TestOIDCLogin(t *testing.T) {
	t.Parallel()
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Shutdown() })
	mc := m.Config()
	base, st, _ := authServer(t, func(c *node.Config) {
		c.OIDC = &auth.OIDCConfig{Issuer: mc.Issuer, ClientID: mc.ClientID, ClientSecret: mc.ClientSecret,
			RoleMap: map[string]auth.Role{"ml-team": auth.RoleMLEngineer, "ops": auth.RoleOperator}}
	})
	browser := func() *http.Client {
		jar, err := cookiejar.New(nil)
		if err != nil {
			t.Fatal(err)
		}
		return &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if strings.HasPrefix(req.URL.String(), base) && !strings.HasPrefix(req.URL.Path, "/api/v1/oidc/") {
				return http.ErrUseLastResponse // back on weir, past the callback: stop here
			}
			return nil
		}}
	}
	login := func(c *http.Client) *http.Response {
		t.Helper()
		resp, err := c.Get(base + "/api/v1/oidc/login?next=/ui/runs")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}

	m.QueueUser(&mockoidc.MockUser{Subject: "s-olga", PreferredUsername: "olga", Email: "olga@example.com", Groups: []string{"ml-team", "ops", "other"}})
	b := browser()
	resp := login(b)
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/ui/runs" {
		t.Fatalf("the callback answered %d, Location %q; want 302 to the login's next path", resp.StatusCode, resp.Header.Get("Location"))
	}
	req, _ := http.NewRequest("GET", base+"/api/v1/me", nil)
	me, err := b.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer me.Body.Close()
	var who struct {
		Name, Kind, Role string
	}
	decode(t, me, 200, &who)
	if who.Name != "olga" || who.Kind != "user" || who.Role != "editor" {
		t.Errorf("me after OIDC login: %+v; want olga, a user, editor (ml-team and ops)", who)
	}
	u, err := st.GetUser(context.Background(), "olga")
	if err != nil || u.Role != "editor" || u.PasswordHash != "" {
		t.Errorf("the stored user: %+v, %v; want editor without a password", u, err)
	}

	// A callback with a state this browser did not start: refused (login CSRF).
	resp, err = browser().Get(base + "/api/v1/oidc/callback?code=stolen&state=forged")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("callback with a forged state: %d, want 401", resp.StatusCode)
	}

	// A user none of whose groups is mapped, with no default role: refused, not made.
	m.QueueUser(&mockoidc.MockUser{Subject: "s-eve", PreferredUsername: "eve", Groups: []string{"visitors"}})
	if resp := login(browser()); resp.StatusCode != 401 {
		t.Errorf("login of an unmapped user: %d, want 401", resp.StatusCode)
	}
	if _, err := st.GetUser(context.Background(), "eve"); err == nil {
		t.Error("an unmapped user was made")
	}
}
