import { useState } from "preact/hooks";
import { DAGRun, enc, query, request, v1 } from "../api";
import { ErrorNote, Loading, Page, Pager, StateBadge, fmtTime } from "../components";
import { usePoll } from "../hooks";

const LIMIT = 50;
const STATES = ["queued", "running", "success", "failed"];
const TYPES = ["manual", "scheduled", "backfill", "dataset"];

const seconds = (r: DAGRun) => {
  if (!r.start_date) return "—";
  const end = r.end_date ? Date.parse(r.end_date) : Date.now();
  const s = (end - Date.parse(r.start_date)) / 1000;
  return s < 60 ? s.toFixed(1) + " s" : s < 3600 ? (s / 60).toFixed(1) + " min" : (s / 3600).toFixed(1) + " h";
};

/** Every DAG's runs in one list (Airflow's Browse → DAG Runs): newest first, filtered by
 * state, run type and DAG, each linked to its grid; what failed last night in one place. */
export function RunsBrowse() {
  const [offset, setOffset] = useState(0);
  const [states, setStates] = useState<string[]>([]);
  const [type, setType] = useState("");
  const [dagText, setDagText] = useState("");
  const [dag, setDag] = useState("");
  const page = usePoll(
    () =>
      request<{ dag_runs: DAGRun[]; total_entries: number }>(
        "GET",
        v1(`/dags/${dag ? enc(dag) : "~"}/dagRuns` + query({ state: states, run_type: type || undefined, order_by: "-queued_at", limit: LIMIT, offset })),
      ),
    [offset, states.join(","), type, dag],
  );
  const toggle = (s: string) => {
    setStates(states.includes(s) ? states.filter((x) => x !== s) : [...states, s]);
    setOffset(0);
  };
  return (
    <Page title="DAG runs">
      <form
        class="filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setDag(dagText.trim());
          setOffset(0);
        }}
      >
        <fieldset class="inline">
          <legend>State</legend>
          {STATES.map((s) => (
            <label class="inline">
              <input type="checkbox" checked={states.includes(s)} onChange={() => toggle(s)} /> {s}
            </label>
          ))}
        </fieldset>
        <label>
          Run type
          <select
            value={type}
            onChange={(e) => {
              setType(e.currentTarget.value);
              setOffset(0);
            }}
          >
            <option value="">any</option>
            {TYPES.map((t) => (
              <option value={t}>{t}</option>
            ))}
          </select>
        </label>
        <label>
          DAG
          <input value={dagText} onInput={(e) => setDagText(e.currentTarget.value)} placeholder="every DAG" />
        </label>
        <button type="submit">Show</button>
      </form>
      <ErrorNote error={page.error} />
      <Loading when={page.loading && !page.data} />
      {page.data && (
        <>
          <table class="list">
            <caption>
              {page.data.total_entries.toLocaleString("en")} run{page.data.total_entries === 1 ? "" : "s"}
              {states.length ? ` ${states.join(" or ")}` : ""}
              {type ? `, ${type}` : ""}
              {dag ? ` of ${dag}` : ""}, newest first
            </caption>
            <thead>
              <tr>
                <th scope="col">DAG</th>
                <th scope="col">Run</th>
                <th scope="col">State</th>
                <th scope="col">Type</th>
                <th scope="col">Logical date</th>
                <th scope="col">Started</th>
                <th scope="col">Ended</th>
                <th scope="col">Duration</th>
              </tr>
            </thead>
            <tbody>
              {page.data.dag_runs.map((r) => (
                <tr key={r.dag_id + "/" + r.dag_run_id}>
                  <td>
                    <a href={`/dags/${enc(r.dag_id)}/grid`}>{r.dag_id}</a>
                  </td>
                  <th scope="row">
                    <a href={`/dags/${enc(r.dag_id)}/grid?${new URLSearchParams({ run: r.dag_run_id })}`}>{r.dag_run_id}</a>
                  </th>
                  <td>
                    <StateBadge state={r.state} />
                  </td>
                  <td>{r.run_type}</td>
                  <td>{fmtTime(r.logical_date)}</td>
                  <td>{fmtTime(r.start_date)}</td>
                  <td>{fmtTime(r.end_date)}</td>
                  <td class="num">{seconds(r)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {page.data.dag_runs.length === 0 && <p class="muted">No runs match.</p>}
          <Pager offset={offset} limit={LIMIT} total={page.data.total_entries} onChange={setOffset} />
        </>
      )}
    </Page>
  );
}
