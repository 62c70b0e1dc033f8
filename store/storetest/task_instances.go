package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/weirhq/weir/store"
)

func testTaskInstances(t *testing.T, setup setupFunc) {
	// seed creates task instances over three runs of two DAGs, in shuffled order, and
	// returns them in ListTaskInstances' order. Task IDs and map indexes are chosen so that
	// bytewise and numeric order differ from naive ones: "B" < "a", "t10" < "t2",
	// "g.x" < "g_x", map index 2 < 10.
	seed := func(ctx context.Context, t *testing.T, s store.Store) []*store.TaskInstance {
		t.Helper()
		var all []*store.TaskInstance
		states := []store.TIState{store.TINone, store.TIQueued, store.TISuccess, store.TIFailed}
		for _, k := range [][2]string{{"b", "r1"}, {"a", "r2"}, {"a", "r1"}} {
			var tis []*store.TaskInstance
			n := 0
			add := func(task string, mapIndex int) {
				x := fullTI(k[0], k[1], task, mapIndex)
				x.State = states[n%len(states)]
				n++
				tis = append(tis, x)
			}
			for _, task := range []string{"t2", "g_x", "t10", "B", "a", "g.x"} {
				add(task, -1)
			}
			for _, i := range []int{10, 0, 2, 1} {
				add("mapped", i)
			}
			mustCreateRun(ctx, t, s, minimalRun(k[0], k[1], store.RunRunning), tis...)
			all = append(all, tis...)
		}
		sortTIs(all)
		return all
	}
	list := func(ctx context.Context, t *testing.T, s store.Store, p store.ListTIParams) []*store.TaskInstance {
		t.Helper()
		tis, err := s.ListTaskInstances(ctx, p)
		if err != nil {
			t.Fatalf("ListTaskInstances(%+v): %v", p, err)
		}
		return tis
	}
	filter := func(tis []*store.TaskInstance, keep func(ti *store.TaskInstance) bool) []*store.TaskInstance {
		var out []*store.TaskInstance
		for _, ti := range tis {
			if keep(ti) {
				out = append(out, ti)
			}
		}
		return out
	}

	t.Run("Order", func(t *testing.T) {
		ctx, s := setup(t)
		all := seed(ctx, t, s)
		got := list(ctx, t, s, store.ListTIParams{})
		checkTIs(t, got, all)
		var order []string
		for _, ti := range got[:10] {
			order = append(order, fmt.Sprintf("%s[%d]", ti.TaskID, ti.MapIndex))
		}
		const want = "B[-1] a[-1] g.x[-1] g_x[-1] mapped[0] mapped[1] mapped[2] mapped[10] t10[-1] t2[-1]"
		if strings.Join(order, " ") != want {
			t.Fatalf("order = %s, want %s", strings.Join(order, " "), want)
		}
	})

	t.Run("Filters", func(t *testing.T) {
		ctx, s := setup(t)
		all := seed(ctx, t, s)
		in := func(v string, set ...string) bool {
			for _, x := range set {
				if v == x {
					return true
				}
			}
			return false
		}
		cases := []struct {
			p    store.ListTIParams
			keep func(ti *store.TaskInstance) bool
		}{
			{store.ListTIParams{DAGID: "a"}, func(ti *store.TaskInstance) bool { return ti.DAGID == "a" }},
			{store.ListTIParams{RunID: "r1"}, func(ti *store.TaskInstance) bool { return ti.RunID == "r1" }},
			{store.ListTIParams{DAGID: "a", RunID: "r1"}, func(ti *store.TaskInstance) bool { return ti.DAGID == "a" && ti.RunID == "r1" }},
			{store.ListTIParams{DAGID: "a", RunID: "missing"}, func(ti *store.TaskInstance) bool { return false }},
			{store.ListTIParams{TaskIDs: []string{"mapped", "B", "missing"}}, func(ti *store.TaskInstance) bool { return in(ti.TaskID, "mapped", "B") }},
			{store.ListTIParams{States: []store.TIState{store.TINone}}, func(ti *store.TaskInstance) bool { return ti.State == store.TINone }},
			{store.ListTIParams{States: []store.TIState{store.TIQueued, store.TIFailed}}, func(ti *store.TaskInstance) bool {
				return ti.State == store.TIQueued || ti.State == store.TIFailed
			}},
			{store.ListTIParams{DAGID: "b", TaskIDs: []string{"t2"}}, func(ti *store.TaskInstance) bool { return ti.DAGID == "b" && ti.TaskID == "t2" }},
			{store.ListTIParams{RunID: "r2", States: []store.TIState{store.TISuccess}}, func(ti *store.TaskInstance) bool {
				return ti.RunID == "r2" && ti.State == store.TISuccess
			}},
			{store.ListTIParams{DAGID: "a", RunID: "r1", TaskIDs: []string{"mapped", "a"}, States: []store.TIState{store.TINone, store.TISuccess}}, func(ti *store.TaskInstance) bool {
				return ti.DAGID == "a" && ti.RunID == "r1" && in(ti.TaskID, "mapped", "a") && in(string(ti.State), "", "success")
			}},
		}
		for _, c := range cases {
			t.Run(fmt.Sprintf("%+v", c.p), func(t *testing.T) {
				want := filter(all, c.keep)
				checkTIs(t, list(ctx, t, s, c.p), want)
			})
		}
	})

	t.Run("GetNotFound", func(t *testing.T) {
		ctx, s := setup(t)
		mustCreateRun(ctx, t, s, minimalRun("d", "r", store.RunQueued), ti("d", "r", "t", -1, store.TINone))
		for _, k := range []struct {
			dag, run, task string
			mapIndex       int
		}{{"d", "r", "missing", -1}, {"d", "r", "t", 0}, {"d", "missing", "t", -1}, {"missing", "r", "t", -1}} {
			got, err := s.GetTaskInstance(ctx, k.dag, k.run, k.task, k.mapIndex)
			wantErrIs(t, fmt.Sprintf("GetTaskInstance(%+v)", k), err, store.ErrNotFound)
			if got != nil {
				t.Errorf("GetTaskInstance(%+v) returned a task instance with its error", k)
			}
		}
	})
}

