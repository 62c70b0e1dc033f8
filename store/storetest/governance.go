package storetest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/weirhq/weir/store"
)

func testApprovals(t *testing.T, setup setupFunc) {
	t.Run("AskAnswerOnce", func(t *testing.T) {
		ctx, s := setup(t)
		a := &store.Approval{DAGID: "ship", RunID: "r1", TaskID: "gate", MapIndex: -1, Subject: "Deploy?", Body: "v3 beats v2",
			Options: []string{"Approve", "Reject"}, Defaults: []string{"Reject"}, Params: json.RawMessage(`{"note":""}`),
			AssignedUsers: []string{"ana"}, AssignedRole: "operator", CreatedAt: at(0), TimeoutAt: at(time.Hour)}
		if err := s.PutApproval(ctx, a); err != nil {
			t.Fatalf("PutApproval: %v", err)
		}
		want := *a
		want.State = store.ApprovalPending
		got, err := s.GetApproval(ctx, "ship", "r1", "gate", -1)
		if err != nil {
			t.Fatalf("GetApproval: %v", err)
		}
		checkStruct(t, "pending approval", got, &want)
		_, err = s.GetApproval(ctx, "ship", "r1", "gate", 0)
		wantErrIs(t, "GetApproval of another map index", err, store.ErrNotFound)

		resp := store.ApprovalResponse{State: store.ApprovalResponded, ChosenOptions: []string{"Approve"},
			ParamsInput: json.RawMessage(`{"note":"go"}`), Comment: "looks good", RespondedBy: "ana", RespondedByKind: "token",
			RespondedAt: at(time.Minute)}
		got, err = s.RespondApproval(ctx, "ship", "r1", "gate", -1, resp)
		if err != nil {
			t.Fatalf("RespondApproval: %v", err)
		}
		want.State, want.ChosenOptions, want.ParamsInput, want.Comment = store.ApprovalResponded, resp.ChosenOptions, resp.ParamsInput, resp.Comment
		want.RespondedBy, want.RespondedByKind, want.RespondedAt = "ana", "token", at(time.Minute)
		checkStruct(t, "answered approval", got, &want)
		again, err := s.GetApproval(ctx, "ship", "r1", "gate", -1)
		if err != nil {
			t.Fatal(err)
		}
		checkStruct(t, "answered approval read back", again, &want)

		_, err = s.RespondApproval(ctx, "ship", "r1", "gate", -1, store.ApprovalResponse{State: store.ApprovalTimedOut,
			ChosenOptions: []string{"Reject"}, RespondedBy: "weir"})
		wantErrIs(t, "a second answer", err, store.ErrConflict)
		_, err = s.RespondApproval(ctx, "ship", "r2", "gate", -1, resp)
		wantErrIs(t, "an answer to no request", err, store.ErrNotFound)

		// A new try asks again: the row is pending once more, the answer gone.
		a2 := &store.Approval{DAGID: "ship", RunID: "r1", TaskID: "gate", MapIndex: -1, Subject: "Deploy? (again)",
			Options: []string{"Approve", "Reject"}, CreatedAt: at(2 * time.Hour)}
		if err := s.PutApproval(ctx, a2); err != nil {
			t.Fatal(err)
		}
		got, err = s.GetApproval(ctx, "ship", "r1", "gate", -1)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != store.ApprovalPending || got.ChosenOptions != nil || got.Comment != "" || !got.RespondedAt.IsZero() {
			t.Fatalf("re-asked approval: %+v, want pending without an answer", got)
		}
	})
	t.Run("List", func(t *testing.T) {
		ctx, s := setup(t)
		for i, k := range []struct {
			dag, run string
			mi       int
		}{{"a", "r1", -1}, {"a", "r2", 0}, {"a", "r2", 1}, {"b", "r1", -1}} {
			if err := s.PutApproval(ctx, &store.Approval{DAGID: k.dag, RunID: k.run, TaskID: "gate", MapIndex: k.mi,
				Subject: "s", Options: []string{"Approve"}, CreatedAt: at(time.Duration(i) * time.Minute)}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.RespondApproval(ctx, "a", "r2", "gate", 0, store.ApprovalResponse{State: store.ApprovalResponded,
			ChosenOptions: []string{"Approve"}, RespondedBy: "x"}); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			p    store.ListApprovalsParams
			want []string
		}{
			{store.ListApprovalsParams{}, []string{"a/r1/-1", "a/r2/0", "a/r2/1", "b/r1/-1"}},
			{store.ListApprovalsParams{State: store.ApprovalPending}, []string{"a/r1/-1", "a/r2/1", "b/r1/-1"}},
			{store.ListApprovalsParams{State: store.ApprovalResponded}, []string{"a/r2/0"}},
			{store.ListApprovalsParams{DAGID: "a", RunID: "r2"}, []string{"a/r2/0", "a/r2/1"}},
			{store.ListApprovalsParams{Limit: 2}, []string{"a/r1/-1", "a/r2/0"}},
		} {
			list, err := s.ListApprovals(ctx, c.p)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, a := range list {
				got = append(got, fmt.Sprintf("%s/%s/%d", a.DAGID, a.RunID, a.MapIndex))
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("ListApprovals(%+v) = %v, want %v", c.p, got, c.want)
			}
		}
	})
	t.Run("OneAnswerWinsARace", func(t *testing.T) {
		ctx, s := setup(t)
		if err := s.PutApproval(ctx, &store.Approval{DAGID: "a", RunID: "r", TaskID: "gate", MapIndex: -1, Subject: "s",
			Options: []string{"Approve", "Reject"}}); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = s.RespondApproval(ctx, "a", "r", "gate", -1, store.ApprovalResponse{State: store.ApprovalResponded,
					ChosenOptions: []string{"Approve"}, RespondedBy: fmt.Sprint("p", i)})
			}()
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			if err == nil {
				won++
			} else {
				wantErrIs(t, "a losing answer", err, store.ErrConflict)
			}
		}
		if won != 1 {
			t.Fatalf("%d answers won, want exactly 1", won)
		}
	})
}

