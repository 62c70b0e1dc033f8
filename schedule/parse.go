package schedule

import (
	"fmt"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // IANA zones work on hosts without /usr/share/zoneinfo (about 450 kB)

	"github.com/robfig/cron/v3"
)

// Kind is what a schedule string asks for.
type Kind string

const (
	// KindManual is "" or "none": runs are only triggered (manually, by the API, or by
	// datasets); the timetable schedules nothing. Airflow's NullTimetable (schedule=None).
	KindManual Kind = "manual"
	// KindOnce is "@once": one run, at the start date (or at once if there is none).
	// Airflow's OnceTimetable.
	KindOnce Kind = "once"
	// KindContinuous is "@continuous": a new run as soon as the previous one is created,
	// each covering the time since the previous one. The scheduler must keep at most one
	// active run of such a DAG (Airflow forces max_active_runs=1). Airflow's
	// ContinuousTimetable.
	KindContinuous Kind = "continuous"
	// KindCron is a five-field cron expression or a preset such as "@daily", read in the
	// timetable's time zone. Airflow's CronDataIntervalTimetable.
	KindCron Kind = "cron"
	// KindDelta is a fixed interval, "every 30m": intervals of that many elapsed seconds,
	// whatever the time zone. Airflow's DeltaDataIntervalTimetable (schedule=timedelta(...)).
	KindDelta Kind = "delta"
)

// presets maps Airflow's cron presets to their expressions (airflow/utils/dates.py
// cron_presets, plus "@annually", which croniter accepts as "@yearly"). "@once" and
// "@continuous" are not cron expressions and have kinds of their own.
var presets = map[string]string{
	"@hourly":    "0 * * * *",
	"@daily":     "0 0 * * *",
	"@weekly":    "0 0 * * 0",
	"@monthly":   "0 0 1 * *",
	"@quarterly": "0 0 1 */3 *",
	"@yearly":    "0 0 1 1 *",
	"@annually":  "0 0 1 1 *",
}

// MinInterval is the shortest fixed interval Parse accepts ("every 1s").
const MinInterval = time.Second

// Timetable turns a DAG's schedule into data intervals (see the package documentation). The
// zero value is a manual-only timetable in UTC. A Timetable is immutable and safe to use from
// several goroutines.
type Timetable struct {
	kind  Kind
	src   string         // the schedule as written, trimmed
	cron  *cronSpec      // KindCron
	every time.Duration  // KindDelta
	loc   *time.Location // nil means UTC
}

// Error is a schedule or time zone that cannot be used. Its message names the value, what is
// wrong with it and how to fix it, e.g. `schedule "0 25 * * *": hour field "25" is invalid:
// end of range (25) above maximum (23): 25 (valid: 0-23)`.
type Error struct {
	// Field is the DAG field at fault: "schedule" or "timezone".
	Field string
	// Value is the string as given.
	Value string
	// Reason says what is wrong and how to fix it.
	Reason string
}

// Error writes the field, its value and the reason.
func (e *Error) Error() string { return fmt.Sprintf("%s %q: %s", e.Field, e.Value, e.Reason) }

// Parse reads a DAG's schedule and time zone.
//
// The schedule is one of:
//   - "" or "none" (any case): manual only (KindManual).
//   - "@once", "@continuous" (KindOnce, KindContinuous).
//   - a preset (any case): "@hourly" (minute 0 of every hour), "@daily" (midnight),
//     "@weekly" (midnight before Monday), "@monthly" (midnight on the 1st), "@quarterly"
//     (the 1st of January, April, July, October), "@yearly" or "@annually" (1 January)
//     (KindCron).
//   - a cron expression of five fields, "minute hour day-of-month month day-of-week",
//     with "*", "?", lists "1,15", ranges "1-5", steps "*/15" and names ("JAN", "MON-FRI");
//     day-of-week runs 0-6 from Sunday. A day matches if it matches both day fields when
//     either is "*", and either field otherwise (KindCron).
//   - "every " followed by a Go duration of at least MinInterval: "every 30m",
//     "every 1h30m", "every 24h" (KindDelta). There is no day unit: a day is not always 24
//     hours in a time zone with DST, so write "every 24h" for fixed 24-hour intervals or
//     "@daily" for midnight to midnight in the DAG's time zone.
//
// The time zone is an IANA name ("Europe/Amsterdam"); "" means UTC. Cron fields are read on
// that zone's wall clock, DST included; other kinds ignore it.
//
// Errors are *Error.
func Parse(schedule, timezone string) (Timetable, error) {
	loc, err := loadLocation(timezone)
	if err != nil {
		return Timetable{}, err
	}
	src := strings.TrimSpace(schedule)
	lower := strings.ToLower(src)
	tt := Timetable{src: src, loc: loc}
	bad := func(format string, args ...any) (Timetable, error) {
		return Timetable{}, &Error{Field: "schedule", Value: schedule, Reason: fmt.Sprintf(format, args...)}
	}
	switch {
	case lower == "" || lower == "none":
		tt.kind, tt.src = KindManual, ""
	case lower == "@once":
		tt.kind = KindOnce
	case lower == "@continuous":
		tt.kind = KindContinuous
	case strings.HasPrefix(lower, "@every"):
		return bad("a fixed interval is written %q, without the \"@\"", "every "+strings.TrimSpace(src[len("@every"):]))
	case strings.HasPrefix(lower, "@"):
		expr, ok := presets[lower]
		if !ok {
			return bad("unknown preset; valid: %s", strings.Join(presetNames(), ", "))
		}
		spec, reason := parseCron(expr)
		if reason != "" {
			return bad("%s", reason) // unreachable: the presets are valid
		}
		tt.kind, tt.cron = KindCron, newCronSpec(spec, loc)
	case lower == "every" || strings.HasPrefix(lower, "every "):
		d, reason := parseEvery(strings.TrimSpace(src[len("every"):]))
		if reason != "" {
			return bad("%s", reason)
		}
		tt.kind, tt.every = KindDelta, d
	default:
		if d, err := time.ParseDuration(src); err == nil && d > 0 {
			return bad("a fixed interval is written %q", "every "+src)
		}
		spec, reason := parseCron(src)
		if reason != "" {
			return bad("%s", reason)
		}
		tt.kind, tt.cron = KindCron, newCronSpec(spec, loc)
	}
	if tt.kind == KindCron {
		if _, ok := tt.cron.naiveNext(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)); !ok {
			return bad("matches no date (check the day-of-month and month fields: February has at most 29 days, April, June, September and November 30)")
		}
	}
	return tt, nil
}

