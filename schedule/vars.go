package schedule

import "time"

// VarNames lists the template variables Vars returns.
var VarNames = []string{"data_interval_end", "data_interval_start", "ds", "ds_nodash", "logical_date", "ts", "ts_nodash"}

// Vars returns the template variables of a run with the given logical date and data interval
// (Airflow's templates-ref.rst "Variables"), all strings, all in UTC as in Airflow:
//
//   - logical_date, ts: the logical date in RFC 3339, "2024-01-31T00:00:00Z" (Airflow
//     writes the zone of ts as "+00:00");
//   - ds: "2024-01-31"; ds_nodash: "20240131"; ts_nodash: "20240131T000000";
//   - data_interval_start, data_interval_end: RFC 3339.
//
// Dates are those of UTC, not of the DAG's time zone: the run of a @daily DAG in
// Europe/Amsterdam for 31 January starts at 2024-01-30T23:00:00Z and has ds "2024-01-30",
// as in Airflow. Fractions of a second are dropped.
func Vars(logical time.Time, iv DataInterval) map[string]any {
	l := logical.UTC()
	return map[string]any{
		"logical_date":        l.Format(time.RFC3339),
		"ts":                  l.Format(time.RFC3339),
		"ts_nodash":           l.Format("20060102T150405"),
		"ds":                  l.Format(time.DateOnly),
		"ds_nodash":           l.Format("20060102"),
		"data_interval_start": iv.Start.UTC().Format(time.RFC3339),
		"data_interval_end":   iv.End.UTC().Format(time.RFC3339),
	}
}
