-- Queries on serving deployments.

-- name: ListDeployments
SELECT name, model, canary, canary_weight, shadow, description, created_at, updated_at
FROM deployments ORDER BY name;

-- name: GetDeployment
SELECT name, model, canary, canary_weight, shadow, description, created_at, updated_at
FROM deployments WHERE name = ?;

-- name: PutDeployment
INSERT INTO deployments (name, model, canary, canary_weight, shadow, description, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (name) DO UPDATE SET
    model         = excluded.model,
    canary        = excluded.canary,
    canary_weight = excluded.canary_weight,
    shadow        = excluded.shadow,
    description   = excluded.description,
    updated_at    = excluded.updated_at;

-- name: DeleteDeployment
DELETE FROM deployments WHERE name = ?;
