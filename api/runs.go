package api

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/weirhq/weir/api/client"
	"github.com/weirhq/weir/engine"
	"github.com/weirhq/weir/store"
)

// allRows is the limit that lists every row of a store listing: the store has no count or
// offset, so pages are cut here.
const allRows = math.MaxInt32

// getRunOr404 returns a run or a 404 naming it.
func (a *API) getRunOr404(ctx context.Context, dagID, runID string) (*store.DAGRun, error) {
	run, err := a.cfg.Store.GetRun(ctx, dagID, runID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("DAG %s has no run %q", dagID, runID)
	}
	return run, err
}

// getRunLightOr404 is getRunOr404 without the run's DAG snapshot (which can weigh
// megabytes), for handlers that do not need it.
func (a *API) getRunLightOr404(ctx context.Context, dagID, runID string) (*store.DAGRun, error) {
	runs, err := a.cfg.Store.ListRuns(ctx, store.ListRunsParams{DAGID: dagID, RunID: runID, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(runs) == 0 {
		return nil, notFound("DAG %s has no run %q", dagID, runID)
	}
	return runs[0], nil
}

var runOrderFields = map[string]func(x, y *store.DAGRun) int{
	"logical_date":   func(x, y *store.DAGRun) int { return x.LogicalDate.Compare(y.LogicalDate) },
	"execution_date": func(x, y *store.DAGRun) int { return x.LogicalDate.Compare(y.LogicalDate) },
	"start_date":     func(x, y *store.DAGRun) int { return x.StartedAt.Compare(y.StartedAt) },
	"end_date":       func(x, y *store.DAGRun) int { return x.EndedAt.Compare(y.EndedAt) },
	"queued_at":      func(x, y *store.DAGRun) int { return x.QueuedAt.Compare(y.QueuedAt) },
	"dag_run_id":     func(x, y *store.DAGRun) int { return strings.Compare(x.RunID, y.RunID) },
	"dag_id":         func(x, y *store.DAGRun) int { return strings.Compare(x.DAGID, y.DAGID) },
	"state":          func(x, y *store.DAGRun) int { return strings.Compare(string(x.State), string(y.State)) },
}

// timeRange is a [gte, lte] filter on one time; zero bounds are open.
type timeRange struct{ gte, lte time.Time }

func (tr timeRange) holds(t time.Time) bool {
	if !tr.gte.IsZero() && (t.IsZero() || t.Before(tr.gte)) {
		return false
	}
	if !tr.lte.IsZero() && (t.IsZero() || t.After(tr.lte)) {
		return false
	}
	return true
}

// rangeParam reads NAME_gte and NAME_lte (and, when alias is set, ALIAS_gte and ALIAS_lte).
func rangeParam(q query, name, alias string) (timeRange, error) {
	var tr timeRange
	for _, n := range []string{name, alias} {
		if n == "" {
			continue
		}
		gte, err := q.time(n + "_gte")
		if err != nil {
			return tr, err
		}
		lte, err := q.time(n + "_lte")
		if err != nil {
			return tr, err
		}
		if !gte.IsZero() {
			tr.gte = gte
		}
		if !lte.IsZero() {
			tr.lte = lte
		}
	}
	return tr, nil
}

func (a *API) listRuns(w http.ResponseWriter, r *http.Request) error {
	q := query(r.URL.Query())
	limit, offset, err := q.page()
	if err != nil {
		return err
	}
	states, err := q.enumList("state", []string{"queued", "running", "success", "failed"})
	if err != nil {
		return err
	}
	types, err := q.enumList("run_type", []string{"manual", "scheduled", "backfill", "dataset"})
	if err != nil {
		return err
	}
	cmp := func(x, y *store.DAGRun) int { return y.QueuedAt.Compare(x.QueuedAt) } // the store's order
	storeOrder := !q.has("order_by") || q.str("order_by") == "-queued_at"
	if q.has("order_by") {
		f := q.str("order_by")
		by, ok := runOrderFields[strings.TrimPrefix(f, "-")]
		if !ok {
			names := make([]string, 0, len(runOrderFields))
			for n := range runOrderFields {
				names = append(names, n)
			}
			slices.Sort(names)
			return badField("order_by", "%q: want one of %s, with - first for descending", f, strings.Join(names, ", "))
		}
		cmp = by
		if strings.HasPrefix(f, "-") {
			cmp = func(x, y *store.DAGRun) int { return by(y, x) }
		}
	}
	logical, err := rangeParam(q, "logical_date", "execution_date")
	if err != nil {
		return err
	}
	started, err := rangeParam(q, "start_date", "")
	if err != nil {
		return err
	}
	ended, err := rangeParam(q, "end_date", "")
	if err != nil {
		return err
	}

	ctx := r.Context()
	dagID := r.PathValue("dag_id")
	p := store.ListRunsParams{Limit: allRows}
	if dagID != "~" {
		if err := a.dagExists(ctx, dagID); err != nil {
			return err
		}
		p.DAGID = dagID
	}
	for _, s := range states {
		p.States = append(p.States, store.RunState(s))
	}
	// In the store's order and filtered only by what the store filters: the page and the
	// count come from the store (the web UI's runs list polls this over every DAG's runs).
	if storeOrder && len(types) == 0 && logical == (timeRange{}) && started == (timeRange{}) && ended == (timeRange{}) {
		total, err := a.cfg.Store.CountRuns(ctx, p)
		if err != nil {
			return err
		}
		p.Limit, p.Offset = limit, offset
		page, err := a.cfg.Store.ListRuns(ctx, p)
		if err != nil {
			return err
		}
		out := client.DAGRunCollection{DAGRuns: []client.DAGRun{}, TotalEntries: total}
		for _, run := range page {
			out.DAGRuns = append(out.DAGRuns, runObject(run))
		}
		return writeJSON(w, http.StatusOK, out)
	}
	runs, err := a.cfg.Store.ListRuns(ctx, p)
	if err != nil {
		return err
	}
	kept := runs[:0]
	for _, run := range runs {
		if (len(types) == 0 || slices.Contains(types, run.RunType)) &&
			logical.holds(run.LogicalDate) && started.holds(run.StartedAt) && ended.holds(run.EndedAt) {
			kept = append(kept, run)
		}
	}
	slices.SortStableFunc(kept, cmp)
	out := client.DAGRunCollection{DAGRuns: []client.DAGRun{}, TotalEntries: len(kept)}
	for _, run := range paginate(kept, limit, offset) {
		out.DAGRuns = append(out.DAGRuns, runObject(run))
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) getRun(w http.ResponseWriter, r *http.Request) error {
	run, err := a.getRunOr404(r.Context(), r.PathValue("dag_id"), r.PathValue("dag_run_id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, runObject(run))
}

// triggerBody is POST …/dagRuns.
type triggerBody struct {
	DAGRunID          *string         `json:"dag_run_id"`
	LogicalDate       *string         `json:"logical_date"`
	ExecutionDate     *string         `json:"execution_date"`
	DataIntervalStart *string         `json:"data_interval_start"`
	DataIntervalEnd   *string         `json:"data_interval_end"`
	Conf              json.RawMessage `json:"conf"`
	// Params are overrides coerced to their schemas' types (the CLI's --param name=value).
	Params json.RawMessage `json:"params"`
}

// paramProblem is one line of a ResolveParams error: `param "epochs": got "ten", want integer`.
var paramProblem = regexp.MustCompile(`^param "([^"]+)": (.*)$`)

// paramError turns a ResolveParams error into a 400 naming the (first) bad param as field
// "conf.NAME".
func paramError(err error) error {
	lines := strings.Split(err.Error(), "\n")
	m := paramProblem.FindStringSubmatch(lines[0])
	if m == nil {
		return &apiError{status: http.StatusBadRequest, code: client.CodeInvalidParam, field: "conf",
			msg: "conf: " + strings.Join(lines, "; ")}
	}
	field := "conf." + m[1]
	if len(lines) == 1 {
		return &apiError{status: http.StatusBadRequest, code: client.CodeInvalidParam, field: field, msg: field + ": " + m[2]}
	}
	return &apiError{status: http.StatusBadRequest, code: client.CodeInvalidParam, field: field, msg: "conf: " + strings.Join(lines, "; ")}
}

func (a *API) triggerRun(w http.ResponseWriter, r *http.Request) error {
	var body triggerBody
	if err := decodeBody(r, &body, false); err != nil {
		return err
	}
	ctx := r.Context()
	dagID := r.PathValue("dag_id")
	d, ok := a.cfg.DAGs.DAG(dagID)
	if !ok {
		if _, m, err := a.findDAG(ctx, dagID); err != nil || m == nil {
			return err
		}
		return notFound("DAG %s is not loaded (its file is gone or broken): it cannot be triggered", dagID)
	}
	var o engine.TriggerOptions
	if body.DAGRunID != nil {
		id := *body.DAGRunID
		if err := store.ValidateRunID(id); err != nil {
			return badField("dag_run_id", "%v", err)
		}
		o.RunID = id
	}
	for _, f := range []struct {
		name string
		v    *string
		t    *time.Time
	}{
		{"logical_date", body.LogicalDate, &o.LogicalDate},
		{"execution_date", body.ExecutionDate, nil},
		{"data_interval_start", body.DataIntervalStart, &o.DataIntervalStart},
		{"data_interval_end", body.DataIntervalEnd, &o.DataIntervalEnd},
	} {
		if f.v == nil {
			continue
		}
		t, err := parseTime(f.name, *f.v)
		if err != nil {
			return err
		}
		if f.t == nil { // execution_date: logical_date's alias
			if body.LogicalDate != nil && !t.Equal(o.LogicalDate) {
				return badField("execution_date", "differs from logical_date: give one of them")
			}
			f.t = &o.LogicalDate
		}
		*f.t = t
	}
	if (body.DataIntervalStart == nil) != (body.DataIntervalEnd == nil) {
		return badField("data_interval_end", "give data_interval_start and data_interval_end together")
	}
	if o.DataIntervalEnd.Before(o.DataIntervalStart) {
		return badField("data_interval_end", "before data_interval_start")
	}
	conf, err := jsonObject("conf", body.Conf)
	if err != nil {
		return err
	}
	o.Conf = conf
	overrides, err := jsonObject("params", body.Params)
	if err != nil {
		return err
	}
	if len(overrides) > 0 {
		o.Params = overrides
	}
	if _, err := d.ResolveParams(conf, o.Params); err != nil {
		return paramError(err)
	}
	if o.RunID != "" {
		if _, err := a.cfg.Store.GetRun(ctx, dagID, o.RunID); err == nil {
			return conflict(client.CodeAlreadyExists, "DAG %s has a run %q already: choose another dag_run_id", dagID, o.RunID)
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	run, err := a.cfg.Engine.Trigger(ctx, d, o)
	if err != nil {
		// Engine.Trigger does not wrap store.ErrAlreadyExists: a run created between the check
		// above and the trigger is told by its message.
		if strings.Contains(err.Error(), "already exists") {
			return conflict(client.CodeAlreadyExists, "%v", err)
		}
		return err
	}
	return writeJSON(w, http.StatusOK, runObject(run))
}

// patchRun marks a run success or failed; see the spec for what happens to finished runs
// and runs no process executes.
func (a *API) patchRun(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		State *string `json:"state"`
	}
	if err := decodeBody(r, &body, true); err != nil {
		return err
	}
	if body.State == nil {
		return badField("state", "required: success or failed")
	}
	state := store.RunState(*body.State)
	if state != store.RunSuccess && state != store.RunFailed {
		return badField("state", "%q: want success or failed (to run a run again, clear it)", *body.State)
	}
	ctx := r.Context()
	dagID, runID := r.PathValue("dag_id"), r.PathValue("dag_run_id")
	run, err := a.getRunOr404(ctx, dagID, runID)
	if err != nil {
		return err
	}
	if err := a.markRun(ctx, run, state); err != nil {
		return err
	}
	run, err = a.cfg.Store.GetRun(ctx, dagID, runID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, runObject(run))
}

// markRun marks a run: through the engine when it executes the run, else in the store.
func (a *API) markRun(ctx context.Context, run *store.DAGRun, state store.RunState) error {
	eng := a.cfg.Engine
	if eng.Active(ctx, run.DAGID, run.RunID) {
		err := eng.MarkRun(ctx, run.DAGID, run.RunID, state)
		if err == nil || eng.Active(ctx, run.DAGID, run.RunID) {
			return err
		}
		// The run ended between the two calls: mark it as a finished run.
		if run, err = a.cfg.Store.GetRun(ctx, run.DAGID, run.RunID); err != nil {
			return err
		}
	}
	// One transaction that refuses a run another live process owns.
	err := engine.MarkRunStored(ctx, a.cfg.Store, run.DAGID, run.RunID, state, a.now())
	if errors.Is(err, engine.ErrRunOwned) {
		return conflict(client.CodeConflict, "run %s of DAG %s is being executed by another weir process: stop it or wait for it to end (%v)",
			run.RunID, run.DAGID, err)
	}
	return err
}
