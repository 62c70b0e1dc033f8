package client

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"time"
)

// Approval is the request of an approval task for a person's answer, and the answer once
// given (Airflow's HITLDetail).
type Approval struct {
	DAGID    string `json:"dag_id"`
	DAGRunID string `json:"dag_run_id"`
	TaskID   string `json:"task_id"`
	// MapIndex is -1 for a task that is not mapped.
	MapIndex int    `json:"map_index"`
	Subject  string `json:"subject"`
	Body     string `json:"body"`
	// Options are the answers to choose from; Defaults those taken at the timeout.
	Options  []string `json:"options"`
	Defaults []string `json:"defaults"`
	Multiple bool     `json:"multiple"`
	// Params are the values an answer may fill in, name to default.
	Params        map[string]any `json:"params"`
	AssignedUsers []string       `json:"assigned_users"`
	AssignedRole  string         `json:"assigned_role"`
	CreatedAt     time.Time      `json:"created_at"`
	TimeoutAt     *time.Time     `json:"timeout_at"`
	// State is pending, responded or timed_out; ResponseReceived is true unless pending.
	State            string         `json:"state"`
	ResponseReceived bool           `json:"response_received"`
	ChosenOptions    []string       `json:"chosen_options"`
	ParamsInput      map[string]any `json:"params_input"`
	Comment          string         `json:"comment"`
	RespondedBy      string         `json:"responded_by"`
	RespondedByKind  string         `json:"responded_by_kind"`
	RespondedAt      *time.Time     `json:"responded_at"`
}

// ApprovalCollection is a listing of approval requests.
type ApprovalCollection struct {
	Approvals    []Approval `json:"approvals"`
	TotalEntries int        `json:"total_entries"`
}

// ApprovalAnswer is the body of POST …/respond.
type ApprovalAnswer struct {
	// ChosenOptions are the options chosen (one unless the request allows multiple).
	ChosenOptions []string `json:"chosen_options"`
	// Comment is kept with the answer.
	Comment string `json:"comment,omitempty"`
	// ParamsInput fills in the request's params.
	ParamsInput map[string]any `json:"params_input,omitempty"`
}

// ListApprovalsOptions filter ListApprovals; zero values do not filter.
type ListApprovalsOptions struct {
	State, DAGID, RunID string
	Limit               int
}

func approvalPath(dagID, runID, taskID string, mapIndex int) string {
	p := path("approvals", dagID, runID, taskID)
	if mapIndex >= 0 {
		p += path(strconv.Itoa(mapIndex))
	}
	return p
}

// ListApprovals lists approval requests, oldest first.
func (c *Client) ListApprovals(ctx context.Context, o ListApprovalsOptions) (*ApprovalCollection, error) {
	q := url.Values{}
	for k, v := range map[string]string{"state": o.State, "dag_id": o.DAGID, "dag_run_id": o.RunID} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	return call[ApprovalCollection](ctx, c, "GET", "/approvals", q, nil)
}

// GetApproval returns the approval request of a task instance (mapIndex -1 when not mapped).
func (c *Client) GetApproval(ctx context.Context, dagID, runID, taskID string, mapIndex int) (*Approval, error) {
	return call[Approval](ctx, c, "GET", approvalPath(dagID, runID, taskID, mapIndex), nil, nil)
}

// RespondApproval answers a pending approval request and returns it answered.
func (c *Client) RespondApproval(ctx context.Context, dagID, runID, taskID string, mapIndex int, ans ApprovalAnswer) (*Approval, error) {
	return call[Approval](ctx, c, "POST", approvalPath(dagID, runID, taskID, mapIndex)+"/respond", nil, ans)
}

// AuditEntry is one entry of the audit log.
type AuditEntry struct {
	ID         int64     `json:"id"`
	Time       time.Time `json:"time"`
	Actor      string    `json:"actor"`
	ActorKind  string    `json:"actor_kind"`
	Action     string    `json:"action"`
	TargetType string    `json:"target_type"`
	TargetID   string    `json:"target_id"`
	// Details is the entry's JSON object as stored (kept as bytes so that the chain can be
	// verified from an export).
	Details    json.RawMessage `json:"details"`
	RequestID  string          `json:"request_id"`
	RemoteAddr string          `json:"remote_addr"`
	Outcome    string          `json:"outcome"`
	PrevHash   string          `json:"prev_hash"`
	Hash       string          `json:"hash"`
}

// AuditCollection is a page of the audit log, oldest first.
type AuditCollection struct {
	Entries []AuditEntry `json:"entries"`
}

// AuditFilter filters ListAudit; zero values do not filter.
type AuditFilter struct {
	// Actor matches exactly; Action too, or as a prefix when it ends in "*".
	Actor, Action string
	// Since and Until bound the entries' time.
	Since, Until time.Time
	// AfterID keeps entries with a greater ID; Limit caps their number (server default 100).
	AfterID int64
	Limit   int
	// BeforeID keeps entries with a smaller ID; Newest lists the newest first.
	BeforeID int64
	Newest   bool
}

// ListAudit returns audit log entries matching f, oldest first or with f.Newest newest
// first (admin only when the server authenticates).
func (c *Client) ListAudit(ctx context.Context, f AuditFilter) (*AuditCollection, error) {
	q := url.Values{}
	if f.Actor != "" {
		q.Set("actor", f.Actor)
	}
	if f.Action != "" {
		q.Set("action", f.Action)
	}
	if !f.Since.IsZero() {
		q.Set("since", f.Since.Format(time.RFC3339Nano))
	}
	if !f.Until.IsZero() {
		q.Set("until", f.Until.Format(time.RFC3339Nano))
	}
	if f.AfterID > 0 {
		q.Set("after_id", strconv.FormatInt(f.AfterID, 10))
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	if f.BeforeID > 0 {
		q.Set("before_id", strconv.FormatInt(f.BeforeID, 10))
	}
	if f.Newest {
		q.Set("order", "desc")
	}
	return call[AuditCollection](ctx, c, "GET", "/audit", q, nil)
}
