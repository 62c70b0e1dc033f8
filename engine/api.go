package engine

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/executor"
	"github.com/weirhq/weir/store"
)

// TriggerOptions describe a new run.
type TriggerOptions struct {
	// RunID names the run; default "<run type>__<logical date, RFC 3339 with ms>".
	RunID string
	// RunType says how it was triggered: "manual" (default), "scheduled", "backfill",
	// "dataset".
	RunType string
	// LogicalDate is the run's logical date; default now.
	LogicalDate time.Time
	// Conf is the run's configuration object (Airflow's dag_run.conf); keys naming declared
	// params override their defaults.
	Conf map[string]any
	// Params override params by name (the CLI's --param k=v); strings are coerced to the
	// param's schema type.
	Params map[string]any
	// DataInterval is the run's data interval (zero: the logical date, twice).
	DataIntervalStart, DataIntervalEnd time.Time
	// TriggerEvents is the JSON list of dataset events that triggered the run.
	TriggerEvents json.RawMessage
	// Create, when set, writes the new run instead of Store.CreateRun, so a scheduler can
	// create it in one transaction with its own bookkeeping (SetLastScheduled,
	// TriggerFromQueue). It must have CreateRun's semantics.
	Create func(ctx context.Context, run *store.DAGRun, tis []*store.TaskInstance) error
	// Queue only creates the run, queued, without starting it: a server on the same store
	// starts it (Airflow's `dags trigger`, which leaves the run to the scheduler).
	Queue bool
}

// ErrRunOwned is returned when a run is being executed by another live process.
var ErrRunOwned = errors.New("run is being executed by another live process")

// ErrRunFinished is returned when resuming a run that has nothing left to do.
var ErrRunFinished = errors.New("run already finished")

