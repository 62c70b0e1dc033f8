-- Queries of the migrator (migrate.go). schema_migrations records one row per applied
-- migration; it is created here, not by a migration, so that the migrator can read it first.

-- name: CreateSchemaMigrations
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER NOT NULL PRIMARY KEY,
    name       TEXT    NOT NULL,
    applied_at INTEGER NOT NULL
) STRICT;

-- name: ListMigrations
SELECT version FROM schema_migrations ORDER BY version;

-- name: InsertMigration
INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?);
