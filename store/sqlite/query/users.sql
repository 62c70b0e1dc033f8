-- Queries on users, grants and sessions (users.go). Column orders are those of scanUser,
-- scanGrant and scanSession.

-- name: InsertUser
INSERT INTO users (name, password_hash, role, created_at, disabled_at) VALUES (?, ?, ?, ?, ?);

-- name: GetUser
SELECT name, password_hash, role, created_at, disabled_at FROM users WHERE name = ?;

-- name: ListUsers
SELECT name, password_hash, role, created_at, disabled_at FROM users ORDER BY name;

-- name: UpdateUser
UPDATE users SET password_hash = ?, role = ?, disabled_at = ? WHERE name = ?;

-- name: DeleteUser
DELETE FROM users WHERE name = ?;

-- name: RevokeUserTokens
UPDATE api_tokens SET revoked_at = ? WHERE user_name = ? AND revoked_at = 0;

-- name: CountActiveUsers
SELECT count(*) FROM users WHERE disabled_at = 0;

-- name: PutGrant
INSERT INTO user_grants (user_name, target, role, created_at) VALUES (?, ?, ?, ?)
ON CONFLICT (user_name, target) DO UPDATE SET role = excluded.role;

-- name: ListGrants
SELECT user_name, target, role, created_at FROM user_grants
WHERE ? = '' OR user_name = ?
ORDER BY user_name, target;

-- name: DeleteGrant
DELETE FROM user_grants WHERE user_name = ? AND target = ?;

-- name: InsertSession
INSERT INTO user_sessions (hash, user_name, created_at, expires_at) VALUES (?, ?, ?, ?);

-- name: GetSession
SELECT hash, user_name, created_at, expires_at FROM user_sessions WHERE hash = ?;

-- name: DeleteSession
DELETE FROM user_sessions WHERE hash = ? OR expires_at < ?;
