// Package store defines weir's metadata store: DAG runs, task instances and their tries,
// and pools, behind one narrow interface (Store). Each backend is its own package
// (store/sqlite now, PostgreSQL later) and must pass the shared conformance suite in
// store/storetest.
//
// The engine keeps the authoritative state machine in the store: every transition is
// committed (Apply) before anything acts on it, and many transitions share one Apply, which
// is how the engine stays fast. A process may die at any moment; what Apply committed
// survives and the next process continues from it.
//
// Drivers translate their errors into ErrNotFound, ErrAlreadyExists, ErrLeaseHeld,
// ErrLeaseLost and ErrConflict at the boundary, so callers test with errors.Is and never see
// a driver's error types.
//
// # Leases: who may write a run
//
// Several processes may share one store (a server and a CLI backfill, several servers, later
// remote workers). Each run is executed by at most one of them, its owner, and only the
// owner writes its transitions. Ownership is a lease, one row per run:
//
//   - Owner names the holder; Epoch is a fencing token; ExpiresAt is when the lease lapses
//     unless renewed.
//   - AcquireLease takes a lease that is free (never taken, or released), expired, or —
//     when the caller proved its holder dead, a process of the caller's own host that is
//     gone — held at the epoch the caller read (TakeOver). It is one statement, a
//     compare-and-set: of two acquirers, one gets the lease, the other ErrLeaseHeld.
//   - Every acquisition and every release advances the epoch. A holder's epoch is
//     therefore valid exactly until someone else acquires, or someone releases or revokes,
//     the lease.
//   - The holder renews (RenewLeases) well within the TTL: the engine every
//     HeartbeatInterval (default 5 s) for a LeaseTTL of 30 s.
//   - Every batch the holder commits carries guards (Batch.Guards, Batch.TIGuards): the
//     epoch it holds and the run's state as it last read it (the engine's commits), plus
//     the state of each instance it read, for writers that decide from instances they read
//     (UpdateRun's clear and mark, resume, a mapped placeholder's deletion). The engine's
//     own instance writes need no instance guard: every writer outside the holder advances
//     the epoch, so under an unchanged epoch the states the holder last committed are the
//     stored ones. The guards are checked inside the batch's transaction, before any write, by
//     statements that lock what they check (an UPDATE matching the expected value, counted
//     by rows affected), so no acquisition can commit between the check and the writes. If
//     one fails, nothing of the batch is written and Apply returns a *GuardError wrapping
//     ErrLeaseLost (the epoch changed) or ErrConflict (a state changed).
//   - The run's final state and the release of its lease commit together (RunGuard.Release).
//   - Writers that are not engines — clear, mark — read, decide and write in one
//     transaction (UpdateRun), refuse a run whose lease another live holder has, guard
//     their batch with the epoch they read, and revoke the lease (the epoch advances), so a
//     holder presumed dead that wakes up cannot write after them.
//
// A batch may carry cache entries (Batch.CacheEntries: results of tasks with cache: true);
// they are written in the batch's transaction after its guards passed, so a task's result is
// recorded exactly when its success is.
//
// Invariant: a committed transition of a run was written by the holder of the run's lease
// at that moment, or by a transaction that revoked it, and was decided from the state the
// store held then. Two writers never both commit a transition decided from the same state.
//
// # How it fails
//
// A holder that dies stops renewing: its runs are taken over when their leases expire, or
// at once by a process on the same host that sees its PID gone. A holder that hangs or is
// cut off from the store past the TTL is in the same position when it comes back: its next
// commit or renewal finds its epoch gone (ErrLeaseLost) and it must stop acting on the run
// — drop it, stop its tries, report nothing more of it — and leave the run to its new
// owner, whose Resume counts the tries that were running as failed. Work a stale holder did
// outside the store (a task's side effects) is not undone: leases fence writes to the store,
// not the world, so tasks should be idempotent as Airflow's are.
//
// Expiry is judged against the clock of the process that acquires (AcquireLeaseParams.Now),
// so the hosts' clocks must agree to well within the TTL. A store that is slow or
// unavailable for longer than the TTL lets other processes take runs over; the holder
// then loses them at its next commit, which is safe, only wasteful.
package store
