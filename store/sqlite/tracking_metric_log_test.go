package sqlite

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/weirhq/weir/tracking"
)

// TestMetricLogMerge logs more points than metric_log holds (so the writer moves it into
// metric_history mid-way), with duplicates, NaN and infinities, from concurrent callers, and
// checks that history, pages and step ranges read the same series before and after the
// move and after reopening.
func TestMetricLogMerge(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "weir.db")
	st := openTest(t, path)
	st.metricLogMax = 500 // before any log call: the group loop reads it after a send
	s := st.Tracking()
	ctx := t.Context()
	run, err := s.CreateRun(ctx, tracking.CreateRunParams{ExperimentID: "0", StartTime: 1})
	if err != nil {
		t.Fatal(err)
	}
	id := run.Info.RunID
	const callers, batches, per = 8, 40, 10 // 3,200 points: the log is moved several times
	point := func(c, b, i int) tracking.Metric {
		step := int64((b*per+i)*callers + c)
		v := float64(step) / 3
		switch step % 97 {
		case 1:
			v = math.NaN()
		case 2:
			v = math.Inf(1)
		case 3:
			v = math.Inf(-1)
		}
		return tracking.Metric{Key: "loss", Value: v, Timestamp: 1000 + step, Step: step}
	}
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for c := range callers {
		wg.Go(func() {
			for b := range batches {
				ms := make([]tracking.Metric, 0, per+1)
				for i := range per {
					ms = append(ms, point(c, b, i))
				}
				ms = append(ms, ms[0]) // a duplicate in the batch is stored once
				if err := s.LogBatch(ctx, tracking.LogBatchParams{RunID: id, Metrics: ms}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// Log the first batch again: already in metric_history by now, still stored once.
	first := []tracking.Metric{point(0, 0, 0), point(1, 0, 0)}
	if err := s.LogBatch(ctx, tracking.LogBatchParams{RunID: id, Metrics: first}); err != nil {
		t.Fatal(err)
	}
	// The latest value: the last step, although calls of one group upserted the same key in
	// one statement.
	got, err := s.GetRun(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	last := int64(callers*batches*per - 1)
	if len(got.Metrics) != 1 || got.Metrics[0].Step != last || got.Metrics[0].Timestamp != 1000+last {
		t.Fatalf("latest metrics %+v, want loss at step %d", got.Metrics, last)
	}
	if n := st.metricLog.Load(); n >= callers*batches*per {
		t.Fatalf("metric_log holds %d rows: never moved into metric_history", n)
	}
	check := func(when string) {
		t.Helper()
		page, err := s.GetMetricHistory(ctx, tracking.GetMetricHistoryParams{RunID: id, Key: "loss"})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Metrics) != callers*batches*per {
			t.Fatalf("%s: %d points, want %d", when, len(page.Metrics), callers*batches*per)
		}
		for i, m := range page.Metrics {
			want := point(i%callers, i/callers/per, (i/callers)%per)
			same := m.Value == want.Value || (math.IsNaN(m.Value) && math.IsNaN(want.Value))
			if m.Step != int64(i) || m.Timestamp != want.Timestamp || !same {
				t.Fatalf("%s: point %d is %+v, want %+v", when, i, m, want)
			}
		}
		// Pages of 1000 cover the same points.
		var token string
		n := 0
		for {
			p, err := s.GetMetricHistory(ctx, tracking.GetMetricHistoryParams{RunID: id, Key: "loss", MaxResults: 1000, PageToken: token})
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range p.Metrics {
				if m.Step != int64(n) {
					t.Fatalf("%s: paged point %d has step %d", when, n, m.Step)
				}
				n++
			}
			if token = p.NextPageToken; token == "" {
				break
			}
		}
		if n != callers*batches*per {
			t.Fatalf("%s: pages hold %d points", when, n)
		}
		// A token of the older offset form still starts its page that many points in.
		old, err := s.GetMetricHistory(ctx, tracking.GetMetricHistoryParams{RunID: id, Key: "loss", MaxResults: 5, PageToken: tracking.EncodePageToken(100)})
		if err != nil {
			t.Fatal(err)
		}
		if len(old.Metrics) != 5 || old.Metrics[0].Step != 100 || old.NextPageToken == "" {
			t.Fatalf("%s: offset token: %d points from step %d, next %q", when, len(old.Metrics), old.Metrics[0].Step, old.NextPageToken)
		}
		r, err := s.(*Tracking).MetricHistoryRange(ctx, id, "loss", 100, 199)
		if err != nil {
			t.Fatal(err)
		}
		if len(r) != 100 || r[0].Step != 100 || r[99].Step != 199 {
			t.Fatalf("%s: range [100, 199] holds %d points", when, len(r))
		}
	}
	check("before reopening")
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st = openTest(t, path)
	s = st.Tracking()
	check("after reopening")
	if n := st.metricLog.Load(); n >= 500 {
		t.Fatalf("reopened with %d rows counted in metric_log, want fewer than 500", n)
	}
}

// trackingCrashChildEnv makes the test binary the child of TestLogBatchCrash; it holds
// "path run".
const trackingCrashChildEnv = "WEIR_SQLITE_TRACKING_CRASH_CHILD"

// trackingCrashChild logs batches of 10 points from 8 goroutines until it is killed,
// printing "caller batch" once each LogBatch has returned.
func trackingCrashChild(arg string) {
	var path, run string
	fmt.Sscan(arg, &path, &run)
	ctx := context.Background()
	s, err := Open(ctx, path, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	s.metricLogMax = 500 // moves of the log happen many times before the kill
	var mu sync.Mutex
	var wg sync.WaitGroup
	for c := range 8 {
		wg.Go(func() {
			for b := 0; ; b++ {
				ms := make([]tracking.Metric, 10)
				for i := range ms {
					ms[i] = tracking.Metric{Key: fmt.Sprintf("c%d", c), Value: float64(b), Timestamp: int64(b), Step: int64(b*10 + i)}
				}
				if err := s.Tracking().LogBatch(ctx, tracking.LogBatchParams{RunID: run, Metrics: ms}); err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(3)
				}
				mu.Lock()
				fmt.Fprintln(os.Stdout, c, b)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}

// TestLogBatchCrash kills (SIGKILL) a process logging metrics from concurrent callers —
// grouped commits, and moves of metric_log into metric_history — and checks that every
// batch it reported logged survived, whole, and no batch is partly there.
func TestLogBatchCrash(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts a subprocess")
	}
	path := filepath.Join(t.TempDir(), "weir.db")
	st := openTest(t, path)
	ctx := t.Context()
	run, err := st.Tracking().CreateRun(ctx, tracking.CreateRunParams{ExperimentID: "0", StartTime: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), trackingCrashChildEnv+"="+path+" "+run.Info.RunID)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	reported := map[int]int{} // caller → batches reported
	total, killed := 0, false
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		var c, b int
		if _, err := fmt.Sscan(sc.Text(), &c, &b); err != nil {
			t.Errorf("child printed %q", sc.Text())
			continue
		}
		reported[c] = b + 1
		total++
		// 400 batches of 10: the child's log (500 rows) was moved several times.
		if total >= 400 && !killed {
			if err := cmd.Process.Kill(); err != nil {
				t.Fatalf("kill: %v", err)
			}
			killed = true
		}
	}
	err = cmd.Wait()
	if !killed {
		t.Fatalf("child exited before logging 400 batches: %v\n%s", err, stderr.String())
	}
	st = openTest(t, path)
	if got := pragma(t, st.r, "IntegrityCheck"); got != "ok" {
		t.Fatalf("integrity_check: %s", got)
	}
	for c := range 8 {
		page, err := st.Tracking().GetMetricHistory(ctx, tracking.GetMetricHistoryParams{RunID: run.Info.RunID, Key: fmt.Sprintf("c%d", c)})
		if err != nil {
			t.Fatal(err)
		}
		n := len(page.Metrics)
		if n%10 != 0 {
			t.Fatalf("caller %d: %d points, a batch is partly there", c, n)
		}
		if n/10 < reported[c] || n/10 > reported[c]+1 {
			t.Fatalf("caller %d: %d batches stored, %d reported logged", c, n/10, reported[c])
		}
		for i, m := range page.Metrics {
			if m.Step != int64(i) || m.Value != float64(i/10) {
				t.Fatalf("caller %d: point %d is %+v", c, i, m)
			}
		}
	}
}
