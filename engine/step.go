package engine

import (
	"container/heap"
	"context"
	"fmt"
	"os"
	"time"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/executor"
	"github.com/weirhq/weir/store"
)

// touch records that a task instance changed in this step.
func (e *Engine) touch(ti *store.TaskInstance) {
	if e.touched == nil {
		e.touched = map[*store.TaskInstance]struct{}{}
	}
	if _, ok := e.touched[ti]; !ok {
		e.touched[ti] = struct{}{}
		e.batch.TIs = append(e.batch.TIs, ti)
	}
}

// touchRun records that a run changed in this step.
func (e *Engine) touchRun(r *store.DAGRun) {
	for _, x := range e.batch.Runs {
		if x == r {
			return
		}
	}
	e.batch.Runs = append(e.batch.Runs, r)
}

// emit queues a progress event, reported after the commit.
func (e *Engine) emit(ev Event) {
	if e.cfg.OnEvent != nil {
		e.emitted = append(e.emitted, ev)
	}
}

func (e *Engine) tiEvent(rs *runState, ti *store.TaskInstance, errMsg string) Event {
	ev := Event{Time: e.now(), DAGID: rs.key.dagID, RunID: rs.key.runID, TaskID: ti.TaskID,
		MapIndex: ti.MapIndex, TryNumber: ti.TryNumber, State: ti.State, Err: errMsg, NextTryAt: ti.NextTryAt}
	if ti.State.Finished() || ti.State == store.TIUpForRetry {
		if !ti.StartedAt.IsZero() && !ti.EndedAt.IsZero() {
			ev.Duration = ti.EndedAt.Sub(ti.StartedAt)
		}
	}
	return ev
}

func (e *Engine) now() time.Time { return e.cfg.Clock().UTC() }

// adopt takes a run into the loop and marks it running, owned by this engine.
func (e *Engine) adopt(rs *runState) {
	now := e.now()
	e.runs[rs.key] = rs
	r := rs.run
	r.Owner = e.owner
	r.HeartbeatAt = now
	r.EndedAt = time.Time{}
	if r.StartedAt.IsZero() {
		r.StartedAt = now
	}
	if r.State != store.RunRunning {
		r.State = store.RunRunning
		e.emit(Event{Time: now, DAGID: r.DAGID, RunID: r.RunID, RunState: r.State})
	}
	if rs.dag.RunTimeout > 0 {
		rs.deadline = r.StartedAt.Add(rs.dag.RunTimeout.D())
	}
	e.touchRun(r)
	for _, n := range rs.order {
		switch n.ti.State {
		case store.TINone:
			rs.dirty[n] = true
		case store.TIScheduled, store.TIQueued:
			n.ti.State = store.TINone
			e.touch(n.ti)
			rs.dirty[n] = true
		case store.TIUpForRetry:
			e.retrying[n] = rs
		}
	}
	rs.check = true
}

// step applies the consequences of the events handled since the last step, commits them,
// and acts on them.
func (e *Engine) step() {
	now := e.now()
	// Retries that became due go straight back to the ready queue: their upstreams were
	// done when they first ran.
	for n, rs := range e.retrying {
		if !n.ti.NextTryAt.After(now) {
			delete(e.retrying, n)
			if n.ti.State == store.TIUpForRetry {
				n.ti.State = store.TIScheduled
				e.touch(n.ti)
				e.pushReady(rs, n)
			}
		}
	}
	for _, rs := range e.runs {
		if !rs.deadline.IsZero() && !now.Before(rs.deadline) {
			e.timeoutRun(rs)
			continue
		}
		if len(rs.dirty) > 0 {
			e.evaluate(rs)
		}
	}
	e.dispatch()
	for _, rs := range e.runs {
		if rs.check {
			rs.check = false
			e.checkRun(rs)
		}
	}
	e.commit()
}

// evaluate applies trigger rules to the run's dirty instances, cascading skips and
// upstream failures downstream.
func (e *Engine) evaluate(rs *runState) {
	queue := make([]*node, 0, len(rs.dirty))
	for n := range rs.dirty {
		queue = append(queue, n)
	}
	clear(rs.dirty)
	now := e.now()
	for len(queue) > 0 {
		n := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		if n.ti.State != store.TINone {
			continue
		}
		var c Counts
		for _, u := range n.up {
			c.Add(u.ti.State, false)
		}
		switch Decide(n.task.TriggerRule, c) {
		case Run:
			n.ti.State = store.TIScheduled
			n.ti.QueuedAt = now
			e.touch(n.ti)
			e.pushReady(rs, n)
		case Skip, UpstreamFailed:
			st := store.TISkipped
			if Decide(n.task.TriggerRule, c) == UpstreamFailed {
				st = store.TIUpstreamFailed
			}
			n.ti.State = st
			n.ti.StartedAt, n.ti.EndedAt = now, now
			e.touch(n.ti)
			e.emit(e.tiEvent(rs, n.ti, ""))
			queue = append(queue, n.down...)
			rs.check = true
		}
	}
}

