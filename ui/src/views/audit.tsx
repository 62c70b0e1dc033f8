import { useState } from "preact/hooks";
import { query, request, v1 } from "../api";
import { ErrorNote, Loading, Page, fmtTime } from "../components";
import { usePoll } from "../hooks";

const LIMIT = 100;

interface AuditEntry {
  id: number;
  time: string;
  actor: string;
  actor_kind: string;
  action: string;
  target_type?: string;
  target_id?: string;
  details?: Record<string, unknown> | null;
  request_id?: string;
  remote_addr?: string;
  outcome: string;
  hash: string;
}

/** The audit log (admins; GET /api/v1/audit): who did what to which object, when, from
 * where and with what outcome, newest first, filtered by actor and action (a prefix with
 * "*"), paged back by entry id. `weir audit verify` checks the hash chain. */
export function Audit() {
  const [before, setBefore] = useState<number[]>([]); // the before_id of each page shown so far
  const [actorText, setActorText] = useState("");
  const [actionText, setActionText] = useState("");
  const [f, setF] = useState({ actor: "", action: "" });
  const beforeId = before[before.length - 1];
  const page = usePoll(
    () => request<{ entries: AuditEntry[] }>("GET", v1("/audit" + query({ order: "desc", limit: LIMIT, before_id: beforeId, actor: f.actor || undefined, action: f.action || undefined }))),
    [beforeId, f.actor, f.action],
  );
  const entries = page.data?.entries || [];
  return (
    <Page title="Audit log">
      <form
        class="filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setF({ actor: actorText.trim(), action: actionText.trim() });
          setBefore([]);
        }}
      >
        <label>
          Actor
          <input value={actorText} onInput={(e) => setActorText(e.currentTarget.value)} placeholder="anyone" />
        </label>
        <label>
          Action
          <input value={actionText} onInput={(e) => setActionText(e.currentTarget.value)} placeholder="dag_run.* or model.register" />
        </label>
        <button type="submit">Show</button>
      </form>
      <ErrorNote error={page.error} />
      <Loading when={page.loading && !page.data} />
      {page.data && (
        <>
          <div class="table-wrap">
            <table class="list">
              <caption>Newest first</caption>
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <th scope="col">Time</th>
                  <th scope="col">Actor</th>
                  <th scope="col">Action</th>
                  <th scope="col">Target</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">From</th>
                  <th scope="col">Details</th>
                </tr>
              </thead>
              <tbody>
                {entries.map((e) => (
                  <tr key={e.id}>
                    <td class="num">{e.id}</td>
                    <td>{fmtTime(e.time)}</td>
                    <th scope="row">
                      {e.actor} <span class="muted small">({e.actor_kind})</span>
                    </th>
                    <td>
                      <code>{e.action}</code>
                    </td>
                    <td>{e.target_type ? `${e.target_type} ${e.target_id || ""}` : "—"}</td>
                    <td>
                      <span class={e.outcome === "success" ? "tag" : "tag warn"}>{e.outcome}</span>
                    </td>
                    <td class="small">{e.remote_addr || "—"}</td>
                    <td class="small">
                      <code title={`hash ${e.hash}${e.request_id ? `, request ${e.request_id}` : ""}`}>{e.details ? JSON.stringify(e.details) : ""}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {entries.length === 0 && <p class="muted">No entries match.</p>}
          <nav class="pager" aria-label="Pages">
            <button type="button" disabled={before.length === 0} onClick={() => setBefore([])}>
              Newest
            </button>
            <button type="button" disabled={before.length === 0} onClick={() => setBefore(before.slice(0, -1))}>
              Newer
            </button>
            <button type="button" disabled={entries.length < LIMIT} onClick={() => setBefore([...before, entries[entries.length - 1].id])}>
              Older
            </button>
          </nav>
          <p class="muted small">
            Entries are chained by hash; check the chain with <code>weir audit verify</code>.
          </p>
        </>
      )}
    </Page>
  );
}
