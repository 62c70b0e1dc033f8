package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/weirhq/weir/store"
)

// Run runs the conformance suite. newStore must return a new store on a fresh database,
// empty but for the default pool, and close it when the test ends (t.Cleanup). Each subtest
// calls it once and runs in parallel with the others.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Helper()
	// setup marks t parallel and returns its context and a fresh store.
	setup := func(t *testing.T) (context.Context, store.Store) {
		t.Helper()
		t.Parallel()
		return t.Context(), newStore(t)
	}
	groups := []struct {
		name string
		fn   func(t *testing.T, setup func(t *testing.T) (context.Context, store.Store))
	}{
		{"CreateRun", testCreateRun},
		{"GetRun", testGetRun},
		{"ListRuns", testListRuns},
		{"TaskInstances", testTaskInstances},
		{"Apply", testApply},
		{"DeleteTIs", testDeleteTIs},
		{"ApplyManyRows", testApplyManyRows},
		{"Tries", testTries},
		{"Pools", testPools},
		{"Concurrency", testConcurrency},
		{"DAGs", testDAGs},
		{"SetLastScheduled", testSetLastScheduled},
		{"ImportErrors", testImportErrors},
		{"Datasets", testDatasets},
		{"DatasetQueue", testDatasetQueue},
		{"ApplyDatasetEvents", testApplyDatasetEvents},
		{"DatasetConcurrency", testDatasetConcurrency},
		{"InvalidIDs", testInvalidIDs},
		{"Leases", testLeases},
		{"LeaseRaces", testLeaseRaces},
		{"Cache", testCache},
		{"Deployments", testDeployments},
		{"Predictions", testPredictions},
		{"Tokens", testTokens},
		{"Monitors", testMonitors},

		{"Approvals", testApprovals},
		{"Audit", testAudit},

		{"Secrets", testSecrets},
		{"Users", testUsers},
		{"TaskTokens", testTaskTokens},
		{"ServeErrors", testServeErrors},

		{"AssetAliases", testAssetAliases},
		{"RunView", testRunView},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			g.fn(t, setup)
		})
	}
}

// Opener opens a store on one database. Every call opens the same database anew; the
// caller closes each store it gets.
type Opener func(t *testing.T) store.Store

// RunPersistence checks that what a store committed is there after it is closed and the
// database reopened. newDatabase must return an Opener of a fresh database.
func RunPersistence(t *testing.T, newDatabase func(t *testing.T) Opener) {
	t.Helper()
	t.Run("Persistence", func(t *testing.T) {
		t.Parallel()
		testPersistence(t, newDatabase(t))
	})
}

// Fixtures. Times are in a zone other than UTC and carry nanoseconds, so that round trips
// check the conversion to UTC and the truncation to microseconds.

var (
	zone = time.FixedZone("UTC+05:30", 5*3600+30*60)
	// t0 is the suite's reference time.
	t0 = time.Date(2024, 3, 10, 12, 30, 45, 123456789, zone)
)

// at returns t0 plus d.
func at(d time.Duration) time.Time { return t0.Add(d) }

// fullRun returns a run with every field set.
func fullRun(dagID, runID string, queuedAt time.Time) *store.DAGRun {
	return &store.DAGRun{
		DAGID:       dagID,
		RunID:       runID,
		LogicalDate: queuedAt.Add(-time.Hour),
		RunType:     "manual",
		State:       store.RunRunning,
		Conf:        json.RawMessage(`{"lr": 0.01, "tags": ["a", "b"], "nested": {"x": null}}`),
		Params:      json.RawMessage(`{"epochs":10,"lr":0.01}`),
		DAG:         json.RawMessage(`{"dag_id":"` + dagID + `","tasks":[{"id":"extract"},{"id":"train"}]}`),
		DAGHash:     "sha256:6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b",
		QueuedAt:    queuedAt,
		StartedAt:   queuedAt.Add(1500 * time.Millisecond),
		EndedAt:     queuedAt.Add(time.Minute + 999*time.Nanosecond),
		Owner:       "host-1:4242",
		HeartbeatAt: queuedAt.Add(30*time.Second + 1234567*time.Nanosecond),
		// The data interval ends at the logical date, as a scheduled run's does.
		DataIntervalStart: queuedAt.Add(-25*time.Hour + 7),
		DataIntervalEnd:   queuedAt.Add(-time.Hour),
		TriggerEvents:     json.RawMessage(`[{"ID": 7, "URI": "s3://bucket/data.csv", "Extra": {"rows": 3}}]`),
	}
}

