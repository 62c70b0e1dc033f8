-- Queries on variables and connections (secrets.go). Column orders are those of
-- scanVariable and scanConnection.

-- name: PutVariable
INSERT INTO variables (key, value, description, is_secret, updated_at)
VALUES (?, ?, ?, ?, ?)
ON CONFLICT (key) DO UPDATE SET value = excluded.value, description = excluded.description,
    is_secret = excluded.is_secret, updated_at = excluded.updated_at;

-- name: GetVariable
SELECT key, value, description, is_secret, updated_at FROM variables WHERE key = ?;

-- name: ListVariables
SELECT key, value, description, is_secret, updated_at FROM variables ORDER BY key;

-- name: DeleteVariable
DELETE FROM variables WHERE key = ?;

-- name: SetVariableValue
UPDATE variables SET value = ? WHERE key = ?;

-- name: PutConnection
INSERT INTO connections (conn_id, conn_type, description, host, schema, login, port, password, extra, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (conn_id) DO UPDATE SET conn_type = excluded.conn_type, description = excluded.description,
    host = excluded.host, schema = excluded.schema, login = excluded.login, port = excluded.port,
    password = excluded.password, extra = excluded.extra, updated_at = excluded.updated_at;

-- name: GetConnection
SELECT conn_id, conn_type, description, host, schema, login, port, password, extra, updated_at
FROM connections WHERE conn_id = ?;

-- name: ListConnections
SELECT conn_id, conn_type, description, host, schema, login, port, password, extra, updated_at
FROM connections ORDER BY conn_id;

-- name: DeleteConnection
DELETE FROM connections WHERE conn_id = ?;

-- name: SetConnectionSecrets
UPDATE connections SET password = ?, extra = ? WHERE conn_id = ?;
