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
//     executor's parallelism, the named pools and the DAG's max_active_tasks;
//  4. decide the state of runs whose instances all finished;
//  5. commit every change of the step in one store transaction (store.Store.Apply);
//  6. only then act: start the tries, fire callbacks, report progress.
//
// Many events share one step and one transaction; that is how the engine stays fast.
//
// # Invariants and failure
//
// Nothing acts on a transition before it is committed, so a process may die at any moment:
// the store holds a consistent state, and Resume continues from it. A run records its owner
// (host, pid and process start time) and a heartbeat. Resume refuses a run whose owner is
// alive; otherwise it takes the run over, kills the process groups of tries that were
// running (they are orphans), and counts each as a failed try, retried or failed by the
// task's retry policy. Finished instances never run again.
//
// If a commit fails the engine stops: its in-memory state may differ from the store, and
// the store is the truth. Waiters get the error; the run can be resumed.
package engine
