package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/weirhq/weir/api/client"
	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/engine"
	"github.com/weirhq/weir/store"
)

// tiStates are the task instance states a filter may name ("none" for store.TINone).
var tiStates = []string{"none", "scheduled", "queued", "running", "success", "failed", "skipped",
	"upstream_failed", "up_for_retry", "up_for_reschedule", "removed"}

// stateFilter reads the state query parameter.
func stateFilter(q query) ([]store.TIState, error) {
	names, err := q.enumList("state", tiStates)
	if err != nil {
		return nil, err
	}
	var out []store.TIState
	for _, n := range names {
		if n == "none" {
			out = append(out, store.TINone)
		} else {
			out = append(out, store.TIState(n))
		}
	}
	return out, nil
}

func (a *API) listTIs(w http.ResponseWriter, r *http.Request) error {
	q := query(r.URL.Query())
	limit, offset, err := q.page()
	if err != nil {
		return err
	}
	states, err := stateFilter(q)
	if err != nil {
		return err
	}
	pools := q.list("pool")
	ctx := r.Context()
	run, err := a.getRunLightOr404(ctx, r.PathValue("dag_id"), r.PathValue("dag_run_id"))
	if err != nil {
		return err
	}
	p := store.ListTIParams{DAGID: run.DAGID, RunID: run.RunID, TaskIDs: q.list("task_id"), States: states}
	if len(pools) == 0 {
		// Let the store page: a page of a large run costs its size, not the run's.
		total, err := a.cfg.Store.CountTaskInstances(ctx, p)
		if err != nil {
			return err
		}
		p.Limit, p.Offset = limit, offset
		tis, err := a.cfg.Store.ListTaskInstances(ctx, p)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, tiCollection(tis, total, run.LogicalDate))
	}
	tis, err := a.cfg.Store.ListTaskInstances(ctx, p)
	if err != nil {
		return err
	}
	if len(pools) > 0 {
		tis = slices.DeleteFunc(tis, func(ti *store.TaskInstance) bool { return !slices.Contains(pools, ti.Pool) })
	}
	return writeJSON(w, http.StatusOK, tiCollection(paginate(tis, limit, offset), len(tis), run.LogicalDate))
}

// taskTIs returns the instances of one task of a run, or a 404 when the run or the task is
// unknown.
func (a *API) taskTIs(ctx context.Context, dagID, runID, taskID string) (*store.DAGRun, []*store.TaskInstance, error) {
	run, err := a.getRunLightOr404(ctx, dagID, runID)
	if err != nil {
		return nil, nil, err
	}
	tis, err := a.cfg.Store.ListTaskInstances(ctx, store.ListTIParams{DAGID: dagID, RunID: runID, TaskIDs: []string{taskID}})
	if err != nil {
		return nil, nil, err
	}
	if len(tis) == 0 {
		return nil, nil, notFound("run %s of DAG %s has no task %q", runID, dagID, taskID)
	}
	return run, tis, nil
}

// mapIndexOf reads the map_index path value, -1 when the path has none.
func mapIndexOf(r *http.Request) (int, error) {
	if r.PathValue("map_index") == "" {
		return -1, nil
	}
	return pathInt(r, "map_index", -1)
}

func (a *API) getTI(w http.ResponseWriter, r *http.Request) error {
	mapIndex, err := mapIndexOf(r)
	if err != nil {
		return err
	}
	dagID, runID, taskID := r.PathValue("dag_id"), r.PathValue("dag_run_id"), r.PathValue("task_id")
	run, tis, err := a.taskTIs(r.Context(), dagID, runID, taskID)
	if err != nil {
		return err
	}
	for _, ti := range tis {
		if ti.MapIndex == mapIndex {
			return writeJSON(w, http.StatusOK, tiObject(ti, run.LogicalDate))
		}
	}
	if mapIndex < 0 {
		return notFound("task %s of run %s is mapped: get one instance with …/taskInstances/%s/{map_index}, or list them with …/listMapped", taskID, runID, taskID)
	}
	return notFound("task %s of run %s has no instance with map index %d", taskID, runID, mapIndex)
}

