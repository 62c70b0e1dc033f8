package schedule

import (
	"fmt"
	"testing"
	"time"
)

func iv(start, end time.Time) *DataInterval { return &DataInterval{start, end} }

func (d DataInterval) String() string {
	return fmt.Sprintf("[%s, %s)", d.Start.Format(time.RFC3339), d.End.Format(time.RFC3339))
}

func sameInterval(a, b DataInterval) bool { return a.Start.Equal(b.Start) && a.End.Equal(b.End) }

// TestNextRun follows Airflow's next_dagrun_info (airflow/timetables/interval.py and
// simple.py) and the examples of core-concepts/dag-run.rst, "Catchup".
func TestNextRun(t *testing.T) {
	t.Parallel()
	var (
		jan1, jan2, jan3  = utc(2024, 1, 1, 0, 0), utc(2024, 1, 2, 0, 0), utc(2024, 1, 3, 0, 0)
		jan4, jan9, jan10 = utc(2024, 1, 4, 0, 0), utc(2024, 1, 9, 0, 0), utc(2024, 1, 10, 0, 0)
	)
	tests := []struct {
		name     string
		schedule string
		last     *DataInterval
		r        Restriction
		now      time.Time
		want     *DataInterval // nil: no run
		runAfter time.Time     // zero: the interval's end
	}{
		// dag-run.rst "Catchup": start_date 2015-12-01, @daily, picked up on 2016-01-02 at 6 AM.
		{
			name: "catchup off: only the latest complete interval", schedule: "@daily",
			r:   Restriction{Earliest: utc(2015, 12, 1, 0, 0)},
			now: utc(2016, 1, 2, 6, 0), want: iv(utc(2016, 1, 1, 0, 0), utc(2016, 1, 2, 0, 0)),
		},
		{
			name: "catchup off: the next one after midnight on the 3rd", schedule: "@daily",
			last: iv(utc(2016, 1, 1, 0, 0), utc(2016, 1, 2, 0, 0)),
			r:    Restriction{Earliest: utc(2015, 12, 1, 0, 0)},
			now:  utc(2016, 1, 2, 6, 0), want: iv(utc(2016, 1, 2, 0, 0), utc(2016, 1, 3, 0, 0)),
		},
		{
			name: "catchup on: from the start date", schedule: "@daily",
			r:   Restriction{Earliest: utc(2015, 12, 1, 0, 0), Catchup: true},
			now: utc(2016, 1, 2, 6, 0), want: iv(utc(2015, 12, 1, 0, 0), utc(2015, 12, 2, 0, 0)),
		},
		{
			name: "catchup on: after the last run", schedule: "@daily",
			last: iv(utc(2015, 12, 1, 0, 0), utc(2015, 12, 2, 0, 0)),
			r:    Restriction{Earliest: utc(2015, 12, 1, 0, 0), Catchup: true},
			now:  utc(2016, 1, 2, 6, 0), want: iv(utc(2015, 12, 2, 0, 0), utc(2015, 12, 3, 0, 0)),
		},
		{
			name: "start date inside an interval: the first starts at the next schedule time", schedule: "@daily",
			r:   Restriction{Earliest: utc(2024, 1, 1, 10, 0), Catchup: true},
			now: jan10, want: iv(jan2, jan3),
		},
		{
			name: "start date on a schedule time", schedule: "@daily",
			r:   Restriction{Earliest: jan1, Catchup: true},
			now: jan10, want: iv(jan1, jan2),
		},
		{
			name: "start date in the future, catchup off", schedule: "@daily",
			r:   Restriction{Earliest: utc(2030, 1, 1, 10, 0)},
			now: jan10, want: iv(utc(2030, 1, 2, 0, 0), utc(2030, 1, 3, 0, 0)),
		},
		{
			name: "catchup off after an outage skips to the latest interval", schedule: "@daily",
			last: iv(jan1, jan2), r: Restriction{Earliest: jan1},
			now: utc(2024, 1, 10, 5, 0), want: iv(jan9, jan10),
		},
		{
			name: "catchup on after an outage continues from the last run", schedule: "@daily",
			last: iv(jan1, jan2), r: Restriction{Earliest: jan1, Catchup: true},
			now: utc(2024, 1, 10, 5, 0), want: iv(jan2, jan3),
		},
		{
			name: "catchup off with now on a schedule time: the interval that just ended", schedule: "@daily",
			r:   Restriction{Earliest: jan1},
			now: jan10, want: iv(jan9, jan10),
		},
		{
			name: "catchup off, current interval not over: RunAfter in the future", schedule: "@daily",
			last: iv(jan9, jan10), r: Restriction{Earliest: jan1},
			now: utc(2024, 1, 10, 5, 0), want: iv(jan10, utc(2024, 1, 11, 0, 0)),
		},
		{
			name: "end date: an interval starting at end_date is still scheduled", schedule: "@daily",
			last: iv(jan2, jan3), r: Restriction{Earliest: jan1, Latest: jan3, Catchup: true},
			now: jan10, want: iv(jan3, jan4),
		},
		{
			name: "end date: nothing starts after it", schedule: "@daily",
			last: iv(jan3, jan4), r: Restriction{Earliest: jan1, Latest: jan3, Catchup: true},
			now: jan10,
		},
		{
			name: "end date before start date", schedule: "@daily",
			r:   Restriction{Earliest: utc(2024, 1, 5, 0, 0), Latest: jan3, Catchup: true},
			now: jan10,
		},
		{
			// interval.py _align_to_prev: "Alignment is needed when DAG has new schedule interval."
			name: "changed schedule: realigned to the new one", schedule: "@daily",
			last: iv(utc(2024, 1, 1, 10, 0), utc(2024, 1, 1, 11, 0)),
			r:    Restriction{Earliest: utc(2023, 12, 1, 0, 0), Catchup: true},
			now:  jan10, want: iv(jan1, jan2),
		},
		{
			name: "no start date, catchup on: the latest complete interval", schedule: "@daily",
			r: Restriction{Catchup: true}, now: utc(2024, 1, 10, 5, 0), want: iv(jan9, jan10),
		},
		{
			name: "no start date, catchup off", schedule: "@daily",
			now: utc(2024, 1, 10, 5, 0), want: iv(jan9, jan10),
		},
		{
			name: "hourly cron, catchup off", schedule: "0 * * * *",
			r: Restriction{Earliest: jan1}, now: utc(2024, 1, 10, 5, 59), want: iv(utc(2024, 1, 10, 4, 0), utc(2024, 1, 10, 5, 0)),
		},
		// Fixed intervals (DeltaDataIntervalTimetable): no alignment to a clock.
		{
			name: "every 30m, catchup on: intervals from the start date itself", schedule: "every 30m",
			r:   Restriction{Earliest: utc(2024, 1, 1, 0, 15), Catchup: true},
			now: jan10, want: iv(utc(2024, 1, 1, 0, 15), utc(2024, 1, 1, 0, 45)),
		},
		{
			name: "every 30m, catchup on, after the last run", schedule: "every 30m",
			last: iv(utc(2024, 1, 1, 0, 15), utc(2024, 1, 1, 0, 45)),
			r:    Restriction{Earliest: utc(2024, 1, 1, 0, 15), Catchup: true},
			now:  jan10, want: iv(utc(2024, 1, 1, 0, 45), utc(2024, 1, 1, 1, 15)),
		},
		{
			name: "every 15m, catchup off: whole intervals since the epoch", schedule: "every 15m",
			now: time.Date(2024, 1, 1, 12, 7, 30, 0, time.UTC), want: iv(utc(2024, 1, 1, 11, 45), utc(2024, 1, 1, 12, 0)),
		},
		{
			name: "every 15m, catchup off, start date later than the latest interval", schedule: "every 15m",
			r:   Restriction{Earliest: utc(2024, 1, 1, 12, 5)},
			now: utc(2024, 1, 1, 12, 7), want: iv(utc(2024, 1, 1, 12, 5), utc(2024, 1, 1, 12, 20)),
		},
		{
			name: "every 15m, catchup off, after the last run", schedule: "every 15m",
			last: iv(utc(2024, 1, 1, 11, 45), utc(2024, 1, 1, 12, 0)),
			now:  utc(2024, 1, 1, 12, 7), want: iv(utc(2024, 1, 1, 12, 0), utc(2024, 1, 1, 12, 15)),
		},
		{
			// dag-run.rst describes [2016-01-01 06:00, 2016-01-02 06:00) ("one schedule interval
			// ending now"); the code since Airflow 2.10 rounds now down to whole intervals.
			name: "every 24h, catchup off, the dag-run.rst example", schedule: "every 24h",
			r:   Restriction{Earliest: utc(2015, 12, 1, 0, 0)},
			now: utc(2016, 1, 2, 6, 0), want: iv(utc(2016, 1, 1, 0, 0), utc(2016, 1, 2, 0, 0)),
		},
		// @once (simple.py OnceTimetable): at the start date, whatever catchup says.
		{
			name: "@once at the start date", schedule: "@once",
			r: Restriction{Earliest: utc(2024, 1, 1, 10, 0)}, now: jan10,
			want: iv(utc(2024, 1, 1, 10, 0), utc(2024, 1, 1, 10, 0)),
		},
		{
			name: "@once in the future", schedule: "@once",
			r: Restriction{Earliest: utc(2030, 1, 1, 0, 0), Catchup: true}, now: jan10,
			want: iv(utc(2030, 1, 1, 0, 0), utc(2030, 1, 1, 0, 0)),
		},
		{
			name: "@once without a start date runs now", schedule: "@once",
			now: jan10, want: iv(jan10, jan10),
		},
		{
			name: "@once only once", schedule: "@once",
			last: iv(jan1, jan1), r: Restriction{Earliest: jan1}, now: jan10,
		},
		{
			name: "@once after the end date", schedule: "@once",
			r: Restriction{Earliest: jan3, Latest: jan2}, now: jan10,
		},
		// @continuous (simple.py ContinuousTimetable).
		{
			name: "@continuous, first run from the start date to now", schedule: "@continuous",
			r: Restriction{Earliest: jan1}, now: utc(2024, 1, 1, 12, 0), want: iv(jan1, utc(2024, 1, 1, 12, 0)),
		},
		{
			name: "@continuous, next run from the last one's end to now", schedule: "@continuous",
			last: iv(jan1, utc(2024, 1, 1, 12, 0)), r: Restriction{Earliest: jan1},
			now: utc(2024, 1, 1, 12, 5), want: iv(utc(2024, 1, 1, 12, 0), utc(2024, 1, 1, 12, 5)),
		},
		{
			// simple.py: "start date is future": a run as long as the last one, from the start date.
			name: "@continuous, last run ends after now", schedule: "@continuous",
			last: iv(jan1, jan3), r: Restriction{Earliest: jan2},
			now: utc(2024, 1, 1, 12, 0), want: iv(jan2, jan4),
		},
		{
			name: "@continuous without a start date", schedule: "@continuous",
			now: jan10, want: iv(jan10, jan10),
		},
		{
			name: "@continuous past the end date", schedule: "@continuous",
			last: iv(jan1, jan2), r: Restriction{Earliest: jan1, Latest: jan3}, now: jan4,
		},
		// Manual only (NullTimetable).
		{
			name: "manual", schedule: "none",
			r: Restriction{Earliest: jan1, Catchup: true}, now: jan10,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tt := MustParse(tc.schedule, "")
			got, ok := tt.NextRun(tc.last, tc.r, tc.now)
			if tc.want == nil {
				if ok {
					t.Fatalf("got run %v, want none", got.DataInterval)
				}
				return
			}
			if !ok {
				t.Fatalf("got no run, want %v", *tc.want)
			}
			if !sameInterval(got.DataInterval, *tc.want) {
				t.Errorf("interval %v, want %v", got.DataInterval, *tc.want)
			}
			runAfter := tc.runAfter
			if runAfter.IsZero() {
				runAfter = tc.want.End
			}
			if !got.RunAfter.Equal(runAfter) || !got.LogicalDate().Equal(tc.want.Start) {
				t.Errorf("RunAfter %v, logical date %v; want %v, %v", got.RunAfter, got.LogicalDate(), runAfter, tc.want.Start)
			}
			if got.DataInterval.Start.Location() != time.UTC || got.DataInterval.End.Location() != time.UTC {
				t.Errorf("times not in UTC: %v", got.DataInterval)
			}
		})
	}
}

