package server

import (
	"time"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/schedule"
	"github.com/weirhq/weir/store"
)

// NextRun returns the next time-scheduled run of d, as the scheduler creates it at its
// RunAfter: from d's schedule and the last scheduled interval in its metadata m (nil when
// the store has none), at now (Airflow's next_dagrun_info, shown as the DAG's next_dagrun).
// False when the DAG has no time schedule (manual or dataset-triggered only), its schedule
// does not parse, or nothing more will be scheduled (@once already run, past end_date).
// The run may be due already (RunAfter at or before now) while the DAG is paused or the
// scheduler has not ticked since.
func NextRun(d *dag.DAG, m *store.DAGMeta, now time.Time) (schedule.RunInfo, bool) {
	if d == nil || d.Schedule == "" {
		return schedule.RunInfo{}, false
	}
	tt, err := schedule.Parse(d.Schedule, d.Timezone)
	if err != nil {
		return schedule.RunInfo{}, false
	}
	return nextRun(tt, d, m, now)
}

// nextRun is NextRun with the schedule parsed.
func nextRun(tt schedule.Timetable, d *dag.DAG, m *store.DAGMeta, now time.Time) (schedule.RunInfo, bool) {
	var last *schedule.DataInterval
	if m != nil && !m.LastScheduledStart.IsZero() {
		last = &schedule.DataInterval{Start: m.LastScheduledStart, End: m.LastScheduledEnd}
	}
	return tt.NextRun(last, schedule.Restriction{Earliest: d.StartDate, Latest: d.EndDate, Catchup: d.Catchup}, now)
}