// Trigger validates the params, creates a run of d with its task instances, and starts it.
// A bad param value creates nothing and returns an error naming the param.
func (e *Engine) Trigger(ctx context.Context, d *dag.DAG, o TriggerOptions) (*store.DAGRun, error) {
	if err := store.ValidateDAGID(d.ID); err != nil {
		return nil, err
	}
	if o.RunID != "" {
		if err := store.ValidateRunID(o.RunID); err != nil {
			return nil, fmt.Errorf("%w (choose another run id)", err)
		}
	}
	for _, t := range d.Tasks {
		if err := store.ValidateTaskID(t.ID); err != nil {
			return nil, fmt.Errorf("dag %s: %w", d.ID, err)
		}
	}
	params, err := d.ResolveParams(o.Conf, o.Params)
	if err != nil {
		return nil, err
	}
	now := e.now()
	if o.RunType == "" {
		o.RunType = "manual"
	}
	if o.LogicalDate.IsZero() {
		o.LogicalDate = now
	}
	o.LogicalDate = o.LogicalDate.UTC().Truncate(time.Microsecond)
	generated := o.RunID == ""
	if generated {
		o.RunID = o.RunType + "__" + o.LogicalDate.Format("2006-01-02T15:04:05.000Z07:00")
		if err := store.ValidateRunID(o.RunID); err != nil {
			return nil, fmt.Errorf("run type %q gives an invalid run id: %w", o.RunType, err)
		}
	}
	snapshot, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("snapshot dag %s: %w", d.ID, err)
	}
	sum := sha256.Sum256(snapshot)
	hash := hex.EncodeToString(sum[:6])
	paramsJSON, err := json.Marshal(params)
	if err != nil {
		return nil, fmt.Errorf("encode params: %w", err)
	}
	var conf json.RawMessage
	if o.Conf != nil {
		if conf, err = json.Marshal(o.Conf); err != nil {
			return nil, fmt.Errorf("encode conf: %w", err)
		}
	}
	run := &store.DAGRun{
		DAGID: d.ID, RunID: o.RunID, LogicalDate: o.LogicalDate, RunType: o.RunType,
		State: store.RunQueued, Conf: conf, Params: paramsJSON, DAG: snapshot, DAGHash: hash, QueuedAt: now,
		DataIntervalStart: o.DataIntervalStart, DataIntervalEnd: o.DataIntervalEnd, TriggerEvents: o.TriggerEvents,
	}
	if run.DataIntervalStart.IsZero() {
		run.DataIntervalStart, run.DataIntervalEnd = o.LogicalDate, o.LogicalDate
	}
	if !o.Queue {
		// The run is this engine's from its creation: between the insert and the lease
		// below, another engine's recovery sees a live owner and leaves it alone.
		run.Owner = e.owner
	}
	tis := make([]*store.TaskInstance, 0, len(d.Tasks))
	for _, t := range d.Tasks {
		opts := Effective(d, t)
		tis = append(tis, &store.TaskInstance{
			DAGID: d.ID, RunID: o.RunID, TaskID: t.ID, MapIndex: -1,
			MaxTries: opts.Retries + 1, Pool: opts.Pool, PoolSlots: opts.PoolSlots,
			PriorityWeight: opts.PriorityWeight,
		})
	}
	rs, err := newRunState(run, d, tis)
	if err != nil {
		return nil, err
	}
	for _, n := range rs.order {
		n.tis[0].PriorityWeight = n.priority
	}
	err = e.create(ctx, run, tis, o)
	for i := 0; errors.Is(err, store.ErrAlreadyExists) && generated && i < 5; i++ {
		// Runs triggered in the same millisecond: make the generated id unique.
		var suffix [3]byte
		_, _ = rand.Read(suffix[:])
		run.RunID = o.RunID + "." + hex.EncodeToString(suffix[:])
		for _, ti := range tis {
			ti.RunID = run.RunID
		}
		rs.key.runID = run.RunID
		err = e.create(ctx, run, tis, o)
	}
	if err != nil {
		if errors.Is(err, store.ErrAlreadyExists) {
			return nil, fmt.Errorf("run %q of dag %s already exists: choose another run id: %w", run.RunID, d.ID, store.ErrAlreadyExists)
		}
		return nil, fmt.Errorf("create run: %w", err)
	}
	if o.Queue {
		return run, nil
	}
	// A new run is free: its lease is taken at once (epoch 1), unless another engine that
	// lists queued runs took it first.
	if rs.lease, err = e.acquire(ctx, run.DAGID, run.RunID, 0); err != nil {
		return nil, fmt.Errorf("run %s of dag %s: take its lease: %w", run.RunID, d.ID, err)
	}
	out := *run
	run.DAG = nil // kept in the store; the engine's upserts leave it there
	if err := e.start(rs); err != nil {
		e.releaseQuietly(rs.lease)
		return nil, err
	}
	return &out, nil
}

// create writes a new run: through the scheduler's hook when given, else CreateRun.
func (e *Engine) create(ctx context.Context, run *store.DAGRun, tis []*store.TaskInstance, o TriggerOptions) error {
	if o.Create != nil {
		return o.Create(ctx, run, tis)
	}
	return e.cfg.Store.CreateRun(ctx, run, tis)
}

func (e *Engine) start(rs *runState) error {
	done := make(chan error, 1)
	if err := e.send(evStart{rs: rs, done: done}); err != nil {
		return err
	}
	select {
	case err := <-done:
		return err
	case <-e.loopDone:
		return errors.New("engine: stopped")
	}
}

// Recovered describes a try that was running when the process executing the run died.
type Recovered struct {
	TaskID    string
	MapIndex  int
	TryNumber int
	// State is what the instance became: up_for_retry or failed.
	State store.TIState
	// Killed says whether the try's orphaned process group was still alive and was killed.
	Killed bool
}

