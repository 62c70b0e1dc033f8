// Package mlflowapi serves MLflow's REST API 2.x on top of package tracking, so MLflow's
// clients (Python mlflow, the npm mlflow package, anything speaking the protocol) work
// against weir unchanged.
//
// Handler serves /api/2.0/mlflow/... (experiments, runs, metrics, artifacts listing, the
// model registry) and the artifact proxy /api/2.0/mlflow-artifacts/artifacts/... (GET, PUT,
// DELETE of files, and listing), also under /ajax-api/2.0/ as MLflow's own UI calls it.
//
// The wire format is MLflow's: snake_case JSON, int64 values as JSON numbers (strings are
// accepted on input), non-finite doubles as the strings "NaN", "Infinity" and "-Infinity"
// (protobuf's JSON mapping), GET parameters in the query string and the others in a JSON
// body (a query string is read too, under the body), {} for an empty success, and errors as
// {"error_code", "message"} with MLflow's status codes: RESOURCE_DOES_NOT_EXIST 404,
// INVALID_PARAMETER_VALUE 400, RESOURCE_ALREADY_EXISTS 400, INTERNAL_ERROR 500,
// ENDPOINT_NOT_FOUND 404.
//
// Runs report artifact URIs "mlflow-artifacts:/<experiment>/<run>/artifacts", which clients
// resolve to the proxy; the proxy keeps files in a tracking.ArtifactStore (a local folder by
// default, or a gocloud.dev/blob bucket). Every artifact path is checked
// (tracking.CleanArtifactPath) and uploads are streamed with a size limit
// (Config.MaxArtifactBytes).
package mlflowapi
