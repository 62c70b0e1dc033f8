// Package auth authenticates requests to a weir server and decides what each may do.
//
// Credentials: API tokens, users' passwords, browser sessions.
//
// A token is "weir_" followed by 32 random bytes (crypto/rand) in unpadded base64url; it is
// printed once, when made, and the store keeps only its hex SHA-256. A fast hash is right
// here, unlike for passwords: the secret has 256 bits of entropy, so no guess list exists
// that a slow KDF would make expensive, and checking a token costs one hash per request.
// A user's password is stored as its argon2id hash (PasswordParams).
//
// A request carries a token as "Authorization: Bearer <token>" (MLFLOW_TRACKING_TOKEN) or
// as the password of HTTP Basic (any user name); or a user name and password as HTTP
// Basic (MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD); or a session cookie made by
// POST /api/v1/login (the web UI), whose state-changing requests must also send the
// session's CSRF token in X-CSRF-Token. A missing, unknown, expired or revoked credential
// gets 401 with a WWW-Authenticate challenge; too many failed passwords for a user or from
// an address get 429; a principal whose role and grants do not allow the request, 403.
//
// What a request needs is an Action (Need); a principal's Role allows actions everywhere
// and its Grants add roles on single objects (Object, Principal.Can). Old token scopes map
// onto roles: read → viewer, write → editor, admin → admin. The open routes (GET /metrics,
// GET /api/v1/health, POST /api/v1/login) need no credential.
//
// With Config.Required every request needs a credential; without, requests need one as
// soon as the store holds an active token or user, so making the first one locks a
// running server.
//
// Besides the API tokens, an Authenticator mints short-lived tokens for single tries of
// tasks (Mint), which the node gives to tracked tasks as MLFLOW_TRACKING_TOKEN. The store
// keeps them hashed with their try (a restarted server accepts them); their principal is
// of Kind task and names the try, so the audit log says which task acted.
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
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/ui"
)

// Prefix starts every token, so that a leaked token is recognisable (secret scanners).
const Prefix = "weir_"

// Scope is what a token made without a user may do (kept for tokens made before users).
type Scope string

