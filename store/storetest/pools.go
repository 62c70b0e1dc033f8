package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/weirhq/weir/store"
)

func testPools(t *testing.T, setup setupFunc) {
	getPool := func(ctx context.Context, t *testing.T, s store.Store, name string) *store.Pool {
		t.Helper()
		p, err := s.GetPool(ctx, name)
		if err != nil {
			t.Fatalf("GetPool(%q): %v", name, err)
		}
		return p
	}
	checkPools := func(ctx context.Context, t *testing.T, s store.Store, want ...*store.Pool) {
		t.Helper()
		got, err := s.ListPools(ctx)
		if err != nil {
			t.Fatalf("ListPools: %v", err)
		}
		if len(got) != len(want) {
			t.Fatalf("ListPools returned %d pools, want %d", len(got), len(want))
		}
		for i := range want {
			checkStruct(t, "pool "+want[i].Name, got[i], want[i])
		}
	}
	defaultPool := func(ctx context.Context, t *testing.T, s store.Store) *store.Pool {
		t.Helper()
		p := getPool(ctx, t, s, store.DefaultPool)
		if p.Name != store.DefaultPool || p.Slots != 128 {
			t.Fatalf("default pool = %+v, want %s with 128 slots", p, store.DefaultPool)
		}
		return p
	}

	t.Run("Default", func(t *testing.T) {
		ctx, s := setup(t)
		checkPools(ctx, t, s, defaultPool(ctx, t, s))
	})

	t.Run("UpsertAndList", func(t *testing.T) {
		ctx, s := setup(t)
		def := defaultPool(ctx, t, s)
		gpu := &store.Pool{Name: "gpu", Slots: 2, Description: "the two GPUs"}
		api := &store.Pool{Name: "api", Slots: -1} // unlimited, no description
		zero := &store.Pool{Name: "Zero", Slots: 0, Description: "paused"}
		for _, p := range []*store.Pool{gpu, api, zero} {
			if err := s.UpsertPool(ctx, p); err != nil {
				t.Fatalf("UpsertPool(%+v): %v", p, err)
			}
		}
		checkPools(ctx, t, s, zero, api, def, gpu) // bytewise: "Z" < "a" < "d" < "g"

		gpu2 := &store.Pool{Name: "gpu", Slots: 4, Description: ""}
		if err := s.UpsertPool(ctx, gpu2); err != nil {
			t.Fatalf("UpsertPool: %v", err)
		}
		checkStruct(t, "pool gpu", getPool(ctx, t, s, "gpu"), gpu2)

		def2 := &store.Pool{Name: store.DefaultPool, Slots: 16, Description: "smaller"}
		if err := s.UpsertPool(ctx, def2); err != nil {
			t.Fatalf("UpsertPool(default): %v", err)
		}
		checkPools(ctx, t, s, zero, api, def2, gpu2)
	})

	t.Run("Delete", func(t *testing.T) {
		ctx, s := setup(t)
		def := defaultPool(ctx, t, s)
		if err := s.UpsertPool(ctx, &store.Pool{Name: "gpu", Slots: 2}); err != nil {
			t.Fatalf("UpsertPool: %v", err)
		}
		if err := s.DeletePool(ctx, "gpu"); err != nil {
			t.Fatalf("DeletePool: %v", err)
		}
		_, err := s.GetPool(ctx, "gpu")
		wantErrIs(t, "GetPool of a deleted pool", err, store.ErrNotFound)
		wantErrIs(t, "DeletePool of a deleted pool", s.DeletePool(ctx, "gpu"), store.ErrNotFound)
		checkPools(ctx, t, s, def)
	})

	t.Run("DeleteDefault", func(t *testing.T) {
		ctx, s := setup(t)
		def := defaultPool(ctx, t, s)
		err := s.DeletePool(ctx, store.DefaultPool)
		if err == nil || errors.Is(err, store.ErrNotFound) {
			t.Fatalf("DeletePool(default) = %v, want an error other than ErrNotFound", err)
		}
		checkPools(ctx, t, s, def)
	})

	t.Run("NotFound", func(t *testing.T) {
		ctx, s := setup(t)
		p, err := s.GetPool(ctx, "missing")
		wantErrIs(t, "GetPool of a missing pool", err, store.ErrNotFound)
		if p != nil {
			t.Errorf("GetPool returned a pool with its error")
		}
		wantErrIs(t, "DeletePool of a missing pool", s.DeletePool(ctx, "missing"), store.ErrNotFound)
	})

	t.Run("EmptyName", func(t *testing.T) {
		ctx, s := setup(t)
		if err := s.UpsertPool(ctx, &store.Pool{Slots: 1}); err == nil {
			t.Fatal("UpsertPool with an empty name succeeded, want an error")
		}
	})
}
