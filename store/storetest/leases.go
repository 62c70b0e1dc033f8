package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weirhq/weir/store"
)

// acquire takes the lease of d/r for owner at now, with a TTL of a minute.
func acquire(ctx context.Context, s store.Store, owner string, now time.Time, takeOver int64) (*store.Lease, error) {
	return s.AcquireLease(ctx, store.AcquireLeaseParams{DAGID: "d", RunID: "r", Owner: owner, TTL: time.Minute, Now: now, TakeOver: takeOver})
}

// mustAcquire is acquire failing the test on error.
func mustAcquire(ctx context.Context, t *testing.T, s store.Store, owner string, now time.Time, takeOver int64) *store.Lease {
	t.Helper()
	l, err := acquire(ctx, s, owner, now, takeOver)
	if err != nil {
		t.Fatalf("AcquireLease(%s): %v", owner, err)
	}
	return l
}

// wantGuard fails the test unless err is a *store.GuardError wrapping target, about task
// taskID ("" for the run).
func wantGuard(t *testing.T, what string, err, target error, taskID string) *store.GuardError {
	t.Helper()
	var ge *store.GuardError
	if !errors.As(err, &ge) || !errors.Is(err, target) {
		t.Fatalf("%s: error %v, want a *store.GuardError wrapping %v", what, err, target)
	}
	if ge.DAGID != "d" || ge.RunID != "r" || ge.TaskID != taskID {
		t.Fatalf("%s: guard error names %s/%s/%q, want d/r/%q", what, ge.DAGID, ge.RunID, ge.TaskID, taskID)
	}
	return ge
}

// getTI returns task instance d/r/task[i], failing the test on error.
func getTI(ctx context.Context, t *testing.T, s store.Store, task string, i int) *store.TaskInstance {
	t.Helper()
	x, err := s.GetTaskInstance(ctx, "d", "r", task, i)
	if err != nil {
		t.Fatalf("GetTaskInstance(%s[%d]): %v", task, i, err)
	}
	return x
}

