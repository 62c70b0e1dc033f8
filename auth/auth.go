// Package auth authenticates requests to a weir server with API tokens.
//
// A token is "weir_" followed by 32 random bytes (crypto/rand) in unpadded base64url; it is
// printed once, when made, and the store keeps only its hex SHA-256. A fast hash is right
// here, unlike for passwords: the secret has 256 bits of entropy, so no guess list exists
// that a slow KDF would make expensive, and checking a token costs one hash per request.
//
// A request carries its token as "Authorization: Bearer <token>" (MLFLOW_TRACKING_TOKEN)
// or as the password of HTTP Basic (MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD;
// the user name is ignored). A missing, unknown, expired or revoked token gets 401 with a
// WWW-Authenticate challenge; a token whose scope does not allow the request gets 403.
//
// Scopes: read allows GET and HEAD (and MLflow's read-only POST searches); write also
// allows every other method outside the admin routes; admin allows everything. The open
// routes (GET /metrics and GET /api/v1/health, for monitoring) need no token.
//
// With Config.Required every request needs a token; without, requests need one as soon as
// the store holds an active token, so making the first token locks a running server.
//
// Besides the stored tokens, an Authenticator mints short-lived tokens kept only in memory
// (Mint), which the node gives to tracked command tasks as MLFLOW_TRACKING_TOKEN.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/weirhq/weir/store"
)

// Prefix starts every token, so that a leaked token is recognisable (secret scanners).
const Prefix = "weir_"

// Scope is what a token may do.
type Scope string

// The scopes, each allowing what the one before allows and more.
const (
	// ScopeRead allows reading: GET and HEAD, and MLflow's searches.
	ScopeRead Scope = "read"
	// ScopeWrite allows reading and changing anything outside the admin routes.
	ScopeWrite Scope = "write"
	// ScopeAdmin allows everything.
	ScopeAdmin Scope = "admin"
)

// ParseScope returns the scope named s, or an error listing the scopes.
func ParseScope(s string) (Scope, error) {
	switch Scope(s) {
	case ScopeRead, ScopeWrite, ScopeAdmin:
		return Scope(s), nil
	}
	return "", fmt.Errorf("auth: unknown scope %q: want read, write or admin", s)
}

func (s Scope) rank() int {
	switch s {
	case ScopeRead:
		return 1
	case ScopeWrite:
		return 2
	case ScopeAdmin:
		return 3
	}
	return 0
}

// NewSecret returns a new random token: Prefix and 32 random bytes in base64url.
func NewSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("auth: random token: %w", err)
	}
	return Prefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// Hash returns the hex SHA-256 of a token, as the store keeps it.
func Hash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// Create makes a token named name with the scope, expiring after ttl (0: never), records
// its hash in st and returns the secret, to be shown once.
func Create(ctx context.Context, st store.Store, name string, scope Scope, ttl time.Duration, now time.Time) (string, *store.Token, error) {
	if name == "" {
		return "", nil, errors.New("auth: a token needs a name")
	}
	if scope.rank() == 0 {
		return "", nil, fmt.Errorf("auth: unknown scope %q: want read, write or admin", scope)
	}
	secret, err := NewSecret()
	if err != nil {
		return "", nil, err
	}
	t := &store.Token{Hash: Hash(secret), Name: name, Scope: string(scope), CreatedAt: now}
	if ttl > 0 {
		t.ExpiresAt = now.Add(ttl)
	}
	if err := st.CreateToken(ctx, t); err != nil {
		if errors.Is(err, store.ErrAlreadyExists) {
			return "", nil, fmt.Errorf("auth: a token named %q exists: revoke it (weir tokens revoke %s) or choose another name", name, name)
		}
		return "", nil, err
	}
	return secret, t, nil
}

