-- Queries on datasets, dataset_events and dataset_queue. Column order of events is that of
-- scanEvent (datasets.go).

-- name: UpsertDataset
-- ?1 URI, ?2 now: a new dataset was first seen now; every event updates it now.
INSERT INTO datasets (uri, created_at, updated_at) VALUES (?1, ?2, ?2)
ON CONFLICT (uri) DO UPDATE SET updated_at = excluded.updated_at;

-- name: InsertDatasetEvent
INSERT INTO dataset_events (
    uri, extra, source_dag_id, source_run_id, source_task_id, source_map_index, timestamp
) VALUES (?, ?, ?, ?, ?, ?, ?);

-- name: QueueDatasetEvent
-- ?1 event ID, ?2 JSON list of consumer DAG IDs. A consumer named twice is queued once.
-- (WHERE true tells the parser that ON CONFLICT belongs to the INSERT, not to a join.)
INSERT INTO dataset_queue (dag_id, event_id)
SELECT value, ?1 FROM json_each(?2) WHERE true
ON CONFLICT (dag_id, event_id) DO NOTHING;

-- name: DequeueDatasetEvents
-- ?1 consumer DAG ID, ?2 JSON list of event IDs.
DELETE FROM dataset_queue
WHERE dag_id = ?1 AND event_id IN (SELECT value FROM json_each(?2));

-- name: ListDatasets
SELECT uri, created_at, updated_at FROM datasets ORDER BY uri;

-- name: ListDatasetEvents
-- A text/template: the filters present select the variant (and so the index) used.
SELECT id, uri, extra, source_dag_id, source_run_id, source_task_id, source_map_index, timestamp
FROM dataset_events
WHERE true
{{- if .URI}} AND uri = :uri{{end}}
{{- if .SourceDAGID}} AND source_dag_id = :source_dag_id{{end}}
{{- if .AfterID}} AND id > :after_id{{end}}
ORDER BY id DESC
LIMIT :limit;

-- name: ListQueuedEvents
-- One consumer's queue, in event order (its primary key's order).
SELECT q.dag_id, e.id, e.uri, e.extra, e.source_dag_id, e.source_run_id, e.source_task_id,
       e.source_map_index, e.timestamp
FROM dataset_queue q
JOIN dataset_events e ON e.id = q.event_id
WHERE q.dag_id = ?
ORDER BY q.event_id;

-- name: ListAllQueuedEvents
-- Every consumer's queue, in event order, then by consumer: sorted, as the queue is small.
SELECT q.dag_id, e.id, e.uri, e.extra, e.source_dag_id, e.source_run_id, e.source_task_id,
       e.source_map_index, e.timestamp
FROM dataset_queue q
JOIN dataset_events e ON e.id = q.event_id
ORDER BY q.event_id, q.dag_id;