// The scopes, each allowing what the one before allows and more.
const (
	// ScopeRead allows reading: the viewer role.
	ScopeRead Scope = "read"
	// ScopeWrite allows reading and changing anything but users, grants and other users'
	// tokens: the editor role (operator and ml-engineer).
	ScopeWrite Scope = "write"
	// ScopeAdmin allows everything: the admin role.
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

// TokenRole is the role of a stored token's scope column: a scope, or a role name (the
// tokens of users).
func TokenRole(scope string) Role {
	if r, err := ParseRole(scope); err == nil {
		return r
	}
	return ScopeRole(Scope(scope))
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
// its hash in st and returns the secret, to be shown once. The token belongs to no user.
func Create(ctx context.Context, st store.Store, name string, scope Scope, ttl time.Duration, now time.Time) (string, *store.Token, error) {
	if _, err := ParseScope(string(scope)); err != nil {
		return "", nil, err
	}
	return createToken(ctx, st, &store.Token{Name: name, Scope: string(scope)}, ttl, now)
}

// CreateForUser makes a token of the user with the role (at most the user's: a token
// never allows more than its user), expiring after ttl (0: never), and returns the
// secret, to be shown once.
func CreateForUser(ctx context.Context, st store.Store, name, user string, role Role, ttl time.Duration, now time.Time) (string, *store.Token, error) {
	if _, err := ParseRole(string(role)); err != nil {
		return "", nil, err
	}
	u, err := st.GetUser(ctx, user)
	if err != nil {
		return "", nil, fmt.Errorf("auth: token for user %s: %w", user, err)
	}
	if got := Role(u.Role).Cap(role); got != role {
		return "", nil, fmt.Errorf("auth: user %s has role %s, so their token cannot be %s: choose %s or less", user, u.Role, role, got)
	}
	return createToken(ctx, st, &store.Token{Name: name, Scope: string(role), User: user}, ttl, now)
}

// CreateWithRole makes a token of no user with the role (admins make these for
// automation), expiring after ttl (0: never), and returns the secret, to be shown once.
func CreateWithRole(ctx context.Context, st store.Store, name string, role Role, ttl time.Duration, now time.Time) (string, *store.Token, error) {
	if _, err := ParseRole(string(role)); err != nil {
		return "", nil, err
	}
	return createToken(ctx, st, &store.Token{Name: name, Scope: string(role)}, ttl, now)
}

func createToken(ctx context.Context, st store.Store, t *store.Token, ttl time.Duration, now time.Time) (string, *store.Token, error) {
	if t.Name == "" {
		return "", nil, errors.New("auth: a token needs a name")
	}
	secret, err := NewSecret()
	if err != nil {
		return "", nil, err
	}
	t.Hash, t.CreatedAt = Hash(secret), now
	if ttl > 0 {
		t.ExpiresAt = now.Add(ttl)
	}
	if err := st.CreateToken(ctx, t); err != nil {
		if errors.Is(err, store.ErrAlreadyExists) {
			return "", nil, fmt.Errorf("auth: a token named %q exists: revoke it (weir tokens revoke %s) or choose another name", t.Name, t.Name)
		}
		return "", nil, err
	}
	return secret, t, nil
}

// Config configures an Authenticator.
type Config struct {
	// Store holds the tokens, users, grants and sessions. Required.
	Store store.Store
	// Clock returns the current time. Default time.Now.
	Clock func() time.Time
	// Required makes every request need a credential. Without it, requests need one only
	// while the store holds an active token or user (checked at most once per
	// RecheckEvery), so making the first one locks the server without a restart.
	Required bool
	// RecheckEvery is how long the answer "does the store hold an active token or user" is
	// reused when Required is false. Default 1 s.
	RecheckEvery time.Duration
	// DAGTags returns a DAG's tags, for "dag-tag:" grants. Nil: DAGs have no tags.
	DAGTags func(dagID string) []string
	// RunExperiment returns the experiment of an MLflow run, for "experiment:" grants on
	// runs. Nil: runs name no experiment (only global roles count for them).
	RunExperiment func(ctx context.Context, runID string) (string, error)
	// MaxLoginFailures is how many wrong passwords a user name, or a client address, may
	// send in LoginWindow before its logins are refused (429) until the window ends.
	// Default 10.
	MaxLoginFailures int
	// LoginWindow is the window of MaxLoginFailures. Default 5 minutes.
	LoginWindow time.Duration
	// SessionTTL is how long a browser session lasts. Default 12 hours.
	SessionTTL time.Duration
	// OIDC configures login through an OpenID Connect provider; nil for none.
	OIDC *OIDCConfig
}

// Authenticator checks requests' credentials. It is safe for concurrent use.
type Authenticator struct {
	cfg     Config
	limiter *limiter
	oidc    *oidcFlow // nil without Config.OIDC

	mu        sync.Mutex
	verified  map[string]verified   // SHA-256 of user and password -> last good check
	on        bool                  // the last answer of the store, when not Required
	checkedAt time.Time             // when on was read; zero: never
	purgedAt  time.Time             // when Mint last purged expired task tokens
	tasks     map[string]cachedTask // hash -> task token read lately (taskToken)
}

// verified remembers a password that matched, so that HTTP Basic clients (MLflow's, which
// send the password on every request) cost one argon2id per minute, not one per request.
// Only a SHA-256 of user and password is kept, in memory, with the hash it matched: a
// changed password no longer matches.
type verified struct {
	phc   string
	until time.Time
}

// verifiedTTL is how long a matched password is remembered.
const verifiedTTL = time.Minute

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
	if cfg.MaxLoginFailures <= 0 {
		cfg.MaxLoginFailures = 10
	}
	if cfg.LoginWindow <= 0 {
		cfg.LoginWindow = 5 * time.Minute
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	a := &Authenticator{cfg: cfg, verified: map[string]verified{}, tasks: map[string]cachedTask{},
		limiter: &limiter{max: cfg.MaxLoginFailures, window: cfg.LoginWindow, seen: map[string]*failures{}}}
	if cfg.OIDC != nil {
		f, err := newOIDCFlow(*cfg.OIDC)
		if err != nil {
			return nil, err
		}
		a.oidc = f
	}
	return a, nil
}

// errUnauthorized is why a request has no valid credential; its text goes to the client.
type errUnauthorized string

func (e errUnauthorized) Error() string { return string(e) }

// errTooMany refuses a login after too many failures, until a time.
type errTooMany struct{ until time.Time }

func (e errTooMany) Error() string {
	return "too many failed logins for this user or from this address: try again after " + e.until.UTC().Format(time.RFC3339)
}

// ErrBadLogin is Login's error for an unknown user, a disabled one or a wrong password
// (which of them is not said).
var ErrBadLogin = errUnauthorized("unknown user or wrong password")

// ErrTooManyLogins is wrapped by Login's error when the user or address has failed too
// often lately (the HTTP status is 429).
var ErrTooManyLogins = errors.New("too many failed logins")

func (e errTooMany) Is(target error) bool { return target == ErrTooManyLogins }

// Authenticate returns who the request's credential is, or an error saying why it has
// none (missing, unknown, expired, revoked, wrong password; ErrTooManyLogins).
func (a *Authenticator) Authenticate(r *http.Request) (Principal, error) {
	p, _, err := a.authenticate(r)
	return p, err
}

// authenticate is Authenticate, also reporting whether the credential was the session
// cookie (whose state-changing requests need the CSRF header).
func (a *Authenticator) authenticate(r *http.Request) (Principal, bool, error) {
	if user, pass, ok := r.BasicAuth(); ok {
		if strings.HasPrefix(pass, Prefix) {
			p, err := a.token(r.Context(), pass)
			return p, false, err
		}
		p, err := a.Login(r, user, pass)
		return p, false, err
	}
	if scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
		p, err := a.token(r.Context(), strings.TrimSpace(tok))
		return p, false, err
	}
	if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
		p, err := a.session(r.Context(), c.Value)
		return p, true, err
	}
	return Principal{}, false, errUnauthorized("authentication required: send Authorization: Bearer <token> (MLFLOW_TRACKING_TOKEN), or HTTP Basic with a user name and password or a token as password; make a token with `weir tokens create NAME`")
}

