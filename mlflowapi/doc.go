// Package mlflowapi serves MLflow's REST API (2.x, and the MLflow 3 additions below) on top
// of package tracking, so MLflow's clients (Python mlflow, the npm mlflow package, anything
// speaking the protocol) work against weir unchanged.
//
// Handler serves /api/2.0/mlflow/... (experiments, runs, metrics, artifacts listing, the
// model registry) and the artifact proxy /api/2.0/mlflow-artifacts/... (GET, PUT, DELETE of
// files, listing, and multipart upload: mpu/create, mpu/complete, mpu/abort), also under
// /ajax-api/2.0/ as MLflow's own UI calls it (Prefixes lists the four roots). From MLflow 3
// it serves logged models (logged-models: create, get, search, finalize, delete, tags,
// params, artifacts) and runs/outputs, so an MLflow 3 client's log_model works, and the
// registry webhooks of MLflow 3.3 (webhooks: create, list, get, update, delete, test), whose
// deliveries are HMAC-signed and retried in the background until Close.
//
// The wire format is MLflow's: snake_case JSON, int64 values as JSON numbers (strings are
// accepted on input; a value outside int64 is refused naming its field), enums as names
// (their numbers are accepted on input, as protobuf's JSON parsing does), non-finite
// doubles as the strings "NaN", "Infinity" and "-Infinity" (protobuf's JSON mapping), GET
// parameters in the query string — or in a JSON body when the query string is empty, as
// MLflow reads them — and the others in a JSON body (a query string is read too, under the
// body), {} for an empty success, and errors as {"error_code", "message"} with MLflow's
// status codes: RESOURCE_DOES_NOT_EXIST 404, INVALID_PARAMETER_VALUE 400,
// RESOURCE_ALREADY_EXISTS 400, INVALID_STATE 500, INTERNAL_ERROR 500, ENDPOINT_NOT_FOUND
// 404. Each endpoint takes the methods MLflow's route table declares (methods.go); a path
// with a "." or ".." segment is refused with 400 (RefuseDotSegments), never redirected.
//
// Runs report artifact URIs "mlflow-artifacts:/<experiment>/<run>/artifacts", which clients
// resolve to the proxy; the proxy keeps files in a tracking.ArtifactStore (a local folder by
// default, or a gocloud.dev/blob bucket). Every artifact path is checked
// (tracking.CleanArtifactPath) and uploads are streamed with a size limit
// (Config.MaxArtifactBytes).
package mlflowapi