func (a *API) listMapped(w http.ResponseWriter, r *http.Request) error {
	q := query(r.URL.Query())
	limit, offset, err := q.page()
	if err != nil {
		return err
	}
	states, err := stateFilter(q)
	if err != nil {
		return err
	}
	run, tis, err := a.taskTIs(r.Context(), r.PathValue("dag_id"), r.PathValue("dag_run_id"), r.PathValue("task_id"))
	if err != nil {
		return err
	}
	tis = slices.DeleteFunc(tis, func(ti *store.TaskInstance) bool {
		return ti.MapIndex < 0 || (len(states) > 0 && !slices.Contains(states, ti.State))
	})
	return writeJSON(w, http.StatusOK, tiCollection(paginate(tis, limit, offset), len(tis), run.LogicalDate))
}

// patchTI marks task instances; see the spec.
func (a *API) patchTI(w http.ResponseWriter, r *http.Request) error {
	mapIndex, err := mapIndexOf(r)
	if err != nil {
		return err
	}
	var body struct {
		NewState          *string `json:"new_state"`
		DryRun            *bool   `json:"dry_run"`
		IncludeUpstream   bool    `json:"include_upstream"`
		IncludeDownstream bool    `json:"include_downstream"`
		IncludeFuture     bool    `json:"include_future"`
		IncludePast       bool    `json:"include_past"`
	}
	if err := decodeBody(r, &body, true); err != nil {
		return err
	}
	if body.NewState == nil {
		return badField("new_state", "required: success, failed or skipped")
	}
	state := store.TIState(*body.NewState)
	if state != store.TISuccess && state != store.TIFailed && state != store.TISkipped {
		return badField("new_state", "%q: want success, failed or skipped", *body.NewState)
	}
	ctx := r.Context()
	dagID, runID, taskID := r.PathValue("dag_id"), r.PathValue("dag_run_id"), r.PathValue("task_id")
	run, tis, err := a.taskTIs(ctx, dagID, runID, taskID)
	if err != nil {
		return err
	}
	if mapIndex >= 0 {
		tis = slices.DeleteFunc(tis, func(ti *store.TaskInstance) bool { return ti.MapIndex != mapIndex })
		if len(tis) == 0 {
			return notFound("task %s of run %s has no instance with map index %d", taskID, runID, mapIndex)
		}
	}
	// include_past and include_future: the same marks in other runs of the DAG (see
	// markRuns), where the instances already in the new state are left out.
	runs, err := a.markRuns(ctx, run, body.IncludePast, body.IncludeFuture)
	if err != nil {
		return err
	}
	var plans []markPlan
	for _, x := range runs {
		own := tis
		if x.RunID != run.RunID {
			if own, err = a.cfg.Store.ListTaskInstances(ctx, store.ListTIParams{DAGID: dagID, RunID: x.RunID, TaskIDs: []string{taskID}}); err != nil {
				return err
			}
			own = slices.DeleteFunc(own, func(ti *store.TaskInstance) bool {
				return ti.State == state || (mapIndex >= 0 && ti.MapIndex != mapIndex)
			})
		}
		p, err := a.planMark(ctx, x, taskID, mapIndex, own, body.IncludeUpstream, body.IncludeDownstream, state)
		if err != nil {
			return err
		}
		if x.RunID == run.RunID || len(p.groups) > 0 {
			plans = append(plans, p)
		}
	}
	out := client.TaskInstanceCollection{TaskInstances: []client.TaskInstance{}}
	if body.DryRun != nil && *body.DryRun {
		for _, p := range plans {
			out.TaskInstances = append(out.TaskInstances, tiCollection(p.tis, len(p.tis), p.run.LogicalDate).TaskInstances...)
		}
		out.TotalEntries = len(out.TaskInstances)
		return writeJSON(w, http.StatusOK, out)
	}
	var done []string
	for _, p := range plans {
		if err := a.markTIs(ctx, p.run, p.groups, state); err != nil {
			return partly(err, "runs already marked", done)
		}
		done = append(done, p.run.RunID)
	}
	type key struct {
		task string
		mi   int
	}
	for _, p := range plans {
		keys := map[key]bool{}
		var ids []string
		for _, ti := range p.tis {
			keys[key{ti.TaskID, ti.MapIndex}] = true
			if !slices.Contains(ids, ti.TaskID) {
				ids = append(ids, ti.TaskID)
			}
		}
		now, err := a.cfg.Store.ListTaskInstances(ctx, store.ListTIParams{DAGID: dagID, RunID: p.run.RunID, TaskIDs: ids})
		if err != nil {
			return err
		}
		now = slices.DeleteFunc(now, func(ti *store.TaskInstance) bool { return !keys[key{ti.TaskID, ti.MapIndex}] })
		out.TaskInstances = append(out.TaskInstances, tiCollection(now, len(now), p.run.LogicalDate).TaskInstances...)
	}
	out.TotalEntries = len(out.TaskInstances)
	return writeJSON(w, http.StatusOK, out)
}

