package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/weirhq/weir/api/client"
	"github.com/weirhq/weir/engine"
	"github.com/weirhq/weir/store"
)

// recordingStore passes a store through but keeps the batches applied to it; with dry set
// it applies nothing. It is how a clear learns (or, dry, predicts) what engine.Clear resets.
type recordingStore struct {
	store.Store
	dry     bool
	batches []*store.Batch
}

func (s *recordingStore) Apply(ctx context.Context, b *store.Batch) error {
	s.batches = append(s.batches, b)
	if s.dry {
		return nil
	}
	return s.Store.Apply(ctx, b)
}

// UpdateRun records the batch fn decides, and with dry set writes nothing (fn still reads
// the run in the store's transaction).
func (s *recordingStore) UpdateRun(ctx context.Context, dagID, runID string, fn func(v *store.RunView) (*store.Batch, error)) error {
	return s.Store.UpdateRun(ctx, dagID, runID, func(v *store.RunView) (*store.Batch, error) {
		b, err := fn(v)
		if err != nil || b == nil {
			return b, err
		}
		s.batches = append(s.batches, b)
		if s.dry {
			return nil, nil
		}
		return b, nil
	})
}

// clear resets task instances of a run: through the engine when it executes the run
// (engine.ClearInstances: running tries are killed and run again, as Airflow's clear of a
// running DAG run); else with engine.Clear and, unless dry, runs the run again in the
// engine. It returns the instances cleared: with dry, as they are now; else as they are
// after the reset (a mapped task cleared whole is back to its one placeholder).
func (a *API) clear(ctx context.Context, run *store.DAGRun, o engine.ClearOptions, dry bool) ([]*store.TaskInstance, error) {
	live, err := a.cfg.Engine.ClearInstances(ctx, run.DAGID, run.RunID, o, dry)
	if err == nil {
		sortTIs(live)
		return live, nil
	}
	if !errors.Is(err, engine.ErrRunNotActive) {
		return nil, conflict(client.CodeConflict, "%v", err)
	}
	// engine.Clear refuses, in its transaction, a run whose lease another live process holds.
	rec := &recordingStore{Store: a.cfg.Store, dry: dry}
	cleared, err := engine.Clear(ctx, rec, run.DAGID, run.RunID, o)
	if err != nil {
		return nil, a.clearError(err)
	}
	var written []*store.TaskInstance
	var deleted, orphans []store.TIKey
	for _, b := range rec.batches {
		written = append(written, b.TIs...)
		deleted = append(deleted, b.DeleteTIs...)
		for _, g := range b.TIGuards {
			if g.State == store.TIRunning {
				orphans = append(orphans, g.TIKey)
			}
		}
	}
	if !dry {
		if len(cleared) > 0 {
			// Instances that were running belong to an owner that died: their processes may
			// live on, and the resumed run must not run them twice at once.
			engine.KillOrphans(a.cfg.Home, orphans)
			if err := a.resume(ctx, run.DAGID, run.RunID); err != nil {
				return nil, err
			}
		}
		sortTIs(written)
		return written, nil
	}
	// Dry: report the instances as they are now; a placeholder that would replace expanded
	// instances is reported as those.
	now, err := a.cfg.Store.ListTaskInstances(ctx, store.ListTIParams{DAGID: run.DAGID, RunID: run.RunID})
	if err != nil {
		return nil, err
	}
	type key struct {
		task string
		i    int
	}
	want := map[key]bool{}
	for _, ti := range written {
		want[key{ti.TaskID, ti.MapIndex}] = true
	}
	for _, k := range deleted {
		want[key{k.TaskID, k.MapIndex}] = true
	}
	var out []*store.TaskInstance
	for _, ti := range now {
		if want[key{ti.TaskID, ti.MapIndex}] {
			out = append(out, ti)
		}
	}
	return out, nil
}

// sortTIs orders instances as the store lists them: by task ID, then map index.
func sortTIs(tis []*store.TaskInstance) {
	slices.SortFunc(tis, func(x, y *store.TaskInstance) int {
		if x.TaskID != y.TaskID {
			if x.TaskID < y.TaskID {
				return -1
			}
			return 1
		}
		return x.MapIndex - y.MapIndex
	})
}

// clearError turns an engine.Clear error into an answer: its own input problems are checked
// before calling it, so what is left is a run busy elsewhere, or a failure.
func (a *API) clearError(err error) error {
	if errors.Is(err, engine.ErrRunOwned) {
		return conflict(client.CodeConflict, "%v", err)
	}
	return err
}

func (a *API) clearRun(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		DryRun     *bool `json:"dry_run"`
		OnlyFailed *bool `json:"only_failed"`
	}
	if err := decodeBody(r, &body, false); err != nil {
		return err
	}
	dry := body.DryRun == nil || *body.DryRun
	ctx := r.Context()
	run, err := a.getRunOr404(ctx, r.PathValue("dag_id"), r.PathValue("dag_run_id"))
	if err != nil {
		return err
	}
	tis, err := a.clear(ctx, run, engine.ClearOptions{OnlyFailed: body.OnlyFailed != nil && *body.OnlyFailed}, dry)
	if err != nil {
		return err
	}
	if dry {
		return writeJSON(w, http.StatusOK, tiCollection(tis, len(tis), run.LogicalDate))
	}
	if run, err = a.cfg.Store.GetRun(ctx, run.DAGID, run.RunID); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, runObject(run))
}