// token returns the principal of a token secret.
func (a *Authenticator) token(ctx context.Context, secret string) (Principal, error) {
	h := Hash(secret)
	now := a.cfg.Clock()
	a.mu.Lock()
	_, cached := a.tasks[h]
	a.mu.Unlock()
	if cached { // a task's token it sent before: usually no store read
		if p, found, err := a.taskToken(ctx, h); found {
			return p, err
		}
	}
	t, err := a.cfg.Store.GetTokenByHash(ctx, h)
	if errors.Is(err, store.ErrNotFound) {
		if p, found, err := a.taskToken(ctx, h); found {
			return p, err
		}
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
	role := TokenRole(t.Scope)
	if t.User == "" {
		return Principal{Name: t.Name, Kind: KindToken, Role: role}, nil
	}
	u, err := a.cfg.Store.GetUser(ctx, t.User)
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, errUnauthorized("token " + t.Name + ": its user " + t.User + " no longer exists")
	}
	if err != nil {
		return Principal{}, err
	}
	if !u.DisabledAt.IsZero() {
		return Principal{}, errUnauthorized("token " + t.Name + ": its user " + t.User + " is disabled")
	}
	p, err := a.userPrincipal(ctx, u)
	if err != nil {
		return Principal{}, err
	}
	p.Name, p.Kind, p.Role = t.Name, KindToken, p.Role.Cap(role)
	for i := range p.Grants {
		p.Grants[i].Role = p.Grants[i].Role.Cap(role)
	}
	return p, nil
}

// userPrincipal returns the principal of a user, with their grants.
func (a *Authenticator) userPrincipal(ctx context.Context, u *store.User) (Principal, error) {
	gs, err := a.cfg.Store.ListGrants(ctx, u.Name)
	if err != nil {
		return Principal{}, err
	}
	p := Principal{Name: u.Name, Kind: KindUser, Role: Role(u.Role), User: u.Name}
	for _, g := range gs {
		p.Grants = append(p.Grants, Grant{Role: Role(g.Role), Target: g.Target})
	}
	return p, nil
}

// dummyHash is checked against when the user does not exist, so that an unknown user
// takes as long as a wrong password.
var dummyHash = func() string {
	h, err := HashPassword("not the password of anyone")
	if err != nil {
		panic(err)
	}
	return h
}()

// Login checks a user name and password (HTTP Basic, POST /api/v1/login) and returns the
// user's principal. It refuses with an error wrapping ErrTooManyLogins once the user name
// or the client's address has sent Config.MaxLoginFailures wrong passwords in
// Config.LoginWindow, and with ErrBadLogin for an unknown or disabled user or a wrong
// password.
func (a *Authenticator) Login(r *http.Request, name, password string) (Principal, error) {
	now := a.cfg.Clock()
	userKey, ipKey := "user:"+name, "ip:"+clientIP(r)
	for _, k := range []string{userKey, ipKey} {
		if blocked, until := a.limiter.blocked(k, now); blocked {
			return Principal{}, errTooMany{until}
		}
	}
	fail := func() (Principal, error) {
		a.limiter.fail(userKey, now)
		a.limiter.fail(ipKey, now)
		return Principal{}, ErrBadLogin
	}
	u, err := a.cfg.Store.GetUser(r.Context(), name)
	if errors.Is(err, store.ErrNotFound) || err == nil && (!u.DisabledAt.IsZero() || u.PasswordHash == "") {
		CheckPassword(password, dummyHash)
		return fail()
	}
	if err != nil {
		return Principal{}, err
	}
	sum := sha256.Sum256([]byte(name + "\x00" + password))
	key := string(sum[:])
	a.mu.Lock()
	v, ok := a.verified[key]
	a.mu.Unlock()
	if !ok || v.phc != u.PasswordHash || !now.Before(v.until) {
		if !CheckPassword(password, u.PasswordHash) {
			return fail()
		}
		a.mu.Lock()
		if len(a.verified) > 10_000 {
			clear(a.verified)
		}
		a.verified[key] = verified{phc: u.PasswordHash, until: now.Add(verifiedTTL)}
		a.mu.Unlock()
	}
	a.limiter.reset(userKey)
	return a.userPrincipal(r.Context(), u)
}

