package storetest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/weirhq/weir/store"
)

func testServeErrors(t *testing.T, setup setupFunc) {
	t.Run("IdempotentMaxAndLastMessage", func(t *testing.T) { testServeErrorsPut(t, setup) })
	t.Run("Filters", func(t *testing.T) { testServeErrorsList(t, setup) })
	t.Run("Invalid", func(t *testing.T) { testServeErrorsInvalid(t, setup) })
}

func serveErrorLines(cs []*store.ServeErrorCount) []string {
	var out []string
	for _, c := range cs {
		out = append(out, fmt.Sprintf("%s %s %s %s/%s %s n=%d status=%d msg=%q at=%s", c.Endpoint,
			c.Minute.UTC().Format("15:04:05"), c.Writer, c.ModelName, c.ModelVersion, c.Class, c.Count, c.LastStatus,
			c.LastMessage, c.LastAt.UTC().Format("15:04:05.000")))
	}
	return out
}

func checkLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("%s:\n got %s\nwant %s", what, strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
}

// testServeErrorsPut writes running totals again, out of order and from two writers: the
// larger count and the later message win, and each writer keeps its own row.
func testServeErrorsPut(t *testing.T, setup setupFunc) {
	ctx, s := setup(t)
	m := t0.Truncate(time.Minute)
	c := func(writer, version, class string, n int64, status int, msg string, at time.Duration) *store.ServeErrorCount {
		return &store.ServeErrorCount{Endpoint: "possum", Minute: m.Add(20 * time.Second), Writer: writer, ModelName: "possum",
			ModelVersion: version, Class: class, Count: n, LastStatus: status, LastMessage: msg, LastAt: m.Add(at)}
	}
	steps := [][]*store.ServeErrorCount{
		{c("w1", "1", store.ServeError4xx, 2, 400, "bad json", 2*time.Second), c("w1", "1", store.ServeError5xx, 1, 500, "model failed", 3*time.Second)},
		{c("w1", "1", store.ServeError4xx, 5, 400, "missing column x", 9*time.Second)},
		// A late, older write (a retry of the first batch) changes nothing.
		{c("w1", "1", store.ServeError4xx, 2, 400, "bad json", 2*time.Second)},
		// Another writer counts the same version in the same minute.
		{c("w2", "1", store.ServeError4xx, 1, 413, "too large", 4*time.Second)},
		// The version unknown: no model chosen.
		{{Endpoint: "possum", Minute: m, Writer: "w2", Class: store.ServeError5xx, Count: 3, LastStatus: 503, LastMessage: "not ready", LastAt: m.Add(time.Second)}},
	}
	for i, cs := range steps {
		if err := s.PutServeErrors(ctx, cs); err != nil {
			t.Fatalf("PutServeErrors step %d: %v", i, err)
		}
	}
	// The same write twice is harmless.
	if err := s.PutServeErrors(ctx, steps[4]); err != nil {
		t.Fatal(err)
	}
	got, err := s.ListServeErrors(ctx, store.ServeErrorFilter{Endpoint: "possum"})
	if err != nil {
		t.Fatal(err)
	}
	hm := m.UTC().Format("15:04:05")
	checkLines(t, "ListServeErrors", serveErrorLines(got), []string{
		"possum " + hm + ` w1 possum/1 4xx n=5 status=400 msg="missing column x" at=` + m.Add(9*time.Second).UTC().Format("15:04:05.000"),
		"possum " + hm + ` w1 possum/1 5xx n=1 status=500 msg="model failed" at=` + m.Add(3*time.Second).UTC().Format("15:04:05.000"),
		"possum " + hm + ` w2 / 5xx n=3 status=503 msg="not ready" at=` + m.Add(time.Second).UTC().Format("15:04:05.000"),
		"possum " + hm + ` w2 possum/1 4xx n=1 status=413 msg="too large" at=` + m.Add(4*time.Second).UTC().Format("15:04:05.000"),
	})
	// A long message is cut.
	long := c("w3", "2", store.ServeError5xx, 1, 500, strings.Repeat("x", store.MaxServeErrorMessage+50), time.Second)
	if err := s.PutServeErrors(ctx, []*store.ServeErrorCount{long}); err != nil {
		t.Fatal(err)
	}
	got, err = s.ListServeErrors(ctx, store.ServeErrorFilter{Endpoint: "possum", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range got {
		if g.Writer == "w3" && len(g.LastMessage) != store.MaxServeErrorMessage {
			t.Errorf("a message of %d bytes was kept as %d bytes, want %d", len(long.LastMessage), len(g.LastMessage), store.MaxServeErrorMessage)
		}
	}
}

func testServeErrorsList(t *testing.T, setup setupFunc) {
	ctx, s := setup(t)
	m := t0.Truncate(time.Minute)
	var cs []*store.ServeErrorCount
	for i, ep := range []string{"a", "b", "a", "a"} {
		at := m.Add(time.Duration(i) * time.Minute)
		cs = append(cs, &store.ServeErrorCount{Endpoint: ep, Minute: at, Writer: "w", ModelName: ep, ModelVersion: "1",
			Class: store.ServeError4xx, Count: int64(i + 1), LastStatus: 400, LastMessage: "bad", LastAt: at.Add(time.Second)})
	}
	if err := s.PutServeErrors(ctx, cs); err != nil {
		t.Fatal(err)
	}
	count := func(f store.ServeErrorFilter) []int64 {
		t.Helper()
		got, err := s.ListServeErrors(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var ns []int64
		for _, g := range got {
			ns = append(ns, g.Count)
		}
		return ns
	}
	for _, tc := range []struct {
		name string
		f    store.ServeErrorFilter
		want string
	}{
		{"all, newest first", store.ServeErrorFilter{}, "[4 3 2 1]"},
		{"endpoint", store.ServeErrorFilter{Endpoint: "a"}, "[4 3 1]"},
		// Since in the middle of minute 2 keeps minute 2 (it ends after Since).
		{"since mid-minute", store.ServeErrorFilter{Endpoint: "a", Since: m.Add(2*time.Minute + 30*time.Second)}, "[4 3]"},
		{"limit", store.ServeErrorFilter{Limit: 1}, "[4]"},
		{"none", store.ServeErrorFilter{Endpoint: "c"}, "[]"},
	} {
		if got := fmt.Sprint(count(tc.f)); got != tc.want {
			t.Errorf("ListServeErrors %s: counts %s, want %s", tc.name, got, tc.want)
		}
	}
}

func testServeErrorsInvalid(t *testing.T, setup setupFunc) {
	ctx, s := setup(t)
	ok := store.ServeErrorCount{Endpoint: "a", Minute: t0, Writer: "w", Class: store.ServeError4xx, Count: 1, LastAt: t0}
	for name, mod := range map[string]func(c *store.ServeErrorCount){
		"no endpoint": func(c *store.ServeErrorCount) { c.Endpoint = "" },
		"no writer":   func(c *store.ServeErrorCount) { c.Writer = "" },
		"no minute":   func(c *store.ServeErrorCount) { c.Minute = time.Time{} },
		"bad class":   func(c *store.ServeErrorCount) { c.Class = "3xx" },
		"zero count":  func(c *store.ServeErrorCount) { c.Count = 0 },
	} {
		c := ok
		mod(&c)
		if err := s.PutServeErrors(ctx, []*store.ServeErrorCount{&ok, &c}); err == nil {
			t.Errorf("PutServeErrors accepted a count with %s", name)
		}
	}
	// Nothing of a refused batch was written.
	if got, err := s.ListServeErrors(ctx, store.ServeErrorFilter{}); err != nil || len(got) != 0 {
		t.Errorf("after refused batches: %d rows, %v; want none", len(got), err)
	}
}