// MustParse is Parse for schedules known to be valid, such as constants in tests and
// examples. It panics on an error.
func MustParse(schedule, timezone string) Timetable {
	tt, err := Parse(schedule, timezone)
	if err != nil {
		panic(err)
	}
	return tt
}

// Kind returns what the schedule asks for.
func (t Timetable) Kind() Kind {
	if t.kind == "" {
		return KindManual
	}
	return t.kind
}

// String returns the schedule as written (trimmed), or "none" for a manual-only timetable.
func (t Timetable) String() string {
	if t.Kind() == KindManual {
		return "none"
	}
	return t.src
}

// Location returns the time zone cron fields are read in (UTC by default).
func (t Timetable) Location() *time.Location {
	if t.loc == nil {
		return time.UTC
	}
	return t.loc
}

func loadLocation(name string) (*time.Location, error) {
	switch strings.TrimSpace(name) {
	case "", "UTC":
		return time.UTC, nil
	case "Local":
		return nil, &Error{Field: "timezone", Value: name,
			Reason: `the host's local zone differs between machines; name an IANA zone such as "Europe/Amsterdam", or "UTC"`}
	}
	loc, err := time.LoadLocation(strings.TrimSpace(name))
	if err != nil {
		return nil, &Error{Field: "timezone", Value: name,
			Reason: `unknown time zone; use an IANA name such as "Europe/Amsterdam", "America/New_York" or "UTC"`}
	}
	return loc, nil
}

// Presets lists the schedule presets ("@daily", …), "@once" and "@continuous" first.
func Presets() []string { return presetNames() }

func presetNames() []string {
	names := []string{"@once", "@continuous"}
	for name := range presets {
		names = append(names, name)
	}
	slices.Sort(names[2:])
	return names
}

var (
	cronParser   = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)
	cronFields   = []cron.ParseOption{cron.Minute, cron.Hour, cron.Dom, cron.Month, cron.Dow}
	fieldNames   = []string{"minute", "hour", "day-of-month", "month", "day-of-week"}
	fieldRanges  = []string{"0-59", "0-23", "1-31", "1-12 or JAN-DEC", "0-6 or SUN-SAT, Sunday is 0"}
	fieldParsers = func() []cron.Parser {
		ps := make([]cron.Parser, len(cronFields))
		for i, f := range cronFields {
			ps[i] = cron.NewParser(f)
		}
		return ps
	}()
)

// parseCron parses a five-field expression; on failure it returns a reason naming the field.
func parseCron(expr string) (*cron.SpecSchedule, string) {
	if strings.HasPrefix(expr, "TZ=") || strings.HasPrefix(expr, "CRON_TZ=") {
		return nil, "set the DAG's timezone instead of a TZ= prefix"
	}
	fields := strings.Fields(expr)
	if len(fields) != 5 {
		reason := fmt.Sprintf("a cron expression has 5 fields (minute hour day-of-month month day-of-week), got %d", len(fields))
		if len(fields) == 6 {
			reason += "; a seconds field is not supported"
		}
		return nil, reason
	}
	s, err := cronParser.Parse(expr)
	if err != nil {
		for i, f := range fields {
			if _, ferr := fieldParsers[i].Parse(f); ferr != nil {
				return nil, fmt.Sprintf("%s field %q is invalid: %v (valid: %s)", fieldNames[i], f, ferr, fieldRanges[i])
			}
		}
		return nil, err.Error()
	}
	spec, ok := s.(*cron.SpecSchedule)
	if !ok {
		return nil, fmt.Sprintf("unsupported cron schedule %T", s)
	}
	return spec, ""
}

// parseEvery parses the duration of "every <duration>".
func parseEvery(s string) (time.Duration, string) {
	if s == "" {
		return 0, `"every" needs a duration, e.g. "every 30m"`
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		if strings.HasSuffix(s, "d") {
			return 0, `Go durations have no day unit: write "every 24h" for fixed 24-hour intervals, or "@daily" for midnight to midnight in the DAG's time zone`
		}
		return 0, fmt.Sprintf(`%q is not a duration: write a Go duration such as "every 30m" or "every 1h30m"`, s)
	}
	if d < MinInterval {
		return 0, fmt.Sprintf("the interval must be at least %v", MinInterval)
	}
	return d, ""
}
