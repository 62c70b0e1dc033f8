-- The template fields of each try of a task instance as rendered when the try started
-- (Airflow's rendered_task_instance_fields), secrets masked, each field capped in length by
-- the engine. Only the last runs of each task keep theirs (RenderedFields.KeepRuns).
CREATE TABLE rendered_fields (
    dag_id      TEXT    NOT NULL,
    run_id      TEXT    NOT NULL,
    task_id     TEXT    NOT NULL,
    map_index   INTEGER NOT NULL,
    try_number  INTEGER NOT NULL,
    fields      TEXT    NOT NULL,
    rendered_at INTEGER NOT NULL,
    PRIMARY KEY (dag_id, run_id, task_id, map_index, try_number),
    FOREIGN KEY (dag_id, run_id, task_id, map_index)
        REFERENCES task_instances (dag_id, run_id, task_id, map_index) ON DELETE CASCADE
) STRICT;

-- Serves the pruning of a task's older runs.
CREATE INDEX rendered_fields_task ON rendered_fields (dag_id, task_id, run_id);
