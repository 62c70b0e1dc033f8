// Package tracker connects the engine to experiment tracking: it implements engine.Tracker
// on a tracking.Service, opening one tracking run per tracked try, nested under one parent
// run per DAG run, in an experiment named after the DAG.
package tracker

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"sync"

	"github.com/weirhq/weir/engine"
	"github.com/weirhq/weir/executor"
	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/tracking"
)

// Tracker implements engine.Tracker.
type Tracker struct {
	svc *tracking.Service
	uri func() string

	mu      sync.Mutex
	parents map[string]string // "dag\x00run" -> parent tracking run ID

	mint    Minter
	revokes map[string]func() // tracking run ID -> revokes the try's token
}

// Minter makes a short-lived token for one tracked try, and a function that revokes it.
type Minter func(ctx context.Context, try engine.TrackedTry) (token string, revoke func(), err error)

// SetMinter makes the tracker give each tracked try a token of its own from m, as
// MLFLOW_TRACKING_TOKEN, revoked when the try ends: tracking keeps working from command
// tasks when the server requires authentication. Call it before the first try starts.
func (t *Tracker) SetMinter(m Minter) {
	t.mint = m
}

var _ engine.Tracker = (*Tracker)(nil)

// New returns a tracker on svc; uri returns the MLflow tracking URI given to command tasks
// (the weir server's address; "" when there is none, and then only Go tasks can log).
func New(svc *tracking.Service, uri func() string) *Tracker {
	return &Tracker{svc: svc, uri: uri, parents: map[string]string{}}
}

// parent returns the DAG run's parent tracking run, finding it by its tags (after a
// restart) or opening it.
func (t *Tracker) parent(ctx context.Context, dagID, runID string) (string, string, error) {
	key := dagID + "\x00" + runID
	t.mu.Lock()
	defer t.mu.Unlock()
	exp, err := t.svc.EnsureExperiment(ctx, dagID)
	if err != nil {
		return "", "", err
	}
	if id, ok := t.parents[key]; ok {
		return id, exp.ID, nil
	}
	page, err := t.svc.SearchRuns(ctx, tracking.SearchRunsParams{ExperimentIDs: []string{exp.ID},
		Filter: "tags." + tracking.QuoteKey(tracking.TagDAGRunID) + " = " + tracking.QuoteString(runID) + " AND tags.`weir.parent` = 'true'", MaxResults: 1})
	if err == nil && len(page.Runs) > 0 {
		t.parents[key] = page.Runs[0].Info.RunID
		return page.Runs[0].Info.RunID, exp.ID, nil
	}
	run, err := t.svc.StartRun(ctx, tracking.StartRunParams{Experiment: dagID,
		Task: tracking.TaskRef{DAGID: dagID, DAGRunID: runID, MapIndex: -1}, Tags: []tracking.Tag{{Key: "weir.parent", Value: "true"}}})
	if err != nil {
		return "", "", err
	}
	t.parents[key] = run.Info.RunID
	return run.Info.RunID, exp.ID, nil
}

// StartTry implements engine.Tracker.
func (t *Tracker) StartTry(ctx context.Context, tt engine.TrackedTry) (*executor.Tracking, error) {
	parent, expID, err := t.parent(ctx, tt.DAGID, tt.RunID)
	if err != nil {
		return nil, fmt.Errorf("open the DAG run's tracking run: %w", err)
	}
	var params []tracking.Param
	keys := make([]string, 0, len(tt.Params))
	for k := range tt.Params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		params = append(params, tracking.Param{Key: k, Value: paramValue(tt.Params[k])})
	}
	if len(tt.Args) > 0 {
		var args map[string]any
		if json.Unmarshal(tt.Args, &args) == nil {
			for k, v := range args {
				if _, clash := tt.Params[k]; !clash {
					params = append(params, tracking.Param{Key: k, Value: paramValue(v)})
				}
			}
		}
	}
	run, err := t.svc.StartRun(ctx, tracking.StartRunParams{Experiment: tt.DAGID, ParentRunID: parent,
		Task:   tracking.TaskRef{DAGID: tt.DAGID, DAGRunID: tt.RunID, TaskID: tt.TaskID, MapIndex: tt.MapIndex, TryNumber: tt.TryNumber},
		Params: params})
	if err != nil {
		return nil, fmt.Errorf("open the try's tracking run: %w", err)
	}
	env := map[string]string{"MLFLOW_RUN_ID": run.Info.RunID, "MLFLOW_EXPERIMENT_ID": expID}
	if u := t.uri(); u != "" {
		env["MLFLOW_TRACKING_URI"] = u
	}
	if t.mint != nil {
		tok, revoke, err := t.mint(ctx, tt)
		if err != nil {
			return nil, fmt.Errorf("mint the try's tracking token: %w", err)
		}
		env["MLFLOW_TRACKING_TOKEN"] = tok
		t.mu.Lock()
		if t.revokes == nil {
			t.revokes = map[string]func(){}
		}
		t.revokes[run.Info.RunID] = revoke
		t.mu.Unlock()
	}
	return &executor.Tracking{RunID: run.Info.RunID, ExperimentID: expID, Env: env,
		Client: client{svc: t.svc, runID: run.Info.RunID}}, nil
}

// paramValue writes a param as MLflow keeps it: a string.
func paramValue(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// EndTry implements engine.Tracker.
func (t *Tracker) EndTry(ctx context.Context, runID string, ok, skipped bool) error {
	t.mu.Lock()
	revoke := t.revokes[runID]
	delete(t.revokes, runID)
	t.mu.Unlock()
	if revoke != nil {
		revoke()
	}
	status := tracking.RunFailed
	switch {
	case ok:
		status = tracking.RunFinished
	case skipped:
		status = tracking.RunKilled
	}
	_, err := t.svc.EndRun(ctx, runID, status)
	return err
}

// EndRun implements engine.Tracker.
func (t *Tracker) EndRun(ctx context.Context, dagID, runID string, state store.RunState) error {
	key := dagID + "\x00" + runID
	t.mu.Lock()
	parent, ok := t.parents[key]
	delete(t.parents, key)
	t.mu.Unlock()
	if !ok {
		return nil
	}
	status := tracking.RunFinished
	if state == store.RunFailed {
		status = tracking.RunFailed
	}
	_, err := t.svc.EndRun(ctx, parent, status)
	return err
}

// client logs into one tracking run for Go tasks.
type client struct {
	svc   *tracking.Service
	runID string
}

func (c client) LogParam(ctx context.Context, key, value string) error {
	return c.svc.LogParams(ctx, c.runID, tracking.Param{Key: key, Value: value})
}

func (c client) LogMetric(ctx context.Context, key string, value float64, step int64) error {
	return c.svc.LogMetrics(ctx, c.runID, tracking.Metric{Key: key, Value: value, Step: step})
}

func (c client) SetTag(ctx context.Context, key, value string) error {
	return c.svc.SetTags(ctx, c.runID, tracking.Tag{Key: key, Value: value})
}
