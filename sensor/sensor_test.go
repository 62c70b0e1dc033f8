package sensor_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"gocloud.dev/blob"
	"gocloud.dev/blob/memblob"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/executor"
	"github.com/weirhq/weir/sensor"
	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/store/sqlite"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("database/sql.(*DB).connectionOpener"))
}

// logicalDate is the logical date of every test job.
var logicalDate = time.Date(2024, 1, 31, 0, 0, 0, 0, time.UTC)

// fakeTime is a clock that only moves when the sensor sleeps. onSleep, when set, runs at
// each sleep (numbered from 1) before time moves on: tests change the world there.
type fakeTime struct {
	mu      sync.Mutex
	now     time.Time
	waits   []time.Duration
	onSleep func(n int)
}

func newFakeTime() *fakeTime { return &fakeTime{now: time.Date(2024, 2, 1, 12, 0, 0, 0, time.UTC)} }

func (f *fakeTime) Clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeTime) Sleep(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	f.waits = append(f.waits, d)
	n, hook := len(f.waits), f.onSleep
	f.mu.Unlock()
	if hook != nil {
		hook(n)
	}
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
	return ctx.Err()
}

func (f *fakeTime) Waits() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.waits)
}

// logBuf is a task log that is safe for concurrent use; lines, when set, receives each line.
type logBuf struct {
	mu    sync.Mutex
	b     bytes.Buffer
	lines chan string
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lines != nil {
		select {
		case l.lines <- strings.TrimSuffix(string(p), "\n"):
		default:
		}
	}
	return l.b.Write(p)
}

func (l *logBuf) Lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Split(strings.TrimSuffix(l.b.String(), "\n"), "\n")
}

// newJob returns a first try of task "wait" of run "r" of DAG "d" with spec.
func newJob(spec *dag.SensorSpec) (*executor.Job, *logBuf) {
	log := &logBuf{}
	return &executor.Job{DAGID: "d", RunID: "r", TaskID: "wait", MapIndex: -1, TryNumber: 1,
		LogicalDate: logicalDate, Task: &dag.Task{ID: "wait", Kind: dag.KindSensor, Sensor: spec}, Log: log}, log
}

// setup returns a sensor on fake time with the given dependencies.
func setup(deps sensor.Deps) (*sensor.Sensor, *fakeTime) {
	ft := newFakeTime()
	deps.Clock, deps.Sleep = ft.Clock, ft.Sleep
	return sensor.New(deps), ft
}

func openStore(t *testing.T) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "weir.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func wantOutcome(t *testing.T, res executor.Result, want executor.Outcome) {
	t.Helper()
	if res.Outcome != want {
		t.Fatalf("outcome %d (err %v), want %d", res.Outcome, res.Err, want)
	}
}

func wantOutput(t *testing.T, res executor.Result, want string) {
	t.Helper()
	var got, w any
	if err := json.Unmarshal(res.Output, &got); err != nil {
		t.Fatalf("output %s: %v", res.Output, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(got)
	b, _ := json.Marshal(w)
	if !bytes.Equal(a, b) {
		t.Errorf("output %s, want %s", a, b)
	}
}

func wantLines(t *testing.T, log *logBuf, want ...string) {
	t.Helper()
	got := log.Lines()
	if len(got) != len(want) {
		t.Fatalf("log %q, want %d lines like %q", got, len(want), want)
	}
	for i := range want {
		if !strings.Contains(got[i], want[i]) {
			t.Errorf("log line %d %q, want it to contain %q", i+1, got[i], want[i])
		}
	}
}

func TestFileAppearsLater(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, ft := setup(sensor.Deps{})
	// A relative glob with a template: the engine passed no context, so the sensor renders.
	job, log := newJob(&dag.SensorSpec{Type: dag.SensorFile, Path: "in/{{ ds }}/*.csv", PokeInterval: dag.Duration(30 * time.Second)})
	job.Dir = dir
	target := filepath.Join(dir, "in", "2024-01-31", "part-1.csv")
	ft.onSleep = func(n int) {
		if n == 2 {
			created := make(chan error)
			go func() { // the producer, after two pokes
				if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
					created <- err
					return
				}
				created <- os.WriteFile(target, []byte("a,b\n"), 0o644)
			}()
			if err := <-created; err != nil {
				t.Error(err)
			}
		}
	}
	res := s.Run(context.Background(), job)
	wantOutcome(t, res, executor.Succeeded)
	wantOutput(t, res, `{"paths": [`+mustJSON(target)+`]}`)
	pattern := filepath.Join(dir, "in", "2024-01-31", "*.csv")
	wantLines(t, log, "poke 1: "+pattern+" not found; next in 30s", "poke 2: "+pattern+" not found; next in 30s",
		"poke 3: "+pattern+" found (1)")
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestFileDirectories(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "out", "empty", "deeper"), 0o755); err != nil {
		t.Fatal(err)
	}
	s, ft := setup(sensor.Deps{})
	job, log := newJob(&dag.SensorSpec{Type: dag.SensorFile, Path: filepath.Join(dir, "out", "*")})
	ft.onSleep = func(int) {
		if err := os.WriteFile(filepath.Join(dir, "out", "empty", "deeper", "_SUCCESS"), nil, 0o644); err != nil {
			t.Error(err)
		}
	}
	res := s.Run(context.Background(), job)
	wantOutcome(t, res, executor.Succeeded)
	wantOutput(t, res, `{"paths": [`+mustJSON(filepath.Join(dir, "out", "empty"))+`]}`)
	wantLines(t, log, "matches only empty directories; next in 1m0s", "found (1)")
}

