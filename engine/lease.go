package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/weirhq/weir/store"
)

// afterAct is an action to take once the step's transitions are committed, on behalf of
// one run: it is dropped, not taken, if the run's lease turns out to be lost.
type afterAct struct {
	key runKey
	fn  func()
}

// later queues fn to run after the step's commit, on behalf of run key.
func (e *Engine) later(key runKey, fn func()) {
	e.after = append(e.after, afterAct{key, fn})
}

// leaseFor decides whether this engine may take the lease of a run and returns the epoch to
// take over (0: a free, expired or missing lease), or ErrRunOwned. A lease held by another
// live owner, or by an owner on another host that has not expired, is refused; a lease of
// a dead owner of this host, or of this engine itself when the run is not active here (a
// run it dropped), is taken over at once.
func (e *Engine) leaseFor(ctx context.Context, run *store.DAGRun) (int64, error) {
	l, err := e.cfg.Store.GetLease(ctx, run.DAGID, run.RunID)
	if errors.Is(err, store.ErrNotFound) {
		// Never leased (or created before leases existed): the run's owner field tells.
		if run.Owner != "" && run.Owner != e.owner && OwnerAlive(run.Owner) && !run.State.Finished() {
			return 0, fmt.Errorf("%w: %s (heartbeat %s); wait for it to end or stop it first",
				ErrRunOwned, describeOwner(run.Owner), run.HeartbeatAt.Local().Format(time.RFC3339))
		}
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if !l.Held(e.now()) {
		return 0, nil
	}
	if l.Owner == e.owner || OwnerDead(l.Owner) {
		return l.Epoch, nil
	}
	return 0, fmt.Errorf("%w: %s holds its lease until %s (heartbeat %s); wait for it to end or stop it first",
		ErrRunOwned, describeOwner(l.Owner), l.ExpiresAt.Local().Format(time.RFC3339), l.HeartbeatAt.Local().Format(time.RFC3339))
}

// acquire takes a run's lease for this engine (takeOver: see store.AcquireLeaseParams).
func (e *Engine) acquire(ctx context.Context, dagID, runID string, takeOver int64) (*store.Lease, error) {
	l, err := e.cfg.Store.AcquireLease(ctx, store.AcquireLeaseParams{DAGID: dagID, RunID: runID, Owner: e.owner,
		TTL: e.cfg.LeaseTTL, Now: e.now(), TakeOver: takeOver})
	if errors.Is(err, store.ErrLeaseHeld) {
		return nil, fmt.Errorf("%w: %w", ErrRunOwned, err)
	}
	return l, err
}

// releaseQuietly gives a lease back, logging a failure (the lease then expires by itself).
func (e *Engine) releaseQuietly(l *store.Lease) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.cfg.Store.ReleaseLease(ctx, l); err != nil && !errors.Is(err, store.ErrLeaseLost) {
		e.cfg.Logger.Warn("release a run's lease; it expires by itself", "dag_id", l.DAGID, "run_id", l.RunID, "err", err)
	}
}

// renewLeases extends the leases of the active runs; a run whose lease was lost meanwhile is
// dropped. A failure to renew is logged and retried at the next heartbeat: the leases stay
// valid until they expire.
func (e *Engine) renewLeases() {
	if len(e.runs) == 0 {
		return
	}
	leases := make([]*store.Lease, 0, len(e.runs))
	for _, rs := range e.runs {
		leases = append(leases, rs.lease)
	}
	now := e.now()
	lost, err := e.cfg.Store.RenewLeases(context.WithoutCancel(e.ctx), leases, e.cfg.LeaseTTL, now)
	if err != nil {
		e.cfg.Logger.Warn("renew the leases of the active runs", "runs", len(leases), "err", err)
		return
	}
	for _, rs := range e.runs {
		rs.run.HeartbeatAt = now
	}
	for _, l := range lost {
		if rs := e.runs[runKey{l.DAGID, l.RunID}]; rs != nil {
			e.drop(rs, &store.GuardError{DAGID: l.DAGID, RunID: l.RunID, Want: fmt.Sprint(l.Epoch), Got: "a newer epoch", Err: store.ErrLeaseLost})
		}
	}
}

// releaseAll gives back the leases of the active runs when the engine stops, so another
// process can resume them at once.
func (e *Engine) releaseAll() {
	for _, rs := range e.runs {
		if rs.lease != nil {
			e.releaseQuietly(rs.lease)
		}
	}
}

