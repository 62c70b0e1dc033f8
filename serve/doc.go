// Package serve answers prediction requests for the deployments of the store.
//
// A deployment (store.Deployment) binds an endpoint name to a model reference —
// models:/NAME@ALIAS, models:/NAME/VERSION, runs:/RUN_ID/PATH or a model file's URI —
// optionally with a canary reference answering a share of the requests, and a shadow
// reference that sees every request without answering it. The store is the source of
// truth: a Server polls it (Config.PollInterval), follows aliases as they move, loads the
// new model beside the old one and swaps the endpoint's state with one atomic pointer
// store, so a request is answered wholly by one version and no request fails during a
// swap.
//
// A reference may lead to weir's own model file, or to a model made elsewhere: an MLflow
// model directory (an MLmodel file: the xgboost and lightgbm flavors are evaluated in Go,
// python_function and sklearn go to Config.Flavors.Python) or a bare XGBoost or LightGBM
// booster file. Package serve/flavor loads them all as a flavor.Predictor.
//
// # Protocols
//
// MLflow's scoring protocol, per endpoint:
//
//	POST /serve/{name}/invocations   dataframe_split, dataframe_records, instances, inputs, text/csv
//	GET  /serve/{name}/ping, /serve/{name}/health, /serve/{name}/version
//
// and the Open Inference Protocol (KServe V2), REST:
//
//	GET  /v2, /v2/health/live, /v2/health/ready
//	GET  /v2/models/{name}[/versions/{version}], /v2/models/{name}[/versions/{version}]/ready
//	POST /v2/models/{name}[/versions/{version}]/infer
//
// Inputs are checked against the model's signature before prediction: a missing column,
// a value of the wrong type or a malformed body is a 400 naming the column and the 1-based
// row, with MLflow's error body on MLflow's routes and {"error": "..."} on V2's.
//
// Every answer carries a prediction id (header X-Weir-Prediction-Id, and the id field of
// a V2 answer) and the model that gave it (X-Weir-Model-Name, X-Weir-Model-Version). Every
// prediction, shadow ones included, is handed to the Config.Sink, which must not block.
// Every failed request of a deployment — refused as the client's fault (4xx) or failed by
// the server (5xx: the model failed or answered NaN or an infinity, its Python worker
// died, the deployment not ready) — is handed to Config.Errors, with the model version
// chosen, if any; a failed request is never a prediction. Requests to an unknown
// deployment are reported to neither.
package serve
