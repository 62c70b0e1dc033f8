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
// # Task kinds
//
// What a task does is its kind, and kinds are not a closed list in this package: each is a
// KindDef (its YAML fields as a tagged Go struct decoded strictly, its checks, which fields
// are templates), and a Kinds set passed in LoadOptions.Kinds decides which kinds a DAG may
// use. The loader reads a kind's fields with the same typed readers and file:line:column
// errors as every other field, the validator runs the kind's checks through KindCheck, and
// RenderTask renders its template fields; none of them names a kind. The built-in kinds
// (CommandKind, HTTPKind, GoKind, SensorKind; BuiltinKinds, the default set) use the same
// door, and keep their specs in the typed Task fields the SDK builds; every other kind keeps
// its spec in Task.Spec. Package kinds pairs each KindDef with its executor. The engine's own
// kinds (branch, short_circuit, latest_only) are task flags that command and go tasks share,
// not registrations.
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
//     free-form values (param schemas, go args) keep int64 and float64 apart. Task.Spec (the
//     spec of a kind other than the built-in ones) comes back as a JSON object, not its
//     struct: such a task must be loaded again from its source to run.
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
