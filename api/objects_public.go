package api

import (
	"time"

	"github.com/weirhq/weir/api/client"
	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/store"
)

// RunObject returns the API's JSON object of a DAG run, as GET /dags/{id}/dagRuns answers
// it: the CLI prints the same object from the local store (`weir runs list -o json`).
func RunObject(r *store.DAGRun) client.DAGRun { return runObject(r) }

// TaskInstanceObject returns the API's JSON object of a task instance of a run whose
// logical date is logical (zero: unknown), as the API answers it.
func TaskInstanceObject(ti *store.TaskInstance, logical time.Time) client.TaskInstance {
	return tiObject(ti, logical)
}

// DAGObject returns the API's JSON object of a DAG from its loaded definition d (nil when
// not loaded), its store metadata m (nil when none) and the files with import errors; its
// next run is computed at the current time.
func DAGObject(d *dag.DAG, m *store.DAGMeta, importErrorFiles map[string]bool) client.DAG {
	return dagObject(d, m, importErrorFiles, time.Now())
}
