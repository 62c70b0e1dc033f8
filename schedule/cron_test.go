package schedule

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
)

// ticks returns the first n schedule times after from, checking on the way that prev walks
// the same sequence back.
func ticksAfter(t *testing.T, tt Timetable, from time.Time, n int) []time.Time {
	t.Helper()
	var got []time.Time
	at := from
	for range n {
		next, ok := tt.cron.next(at)
		if !ok {
			t.Fatalf("no tick after %v", at)
		}
		got = append(got, next)
		at = next
	}
	for i := len(got) - 1; i > 0; i-- {
		if p, ok := tt.cron.prev(got[i]); !ok || !p.Equal(got[i-1]) {
			t.Errorf("prev(%v) = %v, want %v", got[i], p, got[i-1])
		}
	}
	return got
}

// TestCronDST checks schedules across DST transitions. Expected times are written as UTC
// instants with the local reading in the comment.
func TestCronDST(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, schedule, zone string
		from                 time.Time
		want                 []time.Time
	}{
		{
			// Europe/Amsterdam, 2024-03-31: 02:00 CET becomes 03:00 CEST (01:00Z).
			"hourly over the Amsterdam spring gap", "@hourly", "Europe/Amsterdam", utc(2024, 3, 30, 22, 30),
			[]time.Time{
				utc(2024, 3, 30, 23, 0), // 00:00 CET
				utc(2024, 3, 31, 0, 0),  // 01:00 CET
				utc(2024, 3, 31, 1, 0),  // 03:00 CEST
				utc(2024, 3, 31, 2, 0),  // 04:00 CEST
			},
		},
		{
			// Europe/Amsterdam, 2024-10-27: 03:00 CEST becomes 02:00 CET (01:00Z).
			"hourly over the Amsterdam autumn fold", "@hourly", "Europe/Amsterdam", utc(2024, 10, 26, 22, 30),
			[]time.Time{
				utc(2024, 10, 26, 23, 0), // 01:00 CEST
				utc(2024, 10, 27, 0, 0),  // 02:00 CEST
				utc(2024, 10, 27, 1, 0),  // 02:00 CET
				utc(2024, 10, 27, 2, 0),  // 03:00 CET
			},
		},
		{
			"daily at 02:30 moves to 03:30 on the spring gap day", "30 2 * * *", "Europe/Amsterdam", utc(2024, 3, 29, 12, 0),
			[]time.Time{
				utc(2024, 3, 30, 1, 30), // 02:30 CET
				utc(2024, 3, 31, 1, 30), // 03:30 CEST: 02:30 does not exist
				utc(2024, 4, 1, 0, 30),  // 02:30 CEST
			},
		},
		{
			"daily at 02:30 runs once, on the second 02:30, on the fold day", "30 2 * * *", "Europe/Amsterdam", utc(2024, 10, 25, 12, 0),
			[]time.Time{
				utc(2024, 10, 26, 0, 30), // 02:30 CEST
				utc(2024, 10, 27, 1, 30), // 02:30 CET, not 02:30 CEST (00:30Z)
				utc(2024, 10, 28, 1, 30), // 02:30 CET
			},
		},
		{
			// America/New_York, 2024-11-03: 02:00 EDT becomes 01:00 EST (06:00Z).
			"daily midnight over the New York fold: a 25-hour day", "@daily", "America/New_York", utc(2024, 11, 1, 12, 0),
			[]time.Time{
				utc(2024, 11, 2, 4, 0), // 00:00 EDT
				utc(2024, 11, 3, 4, 0), // 00:00 EDT
				utc(2024, 11, 4, 5, 0), // 00:00 EST
			},
		},
		{
			// America/New_York, 2024-03-10: 02:00 EST becomes 03:00 EDT (07:00Z).
			"daily at 02:00 over the New York gap", "0 2 * * *", "America/New_York", utc(2024, 3, 8, 12, 0),
			[]time.Time{
				utc(2024, 3, 9, 7, 0),  // 02:00 EST
				utc(2024, 3, 10, 7, 0), // 03:00 EDT
				utc(2024, 3, 11, 6, 0), // 02:00 EDT
			},
		},
		{
			"every 30 minutes over the New York fold", "*/30 * * * *", "America/New_York", utc(2024, 11, 3, 4, 45),
			[]time.Time{
				utc(2024, 11, 3, 5, 0),  // 01:00 EDT
				utc(2024, 11, 3, 5, 30), // 01:30 EDT
				utc(2024, 11, 3, 6, 0),  // 01:00 EST
				utc(2024, 11, 3, 6, 30), // 01:30 EST
				utc(2024, 11, 3, 7, 0),  // 02:00 EST
			},
		},
		{
			"every 15 minutes over the New York gap", "*/15 * * * *", "America/New_York", utc(2024, 3, 10, 6, 40),
			[]time.Time{
				utc(2024, 3, 10, 6, 45), // 01:45 EST
				utc(2024, 3, 10, 7, 0),  // 03:00 EDT
				utc(2024, 3, 10, 7, 15), // 03:15 EDT
			},
		},
		{
			"every two hours over the New York fold", "0 */2 * * *", "America/New_York", utc(2024, 11, 3, 3, 0),
			[]time.Time{
				utc(2024, 11, 3, 4, 0), // 00:00 EDT
				utc(2024, 11, 3, 7, 0), // 02:00 EST: three real hours later
				utc(2024, 11, 3, 9, 0), // 04:00 EST
			},
		},
		{
			"daily midnight in UTC", "@daily", "", utc(2024, 3, 30, 12, 0),
			[]time.Time{utc(2024, 3, 31, 0, 0), utc(2024, 4, 1, 0, 0)},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tt := MustParse(tc.schedule, tc.zone)
			got := ticksAfter(t, tt, tc.from, len(tc.want))
			for i := range tc.want {
				if !got[i].Equal(tc.want[i]) {
					t.Errorf("tick %d = %v (%v), want %v (%v)", i, got[i], got[i].In(tt.Location()), tc.want[i], tc.want[i].In(tt.Location()))
				}
			}
		})
	}
}

