package store

import (
	"context"
	"time"
)

// TaskToken is the short-lived token of one tracked try (package auth mints them for the
// tracker), as the store keeps it: only the hash of its secret, with the try it belongs
// to, so that a restarted server still accepts it and the audit log names the try.
type TaskToken struct {
	// Hash is the hex SHA-256 of the token's secret; it identifies the token.
	Hash string
	// DAGID, RunID, TaskID, MapIndex (-1 when not mapped) and TryNumber name the try.
	DAGID     string
	RunID     string
	TaskID    string
	MapIndex  int
	TryNumber int
	// Scope is what the token may do: a token scope or a role name (package auth).
	Scope string
	// CreatedAt is when the token was minted.
	CreatedAt time.Time
	// ExpiresAt is when the token stops working; required.
	ExpiresAt time.Time
}

// TaskTokenStore keeps the tokens of tracked tries. They are not API tokens: they do not
// count in CountActiveTokens (minting one never turns authentication on) and are not
// listed by ListTokens.
type TaskTokenStore interface {
	// CreateTaskToken records a minted task token; ErrAlreadyExists (wrapped) if its hash
	// is taken.
	CreateTaskToken(ctx context.Context, t *TaskToken) error
	// GetTaskToken returns the task token with the hash (expired ones included), or
	// ErrNotFound.
	GetTaskToken(ctx context.Context, hash string) (*TaskToken, error)
	// DeleteTaskToken revokes the task token with the hash by deleting it; a missing one
	// is not an error.
	DeleteTaskToken(ctx context.Context, hash string) error
	// DeleteEarlierTaskTokens revokes the task tokens of the task instance's tries numbered
	// below tryNumber (they ended, or their process died).
	DeleteEarlierTaskTokens(ctx context.Context, dagID, runID, taskID string, mapIndex, tryNumber int) error
	// PurgeTaskTokens deletes the task tokens that expired at or before the time and
	// returns how many.
	PurgeTaskTokens(ctx context.Context, before time.Time) (int, error)
}