// Resume takes over a run whose process died (or that was cleared) and continues it from
// the store's state. Tries that were running are counted as failed tries — their orphaned
// process groups are killed first — and retried or failed by their retry policy, except
// the pokes of waiting kinds (dag.KindDef.Repokes), which are poked again; finished
// instances do not run again. It returns ErrRunOwned if another owner holds the run's lease
// (see leaseFor), and ErrRunFinished if nothing is left to do.
//
// The lease is taken first (a compare-and-set on the epoch that was read, so of two engines
// resuming one run, one wins and the other gets ErrRunOwned); then the orphans are killed;
// then the recovery is read, decided and written in one transaction guarded by the new
// epoch.
func (e *Engine) Resume(ctx context.Context, dagID, runID string) (*store.DAGRun, []Recovered, error) {
	// A run stored before IDs were checked may have one that would put its logs elsewhere.
	if err := store.ValidateRunKey(dagID, runID); err != nil {
		return nil, nil, fmt.Errorf("resume: %w", err)
	}
	run, err := e.cfg.Store.GetRun(ctx, dagID, runID)
	if err != nil {
		return nil, nil, err
	}
	takeOver, err := e.leaseFor(ctx, run)
	if err != nil {
		return nil, nil, err
	}
	tis, err := e.cfg.Store.ListTaskInstances(ctx, store.ListTIParams{DAGID: dagID, RunID: runID})
	if err != nil {
		return nil, nil, err
	}
	if !slices.ContainsFunc(tis, func(ti *store.TaskInstance) bool { return pending(ti.State) }) {
		return nil, nil, fmt.Errorf("%w: run %s of dag %s is %s; use `weir clear` to run tasks again", ErrRunFinished, runID, dagID, run.State)
	}
	if e.Active(ctx, dagID, runID) {
		return nil, nil, fmt.Errorf("run %s of dag %s is already active in this engine", runID, dagID)
	}
	e.removeDeadTempDirs()
	lease, err := e.acquire(ctx, dagID, runID, takeOver)
	if err != nil {
		return nil, nil, err
	}
	out, recovered, err := e.recoverRun(ctx, run.Owner, lease)
	if err != nil {
		e.releaseQuietly(lease)
		return nil, nil, err
	}
	return out, recovered, nil
}

// repokes reports whether a kind's interrupted tries are poked again (dag.KindDef.Repokes).
func (e *Engine) repokes(kind string) bool {
	if defs := e.cfg.Kinds.Defs(); defs != nil {
		def, ok := defs.Lookup(kind)
		return ok && def.Repokes
	}
	return false
}

