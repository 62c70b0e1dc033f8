package store

import (
	"context"
	"encoding/json"
	"time"
)

// ApprovalState is where an approval request stands.
type ApprovalState string

// The approval states.
const (
	// ApprovalPending waits for a person's answer.
	ApprovalPending ApprovalState = "pending"
	// ApprovalResponded holds a person's answer.
	ApprovalResponded ApprovalState = "responded"
	// ApprovalTimedOut holds the default options, taken when the timeout passed unanswered.
	ApprovalTimedOut ApprovalState = "timed_out"
)

// Approval is the request of an approval task instance for a person's answer, and the
// answer once given (Airflow's HITLDetail). Package approval writes and reads it.
type Approval struct {
	// DAGID, RunID, TaskID and MapIndex identify the task instance (MapIndex -1 when it is
	// not mapped).
	DAGID, RunID, TaskID string
	MapIndex             int
	// Subject is the headline shown to the people asked; Body the details (Markdown).
	Subject, Body string
	// Options are the answers to choose from; Defaults those taken at the timeout (none:
	// the task fails at the timeout). Multiple allows choosing more than one option.
	Options, Defaults []string
	Multiple          bool
	// Params are the values a person may fill in with the answer, as a JSON object of
	// name to default value; nil for none.
	Params json.RawMessage
	// AssignedUsers, when not empty, are the only people (user or token names) who may
	// answer. AssignedRole is the least role an answerer needs ("operator" by default).
	AssignedUsers []string
	AssignedRole  string
	// CreatedAt is when the request was made; TimeoutAt when it times out (zero: never).
	CreatedAt, TimeoutAt time.Time
	// State is where the request stands.
	State ApprovalState
	// ChosenOptions, ParamsInput, Comment, RespondedBy, RespondedByKind and RespondedAt
	// are the answer; empty while pending.
	ChosenOptions   []string
	ParamsInput     json.RawMessage
	Comment         string
	RespondedBy     string
	RespondedByKind string
	RespondedAt     time.Time
}

// ApprovalResponse is an answer to an approval request.
type ApprovalResponse struct {
	// State is ApprovalResponded for a person's answer, ApprovalTimedOut for the defaults.
	State ApprovalState
	// ChosenOptions are the options chosen; ParamsInput the filled-in params (a JSON
	// object, nil for none); Comment a free text.
	ChosenOptions []string
	ParamsInput   json.RawMessage
	Comment       string
	// RespondedBy names who answered and RespondedByKind how they were known ("token",
	// "user", "local", "anonymous", "system"); RespondedAt is when (zero: the store's
	// clock).
	RespondedBy, RespondedByKind string
	RespondedAt                  time.Time
}

// ListApprovalsParams filters ListApprovals. Zero fields do not filter.
type ListApprovalsParams struct {
	// State keeps the requests in this state.
	State ApprovalState
	// DAGID and RunID keep those of one DAG or run.
	DAGID, RunID string
	// Limit caps the number returned (default 100).
	Limit int
}

// ApprovalStore keeps the approval requests of approval tasks and their answers.
type ApprovalStore interface {
	// PutApproval records a task instance's request as pending, replacing an earlier one
	// of the same instance (a new try asks again). CreatedAt zero is the store's clock.
	PutApproval(ctx context.Context, a *Approval) error
	// GetApproval returns a task instance's request, or ErrNotFound.
	GetApproval(ctx context.Context, dagID, runID, taskID string, mapIndex int) (*Approval, error)
	// ListApprovals returns the requests matching the filter, oldest first.
	ListApprovals(ctx context.Context, p ListApprovalsParams) ([]*Approval, error)
	// RespondApproval records the answer to a pending request in one transaction and
	// returns the request as written: ErrNotFound (wrapped) if there is none, ErrConflict
	// (wrapped) if it was answered already, so of two answers exactly one wins.
	RespondApproval(ctx context.Context, dagID, runID, taskID string, mapIndex int, r ApprovalResponse) (*Approval, error)
}
