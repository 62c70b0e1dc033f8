// Package dag holds weir's DAG model (DAG, Task, Group, trigger rules, task options), the YAML
// loader and validator, and the templating of task arguments.
//
// Two front doors lead to one model: YAML files (LoadDir, LoadFile) and Go code through the
// SDK (the root weir package), which builds the same *DAG values. Validate checks a DAG from
// either source; errors carry the file, line and column where the YAML defines the bad value.
//
// Task IDs are fully qualified: a task "clean" inside group "prep" is "prep.clean". Group
// dependencies are expanded when a DAG is loaded, so the engine sees only task-to-task edges.
//
// Templates are strings with "{{ expr }}" parts, where expr is an expr-lang expression over
// the template context (params, run_id, dag_id, task_id, logical_date, ds, ts, try_number,
// map_index, conf, outputs). They are compiled and checked when a DAG is loaded and
// evaluated when a task instance starts.
package dag
