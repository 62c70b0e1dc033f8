package sensor_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/executor"
	"github.com/weirhq/weir/sensor"
	"github.com/weirhq/weir/store"
)

func TestDataset(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := openStore(t)
	const uri = "s3://lake/orders"
	add := func(ev *store.DatasetEvent) {
		t.Helper()
		if err := st.AddDatasetEvent(ctx, ev); err != nil {
			t.Fatalf("AddDatasetEvent: %v", err)
		}
	}
	// Events before the logical date, and of another dataset, do not count.
	add(&store.DatasetEvent{URI: uri, Timestamp: logicalDate.Add(-time.Hour)})
	add(&store.DatasetEvent{URI: "s3://lake/customers", Timestamp: logicalDate.Add(time.Hour)})
	s, ft := setup(sensor.Deps{Store: st})
	job, log := newJob(&dag.SensorSpec{Type: dag.SensorDataset, URI: uri, PokeInterval: dag.Duration(time.Minute)})
	var id int64
	ft.onSleep = func(n int) {
		if n == 2 {
			produced := make(chan *store.DatasetEvent)
			go func() { // the producer DAG's task succeeds
				ev := &store.DatasetEvent{URI: uri, Extra: json.RawMessage(`{"rows":120}`), SourceDAGID: "ingest",
					SourceRunID: "scheduled__2024-01-31", SourceTaskID: "load", SourceMapIndex: -1, Timestamp: logicalDate.Add(2 * time.Hour)}
				add(ev)
				produced <- ev
			}()
			id = (<-produced).ID
		}
	}
	res := s.Run(ctx, job)
	wantOutcome(t, res, executor.Succeeded)
	wantOutput(t, res, `{"id": `+mustJSON(id)+`, "uri": "s3://lake/orders", "extra": {"rows": 120}, "source_dag_id": "ingest",
		"source_run_id": "scheduled__2024-01-31", "source_task_id": "load", "source_map_index": -1, "timestamp": "2024-01-31T02:00:00Z"}`)
	wantLines(t, log, "poke 1: no event of dataset s3://lake/orders after 2024-01-31T00:00:00Z; next in 1m0s", "poke 2:",
		"poke 3: dataset s3://lake/orders updated at 2024-01-31T02:00:00Z (event "+mustJSON(id)+")")
}

// externalRun creates a run of DAG "ingest" at the logical date with the given instances of
// task "load" (map indexes from −1, or 0.. when several).
func externalRun(t *testing.T, st store.Store, runID string, at time.Time, state store.RunState, tis ...store.TIState) {
	t.Helper()
	run := &store.DAGRun{DAGID: "ingest", RunID: runID, LogicalDate: at, RunType: "scheduled", State: state, QueuedAt: at}
	var list []*store.TaskInstance
	for i, s := range tis {
		mi := i
		if len(tis) == 1 {
			mi = -1
		}
		list = append(list, &store.TaskInstance{DAGID: "ingest", RunID: runID, TaskID: "load", MapIndex: mi, State: s, MaxTries: 1, Pool: store.DefaultPool, PoolSlots: 1})
	}
	if err := st.CreateRun(context.Background(), run, list); err != nil {
		t.Fatal(err)
	}
}

// setState moves the instances of task "load" of the run (and the run) to a state.
func setState(t *testing.T, st store.Store, runID string, runState store.RunState, tiState store.TIState) {
	t.Helper()
	ctx := context.Background()
	run, err := st.GetRun(ctx, "ingest", runID)
	if err != nil {
		t.Fatal(err)
	}
	run.State = runState
	tis, err := st.ListTaskInstances(ctx, store.ListTIParams{DAGID: "ingest", RunID: runID})
	if err != nil {
		t.Fatal(err)
	}
	for _, ti := range tis {
		ti.State = tiState
	}
	if err := st.Apply(ctx, &store.Batch{Runs: []*store.DAGRun{run}, TIs: tis}); err != nil {
		t.Fatal(err)
	}
}

