// Package server is `weir server`: one process holding the DAG registry (the DAG folder,
// watched for new, changed and removed files), the scheduler (time schedules and datasets),
// the engine that executes runs, and the HTTP server (REST API, Prometheus metrics).
//
// # Lifecycle
//
// Start loads the DAG folder, resumes every run a previous process left unfinished (a
// kill -9 loses nothing: the store holds every committed transition), then starts the
// scheduler, the folder watcher and the HTTP server. Stop is soft first: the scheduler and
// the watcher stop, the HTTP server stops taking requests, the engine stops starting tries
// and waits for the running ones up to the grace period; tries still running then are
// stopped and recorded as up_for_retry, so the next start runs them again.
//
// # Failure
//
// A broken DAG file is reported (import errors in the store, the API, the log) and the
// DAGs of other files keep running; a file that breaks keeps its last good DAGs. A failed
// scheduling attempt is logged and retried at the next tick.
package server
