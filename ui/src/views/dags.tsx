import { useState } from "preact/hooks";
import { DAG, DAGRun, ImportError, enc, query, request, v1 } from "../api";
import { ErrorNote, Loading, Page, Pager, StateSquare, fmtTime } from "../components";
import { usePoll } from "../hooks";

const LIMIT = 25;
const LAST_RUNS = 10;

interface Row {
  dag: DAG;
  runs: DAGRun[];
}

/** The DAG list: a page of DAGs, each with its last runs as squares and its pause toggle. */
export function DagList() {
  const [search, setSearch] = useState("");
  const [tag, setTag] = useState("");
  const [offset, setOffset] = useState(0);
  const page = usePoll(async () => {
    const c = await request<{ dags: DAG[]; total_entries: number }>(
      "GET",
      v1("/dags" + query({ limit: LIMIT, offset, dag_id_pattern: search, tags: tag ? [tag] : undefined })),
    );
    const rows: Row[] = await Promise.all(
      c.dags.map(async (dag) => {
        const r = await request<{ dag_runs: DAGRun[] }>("GET", v1(`/dags/${enc(dag.dag_id)}/dagRuns` + query({ limit: LAST_RUNS, order_by: "-logical_date" })));
        return { dag, runs: r.dag_runs.reverse() };
      }),
    );
    return { rows, total: c.total_entries };
  }, [search, tag, offset]);
  const errors = usePoll(() => request<{ import_errors: ImportError[]; total_entries: number }>("GET", v1("/importErrors?limit=20")), []);
  const [toggleError, setToggleError] = useState<string>();

  const toggle = async (dag: DAG) => {
    setToggleError(undefined);
    try {
      await request("PATCH", v1(`/dags/${enc(dag.dag_id)}?update_mask=is_paused`), { is_paused: !dag.is_paused });
      page.reload();
    } catch (e) {
      setToggleError((e as Error).message);
    }
  };

  return (
    <Page title="DAGs">
      {errors.data && errors.data.total_entries > 0 && (
        <details class="import-errors" open>
          <summary>
            {errors.data.total_entries} DAG file{errors.data.total_entries > 1 ? "s" : ""} failed to load
          </summary>
          {errors.data.import_errors.map((ie) => (
            <div>
              <strong>{ie.filename}</strong>
              <pre>{ie.stack_trace}</pre>
            </div>
          ))}
        </details>
      )}
      <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label>
          Search DAGs
          <input type="search" value={search} onInput={(e) => (setSearch(e.currentTarget.value), setOffset(0))} placeholder="DAG ID contains…" />
        </label>
        <label>
          Tag
          <input value={tag} onInput={(e) => (setTag(e.currentTarget.value), setOffset(0))} placeholder="any tag" />
        </label>
      </form>
      <ErrorNote error={page.error || toggleError} />
      <Loading when={page.loading && !page.data} />
      {page.data && (
        <>
          <table class="list">
            <thead>
              <tr>
                <th scope="col">Active</th>
                <th scope="col">DAG</th>
                <th scope="col">Schedule</th>
                <th scope="col">Last runs</th>
                <th scope="col">Last run</th>
                <th scope="col">Next run</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {page.data.rows.map(({ dag, runs }) => (
                <tr key={dag.dag_id}>
                  <td>
                    <button
                      type="button"
                      role="switch"
                      class="switch"
                      aria-checked={!dag.is_paused}
                      aria-label={`${dag.dag_id} ${dag.is_paused ? "paused" : "active"}`}
                      title={dag.is_paused ? "Paused: click to unpause" : "Active: click to pause"}
                      onClick={() => toggle(dag)}
                    >
                      <span aria-hidden="true" />
                    </button>
                  </td>
                  <th scope="row">
                    <a href={`/dags/${enc(dag.dag_id)}/grid`}>{dag.dag_id}</a>
                    {dag.has_import_errors && <span class="tag warn">import error</span>}
                    {dag.description && <div class="muted small">{dag.description}</div>}
                    <div>
                      {dag.tags.map((t) => (
                        <button type="button" class="tag" onClick={() => (setTag(t.name), setOffset(0))} aria-label={`Filter by tag ${t.name}`}>
                          {t.name}
                        </button>
                      ))}
                    </div>
                  </th>
                  <td>
                    <code>{dag.schedule || (dag.dataset_expression ? "on datasets" : "manual")}</code>
                    {dag.dataset_expression && <div class="muted small">{dag.dataset_expression}</div>}
                    {dag.timetable_description && dag.timetable_description !== dag.schedule && <div class="muted small">{dag.timetable_description}</div>}
                  </td>
                  <td class="squares">
                    {runs.map((r) => (
                      <StateSquare state={r.state} label={`${dag.dag_id} run ${r.dag_run_id}`} href={`/dags/${enc(dag.dag_id)}/grid?run=${enc(r.dag_run_id)}`} />
                    ))}
                  </td>
                  <td class="small">{runs.length ? fmtTime(runs[runs.length - 1].logical_date) : <span class="muted">never</span>}</td>
                  <td class="small next-run">
                    {dag.next_dagrun ? (
                      <>
                        {fmtTime(dag.next_dagrun)}
                        {dag.next_dagrun_create_after && <div class="muted">runs after {fmtTime(dag.next_dagrun_create_after)}</div>}
                      </>
                    ) : (
                      <span class="muted">{dag.schedule ? "none" : "—"}</span>
                    )}
                  </td>
                  <td>
                    <a class="button" href={`/dags/${enc(dag.dag_id)}/trigger`} aria-label={`Trigger ${dag.dag_id}`}>
                      Trigger
                    </a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {page.data.rows.length === 0 && <p class="muted">No DAGs match.</p>}
          <Pager offset={offset} limit={LIMIT} total={page.data.total} onChange={setOffset} />
        </>
      )}
    </Page>
  );
}
