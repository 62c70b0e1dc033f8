package storetest

import (
	"testing"
	"time"

	"github.com/weirhq/weir/store"
)

func testTaskTokens(t *testing.T, setup setupFunc) {
	t.Run("MintPurgeRevoke", func(t *testing.T) { testTaskTokenLife(t, setup) })
}

func testTaskTokenLife(t *testing.T, setup setupFunc) {
	ctx, s := setup(t)
	a := &store.TaskToken{Hash: "t1", DAGID: "etl", RunID: "r1", TaskID: "train", MapIndex: 2, TryNumber: 3,
		Scope: "write", CreatedAt: at(0), ExpiresAt: at(time.Hour)}
	b := &store.TaskToken{Hash: "t2", DAGID: "etl", RunID: "r1", TaskID: "eval", MapIndex: -1, TryNumber: 1,
		Scope: "write", CreatedAt: at(0), ExpiresAt: at(2 * time.Hour)}
	for _, tok := range []*store.TaskToken{a, b} {
		if err := s.CreateTaskToken(ctx, tok); err != nil {
			t.Fatalf("CreateTaskToken(%s): %v", tok.Hash, err)
		}
	}
	got, err := s.GetTaskToken(ctx, "t1")
	if err != nil {
		t.Fatalf("GetTaskToken(t1): %v", err)
	}
	checkStruct(t, "task token t1", got, a)
	wantErrIs(t, "CreateTaskToken with a taken hash", s.CreateTaskToken(ctx, &store.TaskToken{Hash: "t1", DAGID: "x",
		RunID: "r", TaskID: "t", Scope: "write", ExpiresAt: at(time.Hour)}), store.ErrAlreadyExists)
	_, err = s.GetTaskToken(ctx, "missing")
	wantErrIs(t, "GetTaskToken of a missing hash", err, store.ErrNotFound)

	// Task tokens are not API tokens: they never turn authentication on.
	if n, err := s.CountActiveTokens(ctx); err != nil || n != 0 {
		t.Errorf("CountActiveTokens with task tokens only = %d, %v; want 0", n, err)
	}

	// A later try of t1's instance revokes t1's token: only that instance's earlier tries.
	c := &store.TaskToken{Hash: "t3", DAGID: "etl", RunID: "r1", TaskID: "train", MapIndex: 2, TryNumber: 4,
		Scope: "write", CreatedAt: at(0), ExpiresAt: at(time.Hour)}
	if err := s.CreateTaskToken(ctx, c); err != nil {
		t.Fatalf("CreateTaskToken(t3): %v", err)
	}
	if err := s.DeleteEarlierTaskTokens(ctx, "etl", "r1", "train", 2, 4); err != nil {
		t.Fatalf("DeleteEarlierTaskTokens: %v", err)
	}
	_, err = s.GetTaskToken(ctx, "t1")
	wantErrIs(t, "GetTaskToken of an earlier try's token", err, store.ErrNotFound)
	for _, h := range []string{"t2", "t3"} {
		if _, err := s.GetTaskToken(ctx, h); err != nil {
			t.Fatalf("GetTaskToken(%s) after revoking train[2]'s earlier tries: %v", h, err)
		}
	}
	if err := s.CreateTaskToken(ctx, a); err != nil {
		t.Fatalf("CreateTaskToken(t1) again: %v", err)
	}
	if err := s.DeleteTaskToken(ctx, "t3"); err != nil {
		t.Fatal(err)
	}

	n, err := s.PurgeTaskTokens(ctx, at(time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("PurgeTaskTokens(1h) = %d, %v; want 1 (t1 expired at 1h)", n, err)
	}
	_, err = s.GetTaskToken(ctx, "t1")
	wantErrIs(t, "GetTaskToken of a purged token", err, store.ErrNotFound)
	if _, err := s.GetTaskToken(ctx, "t2"); err != nil {
		t.Fatalf("GetTaskToken(t2) after purging t1: %v", err)
	}
	if err := s.DeleteTaskToken(ctx, "t2"); err != nil {
		t.Fatalf("DeleteTaskToken(t2): %v", err)
	}
	_, err = s.GetTaskToken(ctx, "t2")
	wantErrIs(t, "GetTaskToken of a deleted token", err, store.ErrNotFound)
	if err := s.DeleteTaskToken(ctx, "t2"); err != nil {
		t.Errorf("DeleteTaskToken of a missing token: %v, want nil", err)
	}
}
