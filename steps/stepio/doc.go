// Package stepio is what the ML steps share: reading and writing data sets and models by
// reference in the artifact store, recording each data set's schema, row count and content
// hash beside it, and logging params, metrics and artifacts to the try's tracking run.
//
// # Layout in the artifact store
//
// A step's files go under steps/<dag_id>/<run_id>/<task_id>[.<map_index>]/ (a later try
// overwrites an earlier one's), each data set with a sidecar <file>.meta.json holding its
// Dataset description. URIs are absolute: file:///…/artifacts/steps/… for the default
// local store, the bucket URL for an object store, so Python tasks can read them too.
// Tracking artifacts go where MLflow's artifact proxy serves them:
// <experiment_id>/<run_id>/artifacts/<name>.
package stepio