// sharedBuckets opens mem:// buckets holding the keys the test wrote, as a cloud bucket
// would: every open sees the current contents.
type sharedBuckets struct {
	mu    sync.Mutex
	keys  map[string][]string // bucket URL -> keys
	opens int
}

func (b *sharedBuckets) put(bucket, key string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.keys == nil {
		b.keys = map[string][]string{}
	}
	b.keys[bucket] = append(b.keys[bucket], key)
}

func (b *sharedBuckets) open(ctx context.Context, url string) (*blob.Bucket, error) {
	if !strings.HasPrefix(url, "mem://") {
		return blob.OpenBucket(ctx, url)
	}
	b.mu.Lock()
	keys := slices.Clone(b.keys[url])
	b.opens++
	b.mu.Unlock()
	bk := memblob.OpenBucket(nil)
	for _, k := range keys {
		if err := bk.WriteAll(ctx, k, []byte("x"), nil); err != nil {
			return nil, err
		}
	}
	return bk, nil
}

func TestBlob(t *testing.T) {
	t.Parallel()
	t.Run("mem key", func(t *testing.T) {
		t.Parallel()
		buckets := &sharedBuckets{}
		s, ft := setup(sensor.Deps{OpenBucket: buckets.open})
		job, log := newJob(&dag.SensorSpec{Type: dag.SensorFile, URL: "mem://lake/orders/2024-01-31.parquet"})
		ft.onSleep = func(n int) {
			buckets.put("mem://lake", "orders/2024-01-30.parquet")
			if n == 2 {
				buckets.put("mem://lake", "orders/2024-01-31.parquet")
			}
		}
		res := s.Run(context.Background(), job)
		wantOutcome(t, res, executor.Succeeded)
		wantOutput(t, res, `{"url": "mem://lake/orders/2024-01-31.parquet", "keys": ["orders/2024-01-31.parquet"]}`)
		wantLines(t, log, "poke 1: mem://lake/orders/2024-01-31.parquet not found", "poke 2:", "poke 3: mem://lake/orders/2024-01-31.parquet found (1)")
		if buckets.opens != 3 {
			t.Errorf("%d bucket opens, want one per poke (3)", buckets.opens)
		}
	})
	t.Run("mem glob", func(t *testing.T) {
		t.Parallel()
		buckets := &sharedBuckets{}
		buckets.put("mem://lake", "orders/2024-01-30/part-0.parquet")
		buckets.put("mem://lake", "orders/2024-01-31/_tmp")
		s, ft := setup(sensor.Deps{OpenBucket: buckets.open})
		job, _ := newJob(&dag.SensorSpec{Type: dag.SensorFile, URL: "mem://lake/orders/{{ ds }}/part-*.parquet"})
		ft.onSleep = func(int) { buckets.put("mem://lake", "orders/2024-01-31/part-7.parquet") }
		res := s.Run(context.Background(), job)
		wantOutcome(t, res, executor.Succeeded)
		wantOutput(t, res, `{"url": "mem://lake/orders/2024-01-31/part-*.parquet", "keys": ["orders/2024-01-31/part-7.parquet"]}`)
	})
	t.Run("file folder created later", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		s, ft := setup(sensor.Deps{})
		url := "file://" + filepath.ToSlash(dir) + "/landing/*.json"
		job, log := newJob(&dag.SensorSpec{Type: dag.SensorFile, URL: url, PokeInterval: dag.Duration(time.Second)})
		ft.onSleep = func(n int) {
			if n == 1 {
				if err := os.MkdirAll(filepath.Join(dir, "landing"), 0o755); err != nil {
					t.Error(err)
				}
			}
			if n == 2 {
				if err := os.WriteFile(filepath.Join(dir, "landing", "batch.json"), []byte("{}"), 0o644); err != nil {
					t.Error(err)
				}
			}
		}
		res := s.Run(context.Background(), job)
		wantOutcome(t, res, executor.Succeeded)
		wantOutput(t, res, `{"url": "`+url+`", "keys": ["batch.json"]}`)
		wantLines(t, log, "poke 1: "+url+" not found; next in 1s", "poke 2: "+url+" not found", "poke 3: "+url+" found (1)")
	})
	t.Run("default mem buckets are empty", func(t *testing.T) {
		t.Parallel()
		s, _ := setup(sensor.Deps{})
		job, _ := newJob(&dag.SensorSpec{Type: dag.SensorFile, URL: "mem://x/y", Timeout: dag.Duration(time.Minute), SoftFail: true})
		wantOutcome(t, s.Run(context.Background(), job), executor.Skipped)
	})
	t.Run("unknown scheme", func(t *testing.T) {
		t.Parallel()
		s, _ := setup(sensor.Deps{})
		job, log := newJob(&dag.SensorSpec{Type: dag.SensorFile, URL: "nope://b/k"})
		res := s.Run(context.Background(), job)
		wantOutcome(t, res, executor.FailedNoRetry)
		wantLines(t, log, "poke 1: file sensor: open bucket nope://b")
	})
}

