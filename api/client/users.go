package client

import (
	"context"
	"time"
)

// The error codes of authentication and permissions.
const (
	CodeUnauthorized    = "unauthorized"      // a wrong user name or password
	CodeTooManyRequests = "too_many_requests" // too many failed logins: wait
)

// User is a user of the server (never their password).
type User struct {
	Name        string     `json:"name"`
	Role        string     `json:"role"`
	HasPassword bool       `json:"has_password"`
	Disabled    bool       `json:"disabled"`
	CreatedAt   time.Time  `json:"created_at"`
	DisabledAt  *time.Time `json:"disabled_at"`
}

// UserCollection is GET /users.
type UserCollection struct {
	Users []User `json:"users"`
}

// UserPatch changes a user: the fields set.
type UserPatch struct {
	Role     *string `json:"role,omitempty"`
	Password *string `json:"password,omitempty"`
	Disabled *bool   `json:"disabled,omitempty"`
}

// Grant gives a user a role on the objects its target names.
type Grant struct {
	User      string    `json:"user"`
	Target    string    `json:"target"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"created_at"`
}

// GrantCollection is GET /grants.
type GrantCollection struct {
	Grants []Grant `json:"grants"`
}

// Token is an API token as listed (never its secret).
type Token struct {
	Name      string     `json:"name"`
	Role      string     `json:"role"`
	User      string     `json:"user"`
	State     string     `json:"state"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at"`
	RevokedAt *time.Time `json:"revoked_at"`
}

// TokenCollection is GET /tokens.
type TokenCollection struct {
	Tokens []Token `json:"tokens"`
}

// NewToken is POST /tokens's answer: the token and its secret, shown only here.
type NewToken struct {
	Token
	Secret string `json:"secret"`
}

// Me is GET /me and POST /login's answer: who the caller is.
type Me struct {
	Name      string  `json:"name"`
	Kind      string  `json:"kind"`
	Role      string  `json:"role"`
	User      string  `json:"user"`
	Grants    []Grant `json:"grants"`
	CSRFToken string  `json:"csrf_token,omitempty"`
}

// ListUsers returns every user (admin only).
func (c *Client) ListUsers(ctx context.Context) (*UserCollection, error) {
	return call[UserCollection](ctx, c, "GET", "/users", nil, nil)
}

// CreateUser makes a user with the role and password (admin only).
func (c *Client) CreateUser(ctx context.Context, name, password, role string) (*User, error) {
	return call[User](ctx, c, "POST", "/users", nil, map[string]any{"name": name, "password": password, "role": role})
}

// PatchUser changes a user's role, password or disabled state (admin only).
func (c *Client) PatchUser(ctx context.Context, name string, p UserPatch) (*User, error) {
	return call[User](ctx, c, "PATCH", path("users", name), nil, p)
}

// DeleteUser deletes a user, their grants and sessions, and revokes their tokens.
func (c *Client) DeleteUser(ctx context.Context, name string) error {
	return c.do(ctx, "DELETE", path("users", name), nil, nil, nil)
}

// ListGrants returns the grants of a user, or of every user with user "" (admin only).
func (c *Client) ListGrants(ctx context.Context, user string) (*GrantCollection, error) {
	if user == "" {
		return call[GrantCollection](ctx, c, "GET", "/grants", nil, nil)
	}
	return call[GrantCollection](ctx, c, "GET", path("users", user, "grants"), nil, nil)
}

// PutGrant gives the user the role on the target (admin only).
func (c *Client) PutGrant(ctx context.Context, user, target, role string) (*Grant, error) {
	return call[Grant](ctx, c, "POST", path("users", user, "grants"), nil, map[string]any{"target": target, "role": role})
}

// DeleteGrant removes the user's grant on the target (admin only).
func (c *Client) DeleteGrant(ctx context.Context, user, target string) error {
	return c.do(ctx, "DELETE", path("users", user, "grants", target), nil, nil, nil)
}

// ListTokens returns the caller's tokens (every token for an admin).
func (c *Client) ListTokens(ctx context.Context) (*TokenCollection, error) {
	return call[TokenCollection](ctx, c, "GET", "/tokens", nil, nil)
}

// CreateToken makes a token: role "" for the user's role, user "" for the caller (an
// admin may name another user), expires 0 for never.
func (c *Client) CreateToken(ctx context.Context, name, role, user string, expires time.Duration) (*NewToken, error) {
	body := map[string]any{"name": name}
	if role != "" {
		body["role"] = role
	}
	if user != "" {
		body["user"] = user
	}
	if expires > 0 {
		body["expires_in_seconds"] = int64(expires.Seconds())
	}
	return call[NewToken](ctx, c, "POST", "/tokens", nil, body)
}

// RevokeToken revokes the active token with the name (the caller's own, or any for an
// admin).
func (c *Client) RevokeToken(ctx context.Context, name string) error {
	return c.do(ctx, "DELETE", path("tokens", name), nil, nil, nil)
}

// Me returns who the caller is.
func (c *Client) Me(ctx context.Context) (*Me, error) {
	return call[Me](ctx, c, "GET", "/me", nil, nil)
}