// Config configures an Authenticator.
type Config struct {
	// Store holds the tokens. Required.
	Store store.Store
	// Clock returns the current time. Default time.Now.
	Clock func() time.Time
	// Required makes every request need a token. Without it, requests need a token only
	// while the store holds an active one (checked at most once per RecheckEvery), so
	// making the first token locks the server without a restart.
	Required bool
	// RecheckEvery is how long the answer "does the store hold an active token" is reused
	// when Required is false. Default 1 s.
	RecheckEvery time.Duration
	// AdminRoutes are path prefixes whose non-read requests need the admin scope.
	// Default: the REST API's pools and deployments.
	AdminRoutes []string
}

// Authenticator checks requests' tokens. It is safe for concurrent use.
type Authenticator struct {
	cfg Config

	mu        sync.Mutex
	minted    map[string]minted // hash -> in-memory token
	on        bool              // the last answer of the store, when not Required
	checkedAt time.Time         // when on was read; zero: never
}

type minted struct {
	scope   Scope
	expires time.Time
}

// principal returns who a token of the scope is.
func tokenPrincipal(name string, kind Kind, scope Scope) Principal {
	return Principal{Name: name, Kind: kind, Role: ScopeRole(scope)}
}

// anonymous is every request's principal while authentication is off.
var anonymous = Principal{Name: "anonymous", Kind: KindAnonymous, Role: RoleAdmin}

// New returns an authenticator on cfg.
func New(cfg Config) (*Authenticator, error) {
	if cfg.Store == nil {
		return nil, errors.New("auth: Config.Store is required")
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.RecheckEvery <= 0 {
		cfg.RecheckEvery = time.Second
	}
	if cfg.AdminRoutes == nil {
		cfg.AdminRoutes = []string{"/api/v1/pools", "/api/v1/deployments"}
	}
	return &Authenticator{cfg: cfg, minted: map[string]minted{}}, nil
}

// Mint returns a token with the scope valid for ttl, kept only in this process's memory
// (a restart forgets it), and a function that revokes it early.
func (a *Authenticator) Mint(scope Scope, ttl time.Duration) (secret string, revoke func(), err error) {
	secret, err = NewSecret()
	if err != nil {
		return "", nil, err
	}
	h := Hash(secret)
	now := a.cfg.Clock()
	a.mu.Lock()
	for k, m := range a.minted { // drop expired ones; minted tokens are few
		if !now.Before(m.expires) {
			delete(a.minted, k)
		}
	}
	a.minted[h] = minted{scope: scope, expires: now.Add(ttl)}
	a.mu.Unlock()
	return secret, func() {
		a.mu.Lock()
		delete(a.minted, h)
		a.mu.Unlock()
	}, nil
}

// errUnauthorized is why a request has no valid token; its text goes to the client.
type errUnauthorized string

func (e errUnauthorized) Error() string { return string(e) }

// Authenticate returns who the request's credential is, or an error saying why it has
// none (the token is missing, unknown, expired or revoked).
func (a *Authenticator) Authenticate(r *http.Request) (Principal, error) {
	secret := credential(r)
	if secret == "" {
		return Principal{}, errUnauthorized("authentication required: send Authorization: Bearer <token> (MLFLOW_TRACKING_TOKEN) or HTTP Basic with the token as password; make a token with `weir tokens create NAME`")
	}
	h := Hash(secret)
	now := a.cfg.Clock()
	a.mu.Lock()
	m, ok := a.minted[h]
	a.mu.Unlock()
	if ok {
		if !now.Before(m.expires) {
			return Principal{}, errUnauthorized("token expired")
		}
		return tokenPrincipal("task", KindTask, m.scope), nil
	}
	t, err := a.cfg.Store.GetTokenByHash(r.Context(), h)
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, errUnauthorized("unknown token")
	}
	if err != nil {
		return Principal{}, err
	}
	// The store found the row by hash; compare again in constant time for good measure.
	if subtle.ConstantTimeCompare([]byte(t.Hash), []byte(h)) != 1 {
		return Principal{}, errUnauthorized("unknown token")
	}
	if !t.RevokedAt.IsZero() {
		return Principal{}, errUnauthorized("token " + t.Name + " was revoked")
	}
	if !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt) {
		return Principal{}, errUnauthorized("token " + t.Name + " expired; make a new one with `weir tokens create`")
	}
	return tokenPrincipal(t.Name, KindToken, Scope(t.Scope)), nil
}

