package schedule

import (
	"iter"
	"slices"
	"time"
)

// DataInterval is the span of time a DAG run covers, [Start, End): a run for @daily covers
// one day from midnight to midnight. Start is the run's logical date. For a @once run, and a
// manual run of a timetable without intervals, Start equals End (Airflow's
// DataInterval.exact).
type DataInterval struct {
	// Start is the first instant of the interval, and the run's logical date.
	Start time.Time
	// End is the first instant after the interval.
	End time.Time
}

// RunInfo is the next run a timetable asks for (Airflow's DagRunInfo).
type RunInfo struct {
	// DataInterval is the run's data interval; its Start is the logical date.
	DataInterval DataInterval
	// RunAfter is the earliest time the run may start: the end of the data interval, or
	// the start date for @once. It may be in the future; the scheduler creates the run once
	// now >= RunAfter.
	RunAfter time.Time
}

// LogicalDate returns the run's logical date, the start of its data interval.
func (r RunInfo) LogicalDate() time.Time { return r.DataInterval.Start }

// Restriction bounds the runs a timetable schedules (Airflow's TimeRestriction).
type Restriction struct {
	// Earliest is the DAG's start_date. The first data interval starts at the first
	// schedule time at or after it (for a fixed interval, at Earliest itself). Zero means no
	// start date: scheduling begins with the latest complete interval, as without Catchup.
	Earliest time.Time
	// Latest is the DAG's end_date: no run whose data interval starts after Latest is
	// scheduled (a run starting at or before it is, even if it ends after). Zero means none.
	Latest time.Time
	// Catchup creates a run for every interval from Earliest (or from the last run) on.
	// Without it the scheduler skips to the latest complete interval: the most recent one
	// that ended at or before now.
	Catchup bool
}

// NextRun returns the next run to schedule after the last automated (scheduled or
// backfilled, not manual) run's data interval, which is nil if there is none; false when
// there is nothing more to schedule (a manual-only timetable, @once already run, or past
// Latest). now is the current time; it matters only without Catchup and for @continuous.
// Times returned are in UTC.
//
// This is Airflow's next_dagrun_info for the default timetables
// (airflow/timetables/interval.py, simple.py; docs core-concepts/dag-run.rst, "Data
// Interval" and "Catchup"):
//   - The first run's interval starts at the first schedule time at or after Earliest (at
//     Earliest itself for a fixed interval); each later one starts where the last one
//     ended, re-aligned to the schedule (so a changed schedule takes effect at once).
//   - Without Catchup, the start is at least that of the latest interval that ended at or
//     before now: after a pause or an outage only that one runs. For cron schedules that
//     interval follows the schedule; for fixed intervals it is aligned to whole intervals
//     since the Unix epoch (at 12:40, 12:00-12:30 for "every 30m"), as Airflow's
//     DeltaDataIntervalTimetable._skip_to_latest does.
//   - The run may start at the end of its interval (RunAfter).
//   - @once runs at Earliest, or at now without one (Airflow 3; Airflow 2 never ran it).
//   - @continuous runs from the last run's end (or Earliest) to now, and may start at once.
//
// Unlike Airflow, a zero Earliest with Catchup does not stop a periodic timetable from ever
// running: its first run is the latest complete interval.
func (t Timetable) NextRun(last *DataInterval, r Restriction, now time.Time) (RunInfo, bool) {
	switch t.Kind() {
	case KindOnce:
		// "@once" runs at the start date regardless of catchup (simple.py OnceTimetable).
		if last != nil {
			return RunInfo{}, false
		}
		at := r.Earliest
		if at.IsZero() {
			at = now
		}
		at = at.UTC()
		if !r.Latest.IsZero() && at.After(r.Latest) {
			return RunInfo{}, false
		}
		return RunInfo{DataInterval: DataInterval{at, at}, RunAfter: at}, true
	case KindContinuous:
		return t.nextContinuous(last, r, now)
	case KindCron, KindDelta:
		earliest := r.Earliest
		switch {
		case !r.Catchup || (earliest.IsZero() && last == nil):
			var ok bool
			if earliest, ok = t.skipToLatest(earliest, now); !ok {
				return RunInfo{}, false
			}
		case !earliest.IsZero():
			var ok bool
			if earliest, ok = t.atOrAfter(earliest); !ok {
				return RunInfo{}, false
			}
		}
		return t.nextPeriodic(last, earliest, r.Latest)
	default:
		return RunInfo{}, false
	}
}

// nextPeriodic is the common part of next_dagrun_info for cron and delta timetables, given
// the aligned earliest start (zero for none).
func (t Timetable) nextPeriodic(last *DataInterval, earliest, latest time.Time) (RunInfo, bool) {
	var start time.Time
	if last == nil {
		if earliest.IsZero() {
			return RunInfo{}, false
		}
		start = earliest
	} else {
		var ok bool
		if start, ok = t.atOrBefore(last.End); !ok {
			return RunInfo{}, false
		}
		if earliest.After(start) {
			start = earliest
		}
	}
	if !latest.IsZero() && start.After(latest) {
		return RunInfo{}, false
	}
	end, ok := t.next(start)
	if !ok {
		return RunInfo{}, false
	}
	start = start.UTC()
	return RunInfo{DataInterval: DataInterval{start, end}, RunAfter: end}, true
}

