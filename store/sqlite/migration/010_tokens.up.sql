-- 010_tokens: API tokens (package auth). A token is stored only as the hex SHA-256 of its
-- secret (high-entropy random secrets need no slow KDF: a preimage search over 256 random
-- bits is infeasible). name identifies an active token for people (`weir tokens revoke
-- NAME`); a revoked token keeps its row (revoked_at set) and frees its name. Times are
-- INTEGER unix microseconds, 0 for none.

CREATE TABLE api_tokens (
    hash       TEXT    NOT NULL PRIMARY KEY,
    name       TEXT    NOT NULL,
    scope      TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL DEFAULT 0,
    revoked_at INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE UNIQUE INDEX api_tokens_active_name ON api_tokens (name) WHERE revoked_at = 0;