func TestTimeout(t *testing.T) {
	t.Parallel()
	for _, soft := range []bool{false, true} {
		t.Run(map[bool]string{false: "hard", true: "soft_fail"}[soft], func(t *testing.T) {
			t.Parallel()
			s, ft := setup(sensor.Deps{})
			job, log := newJob(&dag.SensorSpec{Type: dag.SensorFile, Path: filepath.Join(t.TempDir(), "never"),
				PokeInterval: dag.Duration(30 * time.Second), Timeout: dag.Duration(80 * time.Second), SoftFail: soft})
			job.FirstStartedAt = ft.Clock()
			res := s.Run(context.Background(), job)
			want := executor.FailedNoRetry
			if soft {
				want = executor.Skipped
				var skip *executor.SkipError
				if !errors.As(res.Err, &skip) {
					t.Errorf("err %v, want a SkipError", res.Err)
				}
			}
			wantOutcome(t, res, want)
			if !strings.Contains(res.Err.Error(), "sensor timed out after 1m20s (timeout 1m20s") {
				t.Errorf("err %v", res.Err)
			}
			// The last wait is cut so that one poke happens at the deadline.
			if got, want := ft.Waits(), []time.Duration{30 * time.Second, 30 * time.Second, 20 * time.Second}; !slices.Equal(got, want) {
				t.Errorf("waits %v, want %v", got, want)
			}
			wantLines(t, log, "next in 30s", "next in 30s", "next in 20s", "poke 4: ")
			if l := log.Lines()[3]; !strings.HasSuffix(l, "not found; timed out") {
				t.Errorf("last line %q", l)
			}
		})
	}
}

func TestTimeoutCountsFromFirstPoke(t *testing.T) {
	t.Parallel()
	s, ft := setup(sensor.Deps{})
	job, _ := newJob(&dag.SensorSpec{Type: dag.SensorExpr, Condition: "false", Timeout: dag.Duration(time.Hour)})
	job.FirstStartedAt = ft.Clock().Add(-time.Hour - time.Second)
	res := s.Run(context.Background(), job)
	wantOutcome(t, res, executor.FailedNoRetry)
	if len(ft.Waits()) != 0 {
		t.Errorf("waited %v after the deadline", ft.Waits())
	}
}

func TestExponentialBackoff(t *testing.T) {
	t.Parallel()
	s, ft := setup(sensor.Deps{})
	job, log := newJob(&dag.SensorSpec{Type: dag.SensorExpr, Condition: "params.ready", PokeInterval: dag.Duration(10 * time.Second),
		Timeout: dag.Duration(100 * time.Second), ExponentialBackoff: true})
	job.Params = map[string]any{"ready": false}
	res := s.Run(context.Background(), job)
	wantOutcome(t, res, executor.FailedNoRetry)
	s10 := 10 * time.Second
	if got, want := ft.Waits(), []time.Duration{s10, 2 * s10, 4 * s10, 3 * s10}; !slices.Equal(got, want) {
		t.Errorf("waits %v, want %v (doubling, the last cut at the timeout)", got, want)
	}
	wantLines(t, log, "poke 1: params.ready is false; next in 10s", "next in 20s", "next in 40s", "next in 30s", "poke 5: params.ready is false; timed out")
}