func testLeases(t *testing.T, setup setupFunc) {
	t.Run("AcquireRenewRelease", func(t *testing.T) {
		ctx, s := setup(t)
		if _, err := acquire(ctx, s, "a", t0, 0); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("AcquireLease of a missing run: %v, want ErrNotFound", err)
		}
		mustCreateRun(ctx, t, s, minimalRun("d", "r", store.RunQueued))
		if _, err := s.GetLease(ctx, "d", "r"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("GetLease of a run never leased: %v, want ErrNotFound", err)
		}
		a := mustAcquire(ctx, t, s, "a", t0, 0)
		if a.Epoch != 1 || a.Owner != "a" || !a.ExpiresAt.Equal(t0.Add(time.Minute).Truncate(time.Microsecond)) {
			t.Fatalf("first lease: %+v, want epoch 1, owner a, expiring a minute after t0", a)
		}
		got, err := s.GetLease(ctx, "d", "r")
		if err != nil || got.Epoch != 1 || got.Owner != "a" || !got.ExpiresAt.Equal(a.ExpiresAt) || !got.Held(t0) {
			t.Fatalf("GetLease: %+v, %v; want a's lease, held", got, err)
		}
		// Held: another owner is refused, even just before expiry, and with a wrong epoch.
		if _, err := acquire(ctx, s, "b", t0.Add(time.Minute-time.Microsecond), 0); !errors.Is(err, store.ErrLeaseHeld) {
			t.Fatalf("AcquireLease of a held lease: %v, want ErrLeaseHeld", err)
		}
		if _, err := acquire(ctx, s, "b", t0, 7); !errors.Is(err, store.ErrLeaseHeld) {
			t.Fatalf("AcquireLease taking over a wrong epoch: %v, want ErrLeaseHeld", err)
		}
		// Renewing pushes the expiry; the run row mirrors the heartbeat.
		lost, err := s.RenewLeases(ctx, []*store.Lease{a}, time.Minute, t0.Add(50*time.Second))
		if err != nil || len(lost) != 0 {
			t.Fatalf("RenewLeases: lost %v, %v", lost, err)
		}
		if !a.ExpiresAt.Equal(t0.Add(110 * time.Second).Truncate(time.Microsecond)) {
			t.Fatalf("renewed lease expires at %v, want t0+110s", a.ExpiresAt)
		}
		if run, err := s.GetRun(ctx, "d", "r"); err != nil || !run.HeartbeatAt.Equal(t0.Add(50*time.Second).Truncate(time.Microsecond)) {
			t.Fatalf("run after renewal: heartbeat %v, %v; want t0+50s", run.HeartbeatAt, err)
		}
		if _, err := acquire(ctx, s, "b", t0.Add(100*time.Second), 0); !errors.Is(err, store.ErrLeaseHeld) {
			t.Fatalf("AcquireLease of a renewed lease: %v, want ErrLeaseHeld", err)
		}
		// Taking over a dead owner's lease by its epoch works before expiry.
		b := mustAcquire(ctx, t, s, "b", t0, a.Epoch)
		if b.Epoch != 2 {
			t.Fatalf("taken-over lease has epoch %d, want 2", b.Epoch)
		}
		lost, err = s.RenewLeases(ctx, []*store.Lease{a, b}, time.Minute, t0.Add(time.Second))
		if err != nil || len(lost) != 1 || lost[0] != a {
			t.Fatalf("RenewLeases after takeover: lost %v, %v; want a's lease only", lost, err)
		}
		if err := s.ReleaseLease(ctx, a); !errors.Is(err, store.ErrLeaseLost) {
			t.Fatalf("ReleaseLease of a lost lease: %v, want ErrLeaseLost", err)
		}
		if err := s.ReleaseLease(ctx, b); err != nil {
			t.Fatalf("ReleaseLease: %v", err)
		}
		got, err = s.GetLease(ctx, "d", "r")
		if err != nil || got.Owner != "" || got.Epoch != 3 || got.Held(t0) {
			t.Fatalf("released lease: %+v, %v; want no owner, epoch 3", got, err)
		}
		if lost, err := s.RenewLeases(ctx, []*store.Lease{b}, time.Minute, t0); err != nil || len(lost) != 1 {
			t.Fatalf("RenewLeases of a released lease: lost %v, %v; want it lost", lost, err)
		}
		// A released lease is free at once.
		if c := mustAcquire(ctx, t, s, "c", t0, 0); c.Epoch != 4 {
			t.Fatalf("lease after release has epoch %d, want 4", c.Epoch)
		}
		// An expired one too.
		if d := mustAcquire(ctx, t, s, "d", t0.Add(time.Hour), 0); d.Epoch != 5 {
			t.Fatalf("lease after expiry has epoch %d, want 5", d.Epoch)
		}
	})

	t.Run("Guards", func(t *testing.T) {
		ctx, s := setup(t)
		const n = 70 // more than one chunk of a multi-row guard
		var tis []*store.TaskInstance
		for i := range n {
			tis = append(tis, ti("d", "r", "t", i, store.TINone))
		}
		mustCreateRun(ctx, t, s, minimalRun("d", "r", store.RunQueued), tis...)
		// A run never leased is guarded with epoch 0.
		run := minimalRun("d", "r", store.RunRunning)
		mustApply(ctx, t, s, &store.Batch{Guards: []store.RunGuard{{DAGID: "d", RunID: "r", Epoch: 0, State: store.RunQueued}}, Runs: []*store.DAGRun{run}})
		l := mustAcquire(ctx, t, s, "a", t0, 0)
		if l.Epoch != 1 {
			t.Fatalf("first lease after an epoch-0 guard: epoch %d, want 1", l.Epoch)
		}
		guards := func(state store.TIState, except int, exceptState store.TIState) []store.TIGuard {
			var gs []store.TIGuard
			for i := range n {
				st := state
				if i == except {
					st = exceptState
				}
				gs = append(gs, store.TIGuard{TIKey: store.TIKey{DAGID: "d", RunID: "r", TaskID: "t", MapIndex: i}, State: st})
			}
			return gs
		}
		running := func() []*store.TaskInstance {
			var out []*store.TaskInstance
			for i := range n {
				out = append(out, ti("d", "r", "t", i, store.TIRunning))
			}
			return out
		}
		rg := func(epoch int64, st store.RunState) []store.RunGuard {
			return []store.RunGuard{{DAGID: "d", RunID: "r", Epoch: epoch, State: st}}
		}
		// Each failing guard writes nothing.
		err := s.Apply(ctx, &store.Batch{Guards: rg(0, ""), TIs: running()})
		if ge := wantGuard(t, "Apply with epoch 0 after a lease", err, store.ErrLeaseLost, ""); ge.Want != "0" {
			t.Fatalf("guard error wants epoch %q, want 0", ge.Want)
		}
		err = s.Apply(ctx, &store.Batch{Guards: rg(l.Epoch, store.RunQueued), TIs: running()})
		if ge := wantGuard(t, "Apply with a stale run state", err, store.ErrConflict, ""); ge.Got != string(store.RunRunning) {
			t.Fatalf("guard error found %q, want running", ge.Got)
		}
		err = s.Apply(ctx, &store.Batch{Guards: rg(l.Epoch, store.RunRunning), TIGuards: guards(store.TINone, 45, store.TIQueued), TIs: running()})
		if ge := wantGuard(t, "Apply with a stale instance state", err, store.ErrConflict, "t"); ge.MapIndex != 45 || ge.Want != "queued" || ge.Got != "none" {
			t.Fatalf("guard error: %+v, want t[45] expected queued, found none", ge)
		}
		if x := getTI(ctx, t, s, "t", 0); x.State != store.TINone {
			t.Fatalf("t[0] after failed guards: %s, want none (nothing written)", x.State)
		}
		// Guards that hold: the batch is written; an instance that does not exist passes.
		extra := store.TIGuard{TIKey: store.TIKey{DAGID: "d", RunID: "r", TaskID: "new", MapIndex: -1}, State: store.TISuccess}
		mustApply(ctx, t, s, &store.Batch{Guards: rg(l.Epoch, store.RunRunning),
			TIGuards: append(guards(store.TINone, -1, ""), extra), TIs: append(running(), ti("d", "r", "new", -1, store.TINone))})
		if x := getTI(ctx, t, s, "t", n-1); x.State != store.TIRunning {
			t.Fatalf("t[%d] after the guarded batch: %s, want running", n-1, x.State)
		}
		// A release in the batch ends the lease after its writes.
		fin := minimalRun("d", "r", store.RunSuccess)
		mustApply(ctx, t, s, &store.Batch{Guards: []store.RunGuard{{DAGID: "d", RunID: "r", Epoch: l.Epoch, State: store.RunRunning, Release: true}}, Runs: []*store.DAGRun{fin}})
		got, err := s.GetLease(ctx, "d", "r")
		if err != nil || got.Owner != "" || got.Epoch != l.Epoch+1 {
			t.Fatalf("lease after a releasing batch: %+v, %v; want released at epoch %d", got, err, l.Epoch+1)
		}
		err = s.Apply(ctx, &store.Batch{Guards: rg(l.Epoch, ""), Runs: []*store.DAGRun{fin}})
		wantGuard(t, "Apply after the release", err, store.ErrLeaseLost, "")
		// A guard on a missing run is ErrNotFound.
		err = s.Apply(ctx, &store.Batch{Guards: []store.RunGuard{{DAGID: "d", RunID: "missing", Epoch: 3}}})
		wantErrIs(t, "Apply guarding a missing run", err, store.ErrNotFound)
	})

	t.Run("UpdateRun", func(t *testing.T) {
		ctx, s := setup(t)
		err := s.UpdateRun(ctx, "d", "r", func(*store.RunView) (*store.Batch, error) { return nil, nil })
		wantErrIs(t, "UpdateRun of a missing run", err, store.ErrNotFound)
		mustCreateRun(ctx, t, s, minimalRun("d", "r", store.RunFailed), ti("d", "r", "b", -1, store.TIFailed), ti("d", "r", "a", -1, store.TISuccess))
		l := mustAcquire(ctx, t, s, "a", t0, 0)
		boom := errors.New("boom")
		err = s.UpdateRun(ctx, "d", "r", func(v *store.RunView) (*store.Batch, error) {
			if v.Run.State != store.RunFailed || v.Lease == nil || v.Lease.Epoch != l.Epoch || len(v.TIs) != 2 || v.TIs[0].TaskID != "a" {
				t.Errorf("view: run %+v lease %+v, %d instances", v.Run, v.Lease, len(v.TIs))
			}
			return &store.Batch{TIs: []*store.TaskInstance{ti("d", "r", "a", -1, store.TINone)}}, boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("UpdateRun with fn failing: %v, want its error", err)
		}
		if x := getTI(ctx, t, s, "a", -1); x.State != store.TISuccess {
			t.Fatalf("a after a failed UpdateRun: %s, want success (nothing written)", x.State)
		}
		err = s.UpdateRun(ctx, "d", "r", func(v *store.RunView) (*store.Batch, error) {
			b := v.TIs[1]
			b.State = store.TINone
			return &store.Batch{Guards: []store.RunGuard{{DAGID: "d", RunID: "r", Epoch: v.Lease.Epoch, State: v.Run.State, Release: true}},
				TIGuards: []store.TIGuard{{TIKey: store.TIKey{DAGID: "d", RunID: "r", TaskID: "b", MapIndex: -1}, State: store.TIFailed}},
				TIs:      []*store.TaskInstance{b}}, nil
		})
		if err != nil {
			t.Fatalf("UpdateRun: %v", err)
		}
		if x := getTI(ctx, t, s, "b", -1); x.State != store.TINone {
			t.Fatalf("b after UpdateRun: %s, want none", x.State)
		}
		if got, err := s.GetLease(ctx, "d", "r"); err != nil || got.Epoch != l.Epoch+1 || got.Owner != "" {
			t.Fatalf("lease after UpdateRun's release: %+v, %v", got, err)
		}
	})
}

