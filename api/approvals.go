package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/weirhq/weir/api/client"
	"github.com/weirhq/weir/approval"
	"github.com/weirhq/weir/audit"
	"github.com/weirhq/weir/auth"
	"github.com/weirhq/weir/store"
)

// ApprovalObject returns the API's JSON object of a stored approval request (the CLI
// prints the local store's the same way).
func ApprovalObject(a *store.Approval) client.Approval {
	o := client.Approval{DAGID: a.DAGID, DAGRunID: a.RunID, TaskID: a.TaskID, MapIndex: a.MapIndex, Subject: a.Subject,
		Body: a.Body, Options: a.Options, Defaults: a.Defaults, Multiple: a.Multiple, AssignedUsers: a.AssignedUsers,
		AssignedRole: a.AssignedRole, CreatedAt: a.CreatedAt, State: string(a.State),
		ResponseReceived: a.State != store.ApprovalPending, ChosenOptions: a.ChosenOptions, Comment: a.Comment,
		RespondedBy: a.RespondedBy, RespondedByKind: a.RespondedByKind}
	for _, l := range []*[]string{&o.Options, &o.Defaults, &o.AssignedUsers, &o.ChosenOptions} {
		if *l == nil {
			*l = []string{}
		}
	}
	if len(a.Params) > 0 {
		_ = json.Unmarshal(a.Params, &o.Params)
	}
	if len(a.ParamsInput) > 0 {
		_ = json.Unmarshal(a.ParamsInput, &o.ParamsInput)
	}
	if !a.TimeoutAt.IsZero() {
		t := a.TimeoutAt
		o.TimeoutAt = &t
	}
	if !a.RespondedAt.IsZero() {
		t := a.RespondedAt
		o.RespondedAt = &t
	}
	return o
}

var approvalStates = []string{string(store.ApprovalPending), string(store.ApprovalResponded), string(store.ApprovalTimedOut)}

func (a *API) listApprovals(w http.ResponseWriter, r *http.Request) error {
	q := query(r.URL.Query())
	states, err := q.enumList("state", approvalStates)
	if err != nil {
		return err
	}
	if len(states) > 1 {
		return badField("state", "give one state")
	}
	limit, err := q.int("limit", defaultLimit, 1)
	if err != nil {
		return err
	}
	p := store.ListApprovalsParams{DAGID: q.str("dag_id"), RunID: q.str("dag_run_id"), Limit: min(limit, maxLimit)}
	if len(states) == 1 {
		p.State = store.ApprovalState(states[0])
	}
	list, err := a.cfg.Store.ListApprovals(r.Context(), p)
	if err != nil {
		return err
	}
	out := client.ApprovalCollection{Approvals: []client.Approval{}, TotalEntries: len(list)}
	for _, ap := range list {
		out.Approvals = append(out.Approvals, ApprovalObject(ap))
	}
	return writeJSON(w, http.StatusOK, out)
}

// approvalKey reads the task instance of an approval route.
func approvalKey(r *http.Request) (dagID, runID, taskID string, mapIndex int, err error) {
	dagID, runID, taskID, mapIndex = r.PathValue("dag_id"), r.PathValue("run_id"), r.PathValue("task_id"), -1
	if s := r.PathValue("map_index"); s != "" {
		if mapIndex, err = strconv.Atoi(s); err != nil || mapIndex < 0 {
			return "", "", "", 0, badField("map_index", "want an integer ≥ 0, got %q", s)
		}
	}
	return dagID, runID, taskID, mapIndex, nil
}

func (a *API) getApproval(w http.ResponseWriter, r *http.Request) error {
	dagID, runID, taskID, mapIndex, err := approvalKey(r)
	if err != nil {
		return err
	}
	ap, err := a.cfg.Store.GetApproval(r.Context(), dagID, runID, taskID, mapIndex)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("no approval request of %s (see GET /api/v1/approvals?state=pending)", approval.Key(dagID, runID, taskID, mapIndex))
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ApprovalObject(ap))
}

// approvalBody is the body of POST …/respond: chosen_options, or option for one.
type approvalBody struct {
	ChosenOptions []string       `json:"chosen_options"`
	Option        *string        `json:"option"`
	Comment       *string        `json:"comment"`
	ParamsInput   map[string]any `json:"params_input"`
}