// credential returns the token of the request's Authorization header, "" if none.
func credential(r *http.Request) string {
	if _, pass, ok := r.BasicAuth(); ok {
		return pass
	}
	h := r.Header.Get("Authorization")
	if scheme, tok, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "Bearer") {
		return strings.TrimSpace(tok)
	}
	return ""
}

// Open reports whether the request needs no token: GET (or HEAD) /metrics and
// /api/v1/health, for monitoring.
func Open(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	return r.URL.Path == "/metrics" || r.URL.Path == "/api/v1/health"
}

// Need returns the least scope that allows the request.
func (a *Authenticator) Need(r *http.Request) Scope {
	if r.Method == http.MethodGet || r.Method == http.MethodHead || mlflowReadPost(r) {
		return ScopeRead
	}
	for _, p := range a.cfg.AdminRoutes {
		if r.URL.Path == p || strings.HasPrefix(r.URL.Path, strings.TrimSuffix(p, "/")+"/") {
			return ScopeAdmin
		}
	}
	return ScopeWrite
}

// mlflowReadPost reports an MLflow read sent as POST (its search endpoints).
func mlflowReadPost(r *http.Request) bool {
	if r.Method != http.MethodPost {
		return false
	}
	p := r.URL.Path
	if !strings.HasPrefix(p, "/api/2.0/mlflow/") && !strings.HasPrefix(p, "/ajax-api/2.0/mlflow/") {
		return false
	}
	return strings.HasSuffix(p, "/search") || strings.HasSuffix(p, "/get-history-bulk-interval")
}

// Enabled reports whether requests need a token now: always with Config.Required, else
// while the store holds an active token.
func (a *Authenticator) Enabled(ctx context.Context) (bool, error) {
	if a.cfg.Required {
		return true, nil
	}
	now := time.Now() // real time, not Clock: this caches a store read
	a.mu.Lock()
	if !a.checkedAt.IsZero() && now.Sub(a.checkedAt) < a.cfg.RecheckEvery && now.Sub(a.checkedAt) >= 0 {
		on := a.on
		a.mu.Unlock()
		return on, nil
	}
	a.mu.Unlock()
	n, err := a.cfg.Store.CountActiveTokens(ctx)
	if err != nil {
		return true, err // fail closed
	}
	a.mu.Lock()
	a.on, a.checkedAt = n > 0, now
	a.mu.Unlock()
	return n > 0, nil
}

// Handler returns next behind the authentication: open routes pass, others need a token
// whose scope allows them (while Enabled).
func (a *Authenticator) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		on, err := a.Enabled(r.Context())
		if err != nil {
			http.Error(w, "look for API tokens: "+err.Error(), http.StatusInternalServerError)
			return
		}
		if !on {
			next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), anonymous)))
			return
		}
		if Open(r) {
			next.ServeHTTP(w, r)
			return
		}
		p, err := a.Authenticate(r)
		if err != nil {
			var u errUnauthorized
			if !errors.As(err, &u) {
				http.Error(w, "check the token: "+err.Error(), http.StatusInternalServerError)
				return
			}
			w.Header().Add("WWW-Authenticate", `Bearer realm="weir"`)
			w.Header().Add("WWW-Authenticate", `Basic realm="weir", charset="UTF-8"`)
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		if need := a.Need(r); !p.Role.Allows(scopeAction(need)) {
			http.Error(w, fmt.Sprintf("forbidden: %s %s needs a %s token, %s %s has role %s", r.Method, r.URL.Path, need, p.Kind, p.Name, p.Role), http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
	})
}

// scopeAction is the action a scope's routes need.
func scopeAction(s Scope) Action {
	switch s {
	case ScopeRead:
		return ActionRead
	case ScopeWrite:
		return ActionOperate
	}
	return ActionAdmin
}
