package engine_test

import (
	"slices"
	"testing"
	"time"

	"github.com/weirhq/weir/engine"
	"github.com/weirhq/weir/schedule"
	"github.com/weirhq/weir/store"
)

// ClearSpan and MarkSpan pick the runs of include_past and include_future as Airflow does.
func TestClearSpanAndMarkSpan(t *testing.T) {
	t.Parallel()
	at := func(s string) time.Time { v, _ := time.Parse(time.RFC3339, s); return v }
	// Every 6 h from midnight; r2x is off that schedule; r9 is dated after now.
	runs := []*store.DAGRun{
		{RunID: "r9", LogicalDate: at("2026-01-09T00:00:00Z")},
		{RunID: "r1", LogicalDate: at("2026-01-01T00:00:00Z")},
		{RunID: "r2x", LogicalDate: at("2026-01-01T07:00:00Z")},
		{RunID: "r2", LogicalDate: at("2026-01-01T06:00:00Z")},
		{RunID: "r3", LogicalDate: at("2026-01-01T12:00:00Z")},
	}
	byID := map[string]*store.DAGRun{}
	for _, r := range runs {
		byID[r.RunID] = r
	}
	ids := func(rs []*store.DAGRun) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.RunID)
		}
		return out
	}
	now := at("2026-01-05T00:00:00Z")
	every6h := schedule.MustParse("every 6h", "")
	for _, tc := range []struct {
		name string
		got  []*store.DAGRun
		want []string
	}{
		{"clear alone", engine.ClearSpan(runs, byID["r2"], false, false, now), []string{"r2"}},
		{"clear past", engine.ClearSpan(runs, byID["r2"], true, false, now), []string{"r1", "r2"}},
		{"clear future stops at now", engine.ClearSpan(runs, byID["r2"], false, true, now), []string{"r2", "r2x", "r3"}},
		{"clear both", engine.ClearSpan(runs, byID["r2x"], true, true, now), []string{"r1", "r2", "r2x", "r3"}},
		{"mark periodic future: schedule dates only", engine.MarkSpan(runs, byID["r2"], false, true, every6h), []string{"r2", "r3", "r9"}},
		{"mark periodic past from an off-schedule run", engine.MarkSpan(runs, byID["r2x"], true, false, every6h), []string{"r1", "r2", "r2x"}},
		{"mark manual future: every run", engine.MarkSpan(runs, byID["r2"], false, true, schedule.MustParse("", "")), []string{"r2", "r2x", "r3", "r9"}},
		{"mark once: the run only", engine.MarkSpan(runs, byID["r2"], true, true, schedule.MustParse("@once", "")), []string{"r2"}},
	} {
		if got := ids(tc.got); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
