package engine

import (
	"context"
	"fmt"
	"slices"

	"github.com/weirhq/weir/store"
)

// ClearTasks clears task instances of a run active in this engine, as Airflow clears the
// instances of a running DAG run: with the options and rules of Clear (downstream and
// upstream tasks, setups and teardowns in scope, only failed or only running instances,
// single map indexes), finished and waiting instances go back to state none and run again
// when their trigger rules allow; a running try is killed and its instance runs again
// without using a retry (Airflow's restarting state; the killed try is recorded as
// up_for_retry); a mapped task or mapped group cleared as a whole goes back to its
// placeholder and expands again. Every cleared instance gets its full retries again. The
// run stays running (a run marked success or failed whose teardowns were still running
// is no longer marked). It returns the cleared task IDs ("task[i]" for single instances),
// once the clear is committed, and ErrRunNotActive when the run is not active here (clear
// it with Clear, then Resume it).
func (e *Engine) ClearTasks(ctx context.Context, dagID, runID string, o ClearOptions) ([]string, error) {
	r, err := e.clearTasks(ctx, dagID, runID, o, false)
	return r.ids, err
}

// ClearInstances is ClearTasks returning the instances: as they are after the clear
// (a mapped task cleared as a whole as its one placeholder), or, with dry, as they are now,
// changing nothing. The instances are copies.
func (e *Engine) ClearInstances(ctx context.Context, dagID, runID string, o ClearOptions, dry bool) ([]*store.TaskInstance, error) {
	r, err := e.clearTasks(ctx, dagID, runID, o, dry)
	return r.tis, err
}

// evClear asks the loop to clear instances of an active run.
type evClear struct {
	key runKey
	o   ClearOptions
	dry bool
	ch  chan clearReply
}

// clearReply is the loop's answer to an evClear.
type clearReply struct {
	ids []string
	tis []*store.TaskInstance
	err error
}

func (e *Engine) clearTasks(ctx context.Context, dagID, runID string, o ClearOptions, dry bool) (clearReply, error) {
	if err := store.ValidateRunKey(dagID, runID); err != nil {
		return clearReply{}, fmt.Errorf("clear: %w", err)
	}
	if err := o.check(); err != nil {
		return clearReply{}, err
	}
	ch := make(chan clearReply, 1)
	if err := e.send(evClear{key: runKey{dagID, runID}, o: o, dry: dry, ch: ch}); err != nil {
		return clearReply{}, err
	}
	select {
	case r := <-ch:
		return r, r.err
	case <-ctx.Done():
		return clearReply{}, ctx.Err()
	}
}

// clearLive decides and applies a clear of an active run in the loop, and commits it before
// answering, so a clear that was answered survives a crash.
func (e *Engine) clearLive(ev evClear) clearReply {
	rs := e.runs[ev.key]
	if rs == nil {
		return clearReply{err: ErrRunNotActive}
	}
	o := ev.o
	if !ev.dry {
		// What the loop holds uncommitted goes first: the clear then deletes and rewrites
		// instances on top of the stored state (a try recorded in this step would otherwise
		// name an instance the clear deletes).
		e.commit()
		if e.runs[ev.key] != rs || e.fatal != nil {
			return clearReply{err: e.lostWhileClearing(ev.key)}
		}
	}
	selected, err := clearSelection(rs, o)
	if err != nil {
		return clearReply{err: err}
	}
	snap := func(ti *store.TaskInstance) *store.TaskInstance { c := *ti; return &c }
	var r clearReply
	// The running tries the clear kills, by instance: their processes must be gone before
	// the clear commits (see waitKilled).
	var killed []orphanKey
	kill := func(ti *store.TaskInstance) {
		if !ev.dry && ti.State == store.TIRunning {
			killed = append(killed, orphanKey{home: e.homeID, dagID: ti.DAGID, runID: ti.RunID, taskID: ti.TaskID, mapIndex: ti.MapIndex})
		}
	}
	for _, n := range rs.order {
		if !selected[n] {
			continue
		}
		if o.collapses(n) {
			r.ids = append(r.ids, n.task.ID)
			if ev.dry {
				for _, ti := range n.tis {
					r.tis = append(r.tis, snap(ti))
				}
				continue
			}
			for _, ti := range n.tis {
				kill(ti)
			}
			e.collapse(rs, n)
			r.tis = append(r.tis, snap(n.tis[0]))
			continue
		}
		any := false
		for _, ti := range n.tis {
			if !o.clearsTI(ti) {
				continue
			}
			any = true
			if len(o.MapIndexes) > 0 {
				r.ids = append(r.ids, fmt.Sprintf("%s[%d]", n.task.ID, ti.MapIndex))
			}
			if !ev.dry {
				kill(ti)
				e.resetLive(rs, n, ti)
			}
			r.tis = append(r.tis, snap(ti))
		}
		if any && len(o.MapIndexes) == 0 {
			r.ids = append(r.ids, n.task.ID)
		}
		if any {
			rs.dirty[n] = true
		}
	}
	if len(o.MapIndexes) > 0 && len(r.ids) == 0 {
		return clearReply{err: fmt.Errorf("task %s has no instance with map index %v", o.TaskIDs[0], o.MapIndexes)}
	}
	if ev.dry || len(r.ids) == 0 {
		return r
	}
	rs.forced = ""
	rs.check = true
	waitKilled(killed)
	e.commit()
	if e.runs[ev.key] != rs || e.fatal != nil {
		return clearReply{err: e.lostWhileClearing(ev.key)}
	}
	return r
}

