package schedule

import (
	"slices"
	"testing"
	"time"
)

// TestVars follows templates-ref.rst "Variables": ds, ds_nodash, ts, ts_nodash of the logical
// date and the data interval bounds, in UTC.
func TestVars(t *testing.T) {
	t.Parallel()
	ams := mustLoad(t, "Europe/Amsterdam")
	tests := []struct {
		name    string
		logical time.Time
		iv      DataInterval
		want    map[string]any
	}{
		{
			"daily in UTC", utc(2024, 1, 31, 0, 0), *iv(utc(2024, 1, 31, 0, 0), utc(2024, 2, 1, 0, 0)),
			map[string]any{
				"logical_date": "2024-01-31T00:00:00Z", "ts": "2024-01-31T00:00:00Z",
				"ds": "2024-01-31", "ds_nodash": "20240131", "ts_nodash": "20240131T000000",
				"data_interval_start": "2024-01-31T00:00:00Z", "data_interval_end": "2024-02-01T00:00:00Z",
			},
		},
		{
			// Airflow's dates are UTC dates: local midnight in Amsterdam is the day before in UTC.
			"daily in Amsterdam", time.Date(2024, 1, 31, 0, 0, 0, 0, ams),
			*iv(time.Date(2024, 1, 31, 0, 0, 0, 0, ams), time.Date(2024, 2, 1, 0, 0, 0, 0, ams)),
			map[string]any{
				"logical_date": "2024-01-30T23:00:00Z", "ts": "2024-01-30T23:00:00Z",
				"ds": "2024-01-30", "ds_nodash": "20240130", "ts_nodash": "20240130T230000",
				"data_interval_start": "2024-01-30T23:00:00Z", "data_interval_end": "2024-01-31T23:00:00Z",
			},
		},
		{
			"manual run with fractions of a second", time.Date(2024, 7, 4, 6, 7, 8, 999, time.UTC),
			*iv(time.Date(2024, 7, 4, 6, 7, 8, 999, time.UTC), time.Date(2024, 7, 4, 6, 7, 8, 999, time.UTC)),
			map[string]any{
				"logical_date": "2024-07-04T06:07:08Z", "ts": "2024-07-04T06:07:08Z",
				"ds": "2024-07-04", "ds_nodash": "20240704", "ts_nodash": "20240704T060708",
				"data_interval_start": "2024-07-04T06:07:08Z", "data_interval_end": "2024-07-04T06:07:08Z",
			},
		},
	}
	for _, tc := range tests {
		got := Vars(tc.logical, tc.iv)
		if len(got) != len(tc.want) {
			t.Errorf("%s: %d variables, want %d", tc.name, len(got), len(tc.want))
		}
		for k, w := range tc.want {
			if got[k] != w {
				t.Errorf("%s: %s = %v, want %v", tc.name, k, got[k], w)
			}
		}
	}
}

func TestVarNames(t *testing.T) {
	t.Parallel()
	var keys []string
	for k := range Vars(time.Time{}, DataInterval{}) {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if !slices.Equal(keys, VarNames) {
		t.Errorf("Vars keys %v, VarNames %v", keys, VarNames)
	}
}
