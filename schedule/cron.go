package schedule

import (
	"time"

	"github.com/robfig/cron/v3"
)

// cronSpec is a five-field cron expression read on the wall clock of a time zone. The
// expression is parsed by robfig/cron; the matching is done here, because robfig/cron has no
// "previous time" and reads a wall time that occurs twice in a DST fold twice.
//
// The set of times a cronSpec fires at (its ticks) is defined from the wall times n that
// match the fields ("naive" times, held as time.Time values in UTC):
//
//   - n occurs once in the zone: the tick is that instant.
//   - n occurs twice (the clock was set back, a "fold"): a spec that fires every hour (hour
//     field "*") ticks at both instants, so that "@hourly" keeps one run per real hour; any
//     other spec ticks only at the second instant, as Airflow does (make_aware with fold=1 in
//     airflow/utils/timezone.py).
//   - n does not occur (the clock was set forward, a "gap"): a spec that fires every hour
//     does not tick (the next hour's tick follows one real hour after the previous one); any
//     other spec ticks at n moved forward by the gap's length, so "30 2 * * *" runs at 03:30
//     on the day Europe/Amsterdam skips 02:00-03:00 instead of skipping the day (pendulum's
//     behaviour for fold=1, which Airflow relies on).
//
// The ticks are strictly ordered instants, so next and prev are exact inverses and the data
// intervals between consecutive ticks tile time without gaps or overlaps.
type cronSpec struct {
	minute, hour, dom, month, dow uint64 // bit i set when value i matches
	// domStar, dowStar are true when the field was "*" or "?": then a day must match both
	// day fields; otherwise it must match either (cron's rule, and robfig's and croniter's).
	domStar, dowStar bool
	// everyHour is true when every hour of the day matches (Airflow's _covers_every_hour).
	everyHour bool
	loc       *time.Location
}

const (
	// starBit is robfig/cron's marker for a "*" or "?" field in SpecSchedule's masks.
	starBit = 1 << 63
	// dstWindow bounds how far a DST transition moves the wall clock (one hour almost
	// everywhere; two for historical double summer time): how far the slow path looks.
	dstWindow = 3 * time.Hour
	// searchYears bounds the search for a matching wall time. Every expression Parse accepts
	// matches at least once in any 8 years (29 February skips 2100).
	searchYears = 10
)

func newCronSpec(s *cron.SpecSchedule, loc *time.Location) *cronSpec {
	const allHours = 1<<24 - 1
	return &cronSpec{
		minute: s.Minute, hour: s.Hour, dom: s.Dom, month: s.Month, dow: s.Dow,
		domStar: s.Dom&starBit != 0, dowStar: s.Dow&starBit != 0,
		everyHour: s.Hour&allHours == allHours,
		loc:       loc,
	}
}

// next returns the first tick strictly after t, in UTC; false if there is none within
// searchYears.
func (c *cronSpec) next(t time.Time) (time.Time, bool) {
	lt := t.In(c.loc)
	wall := naive(lt)
	_, off := lt.Zone()
	n, ok := c.naiveNext(wall)
	if !ok {
		return time.Time{}, false
	}
	if i := n.Add(-time.Duration(off) * time.Second); c.quiet(lt, i) {
		return i, true
	}
	// Slow path near a transition: a wall time up to dstWindow before t's may tick after t
	// (second occurrence in a fold, or moved forward over a gap).
	var best, bestN time.Time
	limit := wall.AddDate(searchYears, 0, 0)
	for n, ok = c.naiveNext(wall.Add(-dstWindow)); ok && n.Before(limit); n, ok = c.naiveNext(n) {
		if !best.IsZero() && n.After(bestN.Add(dstWindow)) {
			break
		}
		ticks, k := c.ticks(n)
		for _, f := range ticks[:k] {
			if f.After(t) && (best.IsZero() || f.Before(best)) {
				best, bestN = f, n
			}
		}
	}
	return best, !best.IsZero()
}

// prev returns the last tick strictly before t, in UTC; false if there is none within
// searchYears.
func (c *cronSpec) prev(t time.Time) (time.Time, bool) {
	lt := t.In(c.loc)
	wall := naive(lt)
	_, off := lt.Zone()
	p, ok := c.naivePrev(wall)
	if !ok {
		return time.Time{}, false
	}
	if i := p.Add(-time.Duration(off) * time.Second); c.quiet(lt, i) {
		return i, true
	}
	var best, bestN time.Time
	limit := wall.AddDate(-searchYears, 0, 0)
	for p, ok = c.naivePrev(wall.Add(dstWindow)); ok && p.After(limit); p, ok = c.naivePrev(p) {
		if !best.IsZero() && p.Before(bestN.Add(-dstWindow)) {
			break
		}
		ticks, k := c.ticks(p)
		for _, f := range ticks[:k] {
			if f.Before(t) && f.After(best) {
				best, bestN = f, p
			}
		}
	}
	return best, !best.IsZero()
}

// atOrAfter returns the first tick at or after t (Airflow's _align_to_next).
func (c *cronSpec) atOrAfter(t time.Time) (time.Time, bool) { return c.next(t.Add(-1)) }

// atOrBefore returns the last tick at or before t (Airflow's _align_to_prev).
func (c *cronSpec) atOrBefore(t time.Time) (time.Time, bool) { return c.prev(t.Add(1)) }

