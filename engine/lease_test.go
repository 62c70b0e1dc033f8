package engine_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/engine"
	"github.com/weirhq/weir/executor"
	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/store/sqlite"
)

// signalLog is a log destination that closes ch the first time a record contains want.
type signalLog struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want string
	ch   chan struct{}
	once sync.Once
}

func newSignalLog(want string) *signalLog { return &signalLog{want: want, ch: make(chan struct{})} }

func (w *signalLog) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if bytes.Contains(p, []byte(w.want)) {
		w.once.Do(func() { close(w.ch) })
	}
	return len(p), nil
}

// waitFor waits for ch or fails the test after a minute.
func waitFor(t *testing.T, what string, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(time.Minute):
		t.Fatalf("timed out waiting for %s", what)
	}
}

// contenders is a store shared by engines, with a Go function "gate" whose first call
// blocks until gate is closed (or its context ends) and whose other calls return at once.
type contenders struct {
	t       *testing.T
	home    string
	st      store.Store
	funcs   *executor.Funcs
	calls   atomic.Int32
	started chan struct{} // closed when the first call starts
	gate    chan struct{}
	// firstCanceled is closed if the first call ends because its context ended.
	firstCanceled chan struct{}
}

func newContenders(t *testing.T) *contenders {
	t.Helper()
	home := t.TempDir()
	st, err := sqlite.Open(context.Background(), filepath.Join(home, "weir.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c := &contenders{t: t, home: home, st: st, funcs: executor.NewFuncs(), started: make(chan struct{}),
		gate: make(chan struct{}), firstCanceled: make(chan struct{})}
	_ = c.funcs.Register("gate", func(ctx context.Context, _ json.RawMessage) (json.RawMessage, error) {
		if c.calls.Add(1) == 1 {
			close(c.started)
			select {
			case <-c.gate:
			case <-ctx.Done():
				close(c.firstCanceled)
				return nil, ctx.Err()
			}
		}
		return json.RawMessage(`"ok"`), nil
	})
	return c
}

// engine starts an engine on the shared store; clock offsets its clock (nil: none); log
// receives its logs (nil: discarded).
func (c *contenders) engine(cfg engine.Config, log *signalLog) *engine.Engine {
	c.t.Helper()
	cfg.Store, cfg.Kinds, cfg.Home = c.st, executor.NewRegistry(c.funcs), c.home
	if log != nil {
		cfg.Logger = slog.New(slog.NewTextHandler(log, nil))
	}
	eng, err := engine.New(cfg)
	if err != nil {
		c.t.Fatal(err)
	}
	if err := eng.Start(context.Background()); err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(eng.Stop)
	return eng
}

// twoStep is a DAG of two gate tasks; the first has one retry, with no delay.
func twoStep(id string) *dag.DAG {
	t1 := goTask("t1", "gate", nil)
	t1.Retries, t1.RetryDelay = ptr(1), ptr(dag.Duration(0))
	return &dag.DAG{ID: id, Source: "go:test", Tasks: []*dag.Task{t1, goTask("t2", "gate", nil, "t1")}}
}

// skewed returns a clock offset by the duration in off.
func skewed(off *atomic.Int64) func() time.Time {
	return func() time.Time { return time.Now().Add(time.Duration(off.Load())) }
}

// Two engines on one store contend for one run. While A holds the lease, B is refused; once
// A's lease has expired (B's clock is an hour ahead), B takes the run over. A's try then
// finishes: its success is refused (its lease was lost), A stops acting on the run and
// reports nothing of it, and B runs the run to its end. No transition B committed is lost,
// and A's late one is not recorded.
func TestTwoEnginesContendForOneRun(t *testing.T) {
	t.Parallel()
	c := newContenders(t)
	logA := newSignalLog("lost the run's lease")
	var evMu sync.Mutex
	var evsA []engine.Event
	engA := c.engine(engine.Config{OnEvent: func(ev engine.Event) { evMu.Lock(); evsA = append(evsA, ev); evMu.Unlock() }}, logA)
	var skew atomic.Int64
	engB := c.engine(engine.Config{Clock: skewed(&skew)}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	run, err := engA.Trigger(ctx, twoStep("contend"), engine.TriggerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "A's try of t1 to start", c.started)
	if _, _, err := engB.Resume(ctx, "contend", run.RunID); !errors.Is(err, engine.ErrRunOwned) {
		t.Fatalf("B resuming a run A holds: %v, want ErrRunOwned", err)
	}
	if err := func() error {
		_, err := engine.Clear(ctx, c.st, "contend", run.RunID, engine.ClearOptions{})
		return err
	}(); !errors.Is(err, engine.ErrRunOwned) {
		t.Fatalf("clearing a run A holds: %v, want ErrRunOwned", err)
	}
	skew.Store(int64(time.Hour))
	_, rec, err := engB.Resume(ctx, "contend", run.RunID)
	if err != nil {
		t.Fatalf("B resuming after A's lease expired: %v", err)
	}
	if len(rec) != 1 || rec[0].TaskID != "t1" || rec[0].State != store.TIUpForRetry {
		t.Fatalf("B recovered %+v, want t1 up_for_retry", rec)
	}
	final, err := engB.Wait(ctx, "contend", run.RunID)
	if err != nil || final.State != store.RunSuccess {
		t.Fatalf("B's run: %v, %v; want success", final, err)
	}
	close(c.gate) // A's try of t1 ends now, after B finished the run
	waitFor(t, "A to drop the run", logA.ch)
	if engA.Active(ctx, "contend", run.RunID) {
		t.Error("A still acts on the run after losing its lease")
	}
	evMu.Lock()
	for _, ev := range evsA {
		if ev.TaskID == "t1" && ev.State == store.TISuccess {
			t.Errorf("A reported t1's success after losing the lease: %+v", ev)
		}
	}
	evMu.Unlock()
	tries, err := c.st.ListTries(ctx, "contend", run.RunID, "t1", -1)
	if err != nil {
		t.Fatal(err)
	}
	if len(tries) != 2 || tries[0].State != store.TIUpForRetry || tries[1].State != store.TISuccess {
		t.Fatalf("t1's tries: %+v, want try 1 up_for_retry (recovered by B), try 2 success (B's)", tries)
	}
	after, err := c.st.GetRun(ctx, "contend", run.RunID)
	if err != nil || after.State != store.RunSuccess {
		t.Fatalf("run after A's late try: %v, %v; want B's success to stand", after, err)
	}
	if l, err := c.st.GetLease(ctx, "contend", run.RunID); err != nil || l.Owner != "" {
		t.Fatalf("lease after the run ended: %+v, %v; want released", l, err)
	}
	if n := c.calls.Load(); n != 3 {
		t.Errorf("gate called %d times, want 3 (A's t1, B's t1 and t2)", n)
	}
}

// An engine learns at its heartbeat that its lease was taken over, without committing
// anything: it stops the run's running try (the new owner's concern now) and drops the run.
func TestHeartbeatFindsLeaseLostAndStopsTheTry(t *testing.T) {
	t.Parallel()
	c := newContenders(t)
	logA := newSignalLog("lost the run's lease")
	engA := c.engine(engine.Config{LeaseTTL: time.Hour, HeartbeatInterval: 20 * time.Millisecond}, logA)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	run, err := engA.Trigger(ctx, twoStep("hb"), engine.TriggerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "A's try of t1 to start", c.started)
	l, err := c.st.GetLease(ctx, "hb", run.RunID)
	if err != nil {
		t.Fatal(err)
	}
	// Another process takes the run over (it found A dead, say): the epoch advances.
	if _, err := c.st.AcquireLease(ctx, store.AcquireLeaseParams{DAGID: "hb", RunID: run.RunID, Owner: "elsewhere:1:1",
		TTL: time.Hour, Now: time.Now(), TakeOver: l.Epoch}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "A to drop the run", logA.ch)
	waitFor(t, "A's try to be stopped", c.firstCanceled)
	if engA.Active(ctx, "hb", run.RunID) {
		t.Error("A still acts on the run")
	}
	x, err := c.st.GetTaskInstance(ctx, "hb", run.RunID, "t1", -1)
	if err != nil || x.State != store.TIRunning {
		t.Fatalf("t1 after A dropped the run: %v, %v; want it left running for the new owner", x, err)
	}
}

// Engines resuming one abandoned run at once: exactly one takes it and runs it to its end;
// the others get ErrRunOwned (or ErrRunFinished, when the winner was that quick).
func TestConcurrentResumesOneWins(t *testing.T) {
	t.Parallel()
	c := newContenders(t)
	engA := c.engine(engine.Config{}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	run, err := engA.Trigger(ctx, twoStep("many"), engine.TriggerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "A's try of t1 to start", c.started)
	engA.Stop() // t1 stays running in the store; the lease is given back
	var engs []*engine.Engine
	for range 4 {
		engs = append(engs, c.engine(engine.Config{}, nil))
	}
	errs := make([]error, len(engs))
	var wg sync.WaitGroup
	for i, eng := range engs {
		wg.Go(func() { _, _, errs[i] = eng.Resume(ctx, "many", run.RunID) })
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner < 0:
			winner = i
		case err == nil:
			t.Fatalf("engines %d and %d both resumed the run", winner, i)
		case !errors.Is(err, engine.ErrRunOwned) && !errors.Is(err, engine.ErrRunFinished):
			// A loser that comes after the winner finished the run finds nothing to do.
			t.Fatalf("engine %d: %v, want ErrRunOwned or ErrRunFinished", i, err)
		}
	}
	if winner < 0 {
		t.Fatalf("no engine resumed the run: %v", errs)
	}
	final, err := engs[winner].Wait(ctx, "many", run.RunID)
	if err != nil || final.State != store.RunSuccess {
		t.Fatalf("winner's run: %v, %v; want success", final, err)
	}
	tries, err := c.st.ListTries(ctx, "many", run.RunID, "t1", -1)
	if err != nil || len(tries) != 2 {
		t.Fatalf("t1's tries: %+v, %v; want the stopped one and the winner's", tries, err)
	}
}

// Marks outside the engine are refused while the run's owner holds its lease, and once it
// gave the lease back they end the run in one transaction that revokes the lease.
func TestMarkStoredRespectsTheLease(t *testing.T) {
	t.Parallel()
	c := newContenders(t)
	engA := c.engine(engine.Config{}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	run, err := engA.Trigger(ctx, twoStep("mark"), engine.TriggerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "A's try of t1 to start", c.started)
	now := time.Now().UTC().Truncate(time.Microsecond)
	if err := engine.MarkRunStored(ctx, c.st, "mark", run.RunID, store.RunFailed, now); !errors.Is(err, engine.ErrRunOwned) {
		t.Fatalf("MarkRunStored of a run A holds: %v, want ErrRunOwned", err)
	}
	if _, err := engine.MarkTasksStored(ctx, c.st, "mark", run.RunID, "t2", nil, store.TISkipped, now); !errors.Is(err, engine.ErrRunOwned) {
		t.Fatalf("MarkTasksStored of a run A holds: %v, want ErrRunOwned", err)
	}
	engA.Stop()
	before, err := c.st.GetLease(ctx, "mark", run.RunID)
	if err != nil || before.Owner != "" {
		t.Fatalf("lease after Stop: %+v, %v; want given back", before, err)
	}
	if err := engine.MarkRunStored(ctx, c.st, "mark", run.RunID, store.RunFailed, now); err != nil {
		t.Fatal(err)
	}
	got, err := c.st.GetRun(ctx, "mark", run.RunID)
	if err != nil || got.State != store.RunFailed || !got.EndedAt.Equal(now) {
		t.Fatalf("run after the mark: %v, %v; want failed, ended at %v", got, err, now)
	}
	tis, err := c.st.ListTaskInstances(ctx, store.ListTIParams{DAGID: "mark", RunID: run.RunID})
	if err != nil || len(tis) != 2 || tis[0].State != store.TIFailed || tis[1].State != store.TISkipped {
		t.Fatalf("instances after the mark: %v, %v; want t1 failed (it was running), t2 skipped", tis, err)
	}
	if l, err := c.st.GetLease(ctx, "mark", run.RunID); err != nil || l.Epoch != before.Epoch+1 {
		t.Fatalf("lease after the mark: %+v, %v; want its epoch advanced past %d", l, err, before.Epoch)
	}
	marked, err := engine.MarkTasksStored(ctx, c.st, "mark", run.RunID, "t2", nil, store.TISuccess, now)
	if err != nil || len(marked) != 1 || marked[0].State != store.TISuccess {
		t.Fatalf("MarkTasksStored: %v, %v", marked, err)
	}
	if _, err := engine.MarkTasksStored(ctx, c.st, "mark", run.RunID, "t2", []int{3}, store.TISuccess, now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("MarkTasksStored of a missing map index: %v, want ErrNotFound", err)
	}
}

func TestOwnerDead(t *testing.T) {
	t.Parallel()
	host, _ := os.Hostname()
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		owner string
		dead  bool
	}{
		{engine.SelfOwner(), false},
		{engine.SelfOwner() + ":0a1b2c3d", false},
		{fmt.Sprintf("%s:%d:0:0a1b2c3d", host, gone.Process.Pid), true},
		{fmt.Sprintf("%s:%d:0", host, gone.Process.Pid), true},
		{"another-host.example:1:1:0a1b2c3d", false}, // only its lease's expiry tells
		{"", false},
		{"not an owner", false},
	} {
		if got := engine.OwnerDead(tc.owner); got != tc.dead {
			t.Errorf("OwnerDead(%q) = %v, want %v", tc.owner, got, tc.dead)
		}
	}
}

func TestHeartbeatMustBeShorterThanTheLease(t *testing.T) {
	t.Parallel()
	c := newContenders(t)
	_, err := engine.New(engine.Config{Store: c.st, LeaseTTL: time.Second, HeartbeatInterval: time.Second})
	if err == nil || !strings.Contains(err.Error(), "HeartbeatInterval") {
		t.Fatalf("New with a heartbeat as long as the lease: %v, want an error naming HeartbeatInterval", err)
	}
	if _, err := engine.New(engine.Config{Store: c.st, LeaseTTL: 3 * time.Second}); err != nil {
		t.Fatalf("New with a short lease and the default heartbeat (a third of it): %v", err)
	}
}

// A cached task whose try ends after its engine lost the run records no cache entry: the
// entry rides the refused batch. Here B (an hour ahead) takes the run over and records t1's
// entry; A's late success of t1 must not overwrite it.
func TestLostLeaseRecordsNoCacheEntry(t *testing.T) {
	t.Parallel()
	c := newContenders(t)
	logA := newSignalLog("lost the run's lease")
	engA := c.engine(engine.Config{}, logA)
	var skew atomic.Int64
	engB := c.engine(engine.Config{Clock: skewed(&skew)}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d := twoStep("cachedcontend")
	d.Defaults.Cache = ptr(true)
	run, err := engA.Trigger(ctx, d, engine.TriggerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "A's try of t1 to start", c.started)
	skew.Store(int64(time.Hour))
	if _, _, err := engB.Resume(ctx, "cachedcontend", run.RunID); err != nil {
		t.Fatal(err)
	}
	if final, err := engB.Wait(ctx, "cachedcontend", run.RunID); err != nil || final.State != store.RunSuccess {
		t.Fatalf("B's run: %v, %v", final, err)
	}
	ti, err := c.st.GetTaskInstance(ctx, "cachedcontend", run.RunID, "t1", -1)
	if err != nil || ti.CacheKey == "" {
		t.Fatalf("t1 after B's run: %+v, %v; want a cache key", ti, err)
	}
	close(c.gate) // A's try of t1 succeeds now
	waitFor(t, "A to drop the run", logA.ch)
	ent, err := c.st.GetCacheEntry(ctx, ti.CacheKey)
	if err != nil {
		t.Fatal(err)
	}
	if ent.CreatedAt.Before(time.Now().Add(30 * time.Minute)) {
		t.Fatalf("t1's cache entry was recorded at %s, by A's clock: A wrote it after losing the run", ent.CreatedAt)
	}
}
