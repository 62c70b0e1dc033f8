-- 008_deployments: serving deployments (package serve). A deployment binds an endpoint
-- name to a model reference (models:/NAME@ALIAS, models:/NAME/VERSION, runs:/…, a URI),
-- optionally with a canary reference taking canary_weight percent of the traffic, and a
-- shadow reference that sees every request without answering it. Times are Unix
-- microseconds. Portable SQL: no SQLite-only types beyond STRICT.

CREATE TABLE deployments (
    name          TEXT    NOT NULL PRIMARY KEY,
    model         TEXT    NOT NULL,
    canary        TEXT    NOT NULL DEFAULT '',
    canary_weight INTEGER NOT NULL DEFAULT 0,
    shadow        TEXT    NOT NULL DEFAULT '',
    description   TEXT    NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
) STRICT;
