package api_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/weirhq/weir/api/client"
	"github.com/weirhq/weir/audit"
	"github.com/weirhq/weir/store"
)

func TestApprovalsRoutes(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	for _, mi := range []int{-1, 0, 1} {
		if err := e.st.PutApproval(ctx, &store.Approval{DAGID: "ship", RunID: "r1", TaskID: "gate", MapIndex: mi, Subject: "Ship?",
			Options: []string{"Approve", "Reject"}, Params: json.RawMessage(`{"ticket":""}`), AssignedRole: "operator",
			CreatedAt: time.Now(), TimeoutAt: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	var list client.ApprovalCollection
	e.json("GET", "/approvals?state=pending", "", 200, &list)
	if list.TotalEntries != 3 || list.Approvals[0].State != "pending" || list.Approvals[0].Subject != "Ship?" {
		t.Fatalf("pending approvals: %+v", list)
	}
	var one client.Approval
	e.json("GET", "/approvals/ship/r1/gate", "", 200, &one)
	if one.MapIndex != -1 || one.ResponseReceived || one.TimeoutAt == nil || one.Params["ticket"] != "" {
		t.Fatalf("GET approval: %+v", one)
	}
	e.json("GET", "/approvals/ship/r1/gate/1", "", 200, &one)
	if one.MapIndex != 1 {
		t.Fatalf("GET mapped approval: %+v", one)
	}
	e.problem("GET", "/approvals/ship/r1/nope", "", 404, client.CodeNotFound, "")
	e.problem("GET", "/approvals/ship/r1/gate/x", "", 400, client.CodeInvalidField, "map_index")
	e.problem("GET", "/approvals?state=maybe", "", 400, client.CodeInvalidField, "state")

	e.problem("POST", "/approvals/ship/r1/gate/respond", `{"option": "Maybe"}`, 400, client.CodeInvalidField, "chosen_options")
	e.problem("POST", "/approvals/ship/r1/gate/respond", `{"option": "Approve", "chosen_options": ["Reject"]}`, 400, client.CodeInvalidField, "option")
	e.problem("POST", "/approvals/ship/r1/gate/respond", `{"option": "Approve", "extra": 1}`, 400, client.CodeUnknownField, "extra")
	e.problem("POST", "/approvals/ship/r9/gate/respond", `{"option": "Approve"}`, 404, client.CodeNotFound, "")
	e.json("POST", "/approvals/ship/r1/gate/respond", `{"chosen_options": ["Approve"], "comment": "ok", "params_input": {"ticket": "OPS-1"}}`, 200, &one)
	if one.State != "responded" || one.RespondedBy != "anonymous" || one.Comment != "ok" || one.ParamsInput["ticket"] != "OPS-1" || one.RespondedAt == nil {
		t.Fatalf("answered: %+v", one)
	}
	e.problem("POST", "/approvals/ship/r1/gate/respond", `{"option": "Reject"}`, 409, client.CodeConflict, "")
	e.json("POST", "/approvals/ship/r1/gate/0/respond", `{"option": "Reject"}`, 200, &one)
	if one.MapIndex != 0 || len(one.ChosenOptions) != 1 || one.ChosenOptions[0] != "Reject" {
		t.Fatalf("answered mapped: %+v", one)
	}
	e.json("GET", "/approvals?state=responded&dag_id=ship&dag_run_id=r1", "", 200, &list)
	if list.TotalEntries != 2 {
		t.Fatalf("responded approvals: %+v", list)
	}
	got, err := e.c.ListApprovals(ctx, client.ListApprovalsOptions{State: "pending"})
	if err != nil || len(got.Approvals) != 1 || got.Approvals[0].MapIndex != 1 {
		t.Fatalf("client ListApprovals: %+v, %v", got, err)
	}
}

func TestAuditRoute(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for i, a := range []string{"dag_run.trigger", "pool.delete", "dag_run.clear"} {
		if err := audit.Append(ctx, e.st, &store.AuditEntry{Time: t0.Add(time.Duration(i) * time.Hour), Actor: []string{"ana", "bo", "ana"}[i],
			ActorKind: audit.KindToken, Action: a, Details: audit.Details(map[string]any{"status": 200})}); err != nil {
			t.Fatal(err)
		}
	}
	var log client.AuditCollection
	e.json("GET", "/audit?actor=ana&action=dag_run.*&since=2026-03-01T00:00:00Z&until=2026-03-02T00:00:00Z&limit=10", "", 200, &log)
	if len(log.Entries) != 2 || log.Entries[0].ID != 1 || log.Entries[1].ID != 3 || log.Entries[1].PrevHash != "" && log.Entries[1].Hash == "" {
		t.Fatalf("filtered audit: %+v", log)
	}
	e.json("GET", "/audit?after_id=1&limit=1", "", 200, &log)
	if len(log.Entries) != 1 || log.Entries[0].Action != "pool.delete" || string(log.Entries[0].Details) != `{"status":200}` {
		t.Fatalf("audit page: %+v", log)
	}
	e.problem("GET", "/audit?since=yesterday", "", 400, client.CodeInvalidField, "since")
	// Newest first, paging back with before_id (the web UI's audit page).
	log = client.AuditCollection{}
	e.json("GET", "/audit?order=desc&limit=2", "", 200, &log)
	if len(log.Entries) != 2 || log.Entries[0].ID != 3 || log.Entries[1].ID != 2 {
		t.Fatalf("newest audit page: %+v", log)
	}
	log = client.AuditCollection{}
	e.json("GET", "/audit?order=desc&before_id=2&limit=2", "", 200, &log)
	if len(log.Entries) != 1 || log.Entries[0].ID != 1 {
		t.Fatalf("older audit page: %+v", log)
	}
	e.problem("GET", "/audit?order=newest", "", 400, client.CodeInvalidField, "order")
	if got, err := e.c.ListAudit(ctx, client.AuditFilter{Newest: true, BeforeID: 3, Limit: 1}); err != nil || len(got.Entries) != 1 || got.Entries[0].ID != 2 {
		t.Fatalf("client ListAudit newest before 3: %+v, %v", got, err)
	}
	got, err := e.c.ListAudit(ctx, client.AuditFilter{Actor: "bo"})
	if err != nil || len(got.Entries) != 1 || got.Entries[0].Hash == "" {
		t.Fatalf("client ListAudit: %+v, %v", got, err)
	}
}