// TestCatchupSequence drives NextRun as the scheduler does, with the clock fixed at the
// moment the DAG is picked up: catchup creates every complete interval since the start date
// (dag-run.rst: "a DAG Run for each completed interval between 2015-12-01 and 2016-01-02"),
// without catchup only the latest.
func TestCatchupSequence(t *testing.T) {
	t.Parallel()
	tt := MustParse("@daily", "")
	now := utc(2016, 1, 2, 6, 0)
	for _, tc := range []struct {
		catchup bool
		runs    int
	}{{true, 32}, {false, 1}} {
		r := Restriction{Earliest: utc(2015, 12, 1, 0, 0), Catchup: tc.catchup}
		var last *DataInterval
		runs := 0
		for {
			info, ok := tt.NextRun(last, r, now)
			if !ok {
				t.Fatal("no next run")
			}
			if last != nil && !info.DataInterval.Start.Equal(last.End) {
				t.Fatalf("catchup=%v: %v does not follow %v", tc.catchup, info.DataInterval, *last)
			}
			if info.RunAfter.After(now) {
				if want := iv(utc(2016, 1, 2, 0, 0), utc(2016, 1, 3, 0, 0)); !sameInterval(info.DataInterval, *want) {
					t.Errorf("catchup=%v: pending run %v, want %v", tc.catchup, info.DataInterval, *want)
				}
				break
			}
			runs++
			last = &info.DataInterval
		}
		if runs != tc.runs {
			t.Errorf("catchup=%v: %d runs due, want %d", tc.catchup, runs, tc.runs)
		}
	}
}

