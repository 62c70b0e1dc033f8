package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"

	"github.com/weirhq/weir/store"
)

// SessionCookie is the name of the browser session cookie.
const SessionCookie = "weir_session"

// CSRFHeader is the header a cookie-authenticated state-changing request must carry, with
// the session's CSRF token (CSRFToken).
const CSRFHeader = "X-CSRF-Token"

// StartSession records a new session of the user (its SHA-256 only, expiring after
// Config.SessionTTL) and sets its cookie on w: HttpOnly, SameSite=Strict, Path /, Secure
// when the request came over TLS. It returns the session's CSRF token, which the client
// sends back in the X-CSRF-Token header of its state-changing requests.
func (a *Authenticator) StartSession(w http.ResponseWriter, r *http.Request, user string) (csrf string, err error) {
	secret, err := NewSecret()
	if err != nil {
		return "", err
	}
	now := a.cfg.Clock()
	s := &store.Session{Hash: Hash(secret), User: user, CreatedAt: now, ExpiresAt: now.Add(a.cfg.SessionTTL)}
	if err := a.cfg.Store.CreateSession(r.Context(), s); err != nil {
		return "", err
	}
	// Sweep expired sessions now and then (logins are rare): the table stays small.
	if err := a.cfg.Store.DeleteSession(r.Context(), "", now); err != nil {
		return "", err
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: secret, Path: "/", Expires: s.ExpiresAt,
		MaxAge: int(a.cfg.SessionTTL.Seconds()), HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	return csrfToken(secret), nil
}

// EndSession deletes the request's session (and expired ones) and clears its cookie.
func (a *Authenticator) EndSession(w http.ResponseWriter, r *http.Request) error {
	c, err := r.Cookie(SessionCookie)
	if err == nil && c.Value != "" {
		if err := a.cfg.Store.DeleteSession(r.Context(), Hash(c.Value), a.cfg.Clock()); err != nil {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	return nil
}

// CSRFToken returns the CSRF token of the request's session cookie, "" without one.
func CSRFToken(r *http.Request) string {
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return ""
	}
	return csrfToken(c.Value)
}

// csrfToken derives a session's CSRF token from its secret: a page of another site can
// neither read the HttpOnly cookie nor, so, compute the token.
func csrfToken(secret string) string {
	sum := sha256.Sum256([]byte("weir-csrf\x00" + secret))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// checkCSRF refuses a cookie-authenticated request without its session's CSRF token.
func (a *Authenticator) checkCSRF(r *http.Request) error {
	want := CSRFToken(r)
	got := r.Header.Get(CSRFHeader)
	if want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return errors.New("forbidden: a request signed in by the session cookie that changes something must send the session's CSRF token in the X-CSRF-Token header (POST /api/v1/login and GET /api/v1/me return it)")
	}
	return nil
}

// session returns the principal of a session cookie's secret.
func (a *Authenticator) session(ctx context.Context, secret string) (Principal, error) {
	s, err := a.cfg.Store.GetSession(ctx, Hash(secret))
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, errUnauthorized("unknown or ended session: log in again (POST /api/v1/login)")
	}
	if err != nil {
		return Principal{}, err
	}
	if !a.cfg.Clock().Before(s.ExpiresAt) {
		return Principal{}, errUnauthorized("session expired: log in again (POST /api/v1/login)")
	}
	u, err := a.cfg.Store.GetUser(ctx, s.User)
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, errUnauthorized("the session's user " + s.User + " no longer exists")
	}
	if err != nil {
		return Principal{}, err
	}
	if !u.DisabledAt.IsZero() {
		return Principal{}, errUnauthorized("user " + s.User + " is disabled")
	}
	return a.userPrincipal(ctx, u)
}
