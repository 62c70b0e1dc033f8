package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/weirhq/weir/store"
)

// OIDCConfig configures login through an OpenID Connect provider (the authorization code
// flow with PKCE). A user who logs in is made on first login, without a password, and gets
// a session as with POST /api/v1/login.
type OIDCConfig struct {
	// Issuer is the provider's issuer URL (its discovery document is at
	// Issuer/.well-known/openid-configuration). Required.
	Issuer string
	// ClientID and ClientSecret are this server's client at the provider. Required.
	ClientID, ClientSecret string
	// RedirectURL is the callback the provider sends the browser back to:
	// https://HOST/api/v1/oidc/callback, registered at the provider. Default: built from
	// the login request's scheme and Host (set it behind a proxy).
	RedirectURL string
	// Scopes are requested beside "openid". Default profile and email, and groups when
	// RoleClaim is "groups".
	Scopes []string
	// UserClaim is the ID token claim naming the weir user. Default preferred_username,
	// else email, else sub.
	UserClaim string
	// RoleClaim is the claim holding the user's groups or roles (a string or a list of
	// strings), mapped to roles by RoleMap. Default "groups".
	RoleClaim string
	// RoleMap maps values of RoleClaim to roles; a user in several gets all their rights
	// (operator and ml-engineer make editor). With a RoleMap, the user's role is set from
	// the claims at every login: the provider is the source of truth.
	RoleMap map[string]Role
	// DefaultRole is the role of a user no RoleMap entry matches; "" refuses their login.
	DefaultRole Role
}

// oidcState is a login under way, between /oidc/login and /oidc/callback.
type oidcState struct {
	nonce, verifier, next string
	expires               time.Time
}

// oidcFlow holds the provider, discovered on first use, and the logins under way.
type oidcFlow struct {
	cfg OIDCConfig

	mu       sync.Mutex
	provider *oidc.Provider
	pending  map[string]oidcState // by state
}

// oidcStateCookie binds a login under way to the browser that started it (login CSRF).
const oidcStateCookie = "weir_oidc_state"

// oidcLoginTTL bounds the time between /oidc/login and the callback.
const oidcLoginTTL = 10 * time.Minute

func (f *oidcFlow) discover(ctx context.Context) (*oidc.Provider, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.provider != nil {
		return f.provider, nil
	}
	p, err := oidc.NewProvider(ctx, f.cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("auth: OIDC provider %s: %w (check the issuer URL and that the provider is reachable)", f.cfg.Issuer, err)
	}
	f.provider = p
	return p, nil
}

func (f *oidcFlow) oauth(p *oidc.Provider, r *http.Request) *oauth2.Config {
	redirect := f.cfg.RedirectURL
	if redirect == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		redirect = scheme + "://" + r.Host + "/api/v1/oidc/callback"
	}
	scopes := []string{oidc.ScopeOpenID}
	scopes = append(scopes, f.cfg.Scopes...)
	return &oauth2.Config{ClientID: f.cfg.ClientID, ClientSecret: f.cfg.ClientSecret, Endpoint: p.Endpoint(),
		RedirectURL: redirect, Scopes: scopes}
}

func randomString() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read does not fail (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// OIDCEnabled reports whether OIDC login is configured.
func (a *Authenticator) OIDCEnabled() bool { return a.oidc != nil }

// OIDCLogin starts an OIDC login: it redirects the browser to the provider. The query
// parameter next (a path on this server) is where the callback sends the browser at the
// end; default "/". It answers 404 when OIDC is not configured.
func (a *Authenticator) OIDCLogin(w http.ResponseWriter, r *http.Request) {
	if a.oidc == nil {
		http.Error(w, "OIDC login is not configured: start the server with --oidc-issuer (see docs/security.md)", http.StatusNotFound)
		return
	}
	p, err := a.oidc.discover(r.Context())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	next := r.URL.Query().Get("next")
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		next = "/"
	}
	state, nonce, verifier := randomString(), randomString(), oauth2.GenerateVerifier()
	now := a.cfg.Clock()
	a.oidc.mu.Lock()
	for k, s := range a.oidc.pending {
		if now.After(s.expires) {
			delete(a.oidc.pending, k)
		}
	}
	if len(a.oidc.pending) > 10_000 {
		a.oidc.mu.Unlock()
		http.Error(w, "too many OIDC logins under way: try again in a few minutes", http.StatusServiceUnavailable)
		return
	}
	a.oidc.pending[state] = oidcState{nonce: nonce, verifier: verifier, next: next, expires: now.Add(oidcLoginTTL)}
	a.oidc.mu.Unlock()
	// SameSite=Lax: the provider's redirect back is a cross-site top-level navigation.
	http.SetCookie(w, &http.Cookie{Name: oidcStateCookie, Value: state, Path: "/api/v1/oidc/", MaxAge: int(oidcLoginTTL.Seconds()),
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
	u := a.oidc.oauth(p, r).AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier))
	http.Redirect(w, r, u, http.StatusFound)
}

// OIDCCallback ends an OIDC login: it checks the state against the browser's cookie,
// exchanges the code (with the PKCE verifier), verifies the ID token (signature, issuer,
// audience, expiry, nonce), finds or makes the user, sets their role from RoleMap, starts
// a session and redirects to the login's next path.
func (a *Authenticator) OIDCCallback(w http.ResponseWriter, r *http.Request) {
	if a.oidc == nil {
		http.Error(w, "OIDC login is not configured: start the server with --oidc-issuer (see docs/security.md)", http.StatusNotFound)
		return
	}
	user, next, err := a.oidcFinish(w, r)
	if err != nil {
		var u errUnauthorized
		if errors.As(err, &u) {
			http.Error(w, "OIDC login refused: "+err.Error(), http.StatusUnauthorized)
			return
		}
		http.Error(w, "OIDC login failed: "+err.Error(), http.StatusBadGateway)
		return
	}
	if _, err := a.StartSession(w, r, user); err != nil {
		http.Error(w, "start a session: "+err.Error(), http.StatusInternalServerError)
		return
	}
	http.Redirect(w, r, next, http.StatusFound)
}