// TestSchedulerLoop moves an injected clock forward in 10-minute steps over four days of a
// @daily DAG in Europe/Amsterdam spanning the spring DST change, creating each run when it is
// due, as a scheduler would: every local day gets exactly one run, right after its local
// midnight, and the intervals tile time.
func TestSchedulerLoop(t *testing.T) {
	t.Parallel()
	ams := mustLoad(t, "Europe/Amsterdam")
	tt := MustParse("@daily", "Europe/Amsterdam")
	r := Restriction{Earliest: time.Date(2024, 3, 29, 0, 0, 0, 0, ams)}
	var created []DataInterval
	var last *DataInterval
	for now := time.Date(2024, 3, 29, 0, 5, 0, 0, ams); now.Before(time.Date(2024, 4, 2, 0, 10, 0, 0, ams)); now = now.Add(10 * time.Minute) {
		info, ok := tt.NextRun(last, r, now)
		if !ok {
			t.Fatal("no next run")
		}
		if info.RunAfter.After(now) {
			continue
		}
		if now.Sub(info.RunAfter) > 10*time.Minute {
			t.Errorf("run %v created at %v, late", info.DataInterval, now)
		}
		created = append(created, info.DataInterval)
		last = &created[len(created)-1]
	}
	var days []string
	for i, d := range created {
		days = append(days, fmt.Sprintf("%s %v", d.Start.In(ams).Format("01-02 15:04"), d.End.Sub(d.Start)))
		if i > 0 && !d.Start.Equal(created[i-1].End) {
			t.Errorf("%v does not follow %v", d, created[i-1])
		}
	}
	want := fmt.Sprint([]string{"03-29 00:00 24h0m0s", "03-30 00:00 24h0m0s", "03-31 00:00 23h0m0s", "04-01 00:00 24h0m0s"})
	if got := fmt.Sprint(days); got != want {
		t.Errorf("runs\n%s\nwant\n%s", got, want)
	}
}