// nextContinuous follows simple.py ContinuousTimetable: each run covers the time from the
// previous run's end to now, and may start at once.
func (t Timetable) nextContinuous(last *DataInterval, r Restriction, now time.Time) (RunInfo, bool) {
	first := r.Earliest
	if first.IsZero() {
		first = now
	}
	var start, end time.Time
	switch {
	case last == nil:
		start, end = first, maxTime(first, now)
	case last.End.After(now): // the start date moved into the future
		start = first
		end = start.Add(last.End.Sub(last.Start))
	default:
		start, end = last.End, now
	}
	if !r.Latest.IsZero() && end.After(r.Latest) {
		return RunInfo{}, false
	}
	start, end = start.UTC(), end.UTC()
	return RunInfo{DataInterval: DataInterval{start, end}, RunAfter: end}, true
}

// skipToLatest returns the start of the latest interval that ended at or before now, or the
// aligned earliest if that is later (Airflow's _skip_to_latest).
func (t Timetable) skipToLatest(earliest, now time.Time) (time.Time, bool) {
	var start time.Time
	if t.kind == KindDelta {
		// Whole intervals since the Unix epoch, as DeltaDataIntervalTimetable._round.
		since := now.Sub(time.Unix(0, 0))
		end := time.Unix(0, 0).Add(since - mod(since, t.every))
		start = end.Add(-t.every)
	} else {
		end, ok := t.cron.atOrBefore(now)
		if !ok {
			return time.Time{}, false
		}
		if start, ok = t.cron.prev(end); !ok {
			return time.Time{}, false
		}
	}
	if !earliest.IsZero() {
		aligned, ok := t.atOrAfter(earliest)
		if !ok {
			return time.Time{}, false
		}
		start = maxTime(start, aligned)
	}
	return start.UTC(), true
}

// InferManual returns the data interval of a run triggered by hand (or by the API) at
// `at` (Airflow's infer_manual_data_interval): for a cron schedule, the latest complete
// interval, which ends at the last schedule time at or before `at` (a @daily DAG triggered
// at 01:00 on the 25th covers the 24th); for a fixed interval, the interval ending at `at`;
// otherwise [at, at].
func (t Timetable) InferManual(at time.Time) DataInterval {
	at = at.UTC()
	switch t.Kind() {
	case KindCron:
		end, ok := t.cron.atOrBefore(at)
		if !ok {
			break
		}
		start, ok := t.cron.prev(end)
		if !ok {
			break
		}
		return DataInterval{start, end}
	case KindDelta:
		return DataInterval{at.Add(-t.every), at}
	}
	return DataInterval{at, at}
}

// Backfill yields, in order, the data interval of every run a backfill from `from` to `to`
// creates: the scheduled intervals whose start (logical date) lies in [from, to], both
// inclusive, as `airflow dags backfill --start-date --end-date` does (dag.py
// iter_dagrun_infos_between with catchup). The first starts at the first schedule time at or
// after `from` (at `from` itself for a fixed interval); @once yields [from, from]. Manual-only
// and continuous timetables yield nothing, as does a zero `from`. A sub-minute interval over
// a long range yields many intervals: stop early by breaking out of the loop.
func (t Timetable) Backfill(from, to time.Time) iter.Seq[DataInterval] {
	return func(yield func(DataInterval) bool) {
		if from.IsZero() || from.After(to) {
			return
		}
		switch t.Kind() {
		case KindOnce:
			f := from.UTC()
			yield(DataInterval{f, f})
			return
		case KindCron, KindDelta:
		default:
			return
		}
		earliest, ok := t.atOrAfter(from)
		if !ok {
			return
		}
		var last *DataInterval
		for {
			info, ok := t.nextPeriodic(last, earliest, to)
			if !ok || !yield(info.DataInterval) {
				return
			}
			last = &info.DataInterval
		}
	}
}

// Intervals returns the data intervals of Backfill(from, to) as a slice.
func (t Timetable) Intervals(from, to time.Time) []DataInterval {
	return slices.Collect(t.Backfill(from, to))
}

// next returns the first schedule time after `at` (Airflow's _get_next).
func (t Timetable) next(at time.Time) (time.Time, bool) {
	if t.kind == KindDelta {
		return at.Add(t.every).UTC(), true
	}
	return t.cron.next(at)
}

// atOrAfter aligns `at` to the schedule, forward (Airflow's _align_to_next). Fixed intervals
// are not aligned.
func (t Timetable) atOrAfter(at time.Time) (time.Time, bool) {
	if t.kind == KindDelta {
		return at.UTC(), true
	}
	return t.cron.atOrAfter(at)
}

// atOrBefore aligns `at` to the schedule, backward (Airflow's _align_to_prev).
func (t Timetable) atOrBefore(at time.Time) (time.Time, bool) {
	if t.kind == KindDelta {
		return at.UTC(), true
	}
	return t.cron.atOrBefore(at)
}

// mod returns d modulo m in [0, m), also for negative d.
func mod(d, m time.Duration) time.Duration {
	r := d % m
	if r < 0 {
		r += m
	}
	return r
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
