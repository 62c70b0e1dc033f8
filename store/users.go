package store

import (
	"context"
	"time"
)

// User is a person who logs in to a weir server (package auth checks passwords and
// roles). The store never holds a password, only its argon2id hash.
type User struct {
	// Name identifies the user (HTTP Basic user name, login name).
	Name string
	// PasswordHash is the argon2id hash of the password in PHC form ("$argon2id$v=19$...");
	// "" for a user who cannot log in with a password (OIDC only).
	PasswordHash string
	// Role is the user's global role: viewer, operator, ml-engineer, editor or admin.
	Role string
	// CreatedAt is when the user was made.
	CreatedAt time.Time
	// DisabledAt is when the user was disabled; zero while enabled. A disabled user
	// cannot log in, and their tokens and sessions stop working.
	DisabledAt time.Time
}

// Grant gives a user a role on the objects its target names, on top of their global role.
type Grant struct {
	// User is the user the grant belongs to.
	User string
	// Target names the objects: "dag:ID", "dag-tag:TAG", "model:NAME" or "experiment:ID".
	Target string
	// Role is what the grant allows on its target.
	Role string
	// CreatedAt is when the grant was made.
	CreatedAt time.Time
}

// Session is a logged-in browser session (package auth): only the hash of its cookie is
// stored.
type Session struct {
	// Hash is the hex SHA-256 of the session cookie's value.
	Hash string
	// User is the user logged in.
	User string
	// CreatedAt is when the user logged in.
	CreatedAt time.Time
	// ExpiresAt is when the session ends.
	ExpiresAt time.Time
}

// UserStore keeps users, their grants and their sessions.
type UserStore interface {
	// CreateUser records a new user; ErrAlreadyExists (wrapped) if the name is taken.
	CreateUser(ctx context.Context, u *User) error
	// GetUser returns the user with the name or ErrNotFound (wrapped).
	GetUser(ctx context.Context, name string) (*User, error)
	// ListUsers returns every user by name.
	ListUsers(ctx context.Context) ([]*User, error)
	// UpdateUser writes the user's PasswordHash, Role and DisabledAt; ErrNotFound
	// (wrapped) if the user is missing.
	UpdateUser(ctx context.Context, u *User) error
	// DeleteUser deletes the user, their grants and sessions, and revokes their tokens;
	// ErrNotFound (wrapped) if the user is missing.
	DeleteUser(ctx context.Context, name string, at time.Time) error
	// CountActiveUsers returns how many users are not disabled.
	CountActiveUsers(ctx context.Context) (int, error)

	// PutGrant records the grant, replacing the role of an existing grant of the user on
	// the target; ErrNotFound (wrapped) if the user is missing.
	PutGrant(ctx context.Context, g *Grant) error
	// ListGrants returns the grants of the user ("" for every user's), by user then target.
	ListGrants(ctx context.Context, user string) ([]*Grant, error)
	// DeleteGrant deletes the user's grant on the target; ErrNotFound (wrapped) if none.
	DeleteGrant(ctx context.Context, user, target string) error

	// CreateSession records a new session; ErrNotFound (wrapped) if the user is missing.
	CreateSession(ctx context.Context, s *Session) error
	// GetSession returns the session with the hash (expired ones too) or ErrNotFound.
	GetSession(ctx context.Context, hash string) (*Session, error)
	// DeleteSession deletes the session with the hash, and every session that expired
	// before at; deleting a missing session is not an error.
	DeleteSession(ctx context.Context, hash string, at time.Time) error
}
