package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/store"
)

// This file holds what the UI needs to show a run as it ran: its tasks as of the DAG
// snapshot it ran with.

// runViewRoutes are the routes of this file.
func (a *API) runViewRoutes() []route {
	return []route{
		{"GET", "/dags/{dag_id}/dagRuns/{dag_run_id}/tasks", a.listRunTasks},
	}
}

// listRunTasks answers the tasks and task groups of a run as of the DAG definition it ran
// with (the run's snapshot), in the shape of GET /dags/{dag_id}/tasks: a task since removed
// from the DAG is listed for the runs that had it, a task added since is not.
func (a *API) listRunTasks(w http.ResponseWriter, r *http.Request) error {
	q := query(r.URL.Query())
	order, err := q.enumList("order_by", []string{"task_id", "-task_id"})
	if err != nil {
		return err
	}
	dagID, runID := r.PathValue("dag_id"), r.PathValue("dag_run_id")
	run, err := a.cfg.Store.GetRun(r.Context(), dagID, runID)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("DAG %s has no run %q", dagID, runID)
	}
	if err != nil {
		return err
	}
	var d dag.DAG
	if err := json.Unmarshal(run.DAG, &d); err != nil {
		return fmt.Errorf("run %s of DAG %s: decode its DAG snapshot: %w", runID, dagID, err)
	}
	return writeJSON(w, http.StatusOK, taskCollection(&d, len(order) > 0 && order[0] == "-task_id"))
}
