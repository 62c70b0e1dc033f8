package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/weirhq/weir/api/client"
	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/store"
)

// This file holds what the UI needs to show a run as it ran: its tasks as of the DAG
// snapshot it ran with, and a summary of each task's instances counted by the store.

// runViewRoutes are the routes of this file.
func (a *API) runViewRoutes() []route {
	return []route{
		{"GET", "/dags/{dag_id}/dagRuns/{dag_run_id}/tasks", a.listRunTasks},
		{"GET", "/dags/{dag_id}/dagRuns/{dag_run_id}/taskSummaries", a.listTaskSummaries},
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

// listTaskSummaries answers a summary of the instances of each task of a run: the count in
// each state and the most pressing state, counted by the store (a GROUP BY), so a mapped
// task of 10,000 instances costs the answer one object, not 10,000.
func (a *API) listTaskSummaries(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	run, err := a.getRunLightOr404(ctx, r.PathValue("dag_id"), r.PathValue("dag_run_id"))
	if err != nil {
		return err
	}
	sums, err := a.cfg.Store.TaskSummaries(ctx, run.DAGID, run.RunID)
	if err != nil {
		return err
	}
	out := client.TaskSummaryCollection{TaskSummaries: make([]client.TaskSummary, len(sums)), TotalEntries: len(sums)}
	for i, s := range sums {
		o := client.TaskSummary{TaskID: s.TaskID, IsMapped: s.Mapped, Total: s.Total, FirstMapIndex: s.FirstMapIndex,
			States: make(map[string]int, len(s.States)), StartDate: tp(s.StartedAt), EndDate: tp(s.EndedAt)}
		if s.State != store.TINone {
			o.State = sp(string(s.State))
		}
		for st, n := range s.States {
			o.States[st.String()] = n
		}
		out.TaskSummaries[i] = o
	}
	return writeJSON(w, http.StatusOK, out)
}
