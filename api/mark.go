package api

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/store"
)

// markRelatives returns the instances of the tasks upstream (up) and downstream (down) of
// taskID in a run, transitively, that are not already in state, ordered so that every
// task comes after its upstreams: what Airflow's include_upstream and include_downstream
// add to a mark.
func (a *API) markRelatives(ctx context.Context, run *store.DAGRun, taskID string, up, down bool, state store.TIState) ([]*store.TaskInstance, error) {
	if !up && !down {
		return nil, nil
	}
	full, err := a.cfg.Store.GetRun(ctx, run.DAGID, run.RunID)
	if err != nil {
		return nil, err
	}
	var d dag.DAG
	if err := json.Unmarshal(full.DAG, &d); err != nil {
		return nil, fmt.Errorf("run %s of DAG %s: decode the DAG snapshot: %w", run.RunID, run.DAGID, err)
	}
	upstream := make(map[string][]string, len(d.Tasks))
	for _, t := range d.Tasks {
		upstream[t.ID] = t.Upstream
	}
	related := map[string]bool{}
	walk := func(next map[string][]string) {
		stack := []string{taskID}
		for len(stack) > 0 {
			id := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for _, n := range next[id] {
				if n != taskID && !related[n] {
					related[n] = true
					stack = append(stack, n)
				}
			}
		}
	}
	if up {
		walk(upstream)
	}
	if down {
		walk(dag.Downstream(&d))
	}
	if len(related) == 0 {
		return nil, nil
	}
	order, err := dag.Topo(&d)
	if err != nil {
		return nil, fmt.Errorf("run %s of DAG %s: order its tasks: %w", run.RunID, run.DAGID, err)
	}
	ids := slices.DeleteFunc(order, func(id string) bool { return !related[id] })
	tis, err := a.cfg.Store.ListTaskInstances(ctx, store.ListTIParams{DAGID: run.DAGID, RunID: run.RunID, TaskIDs: ids})
	if err != nil {
		return nil, err
	}
	rank := make(map[string]int, len(ids))
	for i, id := range ids {
		rank[id] = i
	}
	tis = slices.DeleteFunc(tis, func(ti *store.TaskInstance) bool { return ti.State == state })
	slices.SortStableFunc(tis, func(x, y *store.TaskInstance) int {
		if c := rank[x.TaskID] - rank[y.TaskID]; c != 0 {
			return c
		}
		return x.MapIndex - y.MapIndex
	})
	return tis, nil
}

// markGroup is the instances of one task to mark: mapIndex -1 marks all of them.
type markGroup struct {
	taskID   string
	mapIndex int
	tis      []*store.TaskInstance
}

// groupsOf groups instances ordered by task into one markGroup per task.
func groupsOf(tis []*store.TaskInstance) []markGroup {
	var out []markGroup
	for i := 0; i < len(tis); {
		j := i
		for j < len(tis) && tis[j].TaskID == tis[i].TaskID {
			j++
		}
		mapIndex := -1
		if j-i == 1 {
			mapIndex = tis[i].MapIndex
		}
		out = append(out, markGroup{tis[i].TaskID, mapIndex, tis[i:j]})
		i = j
	}
	return out
}
