package dag

import "github.com/goccy/go-yaml/ast"

// schedule reads the DAG's schedule: a cron expression, preset or interval (a string), or,
// as Airflow 3's schedule=[Asset(...)] does, the assets whose updates run the DAG (a list
// of URIs, or {all: [...]} / {any: [...]}).
func (r *rawDAG) schedule(e entry) {
	s, d := r.scope, r.dag
	switch s.deref(e.valNode, e.key).(type) {
	case *ast.SequenceNode, *ast.MappingNode:
		r.setAssets(e, "schedule")
	default:
		d.Schedule, _ = s.str(e.valNode, e.key, false)
	}
}

// assets reads datasets: or assets: (Airflow 3's name for datasets).
func (r *rawDAG) assets(e entry) { r.setAssets(e, e.key) }

// setAssets sets the DAG's dataset condition from entry e, refusing a second one.
func (r *rawDAG) setAssets(e entry, field string) {
	c := r.scope.datasetCondition(e.valNode, e.key, 0)
	if c == nil {
		return
	}
	if r.assetField != "" {
		r.scope.errorf(e.keyNode, field, "the DAG's assets are already given by %s: give them once (datasets:, assets: and schedule: [URIs] are the same thing)", r.assetField)
		return
	}
	r.assetField = field
	r.dag.Datasets = c
}