func testApply(t *testing.T, setup setupFunc) {
	getRun := func(ctx context.Context, t *testing.T, s store.Store, dagID, runID string) *store.DAGRun {
		t.Helper()
		r, err := s.GetRun(ctx, dagID, runID)
		if err != nil {
			t.Fatalf("GetRun: %v", err)
		}
		return r
	}
	getTI := func(ctx context.Context, t *testing.T, s store.Store, dagID, runID, taskID string, mapIndex int) *store.TaskInstance {
		t.Helper()
		x, err := s.GetTaskInstance(ctx, dagID, runID, taskID, mapIndex)
		if err != nil {
			t.Fatalf("GetTaskInstance: %v", err)
		}
		return x
	}

	t.Run("EmptyBatch", func(t *testing.T) {
		ctx, s := setup(t)
		if err := s.Apply(ctx, &store.Batch{}); err != nil {
			t.Fatalf("Apply(empty): %v", err)
		}
	})

	t.Run("BatchEmpty", func(t *testing.T) {
		t.Parallel()
		for _, c := range []struct {
			name string
			b    store.Batch
			want bool
		}{
			{"zero", store.Batch{}, true},
			{"empty slices", store.Batch{DeleteTIs: []store.TIKey{}, Runs: []*store.DAGRun{}, TIs: []*store.TaskInstance{}, Tries: []*store.TaskTry{}, DatasetEvents: []*store.DatasetEvent{}}, true},
			{"DeleteTIs", store.Batch{DeleteTIs: []store.TIKey{{DAGID: "d", RunID: "r", TaskID: "t", MapIndex: -1}}}, false},
			{"Runs", store.Batch{Runs: []*store.DAGRun{minimalRun("d", "r", store.RunQueued)}}, false},
			{"TIs", store.Batch{TIs: []*store.TaskInstance{ti("d", "r", "t", -1, store.TINone)}}, false},
			{"Tries", store.Batch{Tries: []*store.TaskTry{fullTry("d", "r", "t", -1, 1)}}, false},
			{"DatasetEvents", store.Batch{DatasetEvents: []*store.DatasetEvent{{URI: "s3://b/k"}}}, false},
		} {
			if got := c.b.Empty(); got != c.want {
				t.Errorf("%s: Empty() = %v, want %v", c.name, got, c.want)
			}
		}
	})

	t.Run("CreateRunWithTIsAndTries", func(t *testing.T) {
		ctx, s := setup(t)
		run := fullRun("d", "r", t0)
		x := fullTI("d", "r", "t", -1)
		try := fullTry("d", "r", "t", -1, 1)
		mustApply(ctx, t, s, &store.Batch{Runs: []*store.DAGRun{run}, TIs: []*store.TaskInstance{x}, Tries: []*store.TaskTry{try}})
		checkRun(t, getRun(ctx, t, s, "d", "r"), run)
		checkTI(t, getTI(ctx, t, s, "d", "r", "t", -1), x)
		tries, err := s.ListTries(ctx, "d", "r", "t", -1)
		if err != nil || len(tries) != 1 {
			t.Fatalf("ListTries = %d tries, %v; want 1", len(tries), err)
		}
		checkTry(t, tries[0], try)
	})

	t.Run("UpdateRunWhole", func(t *testing.T) {
		ctx, s := setup(t)
		orig := fullRun("d", "r", t0)
		mustCreateRun(ctx, t, s, orig)
		// Every field changes, and fields that were set become unset: upserts replace the
		// whole row, but for a nil DAG, which keeps the stored snapshot (NilDAG below).
		upd := &store.DAGRun{
			DAGID:       "d",
			RunID:       "r",
			LogicalDate: at(-48 * time.Hour),
			RunType:     "backfill",
			State:       store.RunSuccess,
			Conf:        nil,
			Params:      json.RawMessage(`{"epochs": 20}`),
			DAG:         nil,
			QueuedAt:    at(time.Hour),
			EndedAt:     at(2 * time.Hour),
			// A new data interval; TriggerEvents becomes unset.
			DataIntervalStart: at(-72 * time.Hour),
			DataIntervalEnd:   at(-48 * time.Hour),
		}
		mustApply(ctx, t, s, &store.Batch{Runs: []*store.DAGRun{upd}})
		want := *upd
		want.DAG = orig.DAG
		checkRun(t, getRun(ctx, t, s, "d", "r"), &want)
	})

	t.Run("NilDAG", func(t *testing.T) {
		ctx, s := setup(t)
		run := fullRun("d", "r", t0)
		mustCreateRun(ctx, t, s, run)

		// A heartbeat that does not carry the snapshot keeps it.
		hb := *run
		hb.DAG, hb.HeartbeatAt = nil, at(time.Minute)
		mustApply(ctx, t, s, &store.Batch{Runs: []*store.DAGRun{&hb}})
		want := hb
		want.DAG = run.DAG
		checkRun(t, getRun(ctx, t, s, "d", "r"), &want)

		// A new snapshot replaces it; a nil one later in the same batch keeps the new one.
		v2 := *run
		v2.DAG, v2.DAGHash = json.RawMessage(`{"dag_id":"d","tasks":[{"id":"v2"}]}`), "sha256:v2"
		fin := v2
		fin.DAG, fin.State = nil, store.RunSuccess
		mustApply(ctx, t, s, &store.Batch{Runs: []*store.DAGRun{&v2, &fin}})
		want = fin
		want.DAG = v2.DAG
		checkRun(t, getRun(ctx, t, s, "d", "r"), &want)

		// A run Apply creates without a snapshot has none until one is written.
		bare := minimalRun("d", "bare", store.RunQueued)
		mustApply(ctx, t, s, &store.Batch{Runs: []*store.DAGRun{bare}})
		checkRun(t, getRun(ctx, t, s, "d", "bare"), bare)
		withDAG := *bare
		withDAG.DAG, withDAG.DAGHash = json.RawMessage(`null`), "h" // the JSON literal null is a snapshot
		mustApply(ctx, t, s, &store.Batch{Runs: []*store.DAGRun{&withDAG}})
		checkRun(t, getRun(ctx, t, s, "d", "bare"), &withDAG)
	})

	t.Run("UpdateTIWhole", func(t *testing.T) {
		ctx, s := setup(t)
		mustCreateRun(ctx, t, s, minimalRun("d", "r", store.RunRunning), fullTI("d", "r", "t", -1), fullTI("d", "r", "other", -1))
		upd := &store.TaskInstance{
			DAGID: "d", RunID: "r", TaskID: "t", MapIndex: -1,
			State: store.TIUpForRetry, TryNumber: 3, MaxTries: 5, Pool: store.DefaultPool, PoolSlots: 1,
			NextTryAt: at(10 * time.Minute), Error: "boom",
		}
		mustApply(ctx, t, s, &store.Batch{TIs: []*store.TaskInstance{upd}})
		checkTI(t, getTI(ctx, t, s, "d", "r", "t", -1), upd)
		checkTI(t, getTI(ctx, t, s, "d", "r", "other", -1), fullTI("d", "r", "other", -1))

		// Back from nil output to a value, and one state after another in one batch.
		upd2 := *upd
		upd2.State, upd2.Output = store.TIRunning, json.RawMessage(`[1,2,3]`)
		upd3 := upd2
		upd3.State = store.TISuccess
		mustApply(ctx, t, s, &store.Batch{TIs: []*store.TaskInstance{&upd2, &upd3}})
		checkTI(t, getTI(ctx, t, s, "d", "r", "t", -1), &upd3)
	})

	t.Run("InsertMappedTIs", func(t *testing.T) {
		ctx, s := setup(t)
		up := ti("d", "r", "produce", -1, store.TIRunning)
		mustCreateRun(ctx, t, s, minimalRun("d", "r", store.RunRunning), up, ti("d", "r", "consume", -1, store.TINone))
		// The upstream succeeds and its output expands "consume" into three instances.
		done := *up
		done.State, done.Output = store.TISuccess, json.RawMessage(`["x","y","z"]`)
		b := &store.Batch{TIs: []*store.TaskInstance{&done}}
		for i := range 3 {
			b.TIs = append(b.TIs, ti("d", "r", "consume", i, store.TIScheduled))
		}
		removed := ti("d", "r", "consume", -1, store.TIRemoved)
		b.TIs = append(b.TIs, removed)
		mustApply(ctx, t, s, b)
		got, err := s.ListTaskInstances(ctx, store.ListTIParams{DAGID: "d", RunID: "r"})
		if err != nil {
			t.Fatalf("ListTaskInstances: %v", err)
		}
		want := []*store.TaskInstance{removed, b.TIs[1], b.TIs[2], b.TIs[3], &done}
		checkTIs(t, got, want)
	})

	t.Run("AtomicMissingRun", func(t *testing.T) {
		ctx, s := setup(t)
		run := fullRun("d", "r", t0)
		x := fullTI("d", "r", "t", -1)
		mustCreateRun(ctx, t, s, run, x)

		runUpd := *run
		runUpd.State = store.RunFailed
		xUpd := *x
		xUpd.State = store.TIFailed
		err := s.Apply(ctx, &store.Batch{
			Runs: []*store.DAGRun{&runUpd, minimalRun("d", "new", store.RunQueued)},
			TIs: []*store.TaskInstance{
				&xUpd,
				ti("d", "r", "new", -1, store.TINone),
				ti("d", "missing", "t", -1, store.TINone), // fails: no such run
				ti("d", "r", "after", -1, store.TINone),
			},
			Tries: []*store.TaskTry{fullTry("d", "r", "t", -1, 1)},
		})
		wantErrIs(t, "Apply of a task instance of a missing run", err, store.ErrNotFound)

		checkRun(t, getRun(ctx, t, s, "d", "r"), run)
		checkTI(t, getTI(ctx, t, s, "d", "r", "t", -1), x)
		_, err = s.GetRun(ctx, "d", "new")
		wantErrIs(t, "run of the failed batch", err, store.ErrNotFound)
		for _, task := range []string{"new", "after"} {
			_, err = s.GetTaskInstance(ctx, "d", "r", task, -1)
			wantErrIs(t, "task instance of the failed batch", err, store.ErrNotFound)
		}
		if tries, err := s.ListTries(ctx, "d", "r", "t", -1); err != nil || len(tries) != 0 {
			t.Fatalf("ListTries = %d tries, %v; want none", len(tries), err)
		}
	})

	t.Run("AtomicMissingTI", func(t *testing.T) {
		ctx, s := setup(t)
		x := fullTI("d", "r", "t", -1)
		mustCreateRun(ctx, t, s, minimalRun("d", "r", store.RunRunning), x)
		xUpd := *x
		xUpd.State = store.TISuccess
		err := s.Apply(ctx, &store.Batch{
			TIs:   []*store.TaskInstance{&xUpd},
			Tries: []*store.TaskTry{fullTry("d", "r", "t", -1, 1), fullTry("d", "r", "t", 0, 1)}, // map index 0 does not exist
		})
		wantErrIs(t, "Apply of a try of a missing task instance", err, store.ErrNotFound)
		checkTI(t, getTI(ctx, t, s, "d", "r", "t", -1), x)
		if tries, err := s.ListTries(ctx, "d", "r", "t", -1); err != nil || len(tries) != 0 {
			t.Fatalf("ListTries = %d tries, %v; want none", len(tries), err)
		}
	})

	t.Run("CanceledContext", func(t *testing.T) {
		ctx, s := setup(t)
		mustCreateRun(ctx, t, s, minimalRun("d", "r", store.RunQueued))
		canceled, cancel := context.WithCancel(ctx)
		cancel()
		err := s.Apply(canceled, &store.Batch{Runs: []*store.DAGRun{minimalRun("d", "r", store.RunRunning)}})
		wantErrIs(t, "Apply with a canceled context", err, context.Canceled)
		if r := getRun(ctx, t, s, "d", "r"); r.State != store.RunQueued {
			t.Fatalf("state = %s after a canceled Apply, want queued", r.State)
		}
	})

	t.Run("EmptyKey", func(t *testing.T) {
		ctx, s := setup(t)
		mustCreateRun(ctx, t, s, minimalRun("d", "r", store.RunQueued))
		for _, b := range []*store.Batch{
			{Runs: []*store.DAGRun{minimalRun("d", "", store.RunQueued)}},
			{TIs: []*store.TaskInstance{ti("d", "r", "", -1, store.TINone)}},
			{DeleteTIs: []store.TIKey{{DAGID: "d", RunID: "r", TaskID: "", MapIndex: -1}}},
		} {
			if err := s.Apply(ctx, b); err == nil {
				t.Errorf("Apply of an empty key succeeded, want an error")
			}
		}
	})

	t.Run("LargeOutput", func(t *testing.T) {
		ctx, s := setup(t)
		mustCreateRun(ctx, t, s, minimalRun("d", "r", store.RunRunning), ti("d", "r", "t", -1, store.TIRunning))
		// About 1 MiB of JSON: an array of 16 Ki strings of 60 bytes.
		var b strings.Builder
		b.WriteString(`{"rows":[`)
		for i := range 16 << 10 {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `"%058d"`, i)
		}
		b.WriteString(`]}`)
		x := fullTI("d", "r", "t", -1)
		x.Output = json.RawMessage(b.String())
		x.Error = strings.Repeat("e", 64<<10)
		mustApply(ctx, t, s, &store.Batch{TIs: []*store.TaskInstance{x}})
		checkTI(t, getTI(ctx, t, s, "d", "r", "t", -1), x)
		list, err := s.ListTaskInstances(ctx, store.ListTIParams{DAGID: "d", RunID: "r"})
		if err != nil {
			t.Fatalf("ListTaskInstances: %v", err)
		}
		checkTIs(t, list, []*store.TaskInstance{x})
	})

	t.Run("SpecialStrings", func(t *testing.T) {
		ctx, s := setup(t)
		// IDs follow store.ValidateRunID and the others: the odd ones they allow, and the odd
		// strings any other text field may hold.
		ids := []string{"a.b-c_d", "...", "_", "-x", "manual__2026-12-02T02:19:03.000Z.1a2b3c", "a~b+c:d", strings.Repeat("k", store.MaxTaskIDLen)}
		odd := []string{"with space", "quote'\"", "slash/and\\back", "ünïcödé-✓-😀", "line\nbreak", "%_*?[]", strings.Repeat("k", 1000)}
		runOnly := strings.NewReplacer("~", "", "+", "", ":", "") // characters DAG and task IDs lack
		for i, text := range odd {
			key := ids[i]
			dagID := runOnly.Replace(key)
			taskID := dagID
			run := fullRun(dagID, key, at(time.Duration(i)*time.Second))
			run.Owner = text
			x := fullTI(dagID, key, taskID, i)
			x.Hostname, x.Error, x.Pool = text, text, text
			mustApply(ctx, t, s, &store.Batch{Runs: []*store.DAGRun{run}, TIs: []*store.TaskInstance{x}})
			checkRun(t, getRun(ctx, t, s, dagID, key), run)
			checkTI(t, getTI(ctx, t, s, dagID, key, taskID, i), x)
			runs, err := s.ListRuns(ctx, store.ListRunsParams{RunID: key})
			if err != nil || len(runs) != 1 {
				t.Fatalf("ListRuns(RunID: %q) = %d runs, %v; want 1", key, len(runs), err)
			}
		}
	})
}

