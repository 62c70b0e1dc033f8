package schedule_test

import (
	"fmt"
	"time"

	"github.com/weirhq/weir/schedule"
)

// A @daily DAG in Europe/Amsterdam with start_date 2024-03-28, picked up by the scheduler on
// 2024-04-01 at 09:00 local time.
func Example() {
	tt, err := schedule.Parse("@daily", "Europe/Amsterdam")
	if err != nil {
		fmt.Println(err)
		return
	}
	ams := tt.Location()
	now := time.Date(2024, 4, 1, 9, 0, 0, 0, ams) // an injected clock
	show := func(d schedule.DataInterval) string {
		return fmt.Sprintf("%s to %s (%v)", d.Start.In(ams).Format("Jan 2 15:04 MST"),
			d.End.In(ams).Format("Jan 2 15:04 MST"), d.End.Sub(d.Start))
	}

	// With catchup, every complete interval since the start date is due, in order; the
	// scheduler passes back the last run's interval to get the next one.
	r := schedule.Restriction{Earliest: time.Date(2024, 3, 28, 0, 0, 0, 0, ams), Catchup: true}
	var last *schedule.DataInterval
	for {
		run, ok := tt.NextRun(last, r, now)
		if !ok {
			break
		}
		if run.RunAfter.After(now) {
			fmt.Println("next, after", run.RunAfter.In(ams).Format("Jan 2 15:04 MST"), "-", show(run.DataInterval))
			break
		}
		fmt.Println("run", show(run.DataInterval))
		last = &run.DataInterval
	}

	// Without catchup, only the latest complete interval.
	r.Catchup = false
	run, _ := tt.NextRun(nil, r, now)
	fmt.Println("catchup off:", show(run.DataInterval))

	// A manual trigger covers the latest complete interval too; its template variables use
	// UTC dates, as Airflow's do.
	manual := tt.InferManual(now)
	vars := schedule.Vars(manual.Start, manual)
	fmt.Println("manual:", show(manual), "ds =", vars["ds"])

	// Backfill: every interval whose logical date lies in [from, to].
	for _, d := range tt.Intervals(time.Date(2024, 1, 1, 0, 0, 0, 0, ams), time.Date(2024, 1, 2, 0, 0, 0, 0, ams)) {
		fmt.Println("backfill", show(d))
	}

	// Output:
	// run Mar 28 00:00 CET to Mar 29 00:00 CET (24h0m0s)
	// run Mar 29 00:00 CET to Mar 30 00:00 CET (24h0m0s)
	// run Mar 30 00:00 CET to Mar 31 00:00 CET (24h0m0s)
	// run Mar 31 00:00 CET to Apr 1 00:00 CEST (23h0m0s)
	// next, after Apr 2 00:00 CEST - Apr 1 00:00 CEST to Apr 2 00:00 CEST (24h0m0s)
	// catchup off: Mar 31 00:00 CET to Apr 1 00:00 CEST (23h0m0s)
	// manual: Mar 31 00:00 CET to Apr 1 00:00 CEST (23h0m0s) ds = 2024-03-30
	// backfill Jan 1 00:00 CET to Jan 2 00:00 CET (24h0m0s)
	// backfill Jan 2 00:00 CET to Jan 3 00:00 CET (24h0m0s)
}

// Errors name the field, the value, what is wrong and how to fix it.
func ExampleParse_errors() {
	for _, s := range []string{"0 25 * * *", "every 1d", "@dayly"} {
		_, err := schedule.Parse(s, "")
		fmt.Println(err)
	}
	_, err := schedule.Parse("@daily", "Europe/Amsterdm")
	fmt.Println(err)
	// Output:
	// schedule "0 25 * * *": hour field "25" is invalid: end of range (25) above maximum (23): 25 (valid: 0-23)
	// schedule "every 1d": Go durations have no day unit: write "every 24h" for fixed 24-hour intervals, or "@daily" for midnight to midnight in the DAG's time zone
	// schedule "@dayly": unknown preset; valid: @once, @continuous, @annually, @daily, @hourly, @monthly, @quarterly, @weekly, @yearly
	// timezone "Europe/Amsterdm": unknown time zone; use an IANA name such as "Europe/Amsterdam", "America/New_York" or "UTC"
}
