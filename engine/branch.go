package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/executor"
	"github.com/weirhq/weir/store"
)

// Kinds evaluated by the engine itself, without a process: a branch or short-circuit
// expression, and latest-only.
const (
	KindBranch       = "branch"
	KindShortCircuit = "short_circuit"
	KindLatestOnly   = "latest_only"
)

// exprKind evaluates a branch or short-circuit expression against the try's template
// context; its output is the expression's value.
type exprKind struct{}

func (exprKind) Run(_ context.Context, job *executor.Job) executor.Result {
	var src string
	switch {
	case job.Task.Branch != nil:
		src = job.Task.Branch.Expr
	case job.Task.ShortCircuit != nil:
		src = job.Task.ShortCircuit.Expr
	}
	v, err := dag.EvalExpr(src, job.Template)
	if err != nil {
		return executor.Result{Outcome: executor.FailedNoRetry, Err: err}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return executor.Result{Outcome: executor.FailedNoRetry, Err: fmt.Errorf("encode the expression's value: %w", err)}
	}
	fmt.Fprintf(job.Log, "%s => %s\n", src, b)
	return executor.Result{Outcome: executor.Succeeded, Output: b}
}

// noopKind succeeds at once (latest-only decides after it, in the engine).
type noopKind struct{}

func (noopKind) Run(context.Context, *executor.Job) executor.Result {
	return executor.Result{Outcome: executor.Succeeded}
}

// skipPlan is what a branch, short-circuit or latest-only task skips when it succeeds.
type skipPlan struct {
	skip   []*node
	reason string
}

// plan decides, before a successful try is committed, what the task skips; an invalid
// branch choice is an error that fails the task.
func (e *Engine) plan(rs *runState, n *node, out json.RawMessage) (*skipPlan, error) {
	t := n.task
	switch {
	case t.Branch != nil:
		var v any
		if len(out) > 0 {
			if err := json.Unmarshal(out, &v); err != nil {
				return nil, fmt.Errorf("branch output is not JSON: %w", err)
			}
		}
		var ids []string
		switch x := v.(type) {
		case nil:
		case string:
			ids = []string{x}
		case []any:
			for _, it := range x {
				s, ok := it.(string)
				if !ok {
					return nil, fmt.Errorf("branch chose %s: want a task or group id, a list of them, or null", describe(it))
				}
				ids = append(ids, s)
			}
		default:
			return nil, fmt.Errorf("branch chose %s: want a task or group id, a list of them, or null", describe(v))
		}
		return e.branchPlan(rs, n, ids)
	case t.ShortCircuit != nil:
		var v any
		if len(out) > 0 {
			_ = json.Unmarshal(out, &v)
		}
		if dag.Truthy(v) {
			return nil, nil
		}
		p := &skipPlan{reason: fmt.Sprintf("short-circuited by %s (condition false)", t.ID)}
		if ign := t.ShortCircuit.IgnoreDownstreamTriggerRules; ign == nil || *ign {
			for x := range reach(n, func(x *node) []*node { return x.down }) {
				p.skip = append(p.skip, x)
			}
		} else {
			p.skip = append(p.skip, n.down...)
		}
		return p, nil
	case t.Kind == KindLatestOnly:
		if e.isLatest(rs) {
			return nil, nil
		}
		return &skipPlan{skip: n.down, reason: fmt.Sprintf("skipped by %s: not the latest run", t.ID)}, nil
	}
	return nil, nil
}

// branchPlan skips the direct downstreams that were not chosen, except those downstream of
// a chosen task (Airflow's SkipMixin.skip_all_except).
func (e *Engine) branchPlan(rs *runState, n *node, ids []string) (*skipPlan, error) {
	direct := map[string]*node{}
	var names []string
	groups := map[string]bool{}
	for _, d := range n.down {
		direct[d.task.ID] = d
		names = append(names, d.task.ID)
		for g := d.task.Group; g != ""; {
			groups[g] = true
			i := strings.LastIndexByte(g, '.')
			if i < 0 {
				break
			}
			g = g[:i]
		}
	}
	for g := range groups {
		names = append(names, g)
	}
	sort.Strings(names)
	keep := map[*node]bool{}
	for _, id := range ids {
		matched := false
		if d, ok := direct[id]; ok {
			keep[d] = true
			matched = true
		} else if groups[id] {
			for _, d := range n.down {
				if strings.HasPrefix(d.task.ID, id+".") {
					keep[d] = true
					matched = true
				}
			}
		}
		if !matched {
			// A task or group of the DAG that is not a direct downstream is followed too:
			// Airflow's skip_all_except fails only for ids that are not in the DAG.
			others := nodesOf(rs, id)
			if len(others) == 0 {
				return nil, fmt.Errorf("branch chose %q, which is not a task or group of DAG %s; the direct downstreams of %s are: %s", id, rs.key.dagID, n.task.ID, strings.Join(names, ", "))
			}
			for _, x := range others {
				keep[x] = true
			}
		}
	}
	for k := range keep {
		for x := range reach(k, func(x *node) []*node { return x.down }) {
			keep[x] = true
		}
	}
	p := &skipPlan{reason: fmt.Sprintf("skipped by branch %s (chose %s)", n.task.ID, chosen(ids))}
	for _, d := range n.down {
		if !keep[d] {
			p.skip = append(p.skip, d)
		}
	}
	return p, nil
}

// nodesOf returns the node of task id in the run, or the nodes of every task of group id.
func nodesOf(rs *runState, id string) []*node {
	if x := rs.nodes[id]; x != nil {
		return []*node{x}
	}
	var out []*node
	for tid, x := range rs.nodes {
		if strings.HasPrefix(tid, id+".") {
			out = append(out, x)
		}
	}
	return out
}

func chosen(ids []string) string {
	if len(ids) == 0 {
		return "nothing"
	}
	return strings.Join(ids, ", ")
}

// apply skips the pending instances of the plan's nodes.
func (e *Engine) apply(rs *runState, p *skipPlan) {
	if p == nil {
		return
	}
	for _, x := range p.skip {
		for _, ti := range x.tis {
			if ti.State == store.TINone {
				e.finishWithout(rs, x, ti, store.TISkipped, p.reason)
			}
		}
	}
}

// isLatest reports whether a run is the latest of its DAG for latest-only: a run that was
// not scheduled (manual, dataset-triggered) always is, as in Airflow; a scheduled run is
// unless a run with a later logical date exists.
func (e *Engine) isLatest(rs *runState) bool {
	if rs.run.RunType != "scheduled" && rs.run.RunType != "backfill" {
		return true
	}
	runs, err := e.cfg.Store.ListRuns(e.ctx, store.ListRunsParams{DAGID: rs.key.dagID, Limit: 100})
	if err != nil {
		return true
	}
	for _, r := range runs {
		if r.LogicalDate.After(rs.run.LogicalDate) {
			return false
		}
	}
	return true
}
