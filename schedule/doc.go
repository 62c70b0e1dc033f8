// Package schedule turns a DAG's schedule string into data intervals: which runs the
// scheduler creates, what each covers, and when each may start. It is pure (no clock, no
// store): callers pass the current time and the last run, so every decision is a function of
// its arguments and can be tested with fixed times.
//
// # Data intervals and logical dates
//
// weir follows Airflow 2.2+ (docs: core-concepts/dag-run.rst, "Data Interval" and
// "Catchup"; authoring-and-scheduling/timetable.rst; code: airflow/timetables/interval.py,
// simple.py, _cron.py). A scheduled run covers a data interval [Start, End); its logical date
// is Start; it is created once the interval has ended, because only then is all of its data
// there. The run of a @daily DAG for 2024-01-01 covers 2024-01-01T00:00 to 2024-01-02T00:00
// and starts just after midnight on the 2nd. The DAG's start_date is the start of its first
// data interval, not the time of its first run.
//
// Parse reads the schedule and time zone into a Timetable:
//
//   - cron expressions and presets: consecutive schedule times bound the intervals
//     (Airflow's CronDataIntervalTimetable);
//   - fixed intervals, "every 30m": intervals of that length from the start date
//     (DeltaDataIntervalTimetable);
//   - "@once": one run whose interval is the instant of the start date;
//   - "@continuous": back-to-back runs, each covering the time since the previous one;
//   - "" or "none": manual only.
//
// Timetable.NextRun is Airflow's next_dagrun_info: given the last scheduled run's interval
// and a Restriction (start_date, end_date, catchup), it returns the next interval and when
// it may run. Timetable.InferManual gives the interval of a manually triggered run,
// Timetable.Backfill and Intervals those of `weir backfill DAG --from --to`, and Vars the
// template variables (ds, ts, data_interval_start, ...) of a run.
//
// # Catchup
//
// With Catchup every interval from the start date (or from the last run) is run in turn;
// the scheduler calls NextRun again with the interval it just created. Without it, NextRun
// skips to the latest interval that has ended at or before now, so a DAG unpaused after a
// month runs once, for yesterday, not thirty times.
//
// # Invariants
//
//   - Intervals of cron and fixed-interval timetables tile time: each starts where the
//     previous one ended, and none is empty.
//   - Every returned time is in UTC; the time zone only decides which instants match the
//     cron fields.
//   - The same arguments give the same answer: NextRun reads no clock.
//
// # Time zones and DST
//
// Cron fields are read on the wall clock of the DAG's time zone, so @daily in
// Europe/Amsterdam runs at local midnight all year, and the interval of the day the clocks
// go forward lasts 23 hours. Where the clock skips a wall time (the spring gap), a schedule
// that does not run every hour runs at that time moved forward by the gap ("30 2 * * *" runs
// at 03:30 that day); where a wall time occurs twice (the autumn fold), it runs once, at the
// second occurrence, as Airflow does. A schedule that runs every hour ("@hourly",
// "*/15 * * * *") keeps running every real hour through both. Fixed intervals ignore the time
// zone: "every 24h" is 24 elapsed hours.
//
// # Failure
//
// Parse rejects what it cannot schedule with an *Error naming the field, the value, what is
// wrong and how to fix it. After a successful Parse nothing fails: NextRun returns false only
// when there is nothing (more) to schedule.
package schedule