// TestCronQueryNearTransitions asks for the neighbours of times just after a transition,
// where the wall clock alone misleads.
func TestCronQueryNearTransitions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, schedule string
		at, next, prev time.Time
	}{
		{
			"inside the fold, before the only 01:30 of the day", "30 1 * * *",
			utc(2024, 11, 3, 5, 45), // 01:45 EDT
			utc(2024, 11, 3, 6, 30), // 01:30 EST
			utc(2024, 11, 2, 5, 30), // 01:30 EDT the day before
		},
		{
			"after the gap, before the moved 02:30", "30 2 * * *",
			utc(2024, 3, 10, 7, 10), // 03:10 EDT
			utc(2024, 3, 10, 7, 30), // 03:30 EDT, for the 02:30 that does not exist
			utc(2024, 3, 9, 7, 30),  // 02:30 EST the day before
		},
	}
	for _, tc := range tests {
		tt := MustParse(tc.schedule, "America/New_York")
		if got, _ := tt.cron.next(tc.at); !got.Equal(tc.next) {
			t.Errorf("%s: next(%v) = %v, want %v", tc.name, tc.at, got, tc.next)
		}
		if got, _ := tt.cron.prev(tc.at); !got.Equal(tc.prev) {
			t.Errorf("%s: prev(%v) = %v, want %v", tc.name, tc.at, got, tc.prev)
		}
	}
}

// TestNaiveNextMatchesRobfig checks the wall-clock matching against robfig/cron's own Next
// in UTC, where there is no DST.
func TestNaiveNextMatchesRobfig(t *testing.T) {
	t.Parallel()
	exprs := []string{
		"* * * * *", "0 * * * *", "*/7 3-5 * * *", "15 10 1,15 * *", "0 0 * * 1-5", "0 0 13 * 5",
		"59 23 31 12 *", "0 0 29 2 *", "0 12 * JAN,JUN SUN", "5-10/2 */6 ? * *", "0 0 1 */3 *",
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, expr := range exprs {
		s, err := cron.ParseStandard(expr)
		if err != nil {
			t.Fatal(err)
		}
		c := newCronSpec(s.(*cron.SpecSchedule), time.UTC)
		for range 200 {
			from := utc(2020, 1, 1, 0, 0).Add(time.Duration(rng.Int64N(int64(6 * 365 * 24 * time.Hour))))
			want := s.Next(from)
			got, ok := c.naiveNext(from)
			if !ok || !got.Equal(want) {
				t.Fatalf("%q: naiveNext(%v) = %v, robfig Next = %v", expr, from, got, want)
			}
			back, ok := c.naivePrev(got)
			if !ok || !back.Before(from.Add(time.Minute)) || !s.Next(back).Equal(got) {
				t.Fatalf("%q: naivePrev(%v) = %v, which is not the match before", expr, got, back)
			}
		}
	}
}

// TestNextPrevAgainstEnumeration checks next and prev, fast and slow paths, against a sorted
// list of every tick in a window around DST transitions, for times on and between ticks.
func TestNextPrevAgainstEnumeration(t *testing.T) {
	t.Parallel()
	exprs := []string{"*/20 * * * *", "30 * * * *", "0 */2 * * *", "30 1 * * *", "30 2 * * *", "0 0 * * *", "45 0-3 * * *"}
	zones := []string{"America/New_York", "Europe/Amsterdam", "Australia/Lord_Howe", "UTC"}
	windows := []time.Time{utc(2024, 3, 9, 0, 0), utc(2024, 3, 30, 0, 0), utc(2024, 10, 26, 0, 0), utc(2024, 11, 2, 0, 0), utc(2024, 4, 6, 0, 0)}
	for i, zone := range zones {
		t.Run(zone, func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(3, uint64(i)))
			for _, expr := range exprs {
				checkAgainstEnumeration(t, MustParse(expr, zone), windows, rng)
			}
		})
	}
}

