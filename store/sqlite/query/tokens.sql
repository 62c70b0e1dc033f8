-- Queries on API tokens (tokens.go). Column orders are those of scanToken.

-- name: InsertToken
INSERT INTO api_tokens (hash, name, scope, created_at, expires_at, revoked_at, user_name)
VALUES (?, ?, ?, ?, ?, 0, ?);

-- name: GetTokenByHash
SELECT hash, name, scope, created_at, expires_at, revoked_at, user_name
FROM api_tokens
WHERE hash = ?;

-- name: ListTokens
SELECT hash, name, scope, created_at, expires_at, revoked_at, user_name
FROM api_tokens
ORDER BY name, created_at;

-- name: CountActiveTokens
SELECT count(*) FROM api_tokens WHERE revoked_at = 0;

-- name: RevokeToken
UPDATE api_tokens SET revoked_at = ? WHERE name = ? AND revoked_at = 0;
