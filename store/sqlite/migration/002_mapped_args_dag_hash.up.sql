-- 002_mapped_args_dag_hash: the DAG version of a run, the arguments and display name of a
-- mapped task instance.
--
-- ADD COLUMN with a constant default rewrites no row: existing runs get dag_hash '' and
-- existing task instances no args (NULL) and rendered_map_index ''.

-- dag_hash identifies the version of the DAG definition in dag (a hash of the snapshot), ''
-- when unknown.
ALTER TABLE dag_runs ADD COLUMN dag_hash TEXT NOT NULL DEFAULT '';

-- args is the JSON object of a mapped instance's arguments (partial arguments and expanded
-- item), NULL for an unmapped task; rendered_map_index is its display name, '' when none.
ALTER TABLE task_instances ADD COLUMN args TEXT;
ALTER TABLE task_instances ADD COLUMN rendered_map_index TEXT NOT NULL DEFAULT '';
