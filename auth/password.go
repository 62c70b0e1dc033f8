package auth

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/alexedwards/argon2id"

	"github.com/weirhq/weir/store"
)

// PasswordParams are the argon2id parameters of new password hashes: OWASP's Password
// Storage Cheat Sheet's first choice (19 MiB of memory, 2 iterations, 1 thread), a
// 16-byte random salt and a 32-byte key. Hashes keep their parameters (PHC form), so
// raising these later leaves old hashes valid.
var PasswordParams = &argon2id.Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// MinPasswordLen is the shortest password accepted (OWASP: at least 8 with other factors,
// 15 without; weir asks for 12).
const MinPasswordLen = 12

// ValidatePassword returns an error when the password is shorter than MinPasswordLen or
// starts with Prefix (HTTP Basic would take it for a token).
func ValidatePassword(password string) error {
	if n := len([]rune(password)); n < MinPasswordLen {
		return fmt.Errorf("auth: the password has %d characters: want at least %d", n, MinPasswordLen)
	}
	if strings.HasPrefix(password, Prefix) {
		return fmt.Errorf("auth: a password must not start with %s: HTTP Basic would take it for an API token", Prefix)
	}
	return nil
}

// HashPassword returns the argon2id hash of the password in PHC form, or ValidatePassword's
// error.
func HashPassword(password string) (string, error) {
	if err := ValidatePassword(password); err != nil {
		return "", err
	}
	return argon2id.CreateHash(password, PasswordParams)
}

// CheckPassword reports whether the password matches the PHC hash; an empty hash (a user
// without a password) matches nothing.
func CheckPassword(password, hash string) bool {
	if hash == "" {
		return false
	}
	ok, err := argon2id.ComparePasswordAndHash(password, hash)
	return err == nil && ok
}

// CreateUser makes a user with the role and, when password is not empty, the password
// (hashed with argon2id), and records it in st.
func CreateUser(ctx context.Context, st store.Store, name, password string, role Role, now time.Time) (*store.User, error) {
	if err := checkUserName(name); err != nil {
		return nil, err
	}
	if _, err := ParseRole(string(role)); err != nil {
		return nil, err
	}
	u := &store.User{Name: name, Role: string(role), CreatedAt: now}
	if password != "" {
		h, err := HashPassword(password)
		if err != nil {
			return nil, err
		}
		u.PasswordHash = h
	}
	if err := st.CreateUser(ctx, u); err != nil {
		if errors.Is(err, store.ErrAlreadyExists) {
			return nil, fmt.Errorf("auth: a user named %q exists (weir users list)", name)
		}
		return nil, err
	}
	return u, nil
}

// SetPassword replaces the user's password hash.
func SetPassword(ctx context.Context, st store.Store, name, password string) error {
	u, err := st.GetUser(ctx, name)
	if err != nil {
		return err
	}
	h, err := HashPassword(password)
	if err != nil {
		return err
	}
	u.PasswordHash = h
	return st.UpdateUser(ctx, u)
}

// checkUserName refuses names that HTTP Basic or the CLI could not carry.
func checkUserName(name string) error {
	if name == "" || len(name) > 128 || strings.ContainsAny(name, ": \t\r\n/") || strings.HasPrefix(name, Prefix) {
		return fmt.Errorf("auth: user name %q: want 1 to 128 characters without ':', '/' or spaces, not starting with %s", name, Prefix)
	}
	return nil
}

// limiter counts failed logins per key (a user name, a client address) in fixed windows.
type limiter struct {
	max    int
	window time.Duration

	mu   sync.Mutex
	seen map[string]*failures
}

type failures struct {
	n     int
	start time.Time
}

// blocked reports whether the key has used up its failures in the current window, and
// until when.
func (l *limiter) blocked(key string, now time.Time) (bool, time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.seen[key]
	if f == nil || now.Sub(f.start) >= l.window {
		return false, time.Time{}
	}
	return f.n >= l.max, f.start.Add(l.window)
}

// fail records a failure of the key.
func (l *limiter) fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.seen) > 100_000 { // a flood of keys: forget the stale ones
		for k, f := range l.seen {
			if now.Sub(f.start) >= l.window {
				delete(l.seen, k)
			}
		}
	}
	f := l.seen[key]
	if f == nil || now.Sub(f.start) >= l.window {
		f = &failures{start: now}
		l.seen[key] = f
	}
	f.n++
}

// reset forgets the key's failures (after a successful login).
func (l *limiter) reset(key string) {
	l.mu.Lock()
	delete(l.seen, key)
	l.mu.Unlock()
}

// clientIP is the request's peer address without the port.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