func testTries(t *testing.T, setup setupFunc) {
	t.Run("RoundTripAndOrder", func(t *testing.T) {
		ctx, s := setup(t)
		mustCreateRun(ctx, t, s, minimalRun("d", "r", store.RunRunning),
			ti("d", "r", "t", 3, store.TIRunning), ti("d", "r", "t", 4, store.TIRunning), ti("d", "r", "u", 3, store.TIRunning))
		t3, t1, t2 := fullTry("d", "r", "t", 3, 3), fullTry("d", "r", "t", 3, 1), fullTry("d", "r", "t", 3, 2)
		t3.State, t3.EndedAt, t3.Error, t3.Hostname, t3.PID = store.TIRunning, time.Time{}, "", "", 0
		mustApply(ctx, t, s, &store.Batch{Tries: []*store.TaskTry{t3, t1}})
		mustApply(ctx, t, s, &store.Batch{Tries: []*store.TaskTry{
			t2, fullTry("d", "r", "t", 4, 1), fullTry("d", "r", "u", 3, 1), fullTry("d", "r", "u", 3, 2),
		}})
		check := func(want ...*store.TaskTry) {
			t.Helper()
			got, err := s.ListTries(ctx, "d", "r", "t", 3)
			if err != nil {
				t.Fatalf("ListTries: %v", err)
			}
			if len(got) != len(want) {
				t.Fatalf("ListTries returned %d tries, want %d", len(got), len(want))
			}
			for i := range want {
				checkTry(t, got[i], want[i])
			}
		}
		check(t1, t2, t3)

		// The running try ends.
		t3End := *t3
		t3End.State, t3End.EndedAt, t3End.Hostname, t3End.PID = store.TISuccess, at(time.Hour), "h", 9
		mustApply(ctx, t, s, &store.Batch{Tries: []*store.TaskTry{&t3End}})
		check(t1, t2, &t3End)
	})

	t.Run("MissingTI", func(t *testing.T) {
		ctx, s := setup(t)
		tries, err := s.ListTries(ctx, "d", "r", "t", -1)
		if err != nil || len(tries) != 0 {
			t.Fatalf("ListTries of a missing task instance = %d tries, %v; want none and no error", len(tries), err)
		}
	})
}

