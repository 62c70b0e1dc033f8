package storetest

import (
	"errors"
	"strings"
	"testing"

	"github.com/weirhq/weir/store"
)

func testSecrets(t *testing.T, setup setupFunc) {
	t.Run("Variables", func(t *testing.T) {
		ctx, s := setup(t)
		a := &store.Variable{Key: "b_key", Value: "ct-1", Description: "first", IsSecret: true}
		b := &store.Variable{Key: "a_key", Value: "ct-2"}
		for _, v := range []*store.Variable{a, b} {
			if err := s.PutVariable(ctx, v); err != nil {
				t.Fatalf("PutVariable(%s): %v", v.Key, err)
			}
			if v.UpdatedAt.IsZero() {
				t.Errorf("PutVariable(%s) left UpdatedAt zero", v.Key)
			}
		}
		got, err := s.GetVariable(ctx, "b_key")
		if err != nil {
			t.Fatalf("GetVariable: %v", err)
		}
		if got.Value != "ct-1" || got.Description != "first" || !got.IsSecret || got.UpdatedAt.IsZero() {
			t.Errorf("GetVariable(b_key) = %+v, want value ct-1, description first, secret", got)
		}
		// Put replaces the whole row.
		if err := s.PutVariable(ctx, &store.Variable{Key: "b_key", Value: "ct-3"}); err != nil {
			t.Fatalf("PutVariable(replace): %v", err)
		}
		got, _ = s.GetVariable(ctx, "b_key")
		if got.Value != "ct-3" || got.IsSecret || got.Description != "" {
			t.Errorf("after replace, GetVariable(b_key) = %+v, want value ct-3, not secret, no description", got)
		}
		list, err := s.ListVariables(ctx)
		if err != nil {
			t.Fatalf("ListVariables: %v", err)
		}
		var keys []string
		for _, v := range list {
			keys = append(keys, v.Key)
		}
		if strings.Join(keys, ",") != "a_key,b_key" {
			t.Errorf("ListVariables keys = %v, want [a_key b_key]", keys)
		}
		if err := s.DeleteVariable(ctx, "a_key"); err != nil {
			t.Fatalf("DeleteVariable: %v", err)
		}
		wantErrIs(t, "DeleteVariable twice", s.DeleteVariable(ctx, "a_key"), store.ErrNotFound)
		_, err = s.GetVariable(ctx, "a_key")
		wantErrIs(t, "GetVariable of a deleted key", err, store.ErrNotFound)
		if err := s.PutVariable(ctx, &store.Variable{Value: "x"}); err == nil {
			t.Error("PutVariable with an empty key: no error")
		}
	})
	t.Run("Connections", func(t *testing.T) {
		ctx, s := setup(t)
		c := &store.Connection{ConnID: "db", ConnType: "postgres", Description: "main", Host: "h", Schema: "s",
			Login: "u", Port: 5432, Password: "ct-pw", Extra: "ct-extra"}
		if err := s.PutConnection(ctx, c); err != nil {
			t.Fatalf("PutConnection: %v", err)
		}
		got, err := s.GetConnection(ctx, "db")
		if err != nil {
			t.Fatalf("GetConnection: %v", err)
		}
		want := *c
		want.UpdatedAt = got.UpdatedAt
		if *got != want || got.UpdatedAt.IsZero() {
			t.Errorf("GetConnection = %+v, want %+v", got, want)
		}
		if err := s.PutConnection(ctx, &store.Connection{ConnID: "db", ConnType: "http"}); err != nil {
			t.Fatalf("PutConnection(replace): %v", err)
		}
		got, _ = s.GetConnection(ctx, "db")
		if got.ConnType != "http" || got.Password != "" || got.Port != 0 {
			t.Errorf("after replace, GetConnection = %+v, want a http connection with no password or port", got)
		}
		if err := s.PutConnection(ctx, &store.Connection{ConnID: "api"}); err != nil {
			t.Fatal(err)
		}
		list, err := s.ListConnections(ctx)
		if err != nil || len(list) != 2 || list[0].ConnID != "api" || list[1].ConnID != "db" {
			t.Errorf("ListConnections = %v, %v; want api, db", list, err)
		}
		if err := s.DeleteConnection(ctx, "db"); err != nil {
			t.Fatalf("DeleteConnection: %v", err)
		}
		wantErrIs(t, "DeleteConnection twice", s.DeleteConnection(ctx, "db"), store.ErrNotFound)
		_, err = s.GetConnection(ctx, "db")
		wantErrIs(t, "GetConnection of a deleted ID", err, store.ErrNotFound)
	})
	t.Run("RewriteSecrets", func(t *testing.T) {
		ctx, s := setup(t)
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(s.PutVariable(ctx, &store.Variable{Key: "v", Value: "old-v"}))
		must(s.PutConnection(ctx, &store.Connection{ConnID: "c", Host: "h", Password: "old-p"}))
		must(s.PutConnection(ctx, &store.Connection{ConnID: "d", Extra: "old-e"}))
		// A failing rewrite writes nothing.
		boom := errors.New("boom")
		_, err := s.RewriteSecrets(ctx, func(f store.SecretField, ct string) (string, error) {
			if f.Kind == "connection" && f.ID == "d" {
				return "", boom
			}
			return "new-" + ct, nil
		})
		wantErrIs(t, "RewriteSecrets failing on d", err, boom)
		v, _ := s.GetVariable(ctx, "v")
		if v.Value != "old-v" {
			t.Errorf("after a failed rewrite, variable v = %q, want old-v (nothing written)", v.Value)
		}
		var seen []string
		n, err := s.RewriteSecrets(ctx, func(f store.SecretField, ct string) (string, error) {
			seen = append(seen, f.Kind+"/"+f.ID+"/"+f.Field)
			return "new-" + ct, nil
		})
		if err != nil || n != 3 {
			t.Fatalf("RewriteSecrets = %d, %v; want 3, nil", n, err)
		}
		if got := strings.Join(seen, " "); got != "variable/v/value connection/c/password connection/d/extra" {
			t.Errorf("RewriteSecrets saw %q", got)
		}
		v, _ = s.GetVariable(ctx, "v")
		c, _ := s.GetConnection(ctx, "c")
		d, _ := s.GetConnection(ctx, "d")
		if v.Value != "new-old-v" || c.Password != "new-old-p" || c.Host != "h" || c.Extra != "" || d.Extra != "new-old-e" || d.Password != "" {
			t.Errorf("after rewrite: v=%q c=%+v d=%+v", v.Value, c, d)
		}
	})
}
