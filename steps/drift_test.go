package steps_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/weirhq/weir/store"
)

// The drift loop of examples/dags end to end: possum registers a champion; drift_check on
// the training data finds no drift and queues nothing; on data/possum_shifted.csv it finds
// drift, its signal task's outlet queues a run of drift_retrain (scheduled on the dataset),
// and drift_retrain then trains and registers a challenger.
func TestDriftCheckQueuesRetraining(t *testing.T) {
	t.Parallel()
	e := newExamples(t)
	ctx, st := e.ctx, e.st
	runDAG := func(id string, params map[string]any) *store.DAGRun { t.Helper(); return e.run(t, id, params) }
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
