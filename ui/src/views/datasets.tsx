import { useState } from "preact/hooks";
import { enc, query, request, v1 } from "../api";
import { ErrorNote, Loading, Page, Pager, fmtTime } from "../components";
import { usePoll } from "../hooks";

const LIMIT = 25;

interface Dataset {
  uri: string;
  updated_at?: string | null;
  consuming_dags: { dag_id: string }[];
  producing_tasks: { dag_id: string; task_id: string }[];
}
interface DatasetEvent {
  id: number;
  dataset_uri: string;
  source_dag_id?: string | null;
  source_run_id?: string | null;
  source_task_id?: string | null;
  source_map_index?: number;
  timestamp: string;
}

/** Datasets: producers → dataset → consumers, a page at a time, and the latest events. */
export function Datasets() {
  const [search, setSearch] = useState("");
  const [offset, setOffset] = useState(0);
  const [picked, setPicked] = useState<string>("");
  const page = usePoll(
    () => request<{ datasets: Dataset[]; total_entries: number }>("GET", v1("/datasets" + query({ limit: LIMIT, offset, uri_pattern: search }))),
    [search, offset],
  );
  const events = usePoll(
    () => request<{ dataset_events: DatasetEvent[]; total_entries: number }>("GET", v1("/datasets/events" + query({ limit: 20, dataset_uri: picked }))),
    [picked],
  );
  return (
    <Page title="Datasets">
      <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label>
          Search datasets
          <input type="search" value={search} onInput={(e) => (setSearch(e.currentTarget.value), setOffset(0))} placeholder="URI contains…" />
        </label>
      </form>
      <ErrorNote error={page.error || events.error} />
      <Loading when={page.loading && !page.data} />
      {page.data && (
        <>
          <table class="list">
            <thead>
              <tr>
                <th scope="col">Produced by</th>
                <th scope="col">Dataset</th>
                <th scope="col">Consumed by</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {page.data.datasets.map((d) => (
                <tr key={d.uri}>
                  <td>
                    {d.producing_tasks.map((p) => (
                      <div>
                        <a href={`/dags/${enc(p.dag_id)}/grid`}>{p.dag_id}</a>.{p.task_id} →
                      </div>
                    ))}
                  </td>
                  <th scope="row">
                    <button type="button" class="linkish" aria-pressed={picked === d.uri} onClick={() => setPicked(picked === d.uri ? "" : d.uri)}>
                      {d.uri}
                    </button>
                  </th>
                  <td>
                    {d.consuming_dags.map((c) => (
                      <div>
                        → <a href={`/dags/${enc(c.dag_id)}/grid`}>{c.dag_id}</a>
                      </div>
                    ))}
                  </td>
                  <td>{fmtTime(d.updated_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {page.data.datasets.length === 0 && <p class="muted">No datasets have had events yet.</p>}
          <Pager offset={offset} limit={LIMIT} total={page.data.total_entries} onChange={setOffset} />
        </>
      )}
      {events.data && (
        <table class="list">
          <caption>{picked ? `Latest events of ${picked}` : "Latest events"}</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Dataset</th>
              <th scope="col">Source</th>
            </tr>
          </thead>
          <tbody>
            {events.data.dataset_events.map((e) => (
              <tr key={e.id}>
                <td>{fmtTime(e.timestamp)}</td>
                <td>{e.dataset_uri}</td>
                <td>
                  {e.source_dag_id ? (
                    <a href={`/dags/${enc(e.source_dag_id)}/grid?run=${enc(e.source_run_id || "")}`}>
                      {e.source_dag_id} / {e.source_run_id} / {e.source_task_id}
                      {e.source_map_index !== undefined && e.source_map_index >= 0 ? `[${e.source_map_index}]` : ""}
                    </a>
                  ) : (
                    <span class="muted">posted through the API</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Page>
  );
}
