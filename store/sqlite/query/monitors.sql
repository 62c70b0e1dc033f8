-- Queries on live monitors and their results (monitors.go). Column orders are those of
-- scanMonitor and scanMonitorResult.

-- name: ListMonitors
SELECT name, endpoint, spec, created_at, updated_at, last_run_at, drifting, last_fired_at
FROM monitors ORDER BY name;

-- name: GetMonitor
SELECT name, endpoint, spec, created_at, updated_at, last_run_at, drifting, last_fired_at
FROM monitors WHERE name = ?;

-- name: PutMonitor
INSERT INTO monitors (name, endpoint, spec, created_at, updated_at)
VALUES (?, ?, ?, ?, ?)
ON CONFLICT (name) DO UPDATE SET
    endpoint   = excluded.endpoint,
    spec       = excluded.spec,
    updated_at = excluded.updated_at;

-- name: DeleteMonitorResults
DELETE FROM monitor_results WHERE monitor = ?;

-- name: DeleteMonitor
DELETE FROM monitors WHERE name = ?;

-- name: InsertMonitorResult
INSERT INTO monitor_results (monitor, run_at, drift, fired, result)
VALUES (?, ?, ?, ?, ?);

-- name: SetMonitorState
UPDATE monitors SET
    last_run_at   = ?,
    drifting      = ?,
    last_fired_at = CASE WHEN ? = 1 THEN ? ELSE last_fired_at END
WHERE name = ?;

-- name: ListMonitorResults
SELECT id, monitor, run_at, drift, fired, result
FROM monitor_results
WHERE (:monitor = '' OR monitor = :monitor) AND run_at >= :since
ORDER BY run_at DESC, id DESC
LIMIT :limit;
