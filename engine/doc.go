// Package engine is weir's state machine for DAG runs and task instances.
//
// # Model
//
// One goroutine (the loop) owns the in-memory view of every active run: the DAG, its task
// instances and their upstream/downstream links. Everything that happens — a try ends, a
// retry becomes due, a run is triggered or resumed, a run times out — arrives on the loop
// as an event. The loop then takes a step:
//
//  1. apply the events to the in-memory state;
//  2. evaluate every task instance whose upstreams changed with its trigger rule (Decide),
//     cascading skipped and upstream_failed states;
//  3. hand ready instances to free slots, highest priority weight first, within the
//     executor's parallelism, the named pools, the DAG's max_active_tasks and the CPU slots of
//     CPU-bound kinds (Config.CPUSlots, dag.KindDef.CPUBound);
//  4. decide the state of runs whose instances all finished;
//  5. commit every change of the step in one store transaction (store.Store.Apply);
//  6. only then act: start the tries, fire callbacks, report progress.
//
// Many events share one step and one transaction; that is how the engine stays fast.
//
// # Invariants and failure
//
// Nothing acts on a transition before it is committed, so a process may die at any moment:
// the store holds a consistent state, and Resume continues from it.
//
// A run is owned through a lease in the store (see package store: a TTL, a heartbeat, a
// fencing epoch). Trigger takes the new run's lease; the loop renews the leases of its runs
// every Config.HeartbeatInterval (shorter than Config.LeaseTTL); the run's final state
// commits with the lease's release; Stop gives leases back. Every commit is guarded by each
// run's epoch and by the states of the run and of its instances as last committed. Resume
// refuses a run whose lease another live owner holds (ErrRunOwned); it takes over a lease
// that expired, or one whose owner is a dead process of this host, at once. It then kills
// the process groups of tries that were running (they are orphans), and counts each as a
// failed try, retried or failed by the task's retry policy, in one transaction. Finished
// instances never run again.
//
// Clearing and marking a run this engine executes are events of the loop (ClearTasks,
// MarkTask): a running try they end is killed and its slots given back at once; a clear
// commits before it answers. A run no engine executes is cleared or marked in the store in
// one guarded transaction that revokes its lease (Clear, MarkTasksStored), then resumed.
//
// An engine whose guard fails — at a commit, or at a renewal — has lost the run to another
// writer: it drops the run (stops its tries, writes and reports nothing more of it, and
// tells its waiters with an error wrapping store.ErrLeaseLost or store.ErrConflict) and
// commits the rest of its step. It never touches the new owner's work.
//
// # Result caching
//
// A task with cache: true gets a cache key right before each try, in the try's goroutine
// after rendering (see cache.go and docs/dag-yaml.md): a key with an entry in the store
// makes the try succeed with the entry's output without running; otherwise the try runs
// and, if it succeeds, its entry (store.CacheEntry) is added to the same guarded batch as
// its success, so an entry exists only for a committed success of a run this engine owned.
//
// If a commit fails the engine stops: its in-memory state may differ from the store, and
// the store is the truth. Waiters get the error; the run can be resumed.
package engine
