package storetest

import (
	"testing"

	"github.com/weirhq/weir/store"
)

// testAssetAliases checks that an event recorded through an asset alias (SourceAlias) links
// the alias to its URI, with Apply and AddDatasetEvent, once per pair, kept from the first
// link; and that an event without an alias links nothing.
func testAssetAliases(t *testing.T, setup setupFunc) {
	t.Run("LinkedByEvents", func(t *testing.T) { testAliasLinks(t, setup) })
}

func testAliasLinks(t *testing.T, setup setupFunc) {
	ctx, s := setup(t)
	list := func() []*store.AssetAlias {
		t.Helper()
		as, err := s.ListAssetAliases(ctx)
		if err != nil {
			t.Fatalf("ListAssetAliases: %v", err)
		}
		return as
	}
	if as := list(); len(as) != 0 {
		t.Fatalf("a new store lists %d alias links, want none", len(as))
	}
	e1 := event("s3://bucket/a", "consumer")
	e1.SourceAlias = "example-alias"
	mustApply(ctx, t, s, &store.Batch{DatasetEvents: []*store.DatasetEvent{e1, event("s3://plain")}})
	first := list()
	if len(first) != 1 || first[0].Alias != "example-alias" || first[0].URI != "s3://bucket/a" || first[0].CreatedAt.IsZero() {
		t.Fatalf("after one event through the alias: %+v, want example-alias → s3://bucket/a", first)
	}
	// The same link again, and a second URI and a second alias through AddDatasetEvent.
	for _, x := range [][2]string{{"example-alias", "s3://bucket/a"}, {"example-alias", "s3://bucket/b"}, {"other", "s3://bucket/a"}} {
		ev := event(x[1])
		ev.SourceAlias = x[0]
		mustAddEvent(ctx, t, s, ev)
	}
	got := list()
	want := [][2]string{{"example-alias", "s3://bucket/a"}, {"example-alias", "s3://bucket/b"}, {"other", "s3://bucket/a"}}
	if len(got) != len(want) {
		t.Fatalf("alias links %+v, want %v", got, want)
	}
	for i, w := range want {
		if got[i].Alias != w[0] || got[i].URI != w[1] {
			t.Fatalf("alias link %d is %s → %s, want %s → %s", i, got[i].Alias, got[i].URI, w[0], w[1])
		}
	}
	if !got[0].CreatedAt.Equal(first[0].CreatedAt) {
		t.Fatalf("a repeated link changed its time from %v to %v", first[0].CreatedAt, got[0].CreatedAt)
	}
}