// clearTIsBody is POST /dags/{dag_id}/clearTaskInstances.
type clearTIsBody struct {
	DAGRunID          *string  `json:"dag_run_id"`
	TaskIDs           []string `json:"task_ids"`
	MapIndexes        []int    `json:"map_indexes"`
	IncludeDownstream *bool    `json:"include_downstream"`
	OnlyFailed        *bool    `json:"only_failed"`
	DryRun            *bool    `json:"dry_run"`
	ResetDAGRuns      *bool    `json:"reset_dag_runs"`
	IncludeUpstream   *bool    `json:"include_upstream"`
	IncludeFuture     *bool    `json:"include_future"`
	IncludePast       *bool    `json:"include_past"`
	OnlyRunning       *bool    `json:"only_running"`
}

func (a *API) clearTIs(w http.ResponseWriter, r *http.Request) error {
	var body clearTIsBody
	if err := decodeBody(r, &body, true); err != nil {
		return err
	}
	if body.DAGRunID == nil || *body.DAGRunID == "" {
		return badField("dag_run_id", "required: the run to clear (with include_past or include_future, the run to start from)")
	}
	ctx := r.Context()
	run, err := a.getRunOr404(ctx, r.PathValue("dag_id"), *body.DAGRunID)
	if err != nil {
		return err
	}
	o := engine.ClearOptions{TaskIDs: body.TaskIDs, MapIndexes: body.MapIndexes,
		Downstream: body.IncludeDownstream != nil && *body.IncludeDownstream, OnlyFailed: body.OnlyFailed != nil && *body.OnlyFailed,
		Upstream: body.IncludeUpstream != nil && *body.IncludeUpstream, OnlyRunning: body.OnlyRunning != nil && *body.OnlyRunning}
	if o.OnlyFailed && o.OnlyRunning {
		return badField("only_running", "only_failed and only_running exclude each other: choose one")
	}
	if o.Upstream && len(o.MapIndexes) > 0 {
		return badField("include_upstream", "map indexes select instances of one task: clear its upstream tasks without map_indexes")
	}
	if err := a.checkClearOptions(ctx, run, o); err != nil {
		return err
	}
	runs, err := a.clearRuns(ctx, run, body.IncludePast != nil && *body.IncludePast, body.IncludeFuture != nil && *body.IncludeFuture)
	if err != nil {
		return err
	}
	dry := body.DryRun == nil || *body.DryRun
	out := client.TaskInstanceCollection{TaskInstances: []client.TaskInstance{}}
	var done []string
	for _, r := range runs {
		ro := o
		if r.RunID != run.RunID {
			var ok bool
			if ro, ok, err = a.clearOptionsIn(ctx, r, o); err != nil {
				return err
			}
			if !ok {
				continue // the run has none of the tasks or instances named
			}
		}
		tis, err := a.clear(ctx, r, ro, dry)
		if err != nil {
			return partly(err, "runs already cleared", done)
		}
		if len(tis) > 0 && !dry {
			done = append(done, r.RunID)
		}
		out.TaskInstances = append(out.TaskInstances, tiCollection(tis, len(tis), r.LogicalDate).TaskInstances...)
	}
	out.TotalEntries = len(out.TaskInstances)
	return writeJSON(w, http.StatusOK, out)
}

// partly adds to err, the failure of a step of an operation over several runs, the runs
// the operation already changed (what names them, the runs), keeping err's status.
func partly(err error, what string, runs []string) error {
	if len(runs) == 0 {
		return err
	}
	note := fmt.Sprintf(" (%s: %s)", what, strings.Join(runs, ", "))
	var ae *apiError
	if errors.As(err, &ae) {
		c := *ae
		c.msg += note
		return &c
	}
	return fmt.Errorf("%w%s", err, note)
}

// clearOptionsIn adapts a clear's options to another run of the DAG (include_past,
// include_future) with engine.ClearOptions.In; ok is false when nothing named is left.
func (a *API) clearOptionsIn(ctx context.Context, run *store.DAGRun, o engine.ClearOptions) (engine.ClearOptions, bool, error) {
	if len(o.TaskIDs) == 0 {
		return o, true, nil
	}
	tis, err := a.cfg.Store.ListTaskInstances(ctx, store.ListTIParams{DAGID: run.DAGID, RunID: run.RunID, TaskIDs: o.TaskIDs})
	if err != nil {
		return o, false, err
	}
	o, ok := o.In(tis)
	return o, ok, nil
}

// checkClearOptions checks the task IDs and map indexes against the run's instances, so a
// bad one is a 400 naming the field.
func (a *API) checkClearOptions(ctx context.Context, run *store.DAGRun, o engine.ClearOptions) error {
	tis, err := a.cfg.Store.ListTaskInstances(ctx, store.ListTIParams{DAGID: run.DAGID, RunID: run.RunID})
	if err != nil {
		return err
	}
	for _, id := range o.TaskIDs {
		if !slices.ContainsFunc(tis, func(ti *store.TaskInstance) bool { return ti.TaskID == id }) {
			return badField("task_ids", "run %s of DAG %s has no task %q", run.RunID, run.DAGID, id)
		}
	}
	if len(o.MapIndexes) == 0 {
		return nil
	}
	if len(o.TaskIDs) != 1 {
		return badField("map_indexes", "map indexes select instances of one task: give exactly one task in task_ids")
	}
	for _, i := range o.MapIndexes {
		if !slices.ContainsFunc(tis, func(ti *store.TaskInstance) bool { return ti.TaskID == o.TaskIDs[0] && ti.MapIndex == i }) {
			return badField("map_indexes", "task %s has no instance with map index %d", o.TaskIDs[0], i)
		}
	}
	return nil
}
