package storetest

import (
	"testing"
	"time"

	"github.com/weirhq/weir/store"
)

func testUsers(t *testing.T, setup setupFunc) {
	t.Run("UsersGrantsSessions", func(t *testing.T) {
		ctx, s := setup(t)
		ann := &store.User{Name: "ann", PasswordHash: "$argon2id$x", Role: "viewer", CreatedAt: at(0)}
		if err := s.CreateUser(ctx, ann); err != nil {
			t.Fatalf("CreateUser(ann): %v", err)
		}
		wantErrIs(t, "CreateUser twice", s.CreateUser(ctx, &store.User{Name: "ann", Role: "admin"}), store.ErrAlreadyExists)
		got, err := s.GetUser(ctx, "ann")
		if err != nil {
			t.Fatalf("GetUser(ann): %v", err)
		}
		checkStruct(t, "user ann", got, ann)
		_, err = s.GetUser(ctx, "bob")
		wantErrIs(t, "GetUser(bob)", err, store.ErrNotFound)

		ann.Role, ann.PasswordHash, ann.DisabledAt = "operator", "$argon2id$y", at(time.Hour)
		if err := s.UpdateUser(ctx, ann); err != nil {
			t.Fatalf("UpdateUser(ann): %v", err)
		}
		got, _ = s.GetUser(ctx, "ann")
		checkStruct(t, "updated user ann", got, ann)
		wantErrIs(t, "UpdateUser(bob)", s.UpdateUser(ctx, &store.User{Name: "bob", Role: "viewer"}), store.ErrNotFound)
		if n, err := s.CountActiveUsers(ctx); err != nil || n != 0 {
			t.Fatalf("CountActiveUsers with ann disabled = %d, %v; want 0", n, err)
		}
		if err := s.CreateUser(ctx, &store.User{Name: "bob", Role: "admin", CreatedAt: at(time.Second)}); err != nil {
			t.Fatal(err)
		}
		if n, err := s.CountActiveUsers(ctx); err != nil || n != 1 {
			t.Fatalf("CountActiveUsers = %d, %v; want 1", n, err)
		}
		list, err := s.ListUsers(ctx)
		if err != nil || len(list) != 2 || list[0].Name != "ann" || list[1].Name != "bob" {
			t.Fatalf("ListUsers = %v, %v; want ann, bob", list, err)
		}

		g := &store.Grant{User: "ann", Target: "dag:etl", Role: "operator", CreatedAt: at(0)}
		if err := s.PutGrant(ctx, g); err != nil {
			t.Fatalf("PutGrant: %v", err)
		}
		g.Role = "admin"
		if err := s.PutGrant(ctx, g); err != nil {
			t.Fatalf("PutGrant again: %v", err)
		}
		if err := s.PutGrant(ctx, &store.Grant{User: "bob", Target: "model:iris", Role: "ml-engineer", CreatedAt: at(0)}); err != nil {
			t.Fatal(err)
		}
		wantErrIs(t, "PutGrant to a missing user", s.PutGrant(ctx, &store.Grant{User: "cy", Target: "dag:x", Role: "viewer"}), store.ErrNotFound)
		gs, err := s.ListGrants(ctx, "ann")
		if err != nil || len(gs) != 1 {
			t.Fatalf("ListGrants(ann) = %v, %v; want one", gs, err)
		}
		checkStruct(t, "ann's grant", gs[0], g)
		if all, err := s.ListGrants(ctx, ""); err != nil || len(all) != 2 {
			t.Fatalf("ListGrants() = %v, %v; want two", all, err)
		}

		se := &store.Session{Hash: "s1", User: "ann", CreatedAt: at(0), ExpiresAt: at(time.Hour)}
		if err := s.CreateSession(ctx, se); err != nil {
			t.Fatalf("CreateSession: %v", err)
		}
		if err := s.CreateSession(ctx, &store.Session{Hash: "s2", User: "bob", CreatedAt: at(0), ExpiresAt: at(time.Minute)}); err != nil {
			t.Fatal(err)
		}
		gotSe, err := s.GetSession(ctx, "s1")
		if err != nil {
			t.Fatalf("GetSession: %v", err)
		}
		checkStruct(t, "session", gotSe, se)
		// Deleting any session also drops expired ones.
		if err := s.DeleteSession(ctx, "none", at(2*time.Minute)); err != nil {
			t.Fatal(err)
		}
		_, err = s.GetSession(ctx, "s2")
		wantErrIs(t, "GetSession of an expired, swept session", err, store.ErrNotFound)

		if err := s.CreateToken(ctx, &store.Token{Hash: "th", Name: "ann-ci", Scope: "viewer", User: "ann", CreatedAt: at(0)}); err != nil {
			t.Fatal(err)
		}
		tok, err := s.GetTokenByHash(ctx, "th")
		if err != nil || tok.User != "ann" {
			t.Fatalf("token's user: %+v, %v; want ann", tok, err)
		}
		if err := s.DeleteUser(ctx, "ann", at(time.Hour)); err != nil {
			t.Fatalf("DeleteUser: %v", err)
		}
		wantErrIs(t, "DeleteUser twice", s.DeleteUser(ctx, "ann", at(time.Hour)), store.ErrNotFound)
		if gs, _ := s.ListGrants(ctx, "ann"); len(gs) != 0 {
			t.Errorf("grants of a deleted user: %v", gs)
		}
		_, err = s.GetSession(ctx, "s1")
		wantErrIs(t, "session of a deleted user", err, store.ErrNotFound)
		if tok, _ := s.GetTokenByHash(ctx, "th"); tok == nil || tok.RevokedAt.IsZero() {
			t.Errorf("token of a deleted user not revoked: %+v", tok)
		}
		wantErrIs(t, "DeleteGrant of none", s.DeleteGrant(ctx, "bob", "dag:x"), store.ErrNotFound)
		if err := s.DeleteGrant(ctx, "bob", "model:iris"); err != nil {
			t.Fatalf("DeleteGrant: %v", err)
		}
	})
}
