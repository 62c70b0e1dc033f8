package store

import "time"

// Token is an API token as the store keeps it: never the secret, only its hash (package
// auth makes and checks tokens).
type Token struct {
	// Hash is the hex SHA-256 of the token's secret; it identifies the token.
	Hash string
	// Name names the token for people; at most one active (unrevoked) token has a name.
	Name string
	// Scope is what the token may do: "read", "write" or "admin", or a role (viewer,
	// operator, ml-engineer, editor, admin) for a user's token.
	Scope string
	// User is the user the token belongs to; "" for a token of nobody (made before users
	// existed, or by the local CLI without --user). A user's token never allows more than
	// the user's role.
	User string
	// CreatedAt is when the token was made.
	CreatedAt time.Time
	// ExpiresAt is when the token stops working; zero for never.
	ExpiresAt time.Time
	// RevokedAt is when the token was revoked; zero while it is active.
	RevokedAt time.Time
}
