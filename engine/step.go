package engine

import (
	"container/heap"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
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
		MapIndex: ti.MapIndex, TryNumber: ti.TryNumber, State: ti.State, Err: errMsg, NextTryAt: ti.NextTryAt,
		RenderedMapIndex: ti.RenderedMapIndex, CacheKey: ti.CacheKey, CachedFrom: ti.CachedFrom}
	if ti.State.Finished() || ti.State == store.TIUpForRetry {
		if !ti.StartedAt.IsZero() && !ti.EndedAt.IsZero() {
			ev.Duration = ti.EndedAt.Sub(ti.StartedAt)
		}
	}
	return ev
}

func (e *Engine) now() time.Time { return e.cfg.Clock().UTC() }

// retryEntry locates an up_for_retry instance.
type retryEntry struct {
	rs *runState
	n  *node
}

// adopt takes a run into the loop and marks it running, owned by this engine.
func (e *Engine) adopt(rs *runState) {
	now := e.now()
	e.runs[rs.key] = rs
	r := rs.run
	rs.storedState = r.State
	for _, n := range rs.order {
		for _, ti := range n.tis {
			e.stored[ti] = ti.State
		}
	}
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
	if rs.dag.SLA > 0 && len(rs.dag.OnSLAMiss) > 0 {
		e.slaWatch = append(e.slaWatch, slaEntry{at: r.StartedAt.Add(rs.dag.SLA.D()), rs: rs})
	}
	e.touchRun(r)
	for _, n := range rs.order {
		for _, ti := range n.tis {
			switch ti.State {
			case store.TINone:
				rs.dirty[n] = true
			case store.TIScheduled, store.TIQueued:
				ti.State = store.TINone
				e.touch(ti)
				rs.dirty[n] = true
			case store.TIUpForRetry:
				e.retrying[ti] = retryEntry{rs, n}
			case store.TIUpForReschedule:
				e.retrying[ti] = retryEntry{rs, n}
				rs.rescheduled[ti] = true
			}
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
	for ti, r := range e.retrying {
		if !ti.NextTryAt.After(now) {
			delete(e.retrying, ti)
			if (ti.State == store.TIUpForRetry || ti.State == store.TIUpForReschedule) && e.runs[r.rs.key] == r.rs {
				ti.State = store.TIScheduled // in memory only, as in evaluate
				ti.QueuedAt = now
				e.pushReady(r.rs, r.n, ti)
			}
		}
	}
	e.checkSLAs(now)
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

// evaluate applies trigger rules (and the setup constraint) to the pending instances of the
// run's dirty nodes, expanding mapped tasks whose time has come, and cascading skips and
// upstream failures downstream.
func (e *Engine) evaluate(rs *runState) {
	queue := make([]*node, 0, len(rs.dirty))
	for n := range rs.dirty {
		queue = append(queue, n)
	}
	clear(rs.dirty)
	for len(queue) > 0 {
		n := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		for i := 0; i < len(n.tis); i++ {
			ti := n.tis[i]
			if ti.State != store.TINone {
				continue
			}
			d := e.decide(rs, n, ti)
			switch d {
			case Run:
				if n.needsExpansion() {
					if more := e.expand(rs, n); len(more) > 0 {
						queue = append(queue, more...)
					}
					i = -1 // the node's instances changed: look at them again
					continue
				}
				if n.subPlaceholder(ti) {
					e.expandNested(rs, n, ti)
					queue = append(queue, n.down...)
					i = -1
					continue
				}
				// "scheduled" lives in memory only: after a crash, Resume re-evaluates
				// instances that had not started anyway, so writing it buys nothing.
				ti.State = store.TIScheduled
				ti.QueuedAt = e.now()
				e.pushReady(rs, n, ti)
			case Skip, UpstreamFailed:
				st := store.TISkipped
				if d == UpstreamFailed {
					st = store.TIUpstreamFailed
				}
				e.finishWithout(rs, n, ti, st, "")
				queue = append(queue, n.down...)
			}
		}
	}
}

// decide applies the setup constraint, then the trigger rule, to one pending instance.
func (e *Engine) decide(rs *runState, n *node, ti *store.TaskInstance) Decision {
	if len(n.setups) > 0 {
		var failed, skipped, waiting bool
		for _, s := range n.setups {
			for _, st := range s.tis {
				switch st.State {
				case store.TIFailed, store.TIUpstreamFailed:
					failed = true
				case store.TISkipped:
					skipped = true
				case store.TISuccess, store.TIRemoved:
				default:
					waiting = true
				}
			}
		}
		switch {
		case failed:
			return UpstreamFailed
		case skipped:
			return Skip
		case waiting:
			return Wait
		}
	}
	var c Counts
	n.eachUpstreamTI(ti, func(u *node, uti *store.TaskInstance) {
		c.Add(uti.State, u.isSetup())
	})
	rule := n.task.TriggerRule
	if n.isTeardown() {
		rule = dag.AllDoneSetupSuccess
	}
	return Decide(rule, c)
}

// finishWithout ends a pending instance without running it (skipped, upstream_failed).
func (e *Engine) finishWithout(rs *runState, n *node, ti *store.TaskInstance, st store.TIState, reason string) {
	now := e.now()
	ti.State = st
	ti.StartedAt, ti.EndedAt = now, now
	ti.Error = reason
	e.touch(ti)
	e.emit(e.tiEvent(rs, ti, reason))
	e.finished(rs, n)
}

// dispatch hands ready instances to free slots, highest priority first.
func (e *Engine) dispatch() {
	var deferred []*readyItem
	for !e.draining && e.ready.Len() > 0 && e.slots < e.cfg.Parallelism {
		it := heap.Pop(&e.ready).(*readyItem)
		rs, n, ti := it.rs, it.n, it.ti
		if ti.State != store.TIScheduled || e.runs[rs.key] != rs {
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
			e.failNow(rs, n, ti, fmt.Errorf("pool %q does not exist: create it with `weir pools set %s SLOTS`", n.opts.Pool, n.opts.Pool))
			continue
		case p.Slots >= 0 && n.opts.PoolSlots > p.Slots:
			e.failNow(rs, n, ti, fmt.Errorf("the task needs %d slots of pool %q, which has %d: lower pool_slots or raise the pool's slots", n.opts.PoolSlots, p.Name, p.Slots))
			continue
		case p.Slots >= 0 && e.poolUsed[p.Name]+n.opts.PoolSlots > p.Slots,
			rs.dag.MaxActiveTasks > 0 && rs.active >= rs.dag.MaxActiveTasks,
			n.task.MaxActiveTIsPerDAG > 0 && e.taskRunning[taskKey(rs, n)] >= n.task.MaxActiveTIsPerDAG,
			e.cpuBound(n) && e.cpuSlots >= e.cfg.CPUSlots:
			deferred = append(deferred, it)
			continue
		}
		e.slots++
		if e.cpuBound(n) {
			e.cpuSlots++
		}
		e.poolUsed[p.Name] += n.opts.PoolSlots
		e.taskRunning[taskKey(rs, n)]++
		rs.active++
		now := e.now()
		waited := now.Sub(ti.QueuedAt)
		ti.TryNumber++
		ti.State = store.TIRunning
		if ti.QueuedAt.IsZero() {
			ti.QueuedAt = now
		}
		rescheduled := rs.rescheduled[ti]
		if !rescheduled {
			ti.StartedAt = now // a rescheduled sensor keeps its first poke's start
		}
		delete(rs.rescheduled, ti)
		ti.EndedAt = time.Time{}
		ti.NextTryAt = time.Time{}
		ti.Hostname = e.host
		ti.PID = os.Getpid()
		ti.Error = ""
		ti.Output = nil
		ti.CacheKey, ti.CachedFrom = "", ""
		delete(rs.values, ti)
		e.touch(ti)
		ev := e.tiEvent(rs, ti, "")
		if waited > 0 && waited < time.Hour*24*365 {
			ev.QueueDelay = waited
		}
		e.emit(ev)
		job := e.prepare(rs, n, ti)
		job.job.Rescheduled = rescheduled
		e.later(rs.key, func() { e.launch(job) })
		if n.opts.SLA > 0 && len(n.opts.OnSLAMiss) > 0 {
			e.slaWatch = append(e.slaWatch, slaEntry{at: now.Add(n.opts.SLA), rs: rs, n: n, ti: ti, try: ti.TryNumber})
		}
	}
	for _, it := range deferred {
		heap.Push(&e.ready, it)
	}
}

// cpuBound reports whether n's kind is CPU-bound (dag.KindDef.CPUBound), remembered on n.
func (e *Engine) cpuBound(n *node) bool {
	if n.cpu == 0 {
		n.cpu = 2
		if defs := e.cfg.Kinds.Defs(); defs != nil {
			if def, ok := defs.Lookup(n.task.Kind); ok && def.CPUBound {
				n.cpu = 1
			}
		}
	}
	return n.cpu == 1
}

// taskKey identifies a task across runs, for max_active_tis_per_dag.
func taskKey(rs *runState, n *node) string { return rs.key.dagID + "\x00" + n.task.ID }

// release gives back the slots an instance held and stops its try.
func (e *Engine) release(rs *runState, n *node, ti *store.TaskInstance) {
	e.slots--
	if e.cpuBound(n) {
		e.cpuSlots--
	}
	e.poolUsed[n.opts.Pool] -= n.opts.PoolSlots
	e.taskRunning[taskKey(rs, n)]--
	rs.active--
	if c, ok := e.cancels[ti]; ok {
		c()
		delete(e.cancels, ti)
	}
}

// failNow fails an instance that cannot run at all, without retries.
func (e *Engine) failNow(rs *runState, n *node, ti *store.TaskInstance, err error) {
	e.finishWithout(rs, n, ti, store.TIFailed, err.Error())
	e.fireTask(rs, ti, "failure", n.opts.OnFailure)
}

// finished marks a node's downstream for evaluation after one of its instances finished.
func (e *Engine) finished(rs *runState, n *node) {
	for _, d := range n.down {
		rs.dirty[d] = true
	}
	// Tasks waiting on this one as an indirect setup are not downstream of it directly.
	if n.isSetup() {
		for _, x := range rs.order {
			for _, s := range x.setups {
				if s == n {
					rs.dirty[x] = true
				}
			}
		}
	}
	rs.check = true
}

// onResult records the end of a try.
func (e *Engine) onResult(ev evResult) {
	rs := e.runs[ev.key]
	if rs == nil || ev.ti.State != store.TIRunning || ev.ti.TryNumber != ev.try {
		return // the run ended or the try was superseded (run timeout, clear, mark)
	}
	n := rs.nodes[ev.ti.TaskID]
	e.release(rs, n, ev.ti)
	e.endTry(rs, n, ev.ti, ev.res, ev.endedAt.UTC(), ev.cache)
}

// endTry moves an instance out of running according to how its try ended.
func (e *Engine) endTry(rs *runState, n *node, ti *store.TaskInstance, res executor.Result, now time.Time, cr cacheResult) {
	ti.EndedAt = now
	ti.Error = ""
	ti.CacheKey, ti.CachedFrom = cr.key, cr.from
	if res.Err != nil {
		ti.Error = res.Err.Error()
	}
	var plan *skipPlan
	if res.Outcome == executor.Succeeded {
		err := e.checkMapLength(rs, n, res.Output)
		if err == nil {
			plan, err = e.plan(rs, n, res.Output)
		}
		if err == nil && plan == nil && res.Follow != nil {
			plan, err = e.branchPlan(rs, n, res.Follow)
		}
		if err != nil {
			res = executor.Result{Outcome: executor.FailedNoRetry, Err: err}
			ti.Error = err.Error()
		}
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
	case executor.Rescheduled:
		// Airflow's reschedule mode: the poke does not count as a try, frees its slot, and
		// the instance waits in up_for_reschedule until its next poke.
		ti.State = store.TIUpForReschedule
		ti.TryNumber--
		ti.NextTryAt = res.RescheduleAt
		ti.Output = nil
		e.retrying[ti] = retryEntry{rs, n}
		rs.rescheduled[ti] = true
		delete(rs.values, ti)
		e.touch(ti)
		e.emit(e.tiEvent(rs, ti, ""))
		return
	default:
		ti.Output = nil
		if res.Outcome == executor.Failed && ti.TryNumber < ti.MaxTries {
			ti.State = store.TIUpForRetry
			ti.NextTryAt = now.Add(RetryDelay(n.opts, rs.key.dagID, ti.TaskID, rs.run.LogicalDate, ti.TryNumber))
			e.retrying[ti] = retryEntry{rs, n}
			callbacks, event = n.opts.OnRetry, "retry"
		} else {
			ti.State = store.TIFailed
			callbacks, event = n.opts.OnFailure, "failure"
		}
	}
	delete(rs.values, ti)
	e.touch(ti)
	e.batch.Tries = append(e.batch.Tries, tryOf(ti))
	e.emit(e.tiEvent(rs, ti, ti.Error))
	if event != "" {
		e.fireTask(rs, ti, event, callbacks)
	}
	if ti.State == store.TISuccess {
		e.apply(rs, plan)
		if cr.from == "" {
			// A reused result updated no data set: its outlets emit no events.
			e.outlets(rs, n, ti, now)
		}
		if cr.key != "" && cr.from == "" {
			// The entry commits with the success, in the same guarded batch.
			e.batch.CacheEntries = append(e.batch.CacheEntries, &store.CacheEntry{Key: cr.key,
				DAGID: ti.DAGID, TaskID: ti.TaskID, RunID: ti.RunID, MapIndex: ti.MapIndex, Output: ti.Output,
				TrackingRunID: cr.trackingRun, Inputs: cr.inputs, CreatedAt: now})
		}
	}
	if ti.State.Finished() {
		e.finished(rs, n)
	}
}

// tryOf returns the record of an instance's current try.
func tryOf(ti *store.TaskInstance) *store.TaskTry {
	return &store.TaskTry{
		DAGID: ti.DAGID, RunID: ti.RunID, TaskID: ti.TaskID, MapIndex: ti.MapIndex,
		TryNumber: ti.TryNumber, State: ti.State, StartedAt: ti.StartedAt, EndedAt: ti.EndedAt,
		Hostname: ti.Hostname, PID: ti.PID, Error: ti.Error,
	}
}

// timeoutRun fails a run past its run_timeout: running tries are killed and fail, pending
// instances are skipped (Airflow's dagrun_timeout).
func (e *Engine) timeoutRun(rs *runState) {
	msg := fmt.Sprintf("run timed out after %s (run_timeout)", rs.dag.RunTimeout.D())
	e.stopInstances(rs, store.TIFailed, store.TISkipped, msg, func(*node) bool { return true })
	e.finishRun(rs, store.RunFailed, msg)
}

// stopInstances ends the run's unfinished instances accepted by which: running ones become
// running (killed), pending ones pending.
func (e *Engine) stopInstances(rs *runState, running, pendingState store.TIState, msg string, which func(*node) bool) {
	now := e.now()
	var killed []orphanKey
	// The stopped tries' processes are gone before the step commits (see waitKilled): a
	// SIGKILL of weir right after would leave them running as orphans no recovery looks for,
	// their instances being stored finished.
	defer func() { waitKilled(killed) }()
	for _, n := range rs.order {
		if !which(n) {
			continue
		}
		for _, ti := range n.tis {
			switch {
			case ti.State == store.TIRunning:
				e.release(rs, n, ti)
				killed = append(killed, orphanKey{home: e.homeID, dagID: ti.DAGID, runID: ti.RunID, taskID: ti.TaskID, mapIndex: ti.MapIndex})
				ti.State = running
				ti.EndedAt = now
				ti.Error = msg
				e.batch.Tries = append(e.batch.Tries, tryOf(ti))
			case pending(ti.State):
				delete(e.retrying, ti)
				ti.State = pendingState
				ti.StartedAt, ti.EndedAt = now, now
				ti.Error = msg
			default:
				continue
			}
			e.touch(ti)
			e.emit(e.tiEvent(rs, ti, ti.Error))
		}
		e.finished(rs, n)
	}
}

// checkRun ends a run whose instances all finished: failed if an effective leaf failed or
// is upstream_failed, success otherwise (Airflow's DagRun.update_state); a marked run ends
// in the state it was marked with.
func (e *Engine) checkRun(rs *runState) {
	failed := false
	for _, n := range rs.order {
		for _, ti := range n.tis {
			if pending(ti.State) {
				return
			}
			if n.leaf && (ti.State == store.TIFailed || ti.State == store.TIUpstreamFailed) {
				failed = true
			}
		}
	}
	switch {
	case rs.forced != "":
		e.finishRun(rs, rs.forced, "marked "+string(rs.forced))
	case failed:
		e.finishRun(rs, store.RunFailed, "")
	default:
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
	for ti, r := range e.retrying {
		if r.rs == rs {
			delete(e.retrying, ti)
		}
	}
	if len(e.slaWatch) > 0 {
		keep := e.slaWatch[:0]
		for _, w := range e.slaWatch {
			if w.rs != rs {
				keep = append(keep, w)
			}
		}
		e.slaWatch = keep
	}
	e.finishing[rs.key] = rs
	if e.cfg.Tracker != nil && rs.tracked() {
		tr, key := e.cfg.Tracker, rs.key
		e.later(key, func() {
			e.callbacks.Add(1)
			go func() {
				defer e.callbacks.Done()
				if err := tr.EndRun(context.Background(), key.dagID, key.runID, state); err != nil {
					e.cfg.Logger.Warn("close the parent tracking run", "dag_id", key.dagID, "run_id", key.runID, "err", err)
				}
			}()
		})
	}
	e.later(rs.key, func() {
		for _, ch := range rs.done {
			ch <- nil
		}
		rs.done = nil
	})
}

// commit writes the step's changes in one transaction, then acts on them. Each run's writes
// are guarded by its lease and by the states last committed; a run whose guard fails is
// dropped (see drop) and the rest of the step is committed without it.
func (e *Engine) commit() {
	events := len(e.batch.DatasetEvents) > 0
	for !e.batch.Empty() || len(e.finishing) > 0 {
		e.guard()
		err := e.cfg.Store.Apply(context.WithoutCancel(e.ctx), &e.batch)
		var ge *store.GuardError
		if errors.As(err, &ge) {
			// Another writer owns the run now (or changed it): stop acting on it, and commit
			// the step's other transitions without it.
			k := runKey{ge.DAGID, ge.RunID}
			rs := e.runs[k]
			if rs == nil {
				rs = e.finishing[k]
			}
			if rs != nil {
				e.drop(rs, err)
				continue
			}
		}
		if err == nil {
			e.committed(&e.batch)
		}
		e.batch = store.Batch{}
		e.delGuards = e.delGuards[:0]
		clear(e.touched)
		if err != nil {
			e.after, e.emitted = nil, nil
			e.fatal = fmt.Errorf("engine: commit state transitions: %w", err)
			e.cfg.Logger.Error("commit failed; stopping the engine", "err", err)
			return
		}
		break
	}
	after, emitted := e.after, e.emitted
	e.after, e.emitted = nil, nil
	if e.cfg.OnEvent != nil {
		for _, ev := range emitted {
			e.cfg.OnEvent(ev)
		}
	}
	for _, a := range after {
		a.fn()
	}
	if events && e.cfg.OnDatasetEvents != nil {
		e.cfg.OnDatasetEvents()
	}
}

// outlets records one dataset event per outlet of a task instance that succeeded, in the
// same transaction as its success; the output's "dataset_extra" object is the events' extra.
func (e *Engine) outlets(rs *runState, n *node, ti *store.TaskInstance, now time.Time) {
	if len(n.task.Outlets) == 0 && len(n.task.OutletAliases) == 0 {
		return
	}
	var extra json.RawMessage
	out, _ := rs.value(ti).(map[string]any)
	if x, ok := out["dataset_extra"]; ok {
		extra, _ = json.Marshal(x)
	}
	e.aliasOutlets(n, ti, out, extra, now)
	for _, uri := range n.task.Outlets {
		var consumers []string
		if e.cfg.Consumers != nil {
			consumers = e.cfg.Consumers(uri)
		}
		e.batch.DatasetEvents = append(e.batch.DatasetEvents, &store.DatasetEvent{
			URI: uri, Extra: extra, SourceDAGID: ti.DAGID, SourceRunID: ti.RunID, SourceTaskID: ti.TaskID,
			SourceMapIndex: ti.MapIndex, Timestamp: now, Consumers: consumers,
		})
	}
}

// aliasOutlets records the events a task added through its asset aliases: its output's
// "outlet_events" object maps an alias of Task.OutletAliases to the URIs updated through
// it, each a string or {"uri": URI, "extra": {...}} (Airflow's
// outlet_events[AssetAlias(name)].add(Asset(uri), extra=...)). An entry's extra defaults to
// the output's "dataset_extra". Entries of aliases the task does not declare, and entries
// that are not URIs, are left out with a warning.
func (e *Engine) aliasOutlets(n *node, ti *store.TaskInstance, out map[string]any, extra json.RawMessage, now time.Time) {
	raw, ok := out["outlet_events"]
	if !ok {
		return
	}
	events, ok := raw.(map[string]any)
	if !ok {
		e.cfg.Logger.Warn("outlet_events of a task's output is not an object of alias names; ignored",
			"dag_id", ti.DAGID, "run_id", ti.RunID, "task_id", ti.TaskID)
		return
	}
	for alias := range events {
		if !slices.Contains(n.task.OutletAliases, alias) {
			e.cfg.Logger.Warn("outlet_events names an asset alias the task does not declare in its outlets; ignored",
				"dag_id", ti.DAGID, "run_id", ti.RunID, "task_id", ti.TaskID, "alias", alias)
		}
	}
	for _, alias := range n.task.OutletAliases {
		entries, _ := events[alias].([]any)
		if s, ok := events[alias].(string); ok {
			entries = []any{s}
		}
		for _, it := range entries {
			uri, x := "", extra
			switch v := it.(type) {
			case string:
				uri = v
			case map[string]any:
				uri, _ = v["uri"].(string)
				if ex, ok := v["extra"]; ok {
					x, _ = json.Marshal(ex)
				}
			}
			if strings.TrimSpace(uri) == "" {
				e.cfg.Logger.Warn("an entry of outlet_events is not a dataset URI or {uri, extra}; ignored",
					"dag_id", ti.DAGID, "run_id", ti.RunID, "task_id", ti.TaskID, "alias", alias)
				continue
			}
			var consumers []string
			if e.cfg.Consumers != nil {
				consumers = e.cfg.Consumers(uri)
			}
			if e.cfg.LinkAlias != nil {
				for _, id := range e.cfg.LinkAlias(alias, uri) {
					if !slices.Contains(consumers, id) {
						consumers = append(consumers, id)
					}
				}
			}
			e.batch.DatasetEvents = append(e.batch.DatasetEvents, &store.DatasetEvent{
				URI: uri, Extra: x, SourceDAGID: ti.DAGID, SourceRunID: ti.RunID, SourceTaskID: ti.TaskID,
				SourceMapIndex: ti.MapIndex, Timestamp: now, Consumers: consumers, SourceAlias: alias,
			})
		}
	}
}

// mark ends an active run in the given state, as Airflow's "mark run as success/failed":
// running and pending work instances become success (marked success) or failed and skipped
// (marked failed); teardowns still run; then the run ends in the marked state.
func (e *Engine) mark(key runKey, state store.RunState) error {
	rs := e.runs[key]
	if rs == nil {
		return fmt.Errorf("run %s of dag %s is not active in this engine", key.runID, key.dagID)
	}
	work := func(n *node) bool { return !n.isTeardown() }
	msg := "marked " + string(state)
	switch state {
	case store.RunSuccess:
		e.stopInstances(rs, store.TISuccess, store.TISuccess, msg, work)
	case store.RunFailed:
		e.stopInstances(rs, store.TIFailed, store.TISkipped, msg, work)
	default:
		return fmt.Errorf("a run can be marked success or failed, not %q", state)
	}
	rs.forced = state
	rs.check = true
	return nil
}

// markTask sets instances of an active run to a final state by hand.
func (e *Engine) markTask(ev evMarkTask) error {
	rs := e.runs[ev.key]
	if rs == nil {
		return ErrRunNotActive
	}
	n := rs.nodes[ev.taskID]
	if n == nil {
		return fmt.Errorf("run %s of dag %s has no task %q", ev.key.runID, ev.key.dagID, ev.taskID)
	}
	found := false
	var killed []orphanKey
	// A marked running try's processes are gone before the mark commits (see waitKilled).
	defer func() { waitKilled(killed) }()
	for _, ti := range n.tis {
		if ev.mapIndex >= 0 && ti.MapIndex != ev.mapIndex {
			continue
		}
		found = true
		if ti.State == store.TIRunning {
			e.release(rs, n, ti)
			killed = append(killed, orphanKey{home: e.homeID, dagID: ti.DAGID, runID: ti.RunID, taskID: ti.TaskID, mapIndex: ti.MapIndex})
			ti.EndedAt = e.now()
			prev := ti.State
			ti.State = ev.state
			ti.Error = "marked " + string(ev.state)
			e.batch.Tries = append(e.batch.Tries, tryOf(ti))
			_ = prev
			e.touch(ti)
			e.emit(e.tiEvent(rs, ti, ti.Error))
			continue
		}
		delete(e.retrying, ti)
		now := e.now()
		if ti.StartedAt.IsZero() {
			ti.StartedAt = now
		}
		ti.EndedAt = now
		ti.State = ev.state
		ti.Error = "marked " + string(ev.state)
		e.touch(ti)
		e.emit(e.tiEvent(rs, ti, ti.Error))
	}
	if !found {
		return fmt.Errorf("task %s has no instance with map index %d", ev.taskID, ev.mapIndex)
	}
	e.finished(rs, n)
	return nil
}

// slaEntry is an SLA to check: a try (ti set) or a run (ti nil) that should have ended by at.
type slaEntry struct {
	at  time.Time
	rs  *runState
	n   *node
	ti  *store.TaskInstance
	try int
}

// checkSLAs fires the SLA-miss callbacks of tries and runs still going past their SLA, once.
func (e *Engine) checkSLAs(now time.Time) {
	keep := e.slaWatch[:0]
	for _, w := range e.slaWatch {
		if now.Before(w.at) {
			keep = append(keep, w)
			continue
		}
		if e.runs[w.rs.key] != w.rs {
			continue
		}
		if w.ti == nil {
			e.fireRun(w.rs, "sla_miss", w.rs.dag.OnSLAMiss, fmt.Sprintf("the run has been going for more than its SLA of %s", w.rs.dag.SLA.D()))
			continue
		}
		if w.ti.State == store.TIRunning && w.ti.TryNumber == w.try {
			e.fireTask(w.rs, w.ti, "sla_miss", w.n.opts.OnSLAMiss)
		}
	}
	e.slaWatch = keep
}

// stopRunning ends every running try for a shutdown: each is killed and recorded as
// up_for_retry without using up a retry, so the next start runs it again.
func (e *Engine) stopRunning() {
	now := e.now()
	for _, rs := range e.runs {
		for _, n := range rs.order {
			for _, ti := range n.tis {
				if ti.State != store.TIRunning {
					continue
				}
				e.release(rs, n, ti)
				ti.State = store.TIUpForRetry
				ti.EndedAt = now
				ti.NextTryAt = now
				ti.MaxTries++
				ti.Error = "stopped by a shutdown of weir; it runs again at the next start"
				e.touch(ti)
				e.batch.Tries = append(e.batch.Tries, tryOf(ti))
				e.emit(e.tiEvent(rs, ti, ti.Error))
			}
		}
	}
	e.commit()
}
