-- 015_audit: the append-only audit log (package audit). id numbers the entries in append
-- order; hash = SHA-256(prev_hash || canonical entry) chains each to the one before, so an
-- edited or deleted row is found by audit.Verify. The triggers refuse UPDATE and DELETE
-- through SQL as a first line; the chain detects what bypasses them. Times are INTEGER unix
-- microseconds; details a JSON object as TEXT.

CREATE TABLE audit_log (
    id          INTEGER NOT NULL PRIMARY KEY,
    time        INTEGER NOT NULL,
    actor       TEXT    NOT NULL,
    actor_kind  TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    target_type TEXT    NOT NULL DEFAULT '',
    target_id   TEXT    NOT NULL DEFAULT '',
    details     TEXT,
    request_id  TEXT    NOT NULL DEFAULT '',
    remote_addr TEXT    NOT NULL DEFAULT '',
    outcome     TEXT    NOT NULL,
    prev_hash   TEXT    NOT NULL,
    hash        TEXT    NOT NULL
) STRICT;

CREATE INDEX audit_log_time ON audit_log (time);
CREATE INDEX audit_log_actor ON audit_log (actor, id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