// testHash is a chain hash for the conformance tests (package audit has the real one;
// the store only calls it).
func testHash(e *store.AuditEntry) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s|%d|%d|%s|%s|%s|%s", e.PrevHash, e.ID, e.Time.UnixMicro(), e.Actor, e.Action, e.TargetID, e.Details)))
	return hex.EncodeToString(sum[:])
}

func testAudit(t *testing.T, setup setupFunc) {
	t.Run("AppendChainsAndLists", func(t *testing.T) {
		ctx, s := setup(t)
		in := []*store.AuditEntry{
			{Time: at(0), Actor: "ana", ActorKind: "token", Action: "dag_run.trigger", TargetType: "dag", TargetID: "etl",
				Details: json.RawMessage(`{"status":200}`), RequestID: "r1", RemoteAddr: "127.0.0.1:5000", Outcome: "success"},
			{Time: at(time.Minute), Actor: "bo", ActorKind: "local", Action: "dag.update", TargetType: "dag", TargetID: "etl", Outcome: "success"},
			{Time: at(2 * time.Minute), Actor: "ana", ActorKind: "token", Action: "dag_run.clear", TargetType: "dag_run", TargetID: "etl/r", Outcome: "failure"},
		}
		for i, e := range in {
			if err := s.AppendAudit(ctx, e, testHash); err != nil {
				t.Fatalf("AppendAudit %d: %v", i, err)
			}
			if e.ID != int64(i+1) {
				t.Fatalf("entry %d: ID %d, want %d", i, e.ID, i+1)
			}
			if e.Hash != testHash(e) || (i > 0 && e.PrevHash != in[i-1].Hash) || (i == 0 && e.PrevHash != "") {
				t.Fatalf("entry %d: prev %q hash %q: not chained", i, e.PrevHash, e.Hash)
			}
		}
		all, err := s.ListAudit(ctx, store.AuditFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 3 {
			t.Fatalf("ListAudit: %d entries, want 3", len(all))
		}
		for i := range all {
			checkStruct(t, fmt.Sprint("entry ", i+1), all[i], in[i])
		}
		for _, c := range []struct {
			f    store.AuditFilter
			want []int64
		}{
			{store.AuditFilter{Actor: "ana"}, []int64{1, 3}},
			{store.AuditFilter{Action: "dag_run.*"}, []int64{1, 3}},
			{store.AuditFilter{Action: "dag.update"}, []int64{2}},
			{store.AuditFilter{Since: at(time.Minute)}, []int64{2, 3}},
			{store.AuditFilter{Until: at(time.Minute)}, []int64{1}},
			{store.AuditFilter{AfterID: 1, Limit: 1}, []int64{2}},
			{store.AuditFilter{BeforeID: 3}, []int64{1, 2}},
			{store.AuditFilter{Newest: true}, []int64{3, 2, 1}},
			{store.AuditFilter{Newest: true, Limit: 2}, []int64{3, 2}},
			{store.AuditFilter{Newest: true, BeforeID: 3, Limit: 1}, []int64{2}},
			{store.AuditFilter{Newest: true, Actor: "ana"}, []int64{3, 1}},
		} {
			got, err := s.ListAudit(ctx, c.f)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, e := range got {
				ids = append(ids, e.ID)
			}
			if fmt.Sprint(ids) != fmt.Sprint(c.want) {
				t.Errorf("ListAudit(%+v) = %v, want %v", c.f, ids, c.want)
			}
		}
	})
	t.Run("ConcurrentAppendsKeepOneChain", func(t *testing.T) {
		ctx, s := setup(t)
		const n = 40
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := s.AppendAudit(ctx, &store.AuditEntry{Actor: fmt.Sprint("g", i), ActorKind: "token", Action: "x",
					Outcome: "success"}, testHash); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		checkChain(ctx, t, s, n)
	})
}

// checkChain checks that the log holds n entries numbered 1..n, each chained to the one
// before with testHash.
func checkChain(ctx context.Context, t *testing.T, s store.Store, n int) {
	t.Helper()
	all, err := s.ListAudit(ctx, store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != n {
		t.Fatalf("%d entries, want %d", len(all), n)
	}
	prev := ""
	for i, e := range all {
		if e.ID != int64(i+1) || e.PrevHash != prev || e.Hash != testHash(e) {
			t.Fatalf("entry %d (id %d): prev %q (want %q), hash %q (want %q): the chain is broken", i, e.ID, e.PrevHash, prev, e.Hash, testHash(e))
		}
		prev = e.Hash
	}
}
