-- 016_metric_log_asset_aliases: the metric log, and asset aliases.
--
-- metric_log: points of log-batch calls not yet moved into metric_history. metric_history is
-- ordered by (run, key, step, ...), so a batch of 10 keys dirties 10 of its leaf pages, and
-- each commit writes every dirty page to the WAL: appending here instead (rowid order) puts
-- the points of a whole group of concurrent calls in one or two pages. When the log holds
-- enough rows, the writer moves them into metric_history in one statement, in key order, so
-- each series' page is written once for many points (store/sqlite/tracking_metric_log.go).
-- Readers of a series merge both.
CREATE TABLE metric_log (
    id        INTEGER PRIMARY KEY,
    run       INTEGER NOT NULL REFERENCES tracking_runs (id) ON DELETE CASCADE,
    key       TEXT    NOT NULL,
    value     REAL    NOT NULL,
    timestamp INTEGER NOT NULL,
    step      INTEGER NOT NULL,
    is_nan    INTEGER NOT NULL DEFAULT 0
) STRICT;

-- asset_aliases: which assets (dataset URIs) each asset alias resolved to (Airflow 3's
-- AssetAlias, its asset_alias_asset table): a task with {alias: NAME} in its outlets adds
-- assets through the alias at run time, and a DAG scheduled on the alias is then scheduled
-- on them. A link is written with the event that made it (DatasetEvent.SourceAlias).
CREATE TABLE asset_aliases (
    alias      TEXT    NOT NULL,
    uri        TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (alias, uri)
) STRICT, WITHOUT ROWID;