// guard adds to the step's batch the guards of every run it writes: the run's lease epoch
// and the states of the run and its instances as last committed. A run that finished in
// this step releases its lease in the same transaction.
func (e *Engine) guard() {
	b := &e.batch
	b.Guards, b.TIGuards = b.Guards[:0], b.TIGuards[:0]
	if e.guardSeen == nil {
		e.guardSeen = map[runKey]bool{}
	}
	seen := e.guardSeen
	clear(seen)
	var last runKey
	add := func(k runKey) {
		if k == last {
			return
		}
		last = k
		if seen[k] {
			return
		}
		seen[k] = true
		rs := e.runs[k]
		release := false
		if rs == nil {
			if rs = e.finishing[k]; rs == nil {
				return
			}
			release = true
		}
		b.Guards = append(b.Guards, store.RunGuard{DAGID: k.dagID, RunID: k.runID, Epoch: rs.lease.Epoch,
			State: rs.storedState, Release: release})
	}
	for _, r := range b.Runs {
		add(runKey{r.DAGID, r.RunID})
	}
	// The instances' states are fenced by the epoch: every writer that changes a run's
	// instances outside its lease holder (Clear, Mark, Resume) advances the epoch in its own
	// transaction, so the states this engine last committed under the epoch are the stored
	// ones and a per-instance compare could never fail. Checking them cost a statement per
	// 32 instances on every commit (the chain's hop went from ~110 to ~210 µs); only the
	// deletions of a mapped task's placeholder keep their instance guards.
	for _, ti := range b.TIs {
		add(runKey{ti.DAGID, ti.RunID})
	}
	b.TIGuards = append(b.TIGuards, e.delGuards...)
	for _, t := range b.Tries {
		add(runKey{t.DAGID, t.RunID})
	}
	for _, k := range b.DeleteTIs {
		add(runKey{k.DAGID, k.RunID})
	}
	for _, c := range b.CacheEntries {
		add(runKey{c.DAGID, c.RunID})
	}
	for _, f := range b.RenderedFields {
		add(runKey{f.DAGID, f.RunID})
	}
	for k, rs := range e.finishing {
		if !seen[k] { // nothing else written: still release
			b.Guards = append(b.Guards, store.RunGuard{DAGID: k.dagID, RunID: k.runID, Epoch: rs.lease.Epoch, Release: true})
		}
	}
}

// committed records the batch's states as the store's, once it committed.
func (e *Engine) committed(b *store.Batch) {
	for _, ti := range b.TIs {
		e.stored[ti] = ti.State
	}
	for _, r := range b.Runs {
		k := runKey{r.DAGID, r.RunID}
		if rs := e.runs[k]; rs != nil {
			rs.storedState = r.State
		}
	}
	for k, rs := range e.finishing {
		e.forget(rs)
		delete(e.finishing, k)
	}
}

// forget drops the stored states of a run's instances.
func (e *Engine) forget(rs *runState) {
	for _, n := range rs.order {
		for _, ti := range n.tis {
			delete(e.stored, ti)
		}
	}
}

// drop stops acting on a run whose lease was lost (err says why): its running tries are
// stopped, nothing more of it is written or done, and its waiters get err. The run's new
// owner decides what becomes of it; this engine does not touch its work.
func (e *Engine) drop(rs *runState, err error) {
	k := rs.key
	e.cfg.Logger.Warn("lost the run's lease; no longer acting on it", "dag_id", k.dagID, "run_id", k.runID, "err", err)
	for _, n := range rs.order {
		for _, ti := range n.tis {
			if ti.State == store.TIRunning {
				e.release(rs, n, ti)
			}
			delete(e.retrying, ti)
		}
	}
	delete(e.runs, k)
	delete(e.finishing, k)
	e.forget(rs)
	if len(e.slaWatch) > 0 {
		e.slaWatch = slices.DeleteFunc(e.slaWatch, func(w slaEntry) bool { return w.rs == rs })
	}
	// Forget what the step queued for it.
	b := &e.batch
	mine := func(dagID, runID string) bool { return dagID == k.dagID && runID == k.runID }
	b.Runs = slices.DeleteFunc(b.Runs, func(r *store.DAGRun) bool { return mine(r.DAGID, r.RunID) })
	b.TIs = slices.DeleteFunc(b.TIs, func(ti *store.TaskInstance) bool { return mine(ti.DAGID, ti.RunID) })
	b.Tries = slices.DeleteFunc(b.Tries, func(t *store.TaskTry) bool { return mine(t.DAGID, t.RunID) })
	b.DeleteTIs = slices.DeleteFunc(b.DeleteTIs, func(x store.TIKey) bool { return mine(x.DAGID, x.RunID) })
	e.delGuards = slices.DeleteFunc(e.delGuards, func(g store.TIGuard) bool { return mine(g.DAGID, g.RunID) })
	b.DatasetEvents = slices.DeleteFunc(b.DatasetEvents, func(ev *store.DatasetEvent) bool { return mine(ev.SourceDAGID, ev.SourceRunID) })
	b.CacheEntries = slices.DeleteFunc(b.CacheEntries, func(c *store.CacheEntry) bool { return mine(c.DAGID, c.RunID) })
	b.RenderedFields = slices.DeleteFunc(b.RenderedFields, func(f *store.RenderedFields) bool { return mine(f.DAGID, f.RunID) })
	e.after = slices.DeleteFunc(e.after, func(a afterAct) bool { return a.key == k })
	e.emitted = slices.DeleteFunc(e.emitted, func(ev Event) bool { return mine(ev.DAGID, ev.RunID) })
	werr := fmt.Errorf("run %s of dag %s: this engine stopped executing it: %w", k.runID, k.dagID, err)
	for _, ch := range rs.done {
		ch <- werr
	}
	rs.done = nil
}
