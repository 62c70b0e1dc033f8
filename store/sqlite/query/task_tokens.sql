-- Queries on the tokens of tracked tries (task_tokens.go). Column orders are those of
-- scanTaskToken.

-- name: InsertTaskToken
INSERT INTO task_tokens (hash, dag_id, run_id, task_id, map_index, try_number, scope, created_at, expires_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: GetTaskToken
SELECT hash, dag_id, run_id, task_id, map_index, try_number, scope, created_at, expires_at
FROM task_tokens
WHERE hash = ?;

-- name: DeleteTaskToken
DELETE FROM task_tokens WHERE hash = ?;

-- name: DeleteEarlierTaskTokens
DELETE FROM task_tokens
WHERE dag_id = ? AND run_id = ? AND task_id = ? AND map_index = ? AND try_number < ?;

-- name: PurgeTaskTokens
DELETE FROM task_tokens WHERE expires_at <= ?;
