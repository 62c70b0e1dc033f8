package store

import (
	"context"
	"time"
)

// Variable is an Airflow variable as the store keeps it: its value only as ciphertext
// (package secrets encrypts and decrypts; the store never sees a value in clear).
type Variable struct {
	// Key is the variable's name; the primary key.
	Key string
	// Value is the ciphertext of the value (package secrets' format, which names its key).
	Value string
	// Description is free text, stored in clear.
	Description string
	// IsSecret marks a value masked wherever it is shown, whatever the key's name.
	IsSecret bool
	// UpdatedAt is when the variable was last written; set by the store.
	UpdatedAt time.Time
}

// Connection is an Airflow connection as the store keeps it: its password and extra only as
// ciphertext ("" when it has none).
type Connection struct {
	// ConnID is the connection's name; the primary key.
	ConnID string
	// ConnType is the kind of system ("postgres", "http", "aws" …).
	ConnType string
	// Description is free text.
	Description string
	// Host, Schema (the database for SQL systems), Login and Port are stored in clear, as
	// Airflow stores them.
	Host   string
	Schema string
	Login  string
	Port   int
	// Password is the ciphertext of the password, "" for none.
	Password string
	// Extra is the ciphertext of the extra JSON object, "" for none.
	Extra string
	// UpdatedAt is when the connection was last written; set by the store.
	UpdatedAt time.Time
}

// SecretField names one ciphertext of the store for RewriteSecrets.
type SecretField struct {
	// Kind is "variable" or "connection"; ID is the variable's key or the connection's ID.
	Kind, ID string
	// Field is "value" for a variable, "password" or "extra" for a connection.
	Field string
}

// SecretStore keeps variables and connections (package secrets encrypts them).
type SecretStore interface {
	// PutVariable creates or replaces a variable; it sets v.UpdatedAt.
	PutVariable(ctx context.Context, v *Variable) error
	// GetVariable returns one variable or ErrNotFound.
	GetVariable(ctx context.Context, key string) (*Variable, error)
	// ListVariables returns every variable, by key.
	ListVariables(ctx context.Context) ([]*Variable, error)
	// DeleteVariable removes a variable; ErrNotFound if missing.
	DeleteVariable(ctx context.Context, key string) error
	// PutConnection creates or replaces a connection; it sets c.UpdatedAt.
	PutConnection(ctx context.Context, c *Connection) error
	// GetConnection returns one connection or ErrNotFound.
	GetConnection(ctx context.Context, connID string) (*Connection, error)
	// ListConnections returns every connection, by ID.
	ListConnections(ctx context.Context) ([]*Connection, error)
	// DeleteConnection removes a connection; ErrNotFound if missing.
	DeleteConnection(ctx context.Context, connID string) error
	// RewriteSecrets calls fn with every non-empty ciphertext (variables' values,
	// connections' passwords and extras) and stores what it returns, all in one
	// transaction: if fn fails once, nothing is written. It returns how many it rewrote.
	RewriteSecrets(ctx context.Context, fn func(f SecretField, ciphertext string) (string, error)) (int, error)
}
