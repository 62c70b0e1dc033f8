package approval

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/weirhq/weir/auth"
	"github.com/weirhq/weir/store"
)

// Answer is a person's answer to an approval request.
type Answer struct {
	// ChosenOptions are the options chosen: one, or more when the request allows multiple.
	ChosenOptions []string
	// ParamsInput fills in the request's params (names it does not offer are refused).
	ParamsInput map[string]any
	// Comment is free text kept with the answer.
	Comment string
}

// Responder is who answers.
type Responder struct {
	// Name is the user or token name, the OS user for a local command.
	Name string
	// Kind is how they were known: "token" or "user" (checked against the request's role
	// and assignees), "local" or "anonymous" (not checked: see the package documentation).
	Kind string
	// Role is the principal's role ("operator", ...); ignored for local and anonymous.
	Role string
}

// ErrForbidden means the responder may not answer this request.
var ErrForbidden = errors.New("forbidden")

// ErrInvalid means the answer does not fit the request (an unknown option, ...).
var ErrInvalid = errors.New("invalid answer")

// Store is what Respond reads and writes: the approval requests, and the task instances
// (to refuse answering a task that no longer waits).
type Store interface {
	store.ApprovalStore
	GetTaskInstance(ctx context.Context, dagID, runID, taskID string, mapIndex int) (*store.TaskInstance, error)
}

// Respond checks ans and who against the pending request of the task instance and records
// the answer; the request as written is returned. Errors wrap store.ErrNotFound (no such
// request), store.ErrConflict (answered already, or the task no longer waits: its run was
// marked or it was cleared), ErrForbidden or ErrInvalid.
func Respond(ctx context.Context, st Store, dagID, runID, taskID string, mapIndex int, ans Answer, who Responder, now time.Time) (*store.Approval, error) {
	key := Key(dagID, runID, taskID, mapIndex)
	a, err := st.GetApproval(ctx, dagID, runID, taskID, mapIndex)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("approval %s: no such approval request (see weir approvals list): %w", key, store.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	if a.State != store.ApprovalPending {
		return nil, fmt.Errorf("approval %s was answered already (%s: %s by %s): %w", key, a.State,
			strings.Join(a.ChosenOptions, ", "), a.RespondedBy, store.ErrConflict)
	}
	if ti, err := st.GetTaskInstance(ctx, dagID, runID, taskID, mapIndex); err == nil && ti.State.Finished() {
		return nil, fmt.Errorf("approval %s: the task no longer waits for an answer (it is %s): %w", key, ti.State, store.ErrConflict)
	}
	if err := Allowed(a, who); err != nil {
		return nil, err
	}
	if len(ans.ChosenOptions) == 0 {
		return nil, fmt.Errorf("approval %s: choose an option (%s): %w", key, strings.Join(a.Options, ", "), ErrInvalid)
	}
	if !a.Multiple && len(ans.ChosenOptions) > 1 {
		return nil, fmt.Errorf("approval %s: %d options chosen, but the request allows one: %w", key, len(ans.ChosenOptions), ErrInvalid)
	}
	for _, o := range ans.ChosenOptions {
		if !slices.Contains(a.Options, o) {
			return nil, fmt.Errorf("approval %s: %q is not an option; choose from %s: %w", key, o, strings.Join(a.Options, ", "), ErrInvalid)
		}
	}
	var params map[string]any
	if len(a.Params) > 0 {
		_ = json.Unmarshal(a.Params, &params)
	}
	var input json.RawMessage
	if len(ans.ParamsInput) > 0 {
		for k := range ans.ParamsInput {
			if _, ok := params[k]; !ok {
				return nil, fmt.Errorf("approval %s: param %q is not offered (offered: %s): %w", key, k, names(params), ErrInvalid)
			}
		}
		if input, err = json.Marshal(ans.ParamsInput); err != nil {
			return nil, fmt.Errorf("approval %s: params: %v: %w", key, err, ErrInvalid)
		}
	}
	return st.RespondApproval(ctx, dagID, runID, taskID, mapIndex, store.ApprovalResponse{State: store.ApprovalResponded,
		ChosenOptions: ans.ChosenOptions, ParamsInput: input, Comment: ans.Comment, RespondedBy: who.Name,
		RespondedByKind: who.Kind, RespondedAt: now})
}

func names(m map[string]any) string {
	if len(m) == 0 {
		return "none"
	}
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}

// Allowed reports whether who may answer a: nil, or an error wrapping ErrForbidden that
// says why not.
func Allowed(a *store.Approval, who Responder) error {
	if who.Kind == "local" || who.Kind == "anonymous" {
		return nil
	}
	need := a.AssignedRole
	if need == "" {
		need = DefaultRole
	}
	key := Key(a.DAGID, a.RunID, a.TaskID, a.MapIndex)
	for _, act := range roleNeeds[need] {
		if !auth.Role(who.Role).Allows(act) {
			return fmt.Errorf("approval %s needs the rights of the role %s; %s has the role %q: %w", key, need, who.Name, who.Role, ErrForbidden)
		}
	}
	if len(a.AssignedUsers) > 0 && !slices.Contains(a.AssignedUsers, who.Name) {
		return fmt.Errorf("approval %s is assigned to %s, not %s: %w", key, strings.Join(a.AssignedUsers, ", "), who.Name, ErrForbidden)
	}
	return nil
}
