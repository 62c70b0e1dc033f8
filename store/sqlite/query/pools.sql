-- Queries on pools.

-- name: ListPools
SELECT name, slots, description FROM pools ORDER BY name;

-- name: GetPool
SELECT name, slots, description FROM pools WHERE name = ?;

-- name: UpsertPool
INSERT INTO pools (name, slots, description) VALUES (?, ?, ?)
ON CONFLICT (name) DO UPDATE SET
    slots       = excluded.slots,
    description = excluded.description;

-- name: DeletePool
DELETE FROM pools WHERE name = ?;
