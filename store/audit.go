package store

import (
	"context"
	"encoding/json"
	"time"
)

// AuditEntry is one entry of the audit log: who did what to what, when, and how it ended.
// Entries form a hash chain (package audit computes and verifies it).
type AuditEntry struct {
	// ID numbers the entries from 1 in the order they were appended; set by the store.
	ID int64
	// Time is when the action happened, with microsecond precision.
	Time time.Time
	// Actor names who acted (a user or token name, an OS user for local commands);
	// ActorKind says how it was known: "token", "user", "local", "anonymous", "system".
	Actor, ActorKind string
	// Action names what was done: "dag_run.trigger", or the route "POST /api/v1/...".
	Action string
	// TargetType and TargetID name what it was done to ("dag_run", "etl/manual__...").
	TargetType, TargetID string
	// Details is a JSON object with more about the action (never secrets); nil for none.
	Details json.RawMessage
	// RequestID and RemoteAddr identify the HTTP request, empty for local actions.
	RequestID, RemoteAddr string
	// Outcome is "success", "denied" or "failure".
	Outcome string
	// PrevHash is the previous entry's Hash ("" for the first); Hash chains this entry to
	// it. Both are set by AppendAudit.
	PrevHash, Hash string
}

// AuditFilter filters ListAudit. Zero fields do not filter.
type AuditFilter struct {
	// Actor and Action match exactly; an Action ending in "*" matches as a prefix.
	Actor, Action string
	// Since and Until bound Time: Since <= Time < Until.
	Since, Until time.Time
	// AfterID keeps entries with a greater ID (to page through the log).
	AfterID int64
	// BeforeID, when not 0, keeps entries with a smaller ID (to page back from the newest).
	BeforeID int64
	// Newest lists the newest entries first (by ID, descending); else oldest first.
	Newest bool
	// Limit caps the number returned; 0 means no limit.
	Limit int
}

// AuditStore keeps the append-only audit log.
type AuditStore interface {
	// AppendAudit appends e in one transaction: it reads the last entry, sets e.ID to the
	// next number and e.PrevHash to the last entry's hash, truncates e.Time to microseconds
	// in UTC, sets e.Hash = hash(e), and inserts it. Appends from many goroutines and
	// processes sharing the store form one chain.
	AppendAudit(ctx context.Context, e *AuditEntry, hash func(e *AuditEntry) string) error
	// ListAudit returns the entries matching the filter, by ID: oldest first, or newest
	// first with f.Newest.
	ListAudit(ctx context.Context, f AuditFilter) ([]*AuditEntry, error)
}