// markPlan is what a mark changes in one run: the instances, and the groups to mark in
// order.
type markPlan struct {
	run    *store.DAGRun
	tis    []*store.TaskInstance
	groups []markGroup
}

// planMark plans the mark of instances own of taskID (mapIndex −1: all of them) in run,
// with the task's relatives when up or down: upstream tasks first, then the task, then
// downstream ones, so a task marked success clears what failed downstream before that is
// marked in its turn. A plan whose own and relatives are empty has no groups.
func (a *API) planMark(ctx context.Context, run *store.DAGRun, taskID string, mapIndex int, own []*store.TaskInstance, up, down bool, state store.TIState) (markPlan, error) {
	related, err := a.markRelatives(ctx, run, taskID, up, down, state)
	if err != nil {
		return markPlan{}, err
	}
	p := markPlan{run: run, tis: append(slices.Clone(own), related...)}
	var before, after []*store.TaskInstance
	if len(related) > 0 {
		full, err := a.cfg.Store.GetRun(ctx, run.DAGID, run.RunID)
		if err != nil {
			return markPlan{}, err
		}
		var d dag.DAG
		if err := json.Unmarshal(full.DAG, &d); err != nil {
			return markPlan{}, fmt.Errorf("run %s: decode the DAG snapshot: %w", run.RunID, err)
		}
		order, err := dag.Topo(&d)
		if err != nil {
			return markPlan{}, err
		}
		at := slices.Index(order, taskID)
		for _, ti := range related {
			if slices.Index(order, ti.TaskID) < at {
				before = append(before, ti)
			} else {
				after = append(after, ti)
			}
		}
	}
	p.groups = groupsOf(before)
	if len(own) > 0 {
		p.groups = append(p.groups, markGroup{taskID, mapIndex, own})
	}
	p.groups = append(p.groups, groupsOf(after)...)
	return p, nil
}

