// Package tracking is weir's experiment tracking and model registry: MLflow's model, so
// MLflow's clients and habits work unchanged against weir.
//
// # Model
//
// An Experiment groups runs; it has a unique name, tags, an artifact location and a
// lifecycle stage (active or deleted: deleting is reversible, restoring brings it back).
// Experiment "0", named "Default", exists from the start.
//
// A Run belongs to one experiment. It has a status (RUNNING, SCHEDULED, FINISHED, FAILED,
// KILLED), start and end times in Unix milliseconds, a name (mirrored in the tag
// mlflow.runName), an optional parent run (the tag mlflow.parentRunId), a lifecycle stage,
// and an artifact URI, "mlflow-artifacts:/<experiment>/<run>/artifacts" by default. Its data:
//
//   - params, write-once: logging a key again with the same value is a no-op, with another
//     value an ErrInvalid error;
//   - metrics, append-only series of (value, timestamp ms, step) per key; the run also keeps
//     each key's latest point (greatest step, then timestamp, then value), which is what
//     runs show and what search filters and sorts on;
//   - tags, which may be overwritten and deleted.
//
// A RegisteredModel has a unique name, a description, tags and aliases (champion,
// challenger…, each pointing at one version). Its ModelVersions are numbered 1, 2, … (never
// reused after a deletion) and carry a source URI, the run that produced them, a status, a
// stage (None, Staging, Production, Archived), a description and tags.
//
// # Storage
//
// Store is the narrow storage interface; backends (store/sqlite's Store.Tracking now)
// implement it and pass the conformance suite in tracking/trackingtest. Backends report
// store.ErrNotFound and store.ErrAlreadyExists (re-exported here as ErrNotFound and
// ErrAlreadyExists), wrapped with the key concerned; ErrInvalid marks a request the model
// rejects.
//
// Service sits on a Store and adds what every caller wants: MLflow's validation limits,
// generated run names, get-or-create of experiments and registered models, and the tags weir
// puts on runs of DAG tasks (weir.dag_id, weir.run_id, weir.task_id, weir.try_number).
//
// Search takes MLflow's filter grammar (ParseFilter) and order_by clauses (ParseOrderBy);
// pages are addressed by opaque tokens (EncodePageToken). Build a filter from values with
// QuoteString and QuoteKey. Package tracking/search holds the filtering, ordering and paging
// every Store does the same way, so a driver supplies SQL and rows, not search logic.
//
// Artifacts live outside the database in an ArtifactStore: a local folder by default, or a
// gocloud.dev/blob bucket. Every artifact path is checked (CleanArtifactPath) and the local
// store opens files through an os.Root, so no path, symlink included, reaches outside it.
package tracking