// recoverRun kills the orphans of the tries that were running, then records them as failed
// tries and starts the run, under lease. The instances are read after the lease was taken:
// the previous owner can commit nothing since, so no try it started escapes the kill.
func (e *Engine) recoverRun(ctx context.Context, prevOwner string, lease *store.Lease) (*store.DAGRun, []Recovered, error) {
	dagID, runID := lease.DAGID, lease.RunID
	tis, err := e.cfg.Store.ListTaskInstances(ctx, store.ListTIParams{DAGID: dagID, RunID: runID, States: []store.TIState{store.TIRunning}})
	if err != nil {
		return nil, nil, err
	}
	killed := map[store.TIKey]bool{}
	var procs map[orphanKey][]int
	for _, ti := range tis {
		if ti.State != store.TIRunning || ti.Hostname != e.host {
			continue
		}
		if procs == nil {
			procs = scanOrphans()
		}
		killed[store.TIKey{DAGID: ti.DAGID, RunID: ti.RunID, TaskID: ti.TaskID, MapIndex: ti.MapIndex}] =
			killOrphans(procs, orphanKey{home: e.homeID, dagID: ti.DAGID, runID: ti.RunID, taskID: ti.TaskID, mapIndex: ti.MapIndex}) > 0
	}
	var run *store.DAGRun
	var d dag.DAG
	var recovered []Recovered
	err = e.cfg.Store.UpdateRun(ctx, dagID, runID, func(v *store.RunView) (*store.Batch, error) {
		run, tis, recovered = v.Run, v.TIs, nil
		if !slices.ContainsFunc(tis, func(ti *store.TaskInstance) bool { return pending(ti.State) }) {
			// Another engine finished it since we looked.
			return nil, fmt.Errorf("%w: run %s of dag %s is %s; use `weir clear` to run tasks again", ErrRunFinished, runID, dagID, run.State)
		}
		d = dag.DAG{}
		if err := json.Unmarshal(run.DAG, &d); err != nil {
			return nil, fmt.Errorf("run %s: decode the DAG snapshot: %w", runID, err)
		}
		if err := e.cfg.Kinds.Defs().Restore(&d); err != nil {
			return nil, fmt.Errorf("run %s: the DAG snapshot: %w", runID, err)
		}
		now := e.now()
		b := &store.Batch{Guards: []store.RunGuard{{DAGID: dagID, RunID: runID, Epoch: lease.Epoch, State: run.State}}}
		for _, ti := range tis {
			if ti.State != store.TIRunning {
				continue
			}
			b.TIGuards = append(b.TIGuards, store.TIGuard{TIKey: store.TIKey{DAGID: ti.DAGID, RunID: ti.RunID, TaskID: ti.TaskID, MapIndex: ti.MapIndex}, State: ti.State})
			if t := taskByID(&d, ti.TaskID); t != nil && e.repokes(t.Kind) {
				// A waiting kind's poke: poke again, the try does not count (as a
				// reschedule's does not).
				ti.State = store.TIUpForReschedule
				ti.TryNumber--
				ti.NextTryAt = now
				ti.Error = ""
				b.TIs = append(b.TIs, ti)
				recovered = append(recovered, Recovered{TaskID: ti.TaskID, MapIndex: ti.MapIndex, TryNumber: ti.TryNumber + 1, State: ti.State,
					Killed: killed[store.TIKey{DAGID: ti.DAGID, RunID: ti.RunID, TaskID: ti.TaskID, MapIndex: ti.MapIndex}]})
				continue
			}
			ti.EndedAt = now
			ti.Error = fmt.Sprintf("the process running this try (%s) died; the try counts as failed", describeOwner(prevOwner))
			if ti.TryNumber < ti.MaxTries {
				ti.State = store.TIUpForRetry
				if t := taskByID(&d, ti.TaskID); t != nil {
					ti.NextTryAt = now.Add(RetryDelay(Effective(&d, t), dagID, ti.TaskID, run.LogicalDate, ti.TryNumber))
				} else {
					ti.NextTryAt = now
				}
			} else {
				ti.State = store.TIFailed
			}
			b.TIs = append(b.TIs, ti)
			b.Tries = append(b.Tries, &store.TaskTry{
				DAGID: ti.DAGID, RunID: ti.RunID, TaskID: ti.TaskID, MapIndex: ti.MapIndex,
				TryNumber: ti.TryNumber, State: ti.State, StartedAt: ti.StartedAt, EndedAt: now,
				Hostname: ti.Hostname, PID: ti.PID, Error: ti.Error,
			})
			recovered = append(recovered, Recovered{TaskID: ti.TaskID, MapIndex: ti.MapIndex, TryNumber: ti.TryNumber, State: ti.State,
				Killed: killed[store.TIKey{DAGID: ti.DAGID, RunID: ti.RunID, TaskID: ti.TaskID, MapIndex: ti.MapIndex}]})
		}
		run.Owner = e.owner
		run.HeartbeatAt = now
		b.Runs = append(b.Runs, run)
		return b, nil
	})
	if errors.Is(err, ErrRunFinished) {
		return nil, nil, err
	}
	if err != nil {
		return nil, nil, fmt.Errorf("recover run %s: %w", runID, err)
	}
	rs, err := newRunState(run, &d, tis)
	if err != nil {
		return nil, nil, err
	}
	rs.lease = lease
	out := *run
	run.DAG = nil
	return &out, recovered, e.start(rs)
}

