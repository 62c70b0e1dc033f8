// Package live runs live monitors of serving deployments: each monitor (store.Monitor,
// its definition a Spec) periodically reads a window of the predictions its deployment's
// primary model version made (the prediction log, package predlog; shadow and canary
// rows are left out), and judges
//
//   - data drift: each input feature against the reference statistics the model saved
//     at training time (model.Metadata.Reference), with package monitor/drift and so
//     Evidently's defaults, per-feature thresholds and the drift share of the Spec;
//   - prediction drift: the window's outputs against the training target's statistics
//     when the model kept them, else against the window just before (the result says
//     which; only the former counts in the verdict: a return to normal traffic would look
//     like drift against the window before);
//   - performance, once labels are posted for predictions of the window: the model's
//     metric (steps/scoring, as model.train measured it) against its training value,
//     with an allowed relative degradation.
//
// Each evaluation is stored (store.MonitorResult, the document a Result) and exported
// as Prometheus metrics. Actions — webhooks (retried with exponential backoff, signed
// with HMAC-SHA256 when a secret is set, refused to private addresses unless allowed)
// and a dataset event (which starts the DAGs scheduled on the dataset: a retraining
// DAG) — fire on the transition into drift only, never twice within the cool-down.
//
// A window with fewer than MinRows rows is not judged: the monitor's state (drifting
// or not) carries over. An evaluation that fails (the deployment's model does not load)
// is stored with its error and judges nothing. The Runner evaluates one monitor at a
// time, so a scheduled and a requested evaluation never both see the transition.
package live