// TestNextRunTimeZones checks intervals of cron schedules read in a time zone, across DST.
func TestNextRunTimeZones(t *testing.T) {
	t.Parallel()
	tests := []struct {
		schedule, zone string
		start          time.Time
		want           []time.Duration
	}{
		// Amsterdam: 2024-03-31 has 23 hours, 2024-10-27 has 25.
		{"@daily", "Europe/Amsterdam", utc(2024, 3, 29, 23, 0), []time.Duration{24 * time.Hour, 23 * time.Hour, 24 * time.Hour}},
		{"@daily", "Europe/Amsterdam", utc(2024, 10, 25, 22, 0), []time.Duration{24 * time.Hour, 25 * time.Hour, 24 * time.Hour}},
		{"@daily", "America/New_York", utc(2024, 11, 2, 4, 0), []time.Duration{24 * time.Hour, 25 * time.Hour, 24 * time.Hour}},
		{"@hourly", "America/New_York", utc(2024, 11, 3, 4, 0), []time.Duration{time.Hour, time.Hour, time.Hour, time.Hour}},
		// Fixed intervals are elapsed time, whatever the zone.
		{"every 24h", "Europe/Amsterdam", utc(2024, 3, 29, 23, 0), []time.Duration{24 * time.Hour, 24 * time.Hour, 24 * time.Hour}},
	}
	for _, tc := range tests {
		tt := MustParse(tc.schedule, tc.zone)
		r := Restriction{Earliest: tc.start, Catchup: true}
		var last *DataInterval
		for i, want := range tc.want {
			info, ok := tt.NextRun(last, r, utc(2025, 1, 1, 0, 0))
			if !ok {
				t.Fatalf("%s %s: no run %d", tc.schedule, tc.zone, i)
			}
			if i == 0 && !info.DataInterval.Start.Equal(tc.start) {
				t.Errorf("%s %s: first run starts %v, want %v", tc.schedule, tc.zone, info.DataInterval.Start, tc.start)
			}
			if got := info.DataInterval.End.Sub(info.DataInterval.Start); got != want {
				t.Errorf("%s %s: run %d %v lasts %v, want %v", tc.schedule, tc.zone, i, info.DataInterval, got, want)
			}
			last = &info.DataInterval
		}
	}
}