// MarkRun ends a run active in this engine in state success or failed, as Airflow's "mark
// run": unfinished work instances are set accordingly (running tries are killed), the
// run's teardowns still run, and the run then ends in the marked state.
func (e *Engine) MarkRun(ctx context.Context, dagID, runID string, state store.RunState) error {
	ch := make(chan error, 1)
	if err := e.send(evMark{key: runKey{dagID, runID}, state: state, ch: ch}); err != nil {
		return err
	}
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ErrRunNotActive is returned by operations on a run that this engine is not executing.
var ErrRunNotActive = errors.New("run is not active in this engine")

// MarkTask sets task instances of a run active in this engine to success or failed (a
// running try is killed; mapIndex -1 with a mapped task marks every instance), as Airflow's
// "mark success/failed"; downstream tasks then follow their trigger rules. It returns
// ErrRunNotActive when the run is not active here.
func (e *Engine) MarkTask(ctx context.Context, dagID, runID, taskID string, mapIndex int, state store.TIState) error {
	if state != store.TISuccess && state != store.TIFailed && state != store.TISkipped {
		return fmt.Errorf("a task instance can be marked success, failed or skipped, not %q", state)
	}
	ch := make(chan error, 1)
	ev := evMarkTask{key: runKey{dagID, runID}, taskID: taskID, mapIndex: mapIndex, state: state, ch: ch}
	if err := e.send(ev); err != nil {
		return err
	}
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Active reports whether a run is being executed by this engine.
func (e *Engine) Active(ctx context.Context, dagID, runID string) bool {
	ch := make(chan error, 1)
	if e.send(evActive{key: runKey{dagID, runID}, ch: ch}) != nil {
		return false
	}
	select {
	case err := <-ch:
		return err == nil
	case <-ctx.Done():
		return false
	}
}

// Kinds returns the engine's task kind registry (to register more kinds).
func (e *Engine) Kinds() *executor.Registry { return e.cfg.Kinds }

// Stats are the engine's gauges, for metrics.
type Stats struct {
	// ActiveRuns is the number of runs being executed.
	ActiveRuns int
	// Ready is the number of instances waiting for a slot (the queue depth).
	Ready int
	// Running is the number of tries running; Parallelism the slots.
	Running     int
	Parallelism int
}

// Stats returns the engine's current gauges.
func (e *Engine) Stats() Stats {
	return Stats{ActiveRuns: int(e.statRuns.Load()), Ready: int(e.statReady.Load()),
		Running: int(e.statRunning.Load()), Parallelism: e.cfg.Parallelism}
}

// Drain stops starting new tries and waits until the running ones end or ctx is done. If
// tries are still running then, they are stopped and recorded as up_for_retry without
// using up a retry (the next start runs them again), and Drain returns ctx's error. Call
// Stop afterwards.
func (e *Engine) Drain(ctx context.Context) error {
	ch := make(chan error, 1)
	if err := e.send(evDrain{ch: ch}); err != nil {
		return err
	}
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
	}
	done := make(chan error, 1)
	if err := e.send(evShutdown{ch: done}); err != nil {
		return err
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
	}
	return ctx.Err()
}

// Wait blocks until the run ends (or ctx is done, or the engine stops) and returns it as
// stored. A run this engine executes is waited for through the engine; a run it does not
// execute (queued for a scheduler, owned by another process) is watched in the store, every
// 100 ms, so Wait means the same for both. It returns an error wrapping store.ErrLeaseLost
// when another process takes the run over from this engine.
func (e *Engine) Wait(ctx context.Context, dagID, runID string) (*store.DAGRun, error) {
	for {
		ch := make(chan error, 1)
		if err := e.send(evWait{key: runKey{dagID, runID}, ch: ch}); err != nil {
			return nil, err
		}
		select {
		case err := <-ch:
			if err != nil {
				return nil, err
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		run, err := e.cfg.Store.GetRun(ctx, dagID, runID)
		if err != nil || run.State.Finished() {
			return run, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-e.ctx.Done():
			return run, nil // the engine stopped: the run as it is
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// ClearOptions select the instances Clear and ClearTasks reset.
type ClearOptions struct {
	// TaskIDs are the tasks to clear; empty means every task.
	TaskIDs []string
	// MapIndexes, with exactly one task in TaskIDs, clears only those instances of it.
	MapIndexes []int
	// Downstream also clears every task downstream of those.
	Downstream bool
	// Upstream also clears every task upstream of those, recursively (Airflow's
	// include_upstream). It cannot be combined with MapIndexes.
	Upstream bool
	// OnlyFailed clears only failed and upstream_failed instances among those selected.
	OnlyFailed bool
	// OnlyRunning clears only running instances among those selected (Airflow's
	// only_running). It cannot be combined with OnlyFailed.
	OnlyRunning bool
}

// check refuses options that contradict each other, whatever the run.
func (o ClearOptions) check() error {
	for _, i := range o.MapIndexes {
		if err := store.ValidateMapIndex(i); err != nil {
			return fmt.Errorf("clear: %w", err)
		}
	}
	if len(o.MapIndexes) > 0 && len(o.TaskIDs) != 1 {
		return fmt.Errorf("map indexes select instances of one task: name exactly one task")
	}
	if len(o.MapIndexes) > 0 && o.Upstream {
		return fmt.Errorf("map indexes select instances of one task: clear its upstream tasks without map indexes")
	}
	if o.OnlyFailed && o.OnlyRunning {
		return fmt.Errorf("only_failed and only_running exclude each other: an instance is not failed and running at once; choose one")
	}
	return nil
}

// In adapts the options to another run of the same DAG, whose instances are tis (a clear
// with include_past or include_future): the tasks and map indexes named that the run does
// not have are left out. ok is false when options named tasks or map indexes and the run
// has none of them: nothing is to be cleared there.
func (o ClearOptions) In(tis []*store.TaskInstance) (_ ClearOptions, ok bool) {
	if len(o.TaskIDs) == 0 {
		return o, true
	}
	var ids []string
	var idx []int
	for _, ti := range tis {
		if !slices.Contains(o.TaskIDs, ti.TaskID) {
			continue
		}
		if !slices.Contains(ids, ti.TaskID) {
			ids = append(ids, ti.TaskID)
		}
		if slices.Contains(o.MapIndexes, ti.MapIndex) {
			idx = append(idx, ti.MapIndex)
		}
	}
	o.TaskIDs = ids
	if len(o.MapIndexes) > 0 {
		o.MapIndexes = idx
		return o, len(idx) > 0
	}
	return o, len(ids) > 0
}

// clearsTI reports whether a clear by o resets instance ti of a selected task that is not
// collapsed (see collapses).
func (o ClearOptions) clearsTI(ti *store.TaskInstance) bool {
	switch {
	case len(o.MapIndexes) > 0 && !slices.Contains(o.MapIndexes, ti.MapIndex):
		return false
	case o.OnlyFailed && ti.State != store.TIFailed && ti.State != store.TIUpstreamFailed:
		return false
	case o.OnlyRunning && ti.State != store.TIRunning:
		return false
	}
	return true
}

// whole reports whether a clear by o takes every instance of the tasks it selects.
func (o ClearOptions) whole() bool { return len(o.MapIndexes) == 0 && !o.OnlyFailed && !o.OnlyRunning }

// collapses reports whether a clear by o sends node n, a mapped task or a task of a mapped
// group that was expanded, back to its one unexpanded placeholder.
func (o ClearOptions) collapses(n *node) bool {
	return (n.mapped || n.group != nil) && o.whole() && n.tis[0].MapIndex >= 0
}

// clearSelection returns the tasks of run rs a clear by o selects: the named ones (every
// task when none is named), their downstream and upstream tasks when asked, the setups
// whose scope holds work selected and those setups' teardowns, and, for a whole clear,
// every task of a mapped group one of whose tasks is selected (a group expands as a whole).
func clearSelection(rs *runState, o ClearOptions) (map[*node]bool, error) {
	selected := map[*node]bool{}
	for _, id := range o.TaskIDs {
		n := rs.nodes[id]
		if n == nil {
			return nil, fmt.Errorf("run %s of dag %s has no task %q", rs.key.runID, rs.key.dagID, id)
		}
		selected[n] = true
	}
	if len(o.TaskIDs) == 0 {
		for _, n := range rs.order {
			selected[n] = true
		}
	}
	// Upstream and downstream both start from the chosen tasks, as Airflow's partial subset
	// does (not the downstream of their upstream).
	chosen := make([]*node, 0, len(selected))
	for n := range selected {
		chosen = append(chosen, n)
	}
	for _, n := range chosen {
		if o.Downstream {
			for x := range reach(n, func(x *node) []*node { return x.down }) {
				selected[x] = true
			}
		}
		if o.Upstream {
			for x := range reach(n, func(x *node) []*node { return x.up }) {
				selected[x] = true
			}
		}
	}
	// Work in the scope of a setup needs the setup again, and the setup its teardowns.
	for n := range selected {
		if n.isTeardown() || n.isSetup() {
			continue
		}
		for _, s := range relevantSetups(n) {
			selected[s] = true
			for _, td := range s.down {
				if td.isTeardown() {
					selected[td] = true
				}
			}
		}
	}
	// A mapped group expands as a whole: clearing one of its tasks entirely clears them all.
	for n := range selected {
		if n.group != nil && o.whole() {
			for _, m := range n.group.nodes {
				selected[m] = true
			}
		}
	}
	return selected, nil
}

// resetTI sets an instance of node n back to state none with its full retries, as a clear
// does; its try number stays, so the next try gets the next number.
func resetTI(n *node, ti *store.TaskInstance) {
	ti.State = store.TINone
	ti.MaxTries = ti.TryNumber + n.opts.Retries + 1
	ti.Output = nil
	ti.Error = ""
	ti.CacheKey, ti.CachedFrom = "", ""
	ti.NextTryAt = time.Time{}
	ti.QueuedAt, ti.StartedAt, ti.EndedAt = time.Time{}, time.Time{}, time.Time{}
}

// placeholderOf returns the unexpanded placeholder of node n, a mapped task or a task of
// a mapped group, made from its first instance, in state none.
func placeholderOf(n *node) *store.TaskInstance {
	ph := *n.tis[0]
	ph.MapIndex, ph.TryNumber, ph.Args, ph.RenderedMapIndex = -1, 0, nil, ""
	ph.Hostname, ph.PID = "", 0
	resetTI(n, &ph)
	return &ph
}

// Clear resets task instances of a finished or abandoned run to state none, so a Resume
// runs them again, as Airflow's clear does: each cleared instance gets its full retries
// again and its output is dropped; clearing a task in the scope of a setup also clears the
// setup and its teardowns; a mapped task (or mapped group) cleared as a whole goes back to
// its unexpanded placeholder and expands again; the run goes back to queued. It returns the
// cleared task IDs ("task[i]" for single instances). It refuses a run whose lease another
// live owner holds (ErrRunOwned): a run this engine executes is cleared with ClearTasks.
// Clear only writes the store: the processes of the running instances it resets (orphans of
// a dead owner) are killed with KillOrphans before the run is resumed.
//
// Clear is one transaction (store.Store.UpdateRun): it reads the run, decides and writes
// with nobody writing in between. It revokes the run's lease (the epoch advances), so an
// owner that was presumed dead but still commits — a try finishing in it — is refused with
// store.ErrLeaseLost and its success is not recorded: the clear wins. A success committed
// before the clear is seen by it and cleared like any other state.
func Clear(ctx context.Context, st store.Store, dagID, runID string, o ClearOptions) ([]string, error) {
	if err := store.ValidateRunKey(dagID, runID); err != nil {
		return nil, fmt.Errorf("clear: %w", err)
	}
	if err := o.check(); err != nil {
		return nil, err
	}
	var cleared []string
	err := st.UpdateRun(ctx, dagID, runID, func(v *store.RunView) (*store.Batch, error) {
		var b *store.Batch
		var err error
		cleared, b, err = clearBatch(v, o)
		return b, err
	})
	if err != nil {
		return nil, err
	}
	return cleared, nil
}

// clearBatch decides a clear of the run read as v: the cleared task IDs and the guarded
// batch that writes it (nil when nothing is cleared).
func clearBatch(v *store.RunView, o ClearOptions) ([]string, *store.Batch, error) {
	run := v.Run
	runID := run.RunID
	if err := clearable(v); err != nil {
		return nil, nil, err
	}
	var d dag.DAG
	if err := json.Unmarshal(run.DAG, &d); err != nil {
		return nil, nil, fmt.Errorf("run %s: decode the DAG snapshot: %w", runID, err)
	}
	tis := v.TIs
	read := make(map[*store.TaskInstance]store.TIState, len(tis))
	for _, ti := range tis {
		read[ti] = ti.State
	}
	rs, err := newRunState(run, &d, tis)
	if err != nil {
		return nil, nil, err
	}
	selected, err := clearSelection(rs, o)
	if err != nil {
		return nil, nil, err
	}
	var b store.Batch
	var cleared []string
	for _, n := range rs.order {
		if !selected[n] {
			continue
		}
		if o.collapses(n) {
			for _, ti := range n.tis {
				k := store.TIKey{DAGID: ti.DAGID, RunID: ti.RunID, TaskID: ti.TaskID, MapIndex: ti.MapIndex}
				b.DeleteTIs = append(b.DeleteTIs, k)
				b.TIGuards = append(b.TIGuards, store.TIGuard{TIKey: k, State: read[ti]})
			}
			b.TIs = append(b.TIs, placeholderOf(n))
			cleared = append(cleared, n.task.ID)
			continue
		}
		any := false
		for _, ti := range n.tis {
			if !o.clearsTI(ti) {
				continue
			}
			b.TIGuards = append(b.TIGuards, store.TIGuard{TIKey: store.TIKey{DAGID: ti.DAGID, RunID: ti.RunID, TaskID: ti.TaskID, MapIndex: ti.MapIndex}, State: ti.State})
			resetTI(n, ti)
			b.TIs = append(b.TIs, ti)
			any = true
			if len(o.MapIndexes) > 0 {
				cleared = append(cleared, fmt.Sprintf("%s[%d]", n.task.ID, ti.MapIndex))
			}
		}
		if any && len(o.MapIndexes) == 0 {
			cleared = append(cleared, n.task.ID)
		}
	}
	if len(o.MapIndexes) > 0 && len(cleared) == 0 {
		return nil, nil, fmt.Errorf("task %s has no instance with map index %v", o.TaskIDs[0], o.MapIndexes)
	}
	if len(cleared) == 0 {
		return nil, nil, nil
	}
	// Guarded by the lease and run state read, and revoking the lease.
	var epoch int64
	if v.Lease != nil {
		epoch = v.Lease.Epoch
	}
	b.Guards = append(b.Guards, store.RunGuard{DAGID: run.DAGID, RunID: run.RunID, Epoch: epoch, State: run.State, Release: true})
	run.State = store.RunQueued
	run.EndedAt = time.Time{}
	run.Owner = ""
	run.DAG = nil
	b.Runs = append(b.Runs, run)
	return cleared, &b, nil
}

// clearable refuses to clear a run whose lease is held by an owner that is not known dead
// (or, for a run never leased, whose recorded owner is alive).
func clearable(v *store.RunView) error {
	if l := v.Lease; l != nil {
		if l.Held(time.Now()) && !OwnerDead(l.Owner) {
			return fmt.Errorf("%w: %s holds its lease until %s; wait for it to end first", ErrRunOwned, describeOwner(l.Owner), l.ExpiresAt.Local().Format(time.RFC3339))
		}
		return nil
	}
	if v.Run.Owner != "" && OwnerAlive(v.Run.Owner) && !v.Run.State.Finished() {
		return fmt.Errorf("%w: %s; wait for it to end first", ErrRunOwned, describeOwner(v.Run.Owner))
	}
	return nil
}

func taskByID(d *dag.DAG, id string) *dag.Task {
	for _, t := range d.Tasks {
		if t.ID == id {
			return t
		}
	}
	return nil
}

// describeOwner turns "host:pid:start" into "pid N on host H".
func describeOwner(owner string) string {
	var host string
	var pid int
	var start uint64
	if _, err := fmt.Sscanf(replaceColons(owner), "%s %d %d", &host, &pid, &start); err != nil {
		return owner
	}
	return fmt.Sprintf("weir process %d on %s", pid, host)
}

func replaceColons(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c == ':' {
			b[i] = ' '
		}
	}
	return string(b)
}
