-- Queries on the counts of failed serving requests (serve_errors.go). Column orders are
-- those of scanServeError.

-- name: PutServeError
-- The larger count wins, and the message of the later time: a rewrite of the same totals,
-- or an older one arriving late, changes nothing.
INSERT INTO serve_errors (
    endpoint, minute, writer, model_name, model_version, class, count, last_status,
    last_message, last_at
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (endpoint, minute, writer, model_name, model_version, class) DO UPDATE SET
    count = max(serve_errors.count, excluded.count),
    last_status = CASE WHEN excluded.last_at >= serve_errors.last_at THEN excluded.last_status ELSE serve_errors.last_status END,
    last_message = CASE WHEN excluded.last_at >= serve_errors.last_at THEN excluded.last_message ELSE serve_errors.last_message END,
    last_at = max(serve_errors.last_at, excluded.last_at);

-- name: ListServeErrors
-- A text/template: the filters present select the variant.
SELECT endpoint, minute, writer, model_name, model_version, class, count, last_status,
       last_message, last_at
FROM serve_errors
WHERE true
{{- if .Endpoint}} AND endpoint = :endpoint{{end}}
{{- if .Since}} AND minute >= :since{{end}}
ORDER BY minute DESC, writer, model_name, model_version, class
LIMIT :limit;
