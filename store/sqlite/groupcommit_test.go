package sqlite

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/weirhq/weir/tracking"
)

// TestGroupedLogBatches checks the grouped commits of concurrent log-batch calls: each call
// is still all or nothing, and a failing one (a param overwritten with another value) fails
// alone while the calls sharing its transaction are kept.
func TestGroupedLogBatches(t *testing.T) {
	t.Parallel()
	s := setup(t).Tracking()
	ctx := t.Context()
	run, err := s.CreateRun(ctx, tracking.CreateRunParams{ExperimentID: "0", RunName: "r", StartTime: 1})
	if err != nil {
		t.Fatal(err)
	}
	id := run.Info.RunID
	if err := s.LogBatch(ctx, tracking.LogBatchParams{RunID: id, Params: []tracking.Param{{Key: "fixed", Value: "1"}}}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 40)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := tracking.LogBatchParams{RunID: id,
				Params:  []tracking.Param{{Key: fmt.Sprintf("p%02d", i), Value: "v"}},
				Metrics: []tracking.Metric{{Key: "m", Value: float64(i), Timestamp: int64(i), Step: int64(i)}}}
			if i == 7 { // all or nothing: its metric and p07 must not be written
				p.Params = append(p.Params, tracking.Param{Key: "fixed", Value: "2"})
			}
			errs[i] = s.LogBatch(ctx, p)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if (i == 7) != (err != nil) {
			t.Errorf("call %d: %v", i, err)
		}
	}
	if !errors.Is(errs[7], tracking.ErrInvalid) {
		t.Errorf("the conflicting call's error %v, want ErrInvalid", errs[7])
	}
	got, err := s.GetRun(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Params) != 40 { // fixed + 39
		t.Errorf("%d params, want 40", len(got.Params))
	}
	for _, p := range got.Params {
		if p.Key == "p07" || (p.Key == "fixed" && p.Value != "1") {
			t.Errorf("param %s=%s should not be there", p.Key, p.Value)
		}
	}
	hist, err := s.GetMetricHistory(ctx, tracking.GetMetricHistoryParams{RunID: id, Key: "m"})
	if err != nil || len(hist.Metrics) != 39 {
		t.Errorf("history: %d points (%v), want 39", len(hist.Metrics), err)
	}
	if m := got.Metrics; len(m) != 1 || m[0].Value != 39 {
		t.Errorf("latest metric %+v, want 39", m)
	}
}
