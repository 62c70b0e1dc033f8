-- Queries on run_leases, and the guards of Apply. Every statement is plain SQL that
-- PostgreSQL runs as well (with $n placeholders): guards are UPDATEs checked by the rows they
-- affect, so under PostgreSQL they also lock the rows they check until the commit.

-- name: AcquireLease
-- Parameters: dag_id, run_id, owner, expires_at, heartbeat_at, now, take_over.
-- Inserts the first lease of a run, or takes the current one if it was released, expired at
-- now, or has epoch take_over. No row returned: the lease is held by someone else.
INSERT INTO run_leases (dag_id, run_id, owner, epoch, expires_at, heartbeat_at)
VALUES (?, ?, ?, 1, ?, ?)
ON CONFLICT (dag_id, run_id) DO UPDATE SET
    owner        = excluded.owner,
    epoch        = run_leases.epoch + 1,
    expires_at   = excluded.expires_at,
    heartbeat_at = excluded.heartbeat_at
WHERE run_leases.owner = '' OR run_leases.expires_at <= ? OR run_leases.epoch = ?
RETURNING epoch;

-- name: GetLease
SELECT dag_id, run_id, owner, epoch, expires_at, heartbeat_at
FROM run_leases
WHERE dag_id = ? AND run_id = ?;

-- name: RenewLease
-- Parameters: expires_at, heartbeat_at, dag_id, run_id, epoch. One row affected: renewed.
UPDATE run_leases SET expires_at = ?, heartbeat_at = ?
WHERE dag_id = ? AND run_id = ? AND epoch = ? AND owner <> '';

-- name: HeartbeatRun
-- Mirrors a renewal in the run's row, which listings show.
UPDATE dag_runs SET heartbeat_at = ?
WHERE dag_id = ? AND run_id = ?;

-- name: ReleaseLease
-- Ends a lease and advances its epoch, creating the row (at epoch 1) for a run never leased,
-- so a release also fences off any writer that read the run before it. Parameters: dag_id,
-- run_id. Callers check the epoch first (FenceLease, or a guard), in the same transaction.
INSERT INTO run_leases (dag_id, run_id, owner, epoch, expires_at, heartbeat_at)
VALUES (?, ?, '', 1, 0, 0)
ON CONFLICT (dag_id, run_id) DO UPDATE SET
    owner      = '',
    epoch      = run_leases.epoch + 1,
    expires_at = 0;

-- name: FenceLease
-- The epoch guard: one row affected if the run's lease is at the epoch (and it locks the
-- row, under PostgreSQL, so no acquisition commits between the guard and the batch's commit).
-- Parameters: dag_id, run_id, epoch.
UPDATE run_leases SET epoch = epoch
WHERE dag_id = ? AND run_id = ? AND epoch = ?;

-- name: FenceLeaseState
-- The epoch and run state guards in one statement (the common case of the engine's
-- commits): one row affected if the lease is at the epoch and the run has the state. Under
-- PostgreSQL it locks the lease row; the run row is written by the batch or guarded by a
-- lock on the lease that every writer of the run takes first. Parameters: dag_id, run_id,
-- epoch, state.
UPDATE run_leases SET epoch = epoch
WHERE dag_id = ? AND run_id = ? AND epoch = ?
  AND EXISTS (SELECT 1 FROM dag_runs AS r
              WHERE r.dag_id = run_leases.dag_id AND r.run_id = run_leases.run_id AND r.state = ?);

-- name: EnsureLease
-- Before the epoch guard of a writer that read a run never leased (epoch 0): gives the run a
-- released lease row at epoch 0 if it has none, so that FenceLease finds (and locks) a row.
-- Parameters: dag_id, run_id.
INSERT INTO run_leases (dag_id, run_id, owner, epoch, expires_at, heartbeat_at)
VALUES (?, ?, '', 0, 0, 0)
ON CONFLICT (dag_id, run_id) DO NOTHING;

-- name: GetRunState
SELECT state FROM dag_runs WHERE dag_id = ? AND run_id = ?;

-- PostgreSQL infers untyped parameters in a VALUES list as text: its version of this query
-- casts the map index and compares the other columns as text.
-- name: GuardTIStates
-- The task instance guards, many per statement (the VALUES tuple is repeated; a short chunk
-- repeats its last guard): returns the first instance whose state differs from the one
-- expected (column5), none if every guard holds. VALUES columns are named column1… in
-- SQLite and PostgreSQL alike. Instances are not locked here: every writer of a run's
-- instances passes the run's guards first, which lock the run.
SELECT t.task_id, t.map_index, t.state, v.column5
FROM (VALUES (?, ?, ?, ?, ?)) AS v
JOIN task_instances AS t
  ON t.dag_id = v.column1 AND t.run_id = v.column2 AND t.task_id = v.column3
 AND t.map_index = v.column4
WHERE t.state <> v.column5
LIMIT 1;
