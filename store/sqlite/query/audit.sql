-- Queries on the audit log (audit.go). Column orders are those of scanAudit.

-- name: LastAudit
SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1;

-- name: InsertAudit
INSERT INTO audit_log (id, time, actor, actor_kind, action, target_type, target_id, details,
    request_id, remote_addr, outcome, prev_hash, hash)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: ListAudit
SELECT id, time, actor, actor_kind, action, target_type, target_id, details, request_id,
    remote_addr, outcome, prev_hash, hash
FROM audit_log
WHERE (?1 = '' OR actor = ?1)
  AND (?2 = '' OR action = ?2 OR (?3 <> '' AND substr(action, 1, length(?3)) = ?3))
  AND time >= ?4 AND (?5 = 0 OR time < ?5) AND id > ?6 AND (?8 = 0 OR id < ?8)
ORDER BY id
LIMIT ?7;

-- name: ListAuditNewest
-- ListAudit newest first (a separate statement: ORDER BY id DESC walks the key backwards,
-- where an ORDER BY on a parameter would sort every matching row).
SELECT id, time, actor, actor_kind, action, target_type, target_id, details, request_id,
    remote_addr, outcome, prev_hash, hash
FROM audit_log
WHERE (?1 = '' OR actor = ?1)
  AND (?2 = '' OR action = ?2 OR (?3 <> '' AND substr(action, 1, length(?3)) = ?3))
  AND time >= ?4 AND (?5 = 0 OR time < ?5) AND id > ?6 AND (?8 = 0 OR id < ?8)
ORDER BY id DESC
LIMIT ?7;