// lostWhileClearing explains why a clear of an active run was not committed.
func (e *Engine) lostWhileClearing(k runKey) error {
	if e.fatal != nil {
		return fmt.Errorf("clear run %s of dag %s: %w", k.runID, k.dagID, e.fatal)
	}
	return fmt.Errorf("clear run %s of dag %s: another process took the run over from this engine: %w", k.runID, k.dagID, store.ErrLeaseLost)
}

// resetLive sets an instance of an active run back to state none: a running try is killed
// first, and recorded as up_for_retry, without using a retry.
func (e *Engine) resetLive(rs *runState, n *node, ti *store.TaskInstance) {
	if ti.State == store.TIRunning {
		e.release(rs, n, ti)
		ti.State = store.TIUpForRetry
		ti.EndedAt = e.now()
		ti.Error = "cleared while running: the try was killed; the task runs again without using a retry"
		e.batch.Tries = append(e.batch.Tries, tryOf(ti))
	}
	delete(e.retrying, ti)
	delete(rs.rescheduled, ti)
	delete(rs.values, ti)
	resetTI(n, ti)
	ti.Hostname, ti.PID = "", 0
	e.touch(ti)
	e.emit(e.tiEvent(rs, ti, ""))
}

// collapse sends an expanded mapped task, or a task of an expanded mapped group, of an
// active run back to its one placeholder: its instances are deleted (running tries
// killed; their tries go with them, as in Clear) and the placeholder expands again when
// its time comes.
func (e *Engine) collapse(rs *runState, n *node) {
	gone := make(map[*store.TaskInstance]bool, len(n.tis))
	for _, ti := range n.tis {
		if ti.State == store.TIRunning {
			e.release(rs, n, ti)
		}
		delete(e.retrying, ti)
		delete(rs.rescheduled, ti)
		delete(rs.values, ti)
		k := store.TIKey{DAGID: ti.DAGID, RunID: ti.RunID, TaskID: ti.TaskID, MapIndex: ti.MapIndex}
		e.batch.DeleteTIs = append(e.batch.DeleteTIs, k)
		if st, ok := e.stored[ti]; ok {
			e.delGuards = append(e.delGuards, store.TIGuard{TIKey: k, State: st})
			delete(e.stored, ti)
		}
		delete(e.touched, ti)
		gone[ti] = true
	}
	// A PID recorded since the commit names an instance that no longer exists.
	e.batch.TIs = slices.DeleteFunc(e.batch.TIs, func(ti *store.TaskInstance) bool { return gone[ti] })
	ph := placeholderOf(n)
	for ti := range gone {
		// In memory only: the results of its tries, its PID and its place in the ready queue
		// are ignored from now on.
		ti.State = store.TIRemoved
	}
	n.tis = []*store.TaskInstance{ph}
	if n.group != nil {
		n.group.expanded = false
	}
	e.touch(ph)
	e.emit(e.tiEvent(rs, ph, ""))
	rs.dirty[n] = true
}

// waitKilled kills, and waits for, the processes of the running tries a clear killed. The
// clear cancelled them (release), but the cancel kills their process groups in the
// background: without waiting, the rerun could start beside the old try, and a crash
// right after the clear's answer would leave the old try running as an orphan that no
// recovery looks for (the stored instance is no longer running). Found by their
// environment, as crash recovery finds orphans, so a try whose PID the loop has not yet
// heard of is found too.
func waitKilled(keys []orphanKey) {
	if len(keys) == 0 {
		return
	}
	procs := scanOrphans()
	for _, k := range keys {
		killOrphans(procs, k)
	}
}