// testLeaseRaces runs writers against each other on one run, as engines in several processes
// do.
func testLeaseRaces(t *testing.T, setup setupFunc) {
	// Writers contend for one run whose lease expires almost at once, so they take it from
	// each other constantly; each writer with the lease runs the next instance to success.
	// Every instance must end success exactly once: one writer wins each transition, the
	// others are refused and stop, and nothing committed is lost.
	t.Run("Contention", func(t *testing.T) {
		ctx, s := setup(t)
		const writers, n = 4, 40
		var tis []*store.TaskInstance
		for i := range n {
			tis = append(tis, ti("d", "r", "t", i, store.TINone))
		}
		mustCreateRun(ctx, t, s, minimalRun("d", "r", store.RunRunning), tis...)
		var wins [n]atomic.Int32
		var lost, held atomic.Int32
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				owner := fmt.Sprintf("w%d", w)
				for {
					l, err := s.AcquireLease(ctx, store.AcquireLeaseParams{DAGID: "d", RunID: "r", Owner: owner, TTL: time.Microsecond, Now: time.Now()})
					if errors.Is(err, store.ErrLeaseHeld) {
						held.Add(1)
						continue
					}
					if err != nil {
						t.Errorf("%s: AcquireLease: %v", owner, err)
						return
					}
					// Act on the run until refused: read, then commit one transition guarded by
					// the epoch and by the state read.
					for {
						cur, err := s.ListTaskInstances(ctx, store.ListTIParams{DAGID: "d", RunID: "r", States: []store.TIState{store.TINone}, Limit: 1})
						if err != nil {
							t.Errorf("%s: ListTaskInstances: %v", owner, err)
							return
						}
						if len(cur) == 0 {
							return
						}
						x := cur[0]
						x.State, x.TryNumber = store.TISuccess, x.TryNumber+1
						err = s.Apply(ctx, &store.Batch{
							Guards:   []store.RunGuard{{DAGID: "d", RunID: "r", Epoch: l.Epoch, State: store.RunRunning}},
							TIGuards: []store.TIGuard{{TIKey: store.TIKey{DAGID: "d", RunID: "r", TaskID: "t", MapIndex: x.MapIndex}, State: store.TINone}},
							TIs:      []*store.TaskInstance{x},
						})
						if errors.Is(err, store.ErrLeaseLost) {
							lost.Add(1)
							break // stop acting on the run
						}
						if err != nil {
							t.Errorf("%s: Apply: %v", owner, err)
							return
						}
						wins[x.MapIndex].Add(1)
					}
				}
			})
		}
		wg.Wait()
		got, err := s.ListTaskInstances(ctx, store.ListTIParams{DAGID: "d", RunID: "r"})
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range got {
			if x.State != store.TISuccess || x.TryNumber != 1 || wins[x.MapIndex].Load() != 1 {
				t.Errorf("t[%d]: %s after %d tries, committed %d times; want success once", x.MapIndex, x.State, x.TryNumber, wins[x.MapIndex].Load())
			}
		}
		t.Logf("%d transitions refused for a lost lease, %d acquisitions refused", lost.Load(), held.Load())
	})

	// A writer whose lease expired and was taken over is refused everything: transitions,
	// renewal, release; the new holder's writes stand.
	t.Run("StaleWriter", func(t *testing.T) {
		ctx, s := setup(t)
		mustCreateRun(ctx, t, s, minimalRun("d", "r", store.RunRunning), ti("d", "r", "t", -1, store.TIRunning))
		a := mustAcquire(ctx, t, s, "a", t0, 0)
		b := mustAcquire(ctx, t, s, "b", t0.Add(2*time.Minute), 0) // a's lease expired
		mine := ti("d", "r", "t", -1, store.TIUpForRetry)
		mustApply(ctx, t, s, &store.Batch{Guards: []store.RunGuard{{DAGID: "d", RunID: "r", Epoch: b.Epoch}}, TIs: []*store.TaskInstance{mine}})
		stale := ti("d", "r", "t", -1, store.TISuccess)
		stale.Output = []byte(`{"stale":true}`)
		err := s.Apply(ctx, &store.Batch{Guards: []store.RunGuard{{DAGID: "d", RunID: "r", Epoch: a.Epoch, State: store.RunRunning}},
			TIs: []*store.TaskInstance{stale}, Tries: []*store.TaskTry{{DAGID: "d", RunID: "r", TaskID: "t", MapIndex: -1, TryNumber: 1, State: store.TISuccess}}})
		if ge := wantGuard(t, "stale Apply", err, store.ErrLeaseLost, ""); ge.Want != "1" || ge.Got != "2 (held by b)" {
			t.Fatalf("guard error: want %q got %q; want 1 and 2 (held by b)", ge.Want, ge.Got)
		}
		if x := getTI(ctx, t, s, "t", -1); x.State != store.TIUpForRetry || x.Output != nil {
			t.Fatalf("instance after the stale write: %s %s, want b's up_for_retry", x.State, x.Output)
		}
		if tries, err := s.ListTries(ctx, "d", "r", "t", -1); err != nil || len(tries) != 0 {
			t.Fatalf("tries after the stale write: %v, %v; want none", tries, err)
		}
		if lost, err := s.RenewLeases(ctx, []*store.Lease{a}, time.Minute, t0.Add(3*time.Minute)); err != nil || len(lost) != 1 {
			t.Fatalf("stale RenewLeases: lost %v, %v; want a's lease lost", lost, err)
		}
		wantErrIs(t, "stale ReleaseLease", s.ReleaseLease(ctx, a), store.ErrLeaseLost)
		if got, err := s.GetLease(ctx, "d", "r"); err != nil || got.Owner != "b" || got.Epoch != b.Epoch {
			t.Fatalf("lease after the stale writer: %+v, %v; want b's", got, err)
		}
	})

	// A clear (UpdateRun revoking the lease of an owner it found dead or expired) races the
	// owner committing a try's success. The defined outcome: the clear wins either way. If
	// the success commits first, the clear sees it and resets it (the try's record stays);
	// if the clear commits first, the success is refused with ErrLeaseLost and nothing of it
	// is written. Never does the instance end success after a clear that succeeded, nor is a
	// half of either write visible.
	t.Run("ClearDuringFinishingTry", func(t *testing.T) {
		ctx, s := setup(t)
		var finishedFirst, clearedFirst int
		for round := range 30 {
			runID := fmt.Sprintf("r%d", round)
			x := ti("d", runID, "t", -1, store.TIRunning)
			x.TryNumber = 1
			mustCreateRun(ctx, t, s, minimalRun("d", runID, store.RunRunning), x)
			l, err := s.AcquireLease(ctx, store.AcquireLeaseParams{DAGID: "d", RunID: runID, Owner: "engine", TTL: time.Minute, Now: t0})
			if err != nil {
				t.Fatal(err)
			}
			var finishErr, clearErr error
			var wg sync.WaitGroup
			wg.Go(func() {
				done := ti("d", runID, "t", -1, store.TISuccess)
				done.TryNumber = 1
				done.Output = []byte(`1`)
				finishErr = s.Apply(ctx, &store.Batch{
					Guards:   []store.RunGuard{{DAGID: "d", RunID: runID, Epoch: l.Epoch, State: store.RunRunning}},
					TIGuards: []store.TIGuard{{TIKey: store.TIKey{DAGID: "d", RunID: runID, TaskID: "t", MapIndex: -1}, State: store.TIRunning}},
					TIs:      []*store.TaskInstance{done},
					Tries:    []*store.TaskTry{{DAGID: "d", RunID: runID, TaskID: "t", MapIndex: -1, TryNumber: 1, State: store.TISuccess}},
				})
			})
			wg.Go(func() {
				clearErr = s.UpdateRun(ctx, "d", runID, func(v *store.RunView) (*store.Batch, error) {
					c := *v.TIs[0]
					prev := c.State
					c.State, c.Output = store.TINone, nil
					run := *v.Run
					run.State = store.RunQueued
					return &store.Batch{
						Guards:   []store.RunGuard{{DAGID: "d", RunID: runID, Epoch: v.Lease.Epoch, State: v.Run.State, Release: true}},
						TIGuards: []store.TIGuard{{TIKey: store.TIKey{DAGID: "d", RunID: runID, TaskID: "t", MapIndex: -1}, State: prev}},
						TIs:      []*store.TaskInstance{&c}, Runs: []*store.DAGRun{&run},
					}, nil
				})
			})
			wg.Wait()
			if clearErr != nil {
				t.Fatalf("round %d: clear: %v", round, clearErr)
			}
			got, err := s.GetTaskInstance(ctx, "d", runID, "t", -1)
			if err != nil {
				t.Fatal(err)
			}
			tries, err := s.ListTries(ctx, "d", runID, "t", -1)
			if err != nil {
				t.Fatal(err)
			}
			if got.State != store.TINone || got.Output != nil {
				t.Fatalf("round %d: instance %s with output %s after the clear, want none without output", round, got.State, got.Output)
			}
			switch {
			case finishErr == nil:
				if len(tries) != 1 || tries[0].State != store.TISuccess {
					t.Fatalf("round %d: the success committed but its try record is %v", round, tries)
				}
				finishedFirst++
			case errors.Is(finishErr, store.ErrLeaseLost):
				if len(tries) != 0 {
					t.Fatalf("round %d: the success was refused but its try record is there: %v", round, tries)
				}
				clearedFirst++
			default:
				t.Fatalf("round %d: finishing the try: %v, want success or ErrLeaseLost", round, finishErr)
			}
		}
		t.Logf("the success committed first in %d rounds, the clear in %d", finishedFirst, clearedFirst)
	})
}
