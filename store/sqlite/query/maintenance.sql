-- Statements run when a store opens or closes.

-- name: Optimize
-- Refreshes the query planner's statistics where they are stale; cheap when they are not.
PRAGMA optimize;

-- name: IntegrityCheck
-- Returns one row, "ok", or rows describing the damage.
PRAGMA integrity_check;

-- name: JournalMode
PRAGMA journal_mode;

-- name: Synchronous
PRAGMA synchronous;

-- name: ForeignKeys
PRAGMA foreign_keys;

-- name: BusyTimeout
PRAGMA busy_timeout;

-- name: JournalSizeLimit
PRAGMA journal_size_limit;