// minimalRun returns a run with only its key and state set.
func minimalRun(dagID, runID string, state store.RunState) *store.DAGRun {
	return &store.DAGRun{DAGID: dagID, RunID: runID, State: state}
}

// fullTI returns a task instance with every field set.
func fullTI(dagID, runID, taskID string, mapIndex int) *store.TaskInstance {
	return &store.TaskInstance{
		DAGID:            dagID,
		RunID:            runID,
		TaskID:           taskID,
		MapIndex:         mapIndex,
		State:            store.TIRunning,
		TryNumber:        2,
		MaxTries:         4,
		Pool:             "gpu",
		PoolSlots:        3,
		PriorityWeight:   17,
		QueuedAt:         at(time.Second),
		StartedAt:        at(2*time.Second + 1),
		EndedAt:          at(3*time.Second + 999),
		NextTryAt:        at(time.Hour + 1001),
		Hostname:         "worker-7.example.com",
		PID:              31337,
		Output:           json.RawMessage(`{"rows": 1234, "uri": "s3://bucket/key", "ok": true}`),
		Error:            "exit status 1: \"quoted\"\nsecond line ✓",
		Args:             json.RawMessage(`{"partial": {"retries": 2}, "item": {"file": "a.csv", "n": 1.5}}`),
		RenderedMapIndex: "file=a.csv ✓",
		CacheKey:         "sha256:0f1e2d3c",
		CachedFrom:       dagID + "/earlier-run/" + taskID,
	}
}

// ti returns a task instance with only its key and state set.
func ti(dagID, runID, taskID string, mapIndex int, state store.TIState) *store.TaskInstance {
	return &store.TaskInstance{DAGID: dagID, RunID: runID, TaskID: taskID, MapIndex: mapIndex, State: state}
}

// fullTry returns a try with every field set.
func fullTry(dagID, runID, taskID string, mapIndex, tryNumber int) *store.TaskTry {
	return &store.TaskTry{
		DAGID:     dagID,
		RunID:     runID,
		TaskID:    taskID,
		MapIndex:  mapIndex,
		TryNumber: tryNumber,
		State:     store.TIFailed,
		StartedAt: at(time.Duration(tryNumber) * time.Minute),
		EndedAt:   at(time.Duration(tryNumber)*time.Minute + 5*time.Second + 7),
		Hostname:  "worker-1",
		PID:       1000 + tryNumber,
		Error:     fmt.Sprintf("try %d failed", tryNumber),
	}
}

// Checks.

// mustApply applies b and fails the test on error.
func mustApply(ctx context.Context, t *testing.T, s store.Store, b *store.Batch) {
	t.Helper()
	if err := s.Apply(ctx, b); err != nil {
		t.Fatalf("Apply: %v", err)
	}
}

// mustCreateRun creates run with tis and fails the test on error.
func mustCreateRun(ctx context.Context, t *testing.T, s store.Store, run *store.DAGRun, tis ...*store.TaskInstance) {
	t.Helper()
	if err := s.CreateRun(ctx, run, tis); err != nil {
		t.Fatalf("CreateRun(%s/%s): %v", run.DAGID, run.RunID, err)
	}
}

// wantErrIs fails the test unless errors.Is(err, target).
func wantErrIs(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: error %v, want one wrapping %v", what, err, target)
	}
}

// checkRun fails the test unless got is want as a store returns it.
func checkRun(t *testing.T, got, want *store.DAGRun) {
	t.Helper()
	checkStruct(t, "run "+want.DAGID+"/"+want.RunID, got, want)
}

// checkTI fails the test unless got is want as a store returns it.
func checkTI(t *testing.T, got, want *store.TaskInstance) {
	t.Helper()
	checkStruct(t, fmt.Sprintf("task instance %s/%s/%s[%d]", want.DAGID, want.RunID, want.TaskID, want.MapIndex), got, want)
}

// checkTry fails the test unless got is want as a store returns it.
func checkTry(t *testing.T, got, want *store.TaskTry) {
	t.Helper()
	checkStruct(t, fmt.Sprintf("try %d of %s/%s/%s[%d]", want.TryNumber, want.DAGID, want.RunID, want.TaskID, want.MapIndex), got, want)
}