// dispatch hands ready instances to free slots, highest priority first.
func (e *Engine) dispatch() {
	var deferred []*readyItem
	for e.ready.Len() > 0 && e.slots < e.cfg.Parallelism {
		it := heap.Pop(&e.ready).(*readyItem)
		rs, n := it.rs, it.n
		if n.ti.State != store.TIScheduled || e.runs[rs.key] != rs {
			continue // stale: the run ended or the instance changed meanwhile
		}
		p := e.pools[n.opts.Pool]
		if p == nil {
			// The pool may have been created since the last refresh.
			if err := e.loadPools(e.ctx); err != nil {
				e.cfg.Logger.Warn("refresh pools", "err", err)
			}
			p = e.pools[n.opts.Pool]
		}
		switch {
		case p == nil:
			e.failNow(rs, n, fmt.Errorf("pool %q does not exist: create it with `weir pools set %s SLOTS`", n.opts.Pool, n.opts.Pool))
			continue
		case p.Slots >= 0 && n.opts.PoolSlots > p.Slots:
			e.failNow(rs, n, fmt.Errorf("the task needs %d slots of pool %q, which has %d: lower pool_slots or raise the pool's slots", n.opts.PoolSlots, p.Name, p.Slots))
			continue
		case p.Slots >= 0 && e.poolUsed[p.Name]+n.opts.PoolSlots > p.Slots,
			rs.dag.MaxActiveTasks > 0 && rs.active >= rs.dag.MaxActiveTasks:
			deferred = append(deferred, it)
			continue
		}
		e.slots++
		e.poolUsed[p.Name] += n.opts.PoolSlots
		rs.active++
		now := e.now()
		ti := n.ti
		ti.TryNumber++
		ti.State = store.TIRunning
		if ti.QueuedAt.IsZero() {
			ti.QueuedAt = now
		}
		ti.StartedAt = now
		ti.EndedAt = time.Time{}
		ti.NextTryAt = time.Time{}
		ti.Hostname = e.host
		ti.PID = os.Getpid()
		ti.Error = ""
		ti.Output = nil
		n.valueSet = false
		e.touch(ti)
		e.emit(e.tiEvent(rs, ti, ""))
		job := e.prepare(rs, n)
		e.after = append(e.after, func() { e.launch(rs, n, job) })
	}
	for _, it := range deferred {
		heap.Push(&e.ready, it)
	}
}

// release gives back the slots an instance held.
func (e *Engine) release(rs *runState, n *node) {
	e.slots--
	e.poolUsed[n.opts.Pool] -= n.opts.PoolSlots
	rs.active--
	if c, ok := e.cancels[n.ti]; ok {
		c()
		delete(e.cancels, n.ti)
	}
}

// failNow fails a scheduled instance that cannot run at all, without retries.
func (e *Engine) failNow(rs *runState, n *node, err error) {
	now := e.now()
	ti := n.ti
	ti.State = store.TIFailed
	ti.StartedAt, ti.EndedAt = now, now
	ti.Error = err.Error()
	e.touch(ti)
	e.emit(e.tiEvent(rs, ti, ti.Error))
	e.fireTask(rs, n, "failure", n.opts.OnFailure)
	e.finished(rs, n)
}

// finished marks a finished instance's downstream for evaluation.
func (e *Engine) finished(rs *runState, n *node) {
	for _, d := range n.down {
		rs.dirty[d] = true
	}
	rs.check = true
}

// onResult records the end of a try.
func (e *Engine) onResult(ev evResult) {
	rs := e.runs[ev.key]
	if rs == nil || ev.ti.State != store.TIRunning || ev.ti.TryNumber != ev.try {
		return // the run ended or the try was superseded (run timeout, clear)
	}
	n := rs.nodes[ev.ti.TaskID]
	e.release(rs, n)
	e.endTry(rs, n, ev.res, ev.endedAt.UTC())
}

