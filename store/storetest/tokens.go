package storetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/weirhq/weir/store"
)

func testTokens(t *testing.T, setup setupFunc) {
	t.Run("RoundTripAndRevoke", func(t *testing.T) {
		ctx, s := setup(t)
		a := &store.Token{Hash: "h1", Name: "ci", Scope: "write", CreatedAt: at(0), ExpiresAt: at(time.Hour)}
		b := &store.Token{Hash: "h2", Name: "reader", Scope: "read", CreatedAt: at(time.Second)}
		for _, tok := range []*store.Token{a, b} {
			if err := s.CreateToken(ctx, tok); err != nil {
				t.Fatalf("CreateToken(%s): %v", tok.Name, err)
			}
		}
		got, err := s.GetTokenByHash(ctx, "h1")
		if err != nil {
			t.Fatalf("GetTokenByHash(h1): %v", err)
		}
		checkStruct(t, "token h1", got, a)
		_, err = s.GetTokenByHash(ctx, "missing")
		wantErrIs(t, "GetTokenByHash of a missing hash", err, store.ErrNotFound)

		err = s.CreateToken(ctx, &store.Token{Hash: "h3", Name: "ci", Scope: "read", CreatedAt: at(2 * time.Second)})
		wantErrIs(t, "CreateToken with an active token's name", err, store.ErrAlreadyExists)
		err = s.CreateToken(ctx, &store.Token{Hash: "h1", Name: "other", Scope: "read", CreatedAt: at(2 * time.Second)})
		wantErrIs(t, "CreateToken with a taken hash", err, store.ErrAlreadyExists)

		countActive(ctx, t, s, 2)
		if err := s.RevokeToken(ctx, "ci", at(time.Minute)); err != nil {
			t.Fatalf("RevokeToken(ci): %v", err)
		}
		wantErrIs(t, "RevokeToken twice", s.RevokeToken(ctx, "ci", at(time.Minute)), store.ErrNotFound)
		got, err = s.GetTokenByHash(ctx, "h1")
		if err != nil {
			t.Fatalf("GetTokenByHash(h1) after revoke: %v", err)
		}
		if !got.RevokedAt.Equal(at(time.Minute).Truncate(time.Microsecond)) {
			t.Errorf("revoked token's RevokedAt = %v, want %v", got.RevokedAt, at(time.Minute))
		}
		countActive(ctx, t, s, 1)
		// A revoked token frees its name.
		if err := s.CreateToken(ctx, &store.Token{Hash: "h4", Name: "ci", Scope: "admin", CreatedAt: at(2 * time.Minute)}); err != nil {
			t.Fatalf("CreateToken(ci) after revoke: %v", err)
		}
		list, err := s.ListTokens(ctx)
		if err != nil {
			t.Fatalf("ListTokens: %v", err)
		}
		var hashes []string
		for _, tok := range list {
			hashes = append(hashes, tok.Hash)
		}
		if got, want := strings.Join(hashes, ","), "h1,h4,h2"; got != want {
			t.Errorf("ListTokens hashes = %s, want %s (by name, then creation time)", got, want)
		}
	})
}

func countActive(ctx context.Context, t *testing.T, s store.Store, want int) {
	t.Helper()
	n, err := s.CountActiveTokens(ctx)
	if err != nil {
		t.Fatalf("CountActiveTokens: %v", err)
	}
	if n != want {
		t.Errorf("CountActiveTokens = %d, want %d", n, want)
	}
}
