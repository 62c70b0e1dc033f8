package steps_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/weirhq/weir/engine"
	"github.com/weirhq/weir/node"
	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/store/sqlite"
)

// The drift loop of examples/dags end to end: possum registers a champion; drift_check on
// the training data finds no drift and queues nothing; on data/possum_shifted.csv it finds
// drift, its signal task's outlet queues a run of drift_retrain (scheduled on the dataset),
// and drift_retrain then trains and registers a challenger.
func TestDriftCheckQueuesRetraining(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dags, err := filepath.Abs("../examples/dags")
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(home, "weir.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n, err := node.New(node.Config{Mode: node.ModeRun, Store: st, Tracking: st.Tracking(), Home: home, DAGsDir: dags})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Stop()
	if err := n.Start(ctx); err != nil {
		t.Fatal(err)
	}
	runDAG := func(id string, params map[string]any) *store.DAGRun {
		t.Helper()
		d, ok := n.Registry().DAG(id)
		if !ok {
			t.Fatalf("%s did not load: %v", id, n.Registry().Errors())
		}
		run, err := n.Engine().Trigger(ctx, d, engine.TriggerOptions{Params: params})
		if err != nil {
			t.Fatal(err)
		}
		final, err := n.Engine().Wait(ctx, run.DAGID, run.RunID)
		if err != nil {
			t.Fatal(err)
		}
		if final.State != store.RunSuccess {
			tis, _ := st.ListTaskInstances(ctx, store.ListTIParams{DAGID: id, RunID: run.RunID})
			var errs []string
			for _, ti := range tis {
				if ti.Error != "" {
					errs = append(errs, ti.TaskID+": "+ti.Error)
				}
			}
			t.Fatalf("%s run %s: %s", id, final.State, strings.Join(errs, "; "))
		}
		return final
	}
	type checkOut struct {
		Drift    bool
		Share    float64
		Report   string
		Plots    map[string]string
		Features map[string]struct {
			Stattest string
			Score    float64
			Drift    bool
		}
	}
	check := func(run *store.DAGRun) (checkOut, store.TIState) {
		t.Helper()
		ti, err := st.GetTaskInstance(ctx, "drift_check", run.RunID, "check", -1)
		if err != nil {
			t.Fatal(err)
		}
		var out checkOut
		if err := json.Unmarshal(ti.Output, &out); err != nil {
			t.Fatalf("check output %s: %v", ti.Output, err)
		}
		sig, err := st.GetTaskInstance(ctx, "drift_check", run.RunID, "signal_retrain", -1)
		if err != nil {
			t.Fatal(err)
		}
		return out, sig.State
	}
	queued := func() int {
		t.Helper()
		qs, err := st.ListQueuedEvents(ctx, "drift_retrain")
		if err != nil {
			t.Fatal(err)
		}
		return len(qs)
	}

	runDAG("possum", nil)

	same, sig := check(runDAG("drift_check", nil))
	if same.Drift || sig != store.TISkipped || queued() != 0 {
		t.Fatalf("the training data drifted (%+v) or signalled (%s, %d queued)", same, sig, queued())
	}
	for col, f := range same.Features {
		if f.Stattest == "" || f.Drift && (col == "Pop" || col == "sex") {
			t.Errorf("%s on the training data: %+v", col, f)
		}
	}
	if len(same.Plots) != 6 || !strings.HasSuffix(same.Report, "drift_report.json") {
		t.Errorf("plots %v, report %q", same.Plots, same.Report)
	}

	shifted, sig := check(runDAG("drift_check", map[string]any{"data": "data/possum_shifted.csv"}))
	if !shifted.Drift || sig != store.TISuccess {
		t.Fatalf("the shifted data: drift %v (share %g), signal %s; features %+v", shifted.Drift, shifted.Share, sig, shifted.Features)
	}
	for _, col := range []string{"totlngth", "hdlngth", "footlgth"} {
		if f := shifted.Features[col]; f.Stattest != "ks" || !f.Drift || f.Score >= 0.05 {
			t.Errorf("%s on the shifted data: %+v, want ks drift", col, f)
		}
	}
	if f := shifted.Features["sex"]; f.Stattest != "z" || f.Drift {
		t.Errorf("sex on the shifted data: %+v, want z and no drift", f)
	}
	if q := queued(); q != 1 {
		t.Fatalf("%d events queued for drift_retrain, want 1", q)
	}

	runDAG("drift_retrain", nil)
	mv, err := st.Tracking().GetModelVersionByAlias(ctx, "possum", "challenger")
	if err != nil {
		t.Fatalf("no challenger after retraining: %v", err)
	}
	if mv.Version == "1" {
		t.Errorf("challenger is version %s, the champion's; want a new version", mv.Version)
	}
}