// endTry moves an instance out of running according to how its try ended.
func (e *Engine) endTry(rs *runState, n *node, res executor.Result, now time.Time) {
	ti := n.ti
	ti.EndedAt = now
	ti.Error = ""
	if res.Err != nil {
		ti.Error = res.Err.Error()
	}
	var callbacks []dag.Callback
	event := ""
	switch res.Outcome {
	case executor.Succeeded:
		ti.State = store.TISuccess
		ti.Output = res.Output
		callbacks, event = n.opts.OnSuccess, "success"
	case executor.Skipped:
		ti.State = store.TISkipped
		ti.Output = nil
	default:
		ti.Output = nil
		if res.Outcome == executor.Failed && ti.TryNumber < ti.MaxTries {
			ti.State = store.TIUpForRetry
			ti.NextTryAt = now.Add(RetryDelay(n.opts, rs.key.dagID, ti.TaskID, rs.run.LogicalDate, ti.TryNumber))
			e.retrying[n] = rs
			callbacks, event = n.opts.OnRetry, "retry"
		} else {
			ti.State = store.TIFailed
			callbacks, event = n.opts.OnFailure, "failure"
		}
	}
	n.valueSet = false
	e.touch(ti)
	e.batch.Tries = append(e.batch.Tries, &store.TaskTry{
		DAGID: ti.DAGID, RunID: ti.RunID, TaskID: ti.TaskID, MapIndex: ti.MapIndex,
		TryNumber: ti.TryNumber, State: ti.State, StartedAt: ti.StartedAt, EndedAt: ti.EndedAt,
		Hostname: ti.Hostname, PID: ti.PID, Error: ti.Error,
	})
	e.emit(e.tiEvent(rs, ti, ti.Error))
	if event != "" {
		e.fireTask(rs, n, event, callbacks)
	}
	if ti.State.Finished() {
		e.finished(rs, n)
	}
}

// timeoutRun fails a run past its run_timeout: running tries are killed and fail, pending
// instances are skipped (Airflow's dagrun_timeout).
func (e *Engine) timeoutRun(rs *runState) {
	now := e.now()
	msg := fmt.Sprintf("run timed out after %s (run_timeout)", rs.dag.RunTimeout.D())
	for _, n := range rs.order {
		ti := n.ti
		switch {
		case ti.State == store.TIRunning:
			e.release(rs, n)
			ti.State = store.TIFailed
			ti.EndedAt = now
			ti.Error = msg
			e.batch.Tries = append(e.batch.Tries, &store.TaskTry{
				DAGID: ti.DAGID, RunID: ti.RunID, TaskID: ti.TaskID, MapIndex: ti.MapIndex,
				TryNumber: ti.TryNumber, State: ti.State, StartedAt: ti.StartedAt, EndedAt: now,
				Hostname: ti.Hostname, PID: ti.PID, Error: msg,
			})
		case pending(ti.State):
			delete(e.retrying, n)
			ti.State = store.TISkipped
			ti.StartedAt, ti.EndedAt = now, now
		default:
			continue
		}
		e.touch(ti)
		e.emit(e.tiEvent(rs, ti, ti.Error))
	}
	e.finishRun(rs, store.RunFailed, msg)
}

// checkRun ends a run whose instances all finished: failed if a leaf failed or is
// upstream_failed, success otherwise (Airflow's DagRun.update_state).
func (e *Engine) checkRun(rs *runState) {
	failed := false
	for _, n := range rs.order {
		if pending(n.ti.State) {
			return
		}
		if n.leaf && (n.ti.State == store.TIFailed || n.ti.State == store.TIUpstreamFailed) {
			failed = true
		}
	}
	if failed {
		e.finishRun(rs, store.RunFailed, "")
	} else {
		e.finishRun(rs, store.RunSuccess, "")
	}
}

// finishRun records a run's final state and lets it go.
func (e *Engine) finishRun(rs *runState, state store.RunState, reason string) {
	now := e.now()
	r := rs.run
	r.State = state
	r.EndedAt = now
	r.Owner = ""
	e.touchRun(r)
	e.emit(Event{Time: now, DAGID: r.DAGID, RunID: r.RunID, RunState: state, Err: reason, Duration: now.Sub(r.StartedAt)})
	switch state {
	case store.RunFailed:
		e.fireRun(rs, "failure", rs.dag.OnFailure, reason)
	case store.RunSuccess:
		e.fireRun(rs, "success", rs.dag.OnSuccess, "")
	}
	delete(e.runs, rs.key)
	for n, owner := range e.retrying {
		if owner == rs {
			delete(e.retrying, n)
		}
	}
	done := rs.done
	rs.done = nil
	e.after = append(e.after, func() {
		for _, ch := range done {
			ch <- nil
		}
	})
}

// commit writes the step's changes in one transaction, then acts on them.
func (e *Engine) commit() {
	after, emitted := e.after, e.emitted
	e.after, e.emitted = nil, nil
	if !e.batch.Empty() {
		err := e.cfg.Store.Apply(context.WithoutCancel(e.ctx), &e.batch)
		e.batch = store.Batch{}
		clear(e.touched)
		if err != nil {
			e.fatal = fmt.Errorf("engine: commit state transitions: %w", err)
			e.cfg.Logger.Error("commit failed; stopping the engine", "err", err)
			return
		}
	}
	if e.cfg.OnEvent != nil {
		for _, ev := range emitted {
			e.cfg.OnEvent(ev)
		}
	}
	for _, f := range after {
		f()
	}
}