// quiet reports whether lt (a time in c.loc) and i (a candidate tick computed with lt's
// offset) both lie in lt's zone period, clear of the wall times its transitions make
// ambiguous or move: then wall times map one-to-one onto instants there and the candidate is
// the answer. Those wall times lie within the size of each transition (the change of
// offset) from its instant.
func (c *cronSpec) quiet(lt, i time.Time) bool {
	start, end := lt.ZoneBounds()
	lo, hi := lt, i
	if hi.Before(lo) {
		lo, hi = hi, lo
	}
	_, off := lt.Zone()
	if !start.IsZero() && lo.Before(start.Add(dstWindow)) {
		_, before := start.Add(-time.Second).In(c.loc).Zone()
		if lo.Before(start.Add(absSeconds(off - before))) {
			return false
		}
	}
	if !end.IsZero() && !hi.Add(dstWindow).Before(end) {
		_, after := end.In(c.loc).Zone()
		if !hi.Add(absSeconds(after - off)).Before(end) {
			return false
		}
	}
	return true
}

func absSeconds(s int) time.Duration {
	if s < 0 {
		s = -s
	}
	return time.Duration(s) * time.Second
}

// ticks returns the instants (0, 1 or 2, ascending) the matching wall time n fires at.
func (c *cronSpec) ticks(n time.Time) ([2]time.Time, int) {
	insts, k, shifted := wallInstants(n, c.loc)
	switch {
	case k == 2 && !c.everyHour:
		return [2]time.Time{insts[1]}, 1
	case k == 0 && !c.everyHour:
		return [2]time.Time{shifted}, 1
	default:
		return insts, k
	}
}

// wallInstants returns the instants (in UTC, ascending) at which the wall clock of loc reads
// n: one usually, two in a fold, none in a gap. For a gap, shifted is n read with the offset
// in force before the gap, which is n moved forward by the gap's length.
//
// It assumes at most one transition within 15 hours of n, true of every zone in use.
func wallInstants(n time.Time, loc *time.Location) (insts [2]time.Time, k int, shifted time.Time) {
	// The instants that could read n lie within 14 hours of n taken as UTC, so the offsets in
	// force 15 hours either side are the candidates.
	_, o1 := n.Add(-15 * time.Hour).In(loc).Zone()
	_, o2 := n.Add(15 * time.Hour).In(loc).Zone()
	c1 := n.Add(-time.Duration(o1) * time.Second)
	c2 := n.Add(-time.Duration(o2) * time.Second)
	if naive(c1.In(loc)).Equal(n) {
		insts[k] = c1
		k++
	}
	if o2 != o1 && naive(c2.In(loc)).Equal(n) {
		insts[k] = c2
		k++
	}
	if k == 2 && insts[1].Before(insts[0]) {
		insts[0], insts[1] = insts[1], insts[0]
	}
	return insts, k, c1
}

// naive returns the wall clock reading of t as a time in UTC.
func naive(t time.Time) time.Time {
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	return time.Date(y, mo, d, h, mi, s, t.Nanosecond(), time.UTC)
}

// naiveNext returns the first wall time strictly after n (a naive time in UTC) that matches
// the fields.
func (c *cronSpec) naiveNext(n time.Time) (time.Time, bool) {
	t := n.Truncate(time.Minute).Add(time.Minute)
	limit := t.AddDate(searchYears, 0, 0)
	for t.Before(limit) {
		y, mo, d := t.Date()
		switch {
		case c.month&(1<<uint(mo)) == 0:
			t = time.Date(y, mo+1, 1, 0, 0, 0, 0, time.UTC)
		case !c.dayMatches(t):
			t = time.Date(y, mo, d+1, 0, 0, 0, 0, time.UTC)
		case c.hour&(1<<uint(t.Hour())) == 0:
			t = t.Truncate(time.Hour).Add(time.Hour)
		case c.minute&(1<<uint(t.Minute())) == 0:
			t = t.Add(time.Minute)
		default:
			return t, true
		}
	}
	return time.Time{}, false
}

// naivePrev returns the last wall time strictly before n (a naive time in UTC) that matches
// the fields.
func (c *cronSpec) naivePrev(n time.Time) (time.Time, bool) {
	t := n.Truncate(time.Minute)
	if !t.Before(n) {
		t = t.Add(-time.Minute)
	}
	limit := t.AddDate(-searchYears, 0, 0)
	for t.After(limit) {
		y, mo, d := t.Date()
		switch {
		case c.month&(1<<uint(mo)) == 0:
			t = time.Date(y, mo, 1, 0, 0, 0, 0, time.UTC).Add(-time.Minute)
		case !c.dayMatches(t):
			t = time.Date(y, mo, d, 0, 0, 0, 0, time.UTC).Add(-time.Minute)
		case c.hour&(1<<uint(t.Hour())) == 0:
			t = t.Truncate(time.Hour).Add(-time.Minute)
		case c.minute&(1<<uint(t.Minute())) == 0:
			t = t.Add(-time.Minute)
		default:
			return t, true
		}
	}
	return time.Time{}, false
}

func (c *cronSpec) dayMatches(t time.Time) bool {
	domMatch := c.dom&(1<<uint(t.Day())) != 0
	dowMatch := c.dow&(1<<uint(t.Weekday())) != 0
	if c.domStar || c.dowStar {
		return domMatch && dowMatch
	}
	return domMatch || dowMatch
}