// Open reports whether the request needs no credential: GET (or HEAD) /metrics and
// /api/v1/health, for monitoring; POST /api/v1/login and the OIDC login routes, which
// check credentials themselves; and GET (or HEAD) of the web UI's static files (every path
// outside the APIs and serving: the UI's code holds no data, and its login form must load
// before anyone signed in).
func Open(r *http.Request) bool {
	switch r.URL.Path {
	case "/api/v1/login":
		return r.Method == http.MethodPost
	case "/api/v1/oidc/login", "/api/v1/oidc/callback":
		return r.Method == http.MethodGet
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	p := r.URL.Path
	if p == "/metrics" || p == "/api/v1/health" {
		return true
	}
	return ui.Serves(p) // the UI's files, by the UI's own list of what is not its
}

// Enabled reports whether requests need a credential now: always with Config.Required,
// else while the store holds an active token or user.
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
	if n == 0 {
		if n, err = a.cfg.Store.CountActiveUsers(ctx); err != nil {
			return true, err
		}
	}
	a.mu.Lock()
	a.on, a.checkedAt = n > 0, now
	a.mu.Unlock()
	return n > 0, nil
}

// Handler returns next behind the authentication: open routes pass; others need a
// credential (while Enabled) whose principal may do what the request needs (Need, on the
// request's Object when its role alone does not allow it). The principal goes into the
// request's context (PrincipalFrom); while authentication is off it is anonymous, an admin,
// or for a request with a task's minted token that task (with the admin role everyone has
// then), so the audit log names the task either way.
func (a *Authenticator) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		on, err := a.Enabled(r.Context())
		if err != nil {
			http.Error(w, "look for API tokens and users: "+err.Error(), http.StatusInternalServerError)
			return
		}
		if !on {
			next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), a.offPrincipal(r))))
			return
		}
		if Open(r) {
			next.ServeHTTP(w, r)
			return
		}
		p, cookie, err := a.authenticate(r)
		if err != nil {
			a.refuse(w, r, err)
			return
		}
		if cookie && !safeMethod(r.Method) {
			if err := a.checkCSRF(r); err != nil {
				http.Error(w, err.Error(), http.StatusForbidden)
				return
			}
		}
		need := a.Need(r)
		if !p.Role.Allows(need) && (len(p.Grants) == 0 || !p.Can(need, a.Object(r))) {
			http.Error(w, fmt.Sprintf("forbidden: %s %s needs the %s right, which %s %s (role %s) lacks here; an admin can change the role (weir users set-role) or add a grant (weir grants add)",
				r.Method, r.URL.Path, need, p.Kind, p.Name, p.Role), http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
	})
}

// offPrincipal is a request's principal while authentication is off: the task whose minted
// token it carries, else anonymous. Both may do everything; no credential is required.
func (a *Authenticator) offPrincipal(r *http.Request) Principal {
	secret := ""
	if _, pass, ok := r.BasicAuth(); ok {
		secret = pass
	} else if scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
		secret = strings.TrimSpace(tok)
	}
	if !strings.HasPrefix(secret, Prefix) {
		return anonymous
	}
	p, found, err := a.taskToken(r.Context(), Hash(secret))
	if !found || err != nil {
		return anonymous
	}
	p.Role = RoleAdmin
	return p
}

// refuse answers an authentication error: 401 with challenges, 429 with Retry-After, or
// 500 for a store failure.
//
// The Basic challenge is left out for a script's request (X-Requested-With set, as the web
// UI's are): a browser would answer it with its own password dialog, stalling the request,
// instead of letting the page show its sign-in form.
func (a *Authenticator) refuse(w http.ResponseWriter, r *http.Request, err error) {
	var u errUnauthorized
	var tm errTooMany
	switch {
	case errors.As(err, &tm):
		secs := int(tm.until.Sub(a.cfg.Clock()).Seconds()) + 1
		w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
		http.Error(w, err.Error(), http.StatusTooManyRequests)
	case errors.As(err, &u):
		w.Header().Add("WWW-Authenticate", `Bearer realm="weir"`)
		if r.Header.Get("X-Requested-With") == "" {
			w.Header().Add("WWW-Authenticate", `Basic realm="weir", charset="UTF-8"`)
		}
		http.Error(w, err.Error(), http.StatusUnauthorized)
	default:
		http.Error(w, "check the credentials: "+err.Error(), http.StatusInternalServerError)
	}
}

// safeMethod reports a method that changes nothing.
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}