// markTIs marks the instances of tasks, in the order of groups: through the engine when
// it executes the run; else in the store, then failed and upstream_failed tasks downstream
// of them (and not marked) are cleared and the run resumed, as Airflow's mark does.
func (a *API) markTIs(ctx context.Context, run *store.DAGRun, groups []markGroup, state store.TIState) error {
	eng := a.cfg.Engine
	err := eng.MarkTask(ctx, run.DAGID, run.RunID, groups[0].taskID, groups[0].mapIndex, state)
	if err == nil {
		for _, g := range groups[1:] {
			if err := eng.MarkTask(ctx, run.DAGID, run.RunID, g.taskID, g.mapIndex, state); err != nil {
				return conflict(client.CodeConflict, "%v", err)
			}
		}
		return nil
	}
	if !errors.Is(err, engine.ErrRunNotActive) {
		return conflict(client.CodeConflict, "%v", err)
	}
	if run, err = a.cfg.Store.GetRun(ctx, run.DAGID, run.RunID); err != nil {
		return err
	}
	marked := map[string]bool{}
	for _, g := range groups {
		marked[g.taskID] = true
		keys := make([]int, len(g.tis))
		for i, ti := range g.tis {
			keys[i] = ti.MapIndex
		}
		// One transaction that refuses a run another live process owns.
		if _, err := engine.MarkTasksStored(ctx, a.cfg.Store, run.DAGID, run.RunID, g.taskID, keys, state, a.now()); err != nil {
			if errors.Is(err, engine.ErrRunOwned) {
				return conflict(client.CodeConflict, "run %s of DAG %s is being executed by another weir process: stop it or wait for it to end (%v)",
					run.RunID, run.DAGID, err)
			}
			return err
		}
	}
	// Clear what failed downstream (not the marked tasks: a task marked failed stays so).
	var d dag.DAG
	if err := json.Unmarshal(run.DAG, &d); err != nil {
		return fmt.Errorf("run %s: decode the DAG snapshot: %w", run.RunID, err)
	}
	downstream := dag.Downstream(&d)
	var down []string
	for _, g := range groups {
		for _, id := range downstream[g.taskID] {
			if !marked[id] && !slices.Contains(down, id) {
				down = append(down, id)
			}
		}
	}
	if len(down) == 0 {
		return nil
	}
	cleared, err := engine.Clear(ctx, a.cfg.Store, run.DAGID, run.RunID,
		engine.ClearOptions{TaskIDs: down, Downstream: true, OnlyFailed: true})
	if err != nil {
		return a.clearError(err)
	}
	if len(cleared) > 0 {
		return a.resume(ctx, run.DAGID, run.RunID)
	}
	return nil
}

// resume runs a cleared run again in the engine.
func (a *API) resume(ctx context.Context, dagID, runID string) error {
	_, _, err := a.cfg.Engine.Resume(ctx, dagID, runID)
	switch {
	case errors.Is(err, engine.ErrRunOwned):
		return conflict(client.CodeConflict, "%v", err)
	case errors.Is(err, engine.ErrRunFinished):
		return nil
	}
	return err
}

func (a *API) getLog(w http.ResponseWriter, r *http.Request) error {
	try, err := pathInt(r, "task_try_number", 1)
	if err != nil {
		return err
	}
	q := query(r.URL.Query())
	mapIndex, err := q.int("map_index", -1, -1)
	if err != nil {
		return err
	}
	if _, err := q.bool("full_content"); err != nil {
		return err
	}
	ctx := r.Context()
	dagID, runID, taskID := r.PathValue("dag_id"), r.PathValue("dag_run_id"), r.PathValue("task_id")
	_, tis, err := a.taskTIs(ctx, dagID, runID, taskID)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(tis, func(ti *store.TaskInstance) bool { return ti.MapIndex == mapIndex })
	if i < 0 {
		return notFound("task %s of run %s has no instance with map index %d", taskID, runID, mapIndex)
	}
	if n := tis[i].TryNumber; try > n {
		return notFound("task %s of run %s has %d tries: try %d does not exist", taskID, runID, n, try)
	}
	var text io.ReadSeeker = strings.NewReader("")
	logPath, err := engine.LogPath(a.cfg.Home, dagID, runID, taskID, mapIndex, try)
	if err != nil {
		return err
	}
	f, err := os.Open(logPath)
	switch {
	case err == nil:
		defer f.Close()
		text = f
	case !errors.Is(err, os.ErrNotExist):
		return err
	}
	if wantsJSON(r) {
		b, err := io.ReadAll(text)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, map[string]any{"content": string(b), "continuation_token": nil})
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	http.ServeContent(w, r, "", time.Time{}, text)
	return nil
}
