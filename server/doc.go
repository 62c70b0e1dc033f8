// Package server holds the parts that run around the engine in `weir server`: the DAG
// registry (the DAG folder, watched for new, changed and removed files, plus the Go-defined
// DAGs, and the dataset consumers they declare), the scheduler (time schedules, datasets,
// max active runs), backfill, and the Prometheus metrics. Package node assembles them with
// the engine and the HTTP server; nothing here starts by itself.
//
// # Failure
//
// A broken DAG file is reported (import errors in the store, the API, the log) and the
// DAGs of other files keep running; a file that breaks keeps its last good DAGs. A failed
// scheduling attempt is logged and retried at the next tick. The scheduler reads the
// dataset-event queue from the store on every tick, so events any process records reach it.
package server