// testApplyManyRows checks a batch larger than any driver-side chunking, with a key that
// appears twice (the later write wins) and tries of many instances.
func testApplyManyRows(t *testing.T, setup setupFunc) {
	t.Run("Batch", func(t *testing.T) { applyManyRows(t, setup) })
}

func applyManyRows(t *testing.T, setup setupFunc) {
	ctx, s := setup(t)
	run := minimalRun("many", "r1", store.RunRunning)
	mustCreateRun(ctx, t, s, run)
	var b store.Batch
	for i := 0; i < 100; i++ {
		ti := ti("many", "r1", "t", i, store.TIRunning)
		ti.TryNumber = 1
		b.TIs = append(b.TIs, ti)
		b.Tries = append(b.Tries, &store.TaskTry{DAGID: "many", RunID: "r1", TaskID: "t", MapIndex: i, TryNumber: 1, State: store.TISuccess})
	}
	mustApply(ctx, t, s, &b)
	// Same keys again, with one key twice in the batch: the later write wins.
	b = store.Batch{}
	for i := 0; i < 70; i++ {
		b.TIs = append(b.TIs, ti("many", "r1", "t", i, store.TISuccess))
	}
	b.TIs = append(b.TIs, ti("many", "r1", "t", 5, store.TIFailed))
	mustApply(ctx, t, s, &b)
	tis, err := s.ListTaskInstances(ctx, store.ListTIParams{DAGID: "many", RunID: "r1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(tis) != 100 {
		t.Fatalf("%d task instances, want 100", len(tis))
	}
	for _, x := range tis {
		want := store.TISuccess
		switch {
		case x.MapIndex == 5:
			want = store.TIFailed
		case x.MapIndex >= 70:
			want = store.TIRunning
		}
		if x.State != want {
			t.Errorf("instance %d: %s, want %s", x.MapIndex, x.State, want)
		}
	}
	tries, err := s.ListTries(ctx, "many", "r1", "t", 99)
	if err != nil || len(tries) != 1 {
		t.Errorf("tries of instance 99: %v %v", tries, err)
	}
	// A page of the listing.
	page, err := s.ListTaskInstances(ctx, store.ListTIParams{DAGID: "many", RunID: "r1", Limit: 10, Offset: 20})
	if err != nil || len(page) != 10 || page[0].MapIndex != 20 || page[9].MapIndex != 29 {
		t.Errorf("page of 10 at 20: %d instances (%v)", len(page), err)
	}
	if n, err := s.CountTaskInstances(ctx, store.ListTIParams{DAGID: "many", RunID: "r1", Limit: 10}); err != nil || n != 100 {
		t.Errorf("count: %d (%v), want 100", n, err)
	}
	if n, err := s.CountTaskInstances(ctx, store.ListTIParams{DAGID: "many", RunID: "r1", States: []store.TIState{store.TIFailed}}); err != nil || n != 1 {
		t.Errorf("count of failed: %d (%v), want 1", n, err)
	}
	// CreateRun with more instances than any driver-side chunk.
	var created []*store.TaskInstance
	for i := 0; i < 75; i++ {
		created = append(created, ti("many", "r2", fmt.Sprintf("t%02d", i), -1, store.TINone))
	}
	mustCreateRun(ctx, t, s, minimalRun("many", "r2", store.RunQueued), created...)
	got, err := s.ListTaskInstances(ctx, store.ListTIParams{DAGID: "many", RunID: "r2"})
	if err != nil || len(got) != 75 || got[74].TaskID != "t74" {
		t.Errorf("CreateRun of 75 instances: %d back (%v)", len(got), err)
	}
}
