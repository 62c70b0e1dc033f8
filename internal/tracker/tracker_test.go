package tracker_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/engine"
	"github.com/weirhq/weir/executor"
	"github.com/weirhq/weir/internal/tracker"
	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/store/sqlite"
	"github.com/weirhq/weir/tracking"
)

// Issue 5, item 3: a tracked task gets a tracking run nested under a parent run of its DAG
// run, tagged with the task try and holding the run's params; a Go task logs into it
// through weir.Tracking, a command task gets MLFLOW_RUN_ID and MLFLOW_EXPERIMENT_ID; runs
// are closed with the tries' and the DAG run's outcomes.
func TestTrackedTasks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	home := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(home, "weir.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc := tracking.NewService(st.Tracking(), tracking.ServiceConfig{})
	funcs := executor.NewFuncs()
	_ = funcs.Register("train", func(ctx context.Context, _ json.RawMessage) (json.RawMessage, error) {
		c := weir.Tracking(ctx)
		if c == nil {
			return nil, weir.FailNow(context.Canceled)
		}
		for step := int64(0); step < 3; step++ {
			if err := c.LogMetric(ctx, "loss", 1/float64(step+1), step); err != nil {
				return nil, err
			}
		}
		return nil, c.SetTag(ctx, "model", "tree")
	})
	eng, err := engine.New(engine.Config{Store: st, Home: home, Kinds: executor.NewRegistry(funcs),
		Tracker: tracker.New(svc, func() string { return "http://127.0.0.1:1" })})
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer eng.Stop()
	on := true
	d := &dag.DAG{ID: "tracked", Source: "go:test", Defaults: dag.TaskOptions{Track: &on},
		Params: map[string]dag.Param{"lr": {Schema: map[string]any{"type": "number", "default": 0.1}}},
		Tasks: []*dag.Task{
			{ID: "train", Kind: dag.KindGo, Go: &dag.GoSpec{Func: "train"}},
			{ID: "check_env", Kind: dag.KindCommand, Upstream: []string{"train"}, Command: &dag.CommandSpec{
				Script: `test -n "$MLFLOW_RUN_ID" && test -n "$MLFLOW_EXPERIMENT_ID" && test "$MLFLOW_TRACKING_URI" = http://127.0.0.1:1`}},
		}}
	run, err := eng.Trigger(ctx, d, engine.TriggerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	final, err := eng.Wait(ctx, "tracked", run.RunID)
	if err != nil || final.State != store.RunSuccess {
		t.Fatalf("run %v %v", final, err)
	}
	eng.Stop() // waits for the parent run to be closed
	exp, err := svc.GetExperimentByName(ctx, "tracked")
	if err != nil {
		t.Fatal(err)
	}
	page, err := svc.SearchRuns(ctx, tracking.SearchRunsParams{ExperimentIDs: []string{exp.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Runs) != 3 {
		t.Fatalf("%d tracking runs, want a parent and two tries", len(page.Runs))
	}
	var parent string
	byTask := map[string]tracking.Run{}
	for _, r := range page.Runs {
		if v, _ := r.Tag("weir.parent"); v == "true" {
			parent = r.Info.RunID
			if r.Info.Status != tracking.RunFinished {
				t.Errorf("parent status %s", r.Info.Status)
			}
			continue
		}
		task, _ := r.Tag(tracking.TagTaskID)
		byTask[task] = r
	}
	for _, task := range []string{"train", "check_env"} {
		r, ok := byTask[task]
		if !ok {
			t.Fatalf("no tracking run of %s", task)
		}
		if p, _ := r.Tag(tracking.TagParentRunID); p != parent || parent == "" {
			t.Errorf("%s: parent %q, want %q", task, p, parent)
		}
		if r.Info.Status != tracking.RunFinished {
			t.Errorf("%s: status %s", task, r.Info.Status)
		}
		if v, _ := r.Tag(tracking.TagDAGRunID); v != run.RunID {
			t.Errorf("%s: weir.run_id %q", task, v)
		}
		if len(r.Params) != 1 || r.Params[0].Key != "lr" || r.Params[0].Value != "0.1" {
			t.Errorf("%s: params %+v", task, r.Params)
		}
	}
	train := byTask["train"]
	if len(train.Metrics) != 1 || train.Metrics[0].Key != "loss" || !strings.HasPrefix(strings.TrimLeft(formatF(train.Metrics[0].Value), " "), "0.33") {
		t.Errorf("train metrics %+v", train.Metrics)
	}
	if v, _ := train.Tag("model"); v != "tree" {
		t.Errorf("train tag model %q", v)
	}
}

func formatF(f float64) string { b, _ := json.Marshal(f); return string(b) }

// Issue 9, item 5: the tracker finds a DAG run's parent tracking run by a filter built with
// tracking.QuoteString, so a run ID holding quotes or filter syntax finds its own parent
// after a restart, and only its own.
func TestParentFoundWhateverTheRunID(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "weir.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc := tracking.NewService(st.Tracking(), tracking.ServiceConfig{})
	uri := func() string { return "" }
	parentOf := func(tr *tracker.Tracker, runID string) string {
		t.Helper()
		try, err := tr.StartTry(ctx, engine.TrackedTry{DAGID: "d", RunID: runID, TaskID: "t", MapIndex: -1, TryNumber: 1})
		if err != nil {
			t.Fatalf("run %q: %v", runID, err)
		}
		r, err := svc.GetRun(ctx, try.RunID)
		if err != nil {
			t.Fatal(err)
		}
		p, _ := r.Tag(tracking.TagParentRunID)
		return p
	}
	ids := []string{"it's", "x' OR tags.a = 'b", "plain", "a''b", `q"uote`}
	first := map[string]string{}
	tr := tracker.New(svc, uri)
	for _, id := range ids {
		first[id] = parentOf(tr, id)
	}
	restarted := tracker.New(svc, uri) // no cache: finds the parents by search
	for _, id := range ids {
		if got := parentOf(restarted, id); got != first[id] || got == "" {
			t.Errorf("run %q: parent after restart %q, want %q", id, got, first[id])
		}
	}
	exp, err := svc.GetExperimentByName(ctx, "d")
	if err != nil {
		t.Fatal(err)
	}
	page, err := svc.SearchRuns(ctx, tracking.SearchRunsParams{ExperimentIDs: []string{exp.ID}, Filter: "tags.`weir.parent` = 'true'"})
	if err != nil || len(page.Runs) != len(ids) {
		t.Errorf("%d parent runs, %v; want one per DAG run, %d", len(page.Runs), err, len(ids))
	}
}