// TestInferManual follows infer_manual_data_interval (interval.py, simple.py).
func TestInferManual(t *testing.T) {
	t.Parallel()
	ams := mustLoad(t, "Europe/Amsterdam")
	tests := []struct {
		schedule, zone string
		at             time.Time
		want           DataInterval
	}{
		// interval.py: "a manually triggered run at 1am 25th is between 0am 24th and 0am 25th".
		{"@daily", "", utc(2024, 1, 25, 1, 0), *iv(utc(2024, 1, 24, 0, 0), utc(2024, 1, 25, 0, 0))},
		{"@daily", "", utc(2024, 1, 25, 0, 0), *iv(utc(2024, 1, 24, 0, 0), utc(2024, 1, 25, 0, 0))},
		{"0 */6 * * *", "", utc(2024, 1, 25, 13, 30), *iv(utc(2024, 1, 25, 6, 0), utc(2024, 1, 25, 12, 0))},
		{"@daily", "Europe/Amsterdam", time.Date(2024, 3, 31, 12, 0, 0, 0, ams),
			*iv(time.Date(2024, 3, 30, 0, 0, 0, 0, ams), time.Date(2024, 3, 31, 0, 0, 0, 0, ams))},
		{"every 1h30m", "", utc(2024, 1, 25, 13, 0), *iv(utc(2024, 1, 25, 11, 30), utc(2024, 1, 25, 13, 0))},
		{"@once", "", utc(2024, 1, 25, 13, 0), *iv(utc(2024, 1, 25, 13, 0), utc(2024, 1, 25, 13, 0))},
		{"@continuous", "", utc(2024, 1, 25, 13, 0), *iv(utc(2024, 1, 25, 13, 0), utc(2024, 1, 25, 13, 0))},
		{"none", "", utc(2024, 1, 25, 13, 0), *iv(utc(2024, 1, 25, 13, 0), utc(2024, 1, 25, 13, 0))},
	}
	for _, tc := range tests {
		got := MustParse(tc.schedule, tc.zone).InferManual(tc.at)
		if !sameInterval(got, tc.want) || got.Start.Location() != time.UTC {
			t.Errorf("%s %s: InferManual(%v) = %v, want %v", tc.schedule, tc.zone, tc.at, got, tc.want)
		}
	}
}

