// Package dag holds weir's DAG model (DAG, Task, Group, trigger rules, task options), the YAML
// loader and validator, params resolution, and the templating of task arguments.
//
// # Two front doors, one model
//
// YAML files (LoadDir, LoadFile, LoadBytes; the format is in docs/dag-yaml.md) and Go code
// through the SDK (the root weir package) both build *DAG values. Validate checks a DAG from
// either source. The loader validates as it loads, and reports every problem of a file, each
// as an *Error with the file, line and column of the offending YAML node, collected in a List;
// a DAG with any problem is not returned. Errors about a DAG built in Go have no position and
// name the DAG, group or task instead.
//
// # Invariants of a loaded or validated DAG
//
//   - Task IDs are fully qualified: task "clean" inside group "prep" is "prep.clean". IDs are
//     unique across tasks and groups; the own part of an ID matches [A-Za-z0-9_-]+.
//   - Task.Upstream holds task IDs only, deduplicated and sorted: group references are
//     expanded when a DAG is loaded (ExpandGroups), so the engine sees task-to-task edges.
//   - The graph is acyclic; Topo gives a deterministic order and Downstream the reverse edges.
//   - Every template compiles, uses known variables, declared params, and the outputs of
//     tasks upstream of the one using it.
//   - A DAG survives a JSON round trip unchanged (except Task.Pos, which is not serialized):
//     free-form values (param schemas, go args) keep int64 and float64 apart.
//
// # Params and templates
//
// DAG.ResolveParams computes a run's params from schema defaults, run conf and command-line
// overrides, validating each against its JSON schema. Templates are strings with "{{ expr }}"
// parts, where expr is an expr-lang expression over the template context (params, conf,
// run_id, dag_id, task_id, map_index, try_number, logical_date, ds, ds_nodash, ts, ts_nodash,
// outputs). They are compiled when a DAG is validated, the programs cached by source, and
// evaluated by RenderTask when a task instance starts; an evaluation error (an upstream
// output without the field an expression reads, say) fails that task instance.
//
// DAG.Resolve gives a task's effective options: its own, else the DAG defaults, else the
// built-in defaults (DefaultRetries, DefaultRetryDelay, ...).
package dag