func TestExternalTask(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("task succeeds", func(t *testing.T) {
		t.Parallel()
		st := openStore(t)
		externalRun(t, st, "other_day", logicalDate.Add(-24*time.Hour), store.RunSuccess, store.TISuccess)
		s, ft := setup(sensor.Deps{Store: st})
		job, log := newJob(&dag.SensorSpec{Type: dag.SensorExternalTask, DAGID: "ingest", TaskID: "load"})
		ft.onSleep = func(n int) {
			switch n {
			case 1:
				externalRun(t, st, "today", logicalDate, store.RunRunning, store.TIRunning)
			case 2:
				setState(t, st, "today", store.RunRunning, store.TISuccess)
			}
		}
		res := s.Run(ctx, job)
		wantOutcome(t, res, executor.Succeeded)
		wantOutput(t, res, `{"dag_id": "ingest", "run_id": "today", "task_id": "load", "state": "success"}`)
		wantLines(t, log, "poke 1: ingest has no run with logical date 2024-01-31T00:00:00Z", "poke 2: task ingest.load run today is running",
			"poke 3: task ingest.load run today is success")
	})
	t.Run("failed states", func(t *testing.T) {
		t.Parallel()
		for _, soft := range []bool{false, true} {
			st := openStore(t)
			externalRun(t, st, "today", logicalDate, store.RunRunning, store.TIUpstreamFailed)
			s, _ := setup(sensor.Deps{Store: st})
			job, _ := newJob(&dag.SensorSpec{Type: dag.SensorExternalTask, DAGID: "ingest", TaskID: "load", SoftFail: soft})
			res := s.Run(ctx, job)
			if soft {
				wantOutcome(t, res, executor.Skipped)
			} else {
				wantOutcome(t, res, executor.FailedNoRetry)
			}
			if !strings.Contains(res.Err.Error(), "task load of run today of dag ingest is upstream_failed (failed_states)") {
				t.Errorf("err %v", res.Err)
			}
		}
	})
	t.Run("whole run with execution_delta", func(t *testing.T) {
		t.Parallel()
		st := openStore(t)
		externalRun(t, st, "same_date", logicalDate, store.RunSuccess)
		externalRun(t, st, "an_hour_before", logicalDate.Add(-time.Hour), store.RunRunning)
		s, ft := setup(sensor.Deps{Store: st})
		job, log := newJob(&dag.SensorSpec{Type: dag.SensorExternalTask, DAGID: "ingest", ExecutionDelta: dag.Duration(time.Hour)})
		ft.onSleep = func(int) { setState(t, st, "an_hour_before", store.RunSuccess, store.TISuccess) }
		res := s.Run(ctx, job)
		wantOutcome(t, res, executor.Succeeded)
		wantOutput(t, res, `{"dag_id": "ingest", "run_id": "an_hour_before", "state": "success"}`)
		wantLines(t, log, "poke 1: dag ingest run an_hour_before is running", "poke 2: dag ingest run an_hour_before is success")
	})
	t.Run("whole run fails", func(t *testing.T) {
		t.Parallel()
		st := openStore(t)
		externalRun(t, st, "today", logicalDate, store.RunFailed)
		s, _ := setup(sensor.Deps{Store: st})
		job, _ := newJob(&dag.SensorSpec{Type: dag.SensorExternalTask, DAGID: "ingest"})
		wantOutcome(t, s.Run(ctx, job), executor.FailedNoRetry)
	})
	t.Run("mapped task, custom states", func(t *testing.T) {
		t.Parallel()
		st := openStore(t)
		externalRun(t, st, "today", logicalDate, store.RunRunning, store.TISuccess, store.TISkipped, store.TIRunning)
		s, ft := setup(sensor.Deps{Store: st})
		job, log := newJob(&dag.SensorSpec{Type: dag.SensorExternalTask, DAGID: "ingest", TaskID: "load",
			States: []string{"success", "skipped"}, FailedStates: []string{"failed"}})
		ft.onSleep = func(int) {
			tis, _ := st.ListTaskInstances(ctx, store.ListTIParams{DAGID: "ingest", RunID: "today"})
			tis[2].State = store.TISuccess
			if err := st.Apply(ctx, &store.Batch{TIs: tis[2:]}); err != nil {
				t.Error(err)
			}
		}
		res := s.Run(ctx, job)
		wantOutcome(t, res, executor.Succeeded)
		wantOutput(t, res, `{"dag_id": "ingest", "run_id": "today", "task_id": "load", "states": {"success": 2, "skipped": 1}}`)
		wantLines(t, log, "poke 1: task ingest.load run today is running: 1, skipped: 1, success: 1", "poke 2:")
	})
}

func TestExpr(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("params and outputs", func(t *testing.T) {
		t.Parallel()
		s, _ := setup(sensor.Deps{})
		job, log := newJob(&dag.SensorSpec{Type: dag.SensorExpr, Condition: "outputs.count.rows >= params.min_rows && ds == '2024-01-31'"})
		job.Params = map[string]any{"min_rows": 10.0}
		job.Inputs = map[string]json.RawMessage{"count": json.RawMessage(`{"rows": 12}`)}
		res := s.Run(ctx, job)
		wantOutcome(t, res, executor.Succeeded)
		wantOutput(t, res, `{"value": true}`)
		wantLines(t, log, "poke 1: outputs.count.rows >= params.min_rows && ds == '2024-01-31' is true")
	})
	t.Run("conf from the store", func(t *testing.T) {
		t.Parallel()
		st := openStore(t)
		run := &store.DAGRun{DAGID: "d", RunID: "r", LogicalDate: logicalDate, RunType: "manual", State: store.RunRunning,
			Conf: json.RawMessage(`{"go": true}`)}
		if err := st.CreateRun(ctx, run, nil); err != nil {
			t.Fatal(err)
		}
		s, _ := setup(sensor.Deps{Store: st})
		job, _ := newJob(&dag.SensorSpec{Type: dag.SensorExpr, Condition: "conf.go"})
		wantOutcome(t, s.Run(ctx, job), executor.Succeeded)
	})
	t.Run("the engine's context wins", func(t *testing.T) {
		t.Parallel()
		s, _ := setup(sensor.Deps{})
		job, _ := newJob(&dag.SensorSpec{Type: dag.SensorExpr, Condition: "conf.go", Timeout: dag.Duration(time.Second)})
		job.Template = &dag.TemplateContext{Conf: map[string]any{"go": false}}
		wantOutcome(t, s.Run(ctx, job), executor.FailedNoRetry)
	})
	t.Run("time", func(t *testing.T) {
		t.Parallel()
		s, _ := setup(sensor.Deps{})
		job, _ := newJob(&dag.SensorSpec{Type: dag.SensorExpr, Condition: "now() >= date(logical_date) + duration('6h')"})
		wantOutcome(t, s.Run(ctx, job), executor.Succeeded)
	})
	t.Run("evaluation error", func(t *testing.T) {
		t.Parallel()
		s, _ := setup(sensor.Deps{})
		job, log := newJob(&dag.SensorSpec{Type: dag.SensorExpr, Condition: "outputs.missing.rows > 1"})
		res := s.Run(ctx, job)
		wantOutcome(t, res, executor.Failed)
		wantLines(t, log, "poke 1: expr sensor: {{ outputs.missing.rows > 1 }}")
	})
}
