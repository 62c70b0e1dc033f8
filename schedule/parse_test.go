package schedule

import (
	"errors"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// utc builds a time in UTC; tests read better with it than with time.Date.
func utc(y int, mo time.Month, d, h, mi int) time.Time {
	return time.Date(y, mo, d, h, mi, 0, 0, time.UTC)
}

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestParseValid(t *testing.T) {
	t.Parallel()
	from := utc(2024, time.January, 15, 10, 20) // a Monday
	tests := []struct {
		schedule string
		kind     Kind
		str      string
		next     time.Time // first schedule time after `from`; zero for non-cron kinds
	}{
		{"", KindManual, "none", time.Time{}},
		{"none", KindManual, "none", time.Time{}},
		{" None ", KindManual, "none", time.Time{}},
		{"@once", KindOnce, "@once", time.Time{}},
		{"@continuous", KindContinuous, "@continuous", time.Time{}},
		// Airflow's presets (airflow/utils/dates.py cron_presets).
		{"@hourly", KindCron, "@hourly", utc(2024, time.January, 15, 11, 0)},
		{"@daily", KindCron, "@daily", utc(2024, time.January, 16, 0, 0)},
		{"@weekly", KindCron, "@weekly", utc(2024, time.January, 21, 0, 0)}, // Sunday
		{"@monthly", KindCron, "@monthly", utc(2024, time.February, 1, 0, 0)},
		{"@quarterly", KindCron, "@quarterly", utc(2024, time.April, 1, 0, 0)},
		{"@yearly", KindCron, "@yearly", utc(2025, time.January, 1, 0, 0)},
		{"@annually", KindCron, "@annually", utc(2025, time.January, 1, 0, 0)},
		{"@Daily", KindCron, "@Daily", utc(2024, time.January, 16, 0, 0)},
		// Cron expressions.
		{"*/15 * * * *", KindCron, "*/15 * * * *", utc(2024, time.January, 15, 10, 30)},
		{"0 9-17 * * MON-FRI", KindCron, "0 9-17 * * MON-FRI", utc(2024, time.January, 15, 11, 0)},
		{"30 2 1,15 * *", KindCron, "30 2 1,15 * *", utc(2024, time.February, 1, 2, 30)},
		{"0 0 * JAN,JUL ?", KindCron, "0 0 * JAN,JUL ?", utc(2024, time.January, 16, 0, 0)},
		{"0 0 29 2 *", KindCron, "0 0 29 2 *", utc(2024, time.February, 29, 0, 0)},
		// Both day fields restricted: either matches (Sunday the 21st comes before the 1st).
		{"0 0 1 * 0", KindCron, "0 0 1 * 0", utc(2024, time.January, 21, 0, 0)},
		{"  0 12 * * *  ", KindCron, "0 12 * * *", utc(2024, time.January, 15, 12, 0)},
		// Fixed intervals.
		{"every 30m", KindDelta, "every 30m", time.Time{}},
		{"every 1h30m", KindDelta, "every 1h30m", time.Time{}},
		{"Every 24h", KindDelta, "Every 24h", time.Time{}},
		{"every 1s", KindDelta, "every 1s", time.Time{}},
	}
	for _, tc := range tests {
		t.Run(tc.schedule, func(t *testing.T) {
			t.Parallel()
			tt, err := Parse(tc.schedule, "")
			if err != nil {
				t.Fatal(err)
			}
			if tt.Kind() != tc.kind || tt.String() != tc.str || tt.Location() != time.UTC {
				t.Errorf("got kind %s, string %q, location %v; want %s, %q, UTC", tt.Kind(), tt.String(), tt.Location(), tc.kind, tc.str)
			}
			if tc.kind == KindCron {
				got, ok := tt.cron.next(from)
				if !ok || !got.Equal(tc.next) {
					t.Errorf("next after %v = %v, %v; want %v", from, got, ok, tc.next)
				}
			}
		})
	}
}

func TestParseDurations(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]time.Duration{
		"every 30m": 30 * time.Minute, "every 1h30m": 90 * time.Minute, "every  24h": 24 * time.Hour,
	} {
		if tt := MustParse(in, ""); tt.every != want {
			t.Errorf("%q: every = %v, want %v", in, tt.every, want)
		}
	}
}

func TestParseInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		schedule, timezone string
		field              string
		want               []string // substrings of the message
	}{
		{"0 25 * * *", "", "schedule", []string{`schedule "0 25 * * *": hour field "25" is invalid`, "above maximum (23)", "valid: 0-23"}},
		{"61 * * * *", "", "schedule", []string{`minute field "61"`, "0-59"}},
		{"0 0 32 * *", "", "schedule", []string{`day-of-month field "32"`, "1-31"}},
		{"0 0 0 * *", "", "schedule", []string{`day-of-month field "0"`, "below minimum (1)"}},
		{"0 0 * 13 *", "", "schedule", []string{`month field "13"`, "JAN-DEC"}},
		{"0 0 * * 7", "", "schedule", []string{`day-of-week field "7"`, "Sunday is 0"}},
		{"0 0 * * FUN", "", "schedule", []string{`day-of-week field "FUN"`}},
		{"*/x * * * *", "", "schedule", []string{`minute field "*/x"`}},
		{"0 0 * *", "", "schedule", []string{"5 fields", "got 4"}},
		{"0 0 0 * * *", "", "schedule", []string{"got 6", "seconds field is not supported"}},
		{"daily", "", "schedule", []string{"5 fields", "got 1"}},
		{"0 0 30 2 *", "", "schedule", []string{"matches no date"}},
		{"0 0 31 4,6 *", "", "schedule", []string{"matches no date"}},
		{"TZ=Europe/Amsterdam 0 0 * * *", "", "schedule", []string{"timezone instead of a TZ= prefix"}},
		{"@dayly", "", "schedule", []string{"unknown preset", "@daily", "@once", "@quarterly"}},
		{"@every 1h", "", "schedule", []string{`written "every 1h", without the "@"`}},
		{"every", "", "schedule", []string{"needs a duration"}},
		{"every soon", "", "schedule", []string{`"soon" is not a duration`}},
		{"every 1d", "", "schedule", []string{"no day unit", "every 24h", "@daily"}},
		{"every 0s", "", "schedule", []string{"at least 1s"}},
		{"every -5m", "", "schedule", []string{"at least 1s"}},
		{"every 500ms", "", "schedule", []string{"at least 1s"}},
		{"30m", "", "schedule", []string{`written "every 30m"`}},
		{"@daily", "Mars/Olympus_Mons", "timezone", []string{`timezone "Mars/Olympus_Mons": unknown time zone`, "Europe/Amsterdam"}},
		{"@daily", "Local", "timezone", []string{"local zone", "IANA"}},
		{"", "CEST", "timezone", []string{"unknown time zone"}},
	}
	for _, tc := range tests {
		t.Run(tc.schedule+"|"+tc.timezone, func(t *testing.T) {
			t.Parallel()
			_, err := Parse(tc.schedule, tc.timezone)
			var perr *Error
			if !errors.As(err, &perr) {
				t.Fatalf("error %v (%T), want *Error", err, err)
			}
			if perr.Field != tc.field {
				t.Errorf("field %q, want %q", perr.Field, tc.field)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestParseTimezone(t *testing.T) {
	t.Parallel()
	tests := []struct{ timezone, want string }{
		{"", "UTC"}, {"UTC", "UTC"}, {"Europe/Amsterdam", "Europe/Amsterdam"},
		{" America/New_York ", "America/New_York"},
	}
	for _, tc := range tests {
		tt, err := Parse("@daily", tc.timezone)
		if err != nil {
			t.Fatal(err)
		}
		if got := tt.Location().String(); got != tc.want {
			t.Errorf("Parse(@daily, %q).Location() = %s, want %s", tc.timezone, got, tc.want)
		}
	}
}

func TestZeroTimetable(t *testing.T) {
	t.Parallel()
	var tt Timetable
	if tt.Kind() != KindManual || tt.String() != "none" || tt.Location() != time.UTC {
		t.Errorf("zero Timetable: %s %q %v", tt.Kind(), tt.String(), tt.Location())
	}
	if _, ok := tt.NextRun(nil, Restriction{Earliest: utc(2024, 1, 1, 0, 0), Catchup: true}, utc(2024, 2, 1, 0, 0)); ok {
		t.Error("zero Timetable schedules a run")
	}
}

func TestMustParsePanics(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Error("MustParse of an invalid schedule did not panic")
		}
	}()
	MustParse("0 25 * * *", "")
}