func (a *Authenticator) oidcFinish(w http.ResponseWriter, r *http.Request) (user, next string, err error) {
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		return "", "", errUnauthorized("the provider answered " + e + ": " + q.Get("error_description"))
	}
	state := q.Get("state")
	c, cerr := r.Cookie(oidcStateCookie)
	if cerr != nil || state == "" || c.Value != state {
		return "", "", errUnauthorized("the state does not match this browser's login: start again at /api/v1/oidc/login")
	}
	http.SetCookie(w, &http.Cookie{Name: oidcStateCookie, Value: "", Path: "/api/v1/oidc/", MaxAge: -1, HttpOnly: true})
	a.oidc.mu.Lock()
	st, ok := a.oidc.pending[state]
	delete(a.oidc.pending, state)
	a.oidc.mu.Unlock()
	if !ok || a.cfg.Clock().After(st.expires) {
		return "", "", errUnauthorized("unknown or expired login: start again at /api/v1/oidc/login")
	}
	ctx := r.Context()
	p, err := a.oidc.discover(ctx)
	if err != nil {
		return "", "", err
	}
	tok, err := a.oidc.oauth(p, r).Exchange(ctx, q.Get("code"), oauth2.VerifierOption(st.verifier))
	if err != nil {
		return "", "", errUnauthorized("exchange the code: " + err.Error())
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return "", "", errUnauthorized("the provider sent no ID token")
	}
	idt, err := p.Verifier(&oidc.Config{ClientID: a.oidc.cfg.ClientID, Now: a.cfg.Clock}).Verify(ctx, raw)
	if err != nil {
		return "", "", errUnauthorized("ID token: " + err.Error())
	}
	if idt.Nonce != st.nonce {
		return "", "", errUnauthorized("ID token: wrong nonce")
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return "", "", errUnauthorized("ID token claims: " + err.Error())
	}
	name := a.oidc.userName(claims, idt.Subject)
	if err := checkUserName(name); err != nil {
		return "", "", errUnauthorized(err.Error())
	}
	role := a.oidc.role(claims)
	if role == "" {
		return "", "", errUnauthorized("user " + name + " has no role: none of their " + a.oidc.cfg.RoleClaim + " is mapped to a role, and no default role is set")
	}
	u, err := a.cfg.Store.GetUser(ctx, name)
	switch {
	case errors.Is(err, store.ErrNotFound):
		if _, err := CreateUser(ctx, a.cfg.Store, name, "", role, a.cfg.Clock()); err != nil {
			return "", "", err
		}
	case err != nil:
		return "", "", err
	case !u.DisabledAt.IsZero():
		return "", "", errUnauthorized("user " + name + " is disabled")
	case len(a.oidc.cfg.RoleMap) > 0 && u.Role != string(role):
		u.Role = string(role)
		if err := a.cfg.Store.UpdateUser(ctx, u); err != nil {
			return "", "", err
		}
	}
	return name, st.next, nil
}

// userName is the weir user a verified ID token names.
func (f *oidcFlow) userName(claims map[string]any, sub string) string {
	keys := []string{"preferred_username", "email"}
	if f.cfg.UserClaim != "" {
		keys = []string{f.cfg.UserClaim}
	}
	for _, k := range keys {
		if s, ok := claims[k].(string); ok && s != "" {
			return s
		}
	}
	return sub
}

// role is the role the claims map to: every matching RoleMap entry's rights together,
// else DefaultRole.
func (f *oidcFlow) role(claims map[string]any) Role {
	var values []string
	switch v := claims[f.cfg.RoleClaim].(type) {
	case string:
		values = []string{v}
	case []any:
		for _, x := range v {
			if s, ok := x.(string); ok {
				values = append(values, s)
			}
		}
	}
	bits := 0
	for _, v := range values {
		if r, ok := f.cfg.RoleMap[v]; ok {
			bits |= r.actions()
		}
	}
	if bits == 0 {
		return f.cfg.DefaultRole
	}
	for _, r := range Roles {
		if r.actions() == bits {
			return r
		}
	}
	return f.cfg.DefaultRole
}

// newOIDCFlow checks the configuration.
func newOIDCFlow(cfg OIDCConfig) (*oidcFlow, error) {
	if cfg.Issuer == "" || cfg.ClientID == "" || cfg.ClientSecret == "" {
		return nil, errors.New("auth: OIDC needs an issuer, a client id and a client secret (--oidc-issuer, --oidc-client-id, $WEIR_OIDC_CLIENT_SECRET or --oidc-client-secret-file)")
	}
	if cfg.RoleClaim == "" {
		cfg.RoleClaim = "groups"
	}
	if cfg.Scopes == nil {
		cfg.Scopes = []string{"profile", "email"}
		if cfg.RoleClaim == "groups" {
			cfg.Scopes = append(cfg.Scopes, "groups")
		}
	}
	for k, r := range cfg.RoleMap {
		if _, err := ParseRole(string(r)); err != nil {
			return nil, fmt.Errorf("auth: OIDC role map %s=%s: %w", k, r, err)
		}
	}
	if cfg.DefaultRole != "" {
		if _, err := ParseRole(string(cfg.DefaultRole)); err != nil {
			return nil, fmt.Errorf("auth: OIDC default role: %w", err)
		}
	}
	return &oidcFlow{cfg: cfg, pending: map[string]oidcState{}}, nil
}