func checkAgainstEnumeration(t *testing.T, tt Timetable, windows []time.Time, rng *rand.Rand) {
	t.Helper()
	for _, w := range windows {
		lo, hi := w, w.Add(72*time.Hour)
		all := enumerate(tt.cron, lo.Add(-24*time.Hour), hi.Add(24*time.Hour))
		var probes []time.Time
		for _, tick := range all {
			probes = append(probes, tick, tick.Add(-10*time.Minute), tick.Add(10*time.Minute))
		}
		for range 100 {
			probes = append(probes, lo.Add(time.Duration(rng.Int64N(int64(hi.Sub(lo))))))
		}
		for _, p := range probes {
			if p.Before(lo) || p.After(hi) {
				continue
			}
			i, _ := slices.BinarySearchFunc(all, p, func(a, b time.Time) int { return a.Compare(b) })
			j := i // all[i] is the first tick >= p; all[j] the first tick > p
			if j < len(all) && all[j].Equal(p) {
				j++
			}
			if got, _ := tt.cron.next(p); !got.Equal(all[j]) {
				t.Fatalf("%s %q: next(%v) = %v, want %v", tt.Location(), tt, p, got, all[j])
			}
			if got, _ := tt.cron.prev(p); !got.Equal(all[i-1]) {
				t.Fatalf("%s %q: prev(%v) = %v, want %v", tt.Location(), tt, p, got, all[i-1])
			}
		}
	}
}

// enumerate lists every tick in [lo, hi] from the definition: each matching wall time in
// range, mapped to its instants.
func enumerate(c *cronSpec, lo, hi time.Time) []time.Time {
	var all []time.Time
	for n, ok := c.naiveNext(naive(lo.In(c.loc)).Add(-48 * time.Hour)); ok && n.Before(naive(hi.In(c.loc)).Add(48*time.Hour)); n, ok = c.naiveNext(n) {
		ticks, k := c.ticks(n)
		all = append(all, ticks[:k]...)
	}
	slices.SortFunc(all, func(a, b time.Time) int { return a.Compare(b) })
	return slices.CompactFunc(all, func(a, b time.Time) bool { return a.Equal(b) })
}

func TestWallInstants(t *testing.T) {
	t.Parallel()
	ams := mustLoad(t, "Europe/Amsterdam")
	tests := []struct {
		name    string
		wall    time.Time
		want    []time.Time
		shifted time.Time
	}{
		{"ordinary", utc(2024, 6, 1, 12, 0), []time.Time{utc(2024, 6, 1, 10, 0)}, time.Time{}},
		{"gap", utc(2024, 3, 31, 2, 30), nil, utc(2024, 3, 31, 1, 30)},
		{"fold", utc(2024, 10, 27, 2, 30), []time.Time{utc(2024, 10, 27, 0, 30), utc(2024, 10, 27, 1, 30)}, time.Time{}},
	}
	for _, tc := range tests {
		insts, k, shifted := wallInstants(tc.wall, ams)
		if !slices.EqualFunc(insts[:k], tc.want, time.Time.Equal) {
			t.Errorf("%s: instants %v, want %v", tc.name, insts[:k], tc.want)
		}
		if k == 0 && !shifted.Equal(tc.shifted) {
			t.Errorf("%s: shifted %v, want %v", tc.name, shifted, tc.shifted)
		}
	}
}