// responder returns who a request acts as, for approvals.
func responder(r *http.Request) approval.Responder {
	if p, ok := auth.PrincipalFrom(r.Context()); ok {
		kind := string(p.Kind)
		if kind == "" {
			kind = audit.KindToken
		}
		name := p.Name
		if p.User != "" {
			name = p.User // a user's token answers for the user
		}
		return approval.Responder{Name: name, Kind: kind, Role: string(p.Role)}
	}
	return approval.Responder{Name: "anonymous", Kind: audit.KindAnonymous}
}

func (a *API) respondApproval(w http.ResponseWriter, r *http.Request) error {
	dagID, runID, taskID, mapIndex, err := approvalKey(r)
	if err != nil {
		return err
	}
	var body approvalBody
	if err := decodeBody(r, &body, true); err != nil {
		return err
	}
	ans := approval.Answer{ChosenOptions: body.ChosenOptions, ParamsInput: body.ParamsInput}
	if body.Option != nil {
		if len(ans.ChosenOptions) > 0 {
			return badField("option", "give option or chosen_options, not both")
		}
		ans.ChosenOptions = []string{*body.Option}
	}
	if body.Comment != nil {
		ans.Comment = *body.Comment
	}
	ap, err := approval.Respond(r.Context(), a.cfg.Store, dagID, runID, taskID, mapIndex, ans, responder(r), a.cfg.Clock())
	switch {
	case errors.Is(err, approval.ErrForbidden):
		return &apiError{status: http.StatusForbidden, code: client.CodeForbidden, msg: err.Error()}
	case errors.Is(err, approval.ErrInvalid):
		return badField("chosen_options", "%v", err)
	case errors.Is(err, store.ErrConflict):
		return conflict(client.CodeConflict, "%v", err)
	case err != nil:
		return err
	}
	a.cfg.Engine.WakeTask(dagID, runID, taskID, mapIndex)
	return writeJSON(w, http.StatusOK, ApprovalObject(ap))
}

// AuditObject returns the API's JSON object of an audit log entry.
func AuditObject(e *store.AuditEntry) client.AuditEntry {
	o := client.AuditEntry{ID: e.ID, Time: e.Time, Actor: e.Actor, ActorKind: e.ActorKind, Action: e.Action,
		TargetType: e.TargetType, TargetID: e.TargetID, RequestID: e.RequestID, RemoteAddr: e.RemoteAddr,
		Outcome: e.Outcome, PrevHash: e.PrevHash, Hash: e.Hash}
	if len(e.Details) > 0 {
		o.Details = e.Details
	}
	return o
}

// listAudit answers the audit log; with authentication on, to admins only.
func (a *API) listAudit(w http.ResponseWriter, r *http.Request) error {
	if p, ok := auth.PrincipalFrom(r.Context()); ok && !p.Role.Allows(auth.ActionAdmin) {
		return &apiError{status: http.StatusForbidden, code: client.CodeForbidden,
			msg: "the audit log is for admins: " + p.Name + " is " + string(p.Role)}
	}
	q := query(r.URL.Query())
	f := store.AuditFilter{Actor: q.str("actor"), Action: q.str("action")}
	var err error
	if f.Since, err = q.time("since"); err != nil {
		return err
	}
	if f.Until, err = q.time("until"); err != nil {
		return err
	}
	after, err := q.int("after_id", 0, 0)
	if err != nil {
		return err
	}
	f.AfterID = int64(after)
	before, err := q.int("before_id", 0, 0)
	if err != nil {
		return err
	}
	f.BeforeID = int64(before)
	switch o := q.str("order"); o {
	case "", "asc":
	case "desc":
		f.Newest = true
	default:
		return badField("order", "%q: want asc (oldest first, the default) or desc (newest first)", o)
	}
	limit, err := q.int("limit", defaultLimit, 1)
	if err != nil {
		return err
	}
	f.Limit = min(limit, maxLimit)
	list, err := a.cfg.Store.ListAudit(r.Context(), f)
	if err != nil {
		return err
	}
	out := client.AuditCollection{Entries: []client.AuditEntry{}}
	for _, e := range list {
		out.Entries = append(out.Entries, AuditObject(e))
	}
	return writeJSON(w, http.StatusOK, out)
}
