package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/weirhq/weir/api/client"
	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/engine"
	"github.com/weirhq/weir/store"
)

// listTasks answers the tasks of a loaded DAG with their dependencies (Airflow's GET
// /dags/{dag_id}/tasks), and its task groups.
func (a *API) listTasks(w http.ResponseWriter, r *http.Request) error {
	q := query(r.URL.Query())
	order, err := q.enumList("order_by", []string{"task_id", "-task_id"})
	if err != nil {
		return err
	}
	id := r.PathValue("dag_id")
	d, ok := a.cfg.DAGs.DAG(id)
	if !ok {
		if err := a.dagExists(r.Context(), id); err != nil {
			return err
		}
		return notFound("DAG %s is not loaded (its file is gone or failed to load): its tasks are unknown; see GET %s/importErrors", id, Prefix)
	}
	return writeJSON(w, http.StatusOK, taskCollection(d, len(order) > 0 && order[0] == "-task_id"))
}

// taskCollection lists the tasks and groups of d, tasks by ID (descending with desc).
func taskCollection(d *dag.DAG, desc bool) client.TaskCollection {
	down := dag.Downstream(d)
	mappedGroup := map[string]bool{}
	out := client.TaskCollection{Tasks: []client.Task{}, TaskGroups: []client.TaskGroup{}}
	for _, g := range d.Groups {
		mappedGroup[g.ID] = g.IsMapped()
		tg := client.TaskGroup{GroupID: g.ID, IsMapped: g.IsMapped()}
		if i := strings.LastIndexByte(g.ID, '.'); i > 0 {
			tg.ParentGroupID = sp(g.ID[:i])
		}
		out.TaskGroups = append(out.TaskGroups, tg)
	}
	for _, t := range d.Tasks {
		o := d.Resolve(t)
		ct := client.Task{
			TaskID: t.ID, OperatorName: t.Kind, TriggerRule: string(t.TriggerRule),
			DownstreamTaskIDs: slices.Sorted(slices.Values(down[t.ID])),
			UpstreamTaskIDs:   slices.Sorted(slices.Values(t.Upstream)),
			IsMapped:          t.IsMapped(), IsSetup: t.Setup, IsTeardown: t.Teardown != nil,
			Retries: *o.Retries, Pool: o.Pool,
		}
		if ct.TriggerRule == "" {
			ct.TriggerRule = string(dag.AllSuccess)
		}
		if ct.DownstreamTaskIDs == nil {
			ct.DownstreamTaskIDs = []string{}
		}
		if ct.UpstreamTaskIDs == nil {
			ct.UpstreamTaskIDs = []string{}
		}
		if t.Group != "" {
			ct.TaskGroupID = sp(t.Group)
			for g := t.Group; g != ""; {
				ct.IsMapped = ct.IsMapped || mappedGroup[g]
				i := strings.LastIndexByte(g, '.')
				if i < 0 {
					break
				}
				g = g[:i]
			}
		}
		out.Tasks = append(out.Tasks, ct)
	}
	slices.SortFunc(out.Tasks, func(x, y client.Task) int {
		if desc {
			return strings.Compare(y.TaskID, x.TaskID)
		}
		return strings.Compare(x.TaskID, y.TaskID)
	})
	out.TotalEntries = len(out.Tasks)
	return out
}

// getRenderedFields answers a task instance's rendered template fields (Airflow's
// rendered_fields): those its try saved when it started (source "try", what it ran with),
// else rendered now (source "preview"), masked: the secrets templates read are added to the
// masker as they are looked up, so the answer is masked here, not only by the route's
// masking (which skips an empty masker).
func (a *API) getRenderedFields(w http.ResponseWriter, r *http.Request) error {
	q := query(r.URL.Query())
	mapIndex, err := q.int("map_index", -1, -1)
	if err != nil {
		return err
	}
	tryNo, err := q.int("try_number", 0, 1)
	if err != nil {
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
	ti := tis[i]
	if tryNo > ti.TryNumber {
		return notFound("task %s of run %s has %d tries: try %d does not exist", taskID, runID, ti.TryNumber, tryNo)
	}
	masker := a.cfg.Secrets.Masker()
	out := client.RenderedFields{DAGID: dagID, DAGRunID: runID, TaskID: taskID, MapIndex: mapIndex}
	saved, err := a.cfg.Store.GetRenderedFields(ctx, dagID, runID, taskID, mapIndex, tryNo)
	switch {
	case err == nil:
		var fields map[string]any
		if err := json.Unmarshal(saved.Fields, &fields); err != nil {
			return fmt.Errorf("the rendered fields of %s/%s/%s[%d] try %d: %w", dagID, runID, taskID, mapIndex, saved.TryNumber, err)
		}
		for k, v := range fields {
			fields[k] = masker.RedactValue(v, k) // masked when saved; again, for secrets learnt since
		}
		out.RenderedFields, out.Source, out.TryNumber, out.RenderedAt = fields, "try", saved.TryNumber, tp(saved.RenderedAt)
		return writeJSON(w, http.StatusOK, out)
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	out.Source, out.TryNumber = "preview", tryNo
	if tryNo == 0 {
		out.TryNumber = ti.TryNumber
	}
	if ti.TryNumber == 0 {
		out.Note = "the instance has not run: rendered now, with the params, variables, connections and upstream outputs as they are now"
	} else {
		out.Note = fmt.Sprintf("try %d saved no rendered fields (a task without templates saves none: it ran them as written; "+
			"only the last runs of a task keep theirs; a try whose template failed saved none): rendered now", out.TryNumber)
	}
	fields, err := engine.RenderedFields(ctx, a.cfg.Store, a.cfg.Secrets.Lookup(ctx), dagID, runID, taskID, mapIndex)
	var dagErr *dag.Error
	switch {
	case errors.Is(err, engine.ErrNoInstance):
		return notFound("%v", err)
	case errors.As(err, &dagErr):
		out.Error = masker.Redact(err.Error())
	case err != nil:
		return err
	default:
		for k, v := range fields {
			fields[k] = masker.RedactValue(v, k)
		}
		out.RenderedFields = fields
	}
	return writeJSON(w, http.StatusOK, out)
}