// TestIntervals checks backfill ranges: every interval whose logical date lies in
// [from, to], as `airflow dags backfill --start-date --end-date` (dag-run.rst "Backfill").
func TestIntervals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, schedule string
		from, to       time.Time
		want           []time.Time // logical dates; each interval ends at the next schedule time
		width          time.Duration
	}{
		{"daily, both ends inclusive", "@daily", utc(2024, 1, 1, 0, 0), utc(2024, 1, 3, 0, 0),
			[]time.Time{utc(2024, 1, 1, 0, 0), utc(2024, 1, 2, 0, 0), utc(2024, 1, 3, 0, 0)}, 24 * time.Hour},
		{"daily, from inside an interval", "@daily", utc(2024, 1, 1, 6, 0), utc(2024, 1, 3, 6, 0),
			[]time.Time{utc(2024, 1, 2, 0, 0), utc(2024, 1, 3, 0, 0)}, 24 * time.Hour},
		{"hourly", "@hourly", utc(2024, 1, 1, 10, 0), utc(2024, 1, 1, 12, 0),
			[]time.Time{utc(2024, 1, 1, 10, 0), utc(2024, 1, 1, 11, 0), utc(2024, 1, 1, 12, 0)}, time.Hour},
		{"fixed interval from `from` itself", "every 30m", utc(2024, 1, 1, 0, 15), utc(2024, 1, 1, 1, 15),
			[]time.Time{utc(2024, 1, 1, 0, 15), utc(2024, 1, 1, 0, 45), utc(2024, 1, 1, 1, 15)}, 30 * time.Minute},
		{"@once", "@once", utc(2024, 1, 1, 10, 0), utc(2024, 1, 3, 0, 0), []time.Time{utc(2024, 1, 1, 10, 0)}, 0},
		{"to before from", "@daily", utc(2024, 1, 3, 0, 0), utc(2024, 1, 1, 0, 0), nil, 0},
		{"no schedule time in range", "@monthly", utc(2024, 1, 2, 0, 0), utc(2024, 1, 31, 0, 0), nil, 0},
		{"manual", "none", utc(2024, 1, 1, 0, 0), utc(2024, 1, 3, 0, 0), nil, 0},
		{"continuous", "@continuous", utc(2024, 1, 1, 0, 0), utc(2024, 1, 3, 0, 0), nil, 0},
		{"zero from", "@daily", time.Time{}, utc(2024, 1, 3, 0, 0), nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := MustParse(tc.schedule, "").Intervals(tc.from, tc.to)
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want logical dates %v", got, tc.want)
			}
			for i, d := range got {
				if !d.Start.Equal(tc.want[i]) || d.End.Sub(d.Start) != tc.width {
					t.Errorf("interval %d = %v, want start %v, width %v", i, d, tc.want[i], tc.width)
				}
			}
		})
	}
}

func TestBackfillStopsEarly(t *testing.T) {
	t.Parallel()
	tt := MustParse("* * * * *", "")
	n := 0
	for range tt.Backfill(utc(2000, 1, 1, 0, 0), utc(2100, 1, 1, 0, 0)) {
		n++
		if n == 3 {
			break
		}
	}
	if n != 3 {
		t.Errorf("yielded %d, want 3", n)
	}
}

func TestBackfillAmsterdamDST(t *testing.T) {
	t.Parallel()
	ams := mustLoad(t, "Europe/Amsterdam")
	got := MustParse("@hourly", "Europe/Amsterdam").Intervals(
		time.Date(2024, 3, 31, 0, 0, 0, 0, ams), time.Date(2024, 3, 31, 4, 0, 0, 0, ams))
	var local []string
	for _, d := range got {
		local = append(local, d.Start.In(ams).Format("15:04 MST"))
		if d.End.Sub(d.Start) != time.Hour {
			t.Errorf("%v is not an hour", d)
		}
	}
	// 02:00 does not exist that night: four intervals cover the 3 real hours plus the last.
	if want := "[00:00 CET 01:00 CET 03:00 CEST 04:00 CEST]"; fmt.Sprint(local) != want {
		t.Errorf("logical dates %v, want %s", local, want)
	}
}

// BenchmarkNextRun measures one scheduling decision for a cron DAG in a DST zone.
func BenchmarkNextRun(b *testing.B) {
	tt := MustParse("*/5 * * * *", "Europe/Amsterdam")
	last := iv(utc(2024, 6, 1, 10, 0), utc(2024, 6, 1, 10, 5))
	r := Restriction{Earliest: utc(2024, 1, 1, 0, 0), Catchup: true}
	now := utc(2024, 6, 1, 10, 7)
	for b.Loop() {
		tt.NextRun(last, r, now)
	}
}

// BenchmarkIntervals measures a backfill of one day of a five-minute schedule over the
// autumn DST change (288 intervals, a quarter of them on the slow path).
func BenchmarkIntervals(b *testing.B) {
	tt := MustParse("*/5 * * * *", "Europe/Amsterdam")
	for b.Loop() {
		tt.Intervals(utc(2024, 10, 26, 12, 0), utc(2024, 10, 27, 12, 0))
	}
}