func TestReschedule(t *testing.T) {
	t.Parallel()
	spec := func(backoff bool) *dag.SensorSpec {
		return &dag.SensorSpec{Type: dag.SensorFile, Path: filepath.Join(t.TempDir(), "x"), Mode: dag.SensorReschedule,
			PokeInterval: dag.Duration(10 * time.Second), Timeout: dag.Duration(time.Hour), ExponentialBackoff: backoff}
	}
	tests := []struct {
		name     string
		backoff  bool
		since    time.Duration // since the first poke
		again    bool          // a start after a reschedule (not the first poke)
		outcome  executor.Outcome
		wait     time.Duration
		logStart string
	}{
		{"first poke", false, 0, false, executor.Rescheduled, 10 * time.Second, "poke 1: "},
		// A first start that reaches the sensor late (a slow commit, a busy machine) is
		// still poke 1.
		{"late first poke", false, 30 * time.Second, false, executor.Rescheduled, 10 * time.Second, "poke 1: "},
		{"second poke early", false, 5 * time.Second, true, executor.Rescheduled, 10 * time.Second, "poke 2: "},
		{"fourth poke", false, 30*time.Second + 200*time.Millisecond, true, executor.Rescheduled, 10 * time.Second, "poke 4: "},
		{"backoff third poke", true, 30*time.Second + 200*time.Millisecond, true, executor.Rescheduled, 40 * time.Second, "poke 3: "},
		{"cut at the deadline", false, time.Hour - 4*time.Second, true, executor.Rescheduled, 4 * time.Second, "poke 360: "},
		{"past the deadline", false, time.Hour, true, executor.FailedNoRetry, 0, "poke 361: "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, ft := setup(sensor.Deps{})
			job, log := newJob(spec(tc.backoff))
			job.FirstStartedAt = ft.Clock().Add(-tc.since)
			job.Rescheduled = tc.again
			res := s.Run(context.Background(), job)
			wantOutcome(t, res, tc.outcome)
			if tc.outcome == executor.Rescheduled {
				if want := ft.Clock().Add(tc.wait); !res.RescheduleAt.Equal(want) {
					t.Errorf("RescheduleAt %v, want %v", res.RescheduleAt, want)
				}
			}
			if len(ft.Waits()) != 0 {
				t.Errorf("a reschedule-mode poke slept %v", ft.Waits())
			}
			if l := log.Lines(); len(l) != 1 || !strings.HasPrefix(l[0], tc.logStart) {
				t.Errorf("log %q, want one line starting %q", l, tc.logStart)
			}
		})
	}
	t.Run("found", func(t *testing.T) {
		t.Parallel()
		s, _ := setup(sensor.Deps{})
		sp := spec(false)
		if err := os.WriteFile(sp.Path, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		job, _ := newJob(sp)
		wantOutcome(t, s.Run(context.Background(), job), executor.Succeeded)
	})
}

func TestPokeModeCancelled(t *testing.T) {
	t.Parallel()
	s := sensor.New(sensor.Deps{}) // real clock and timer
	job, log := newJob(&dag.SensorSpec{Type: dag.SensorFile, Path: filepath.Join(t.TempDir(), "never"), PokeInterval: dag.Duration(time.Hour)})
	log.lines = make(chan string, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan executor.Result)
	go func() { done <- s.Run(ctx, job) }()
	if l := <-log.lines; !strings.Contains(l, "poke 1:") {
		t.Errorf("first line %q", l)
	}
	cancel()
	select {
	case res := <-done:
		wantOutcome(t, res, executor.Failed)
		if !errors.Is(res.Err, context.Canceled) {
			t.Errorf("err %v, want context.Canceled", res.Err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the sensor did not stop when its context was cancelled")
	}
}

func TestNoSpec(t *testing.T) {
	t.Parallel()
	s, _ := setup(sensor.Deps{})
	job, _ := newJob(nil)
	wantOutcome(t, s.Run(context.Background(), job), executor.FailedNoRetry)
	job, _ = newJob(&dag.SensorSpec{Type: dag.SensorDataset, URI: "x"})
	res := s.Run(context.Background(), job)
	wantOutcome(t, res, executor.FailedNoRetry)
	if !strings.Contains(res.Err.Error(), "no store") {
		t.Errorf("err %v", res.Err)
	}
}