// checkRuns fails the test unless got is want, in order.
// checkRuns fails the test unless got is want, in order; listings carry no DAG snapshot.
func checkRuns(t *testing.T, got, want []*store.DAGRun) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d runs %v, want %d %v", len(got), runKeys(got), len(want), runKeys(want))
	}
	for i := range want {
		w := *want[i]
		w.DAG = nil
		checkRun(t, got[i], &w)
	}
}

// checkTIs fails the test unless got is want, in order.
func checkTIs(t *testing.T, got, want []*store.TaskInstance) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d task instances %v, want %d %v", len(got), tiKeys(got), len(want), tiKeys(want))
	}
	for i := range want {
		checkTI(t, got[i], want[i])
	}
}

func runKeys(rs []*store.DAGRun) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.DAGID+"/"+r.RunID)
	}
	return out
}

func tiKeys(tis []*store.TaskInstance) []string {
	var out []string
	for _, ti := range tis {
		out = append(out, fmt.Sprintf("%s/%s/%s[%d]", ti.DAGID, ti.RunID, ti.TaskID, ti.MapIndex))
	}
	return out
}

// sortTIs sorts task instances in ListTaskInstances' order.
func sortTIs(tis []*store.TaskInstance) {
	slices.SortFunc(tis, func(a, b *store.TaskInstance) int {
		if c := strings.Compare(a.DAGID, b.DAGID); c != 0 {
			return c
		}
		if c := strings.Compare(a.RunID, b.RunID); c != 0 {
			return c
		}
		if c := strings.Compare(a.TaskID, b.TaskID); c != 0 {
			return c
		}
		return a.MapIndex - b.MapIndex
	})
}

// checkStruct compares two structs of the same type field by field: times as a store returns
// them (UTC, truncated to the microsecond), JSON as values with nil distinct from non-nil,
// everything else exactly.
func checkStruct(t *testing.T, what string, got, want any) {
	t.Helper()
	if reflect.ValueOf(got).IsNil() {
		t.Fatalf("%s: got nil", what)
	}
	gv, wv := reflect.ValueOf(got).Elem(), reflect.ValueOf(want).Elem()
	var diffs []string
	for i := range wv.NumField() {
		name := wv.Type().Field(i).Name
		g, w := gv.Field(i).Interface(), wv.Field(i).Interface()
		switch w := w.(type) {
		case time.Time:
			g := g.(time.Time)
			w = storedTime(w)
			switch {
			case w.IsZero() != g.IsZero():
				diffs = append(diffs, fmt.Sprintf("%s = %v, want %v", name, g, w))
			case g.IsZero():
			case !g.Equal(w):
				diffs = append(diffs, fmt.Sprintf("%s = %v, want %v", name, g.Format(time.RFC3339Nano), w.Format(time.RFC3339Nano)))
			case g.Location() != time.UTC:
				diffs = append(diffs, fmt.Sprintf("%s = %v, want it in UTC", name, g))
			}
		case json.RawMessage:
			if d := jsonDiff(g.(json.RawMessage), w); d != "" {
				diffs = append(diffs, name+": "+d)
			}
		default:
			if !reflect.DeepEqual(g, w) {
				diffs = append(diffs, fmt.Sprintf("%s = %#v, want %#v", name, g, w))
			}
		}
	}
	if len(diffs) > 0 {
		t.Fatalf("%s:\n\t%s", what, strings.Join(diffs, "\n\t"))
	}
}

// storedTime returns t as a store returns it: UTC, truncated to the microsecond.
func storedTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return time.UnixMicro(t.UnixMicro()).UTC()
}

// jsonDiff describes how got differs from want as JSON, or returns "".
func jsonDiff(got, want json.RawMessage) string {
	switch {
	case got == nil && want == nil:
		return ""
	case got == nil:
		return fmt.Sprintf("got nil, want %s", abbrev(want))
	case want == nil:
		return fmt.Sprintf("got %s, want nil", abbrev(got))
	}
	if !bytes.Equal(canonicalJSON(got), canonicalJSON(want)) {
		return fmt.Sprintf("got %s, want %s", abbrev(got), abbrev(want))
	}
	return ""
}

// canonicalJSON re-encodes a JSON document with sorted keys and no spaces; invalid JSON is
// returned as is.
func canonicalJSON(b []byte) []byte {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return b
	}
	out, err := json.Marshal(v)
	if err != nil {
		return b
	}
	return out
}

func abbrev(b []byte) string {
	if len(b) > 80 {
		return fmt.Sprintf("%s… (%d bytes)", b[:80], len(b))
	}
	return string(b)
}
