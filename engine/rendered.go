package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/store"
)

// ErrNoInstance is returned by RenderedFields for a task or map index the run does not have.
var ErrNoInstance = errors.New("no such task instance")

// RenderedFields renders the templated fields of one task instance of a stored run, as
// its try sees them (Airflow's rendered template fields): the task kind's spec with every
// template evaluated against the run's params, conf, logical date, the instance's map
// arguments and its upstream outputs as stored now. It returns the spec's fields by their
// JSON names (a command task's "script" or "argv", an http task's "url", …). Branch and
// short-circuit tasks are not rendered (the engine evaluates their conditions itself): their
// fields are returned as written. A template error is returned as a dag error naming the
// field. secrets looks up the variables and connections templates read; nil makes such
// templates fail. The caller masks what it shows.
func RenderedFields(ctx context.Context, st store.Store, secrets dag.SecretLookup, dagID, runID, taskID string, mapIndex int) (map[string]any, error) {
	run, err := st.GetRun(ctx, dagID, runID)
	if err != nil {
		return nil, err
	}
	tis, err := st.ListTaskInstances(ctx, store.ListTIParams{DAGID: dagID, RunID: runID})
	if err != nil {
		return nil, err
	}
	var d dag.DAG
	if err := json.Unmarshal(run.DAG, &d); err != nil {
		return nil, fmt.Errorf("run %s: decode the DAG snapshot: %w", runID, err)
	}
	rs, err := newRunState(run, &d, tis)
	if err != nil {
		return nil, err
	}
	n := rs.nodes[taskID]
	if n == nil {
		return nil, fmt.Errorf("run %s of DAG %s has no task %q: %w", runID, dagID, taskID, ErrNoInstance)
	}
	var ti *store.TaskInstance
	for _, x := range n.tis {
		if x.MapIndex == mapIndex {
			ti = x
		}
	}
	if ti == nil {
		return nil, fmt.Errorf("task %s of run %s has no instance with map index %d: %w", taskID, runID, mapIndex, ErrNoInstance)
	}
	t := n.task
	if t.Kind != KindBranch && t.Kind != KindShortCircuit {
		// templateContext reads only the run state, not the engine.
		tctx := (&Engine{}).templateContext(rs, n, ti, false)
		if tctx.TryNumber == 0 {
			tctx.TryNumber = 1 // the first try, not started yet
		}
		tctx.Secrets = secrets
		if t, err = dag.RenderTask(t, tctx); err != nil {
			return nil, err
		}
	}
	return specFields(t)
}

// specFields returns the fields of a task kind's spec by their JSON names.
func specFields(t *dag.Task) (map[string]any, error) {
	var spec any
	switch {
	case t.Command != nil:
		spec = t.Command
	case t.HTTP != nil:
		spec = t.HTTP
	case t.Go != nil:
		spec = t.Go
	case t.Sensor != nil:
		spec = t.Sensor
	case t.Branch != nil:
		spec = t.Branch
	case t.ShortCircuit != nil:
		spec = t.ShortCircuit
	default:
		spec = t.Spec
	}
	out := map[string]any{}
	if spec == nil {
		return out, nil
	}
	b, err := json.Marshal(spec)
	if err != nil {
		return nil, fmt.Errorf("task %s: encode its rendered spec: %w", t.ID, err)
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("task %s: its rendered spec is not a JSON object: %w", t.ID, err)
	}
	return out, nil
}
