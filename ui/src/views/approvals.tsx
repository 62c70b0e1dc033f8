import { useState } from "preact/hooks";
import { Approval, currentUser, enc, query, request, v1 } from "../api";
import { ErrorNote, Loading, Page, fmtTime } from "../components";
import { usePoll } from "../hooks";

const LIMIT = 100;

/** Whether the signed-in user is among those asked: anyone when the request names no
 * users, or when nobody is signed in (a server without login). The server decides roles. */
export const isMine = (a: Approval) => !currentUser || currentUser.kind === "anonymous" || !(a.assigned_users || []).length || a.assigned_users!.includes(currentUser.name);

export const approvalPath = (a: Approval) => `/approvals/${enc(a.dag_id)}/${enc(a.dag_run_id)}/${enc(a.task_id)}` + (a.map_index >= 0 ? `/${a.map_index}` : "");

/** The pending approval requests (oldest first) the server lets this user see, each
 * answered here through POST …/respond. */
export function Approvals() {
  const page = usePoll(() => request<{ approvals: Approval[]; total_entries: number }>("GET", v1("/approvals" + query({ state: "pending", limit: LIMIT }))), []);
  const [done, setDone] = useState<string[]>([]);
  return (
    <Page title="Approvals">
      <ErrorNote error={page.error} />
      <Loading when={page.loading && !page.data} />
      {done.map((d) => (
        <p class="ok" role="status">
          {d}
        </p>
      ))}
      {page.data && page.data.approvals.filter(isMine).length === 0 && <p class="muted">Nothing waits for your answer.</p>}
      {page.data?.approvals.filter(isMine).map((a) => (
        <ApprovalCard key={approvalPath(a)} a={a} onDone={(msg) => (setDone([...done, msg]), page.reload())} />
      ))}
      {page.data && page.data.approvals.some((a) => !isMine(a)) && (
        <details class="others">
          <summary>Assigned to others ({page.data.approvals.filter((a) => !isMine(a)).length})</summary>
          {page.data.approvals
            .filter((a) => !isMine(a))
            .map((a) => (
              <ApprovalCard key={approvalPath(a)} a={a} readOnly onDone={() => page.reload()} />
            ))}
        </details>
      )}
      {page.data && page.data.total_entries > LIMIT && <p class="muted">Showing the oldest {LIMIT} of {page.data.total_entries}.</p>}
    </Page>
  );
}

function ApprovalCard(props: { a: Approval; readOnly?: boolean; onDone: (msg: string) => void }) {
  const a = props.a;
  const [chosen, setChosen] = useState<string[]>([]);
  const [comment, setComment] = useState("");
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const id = `appr-${a.dag_id}-${a.dag_run_id}-${a.task_id}-${a.map_index}`.replace(/[^A-Za-z0-9_-]/g, "_");
  const send = async (opts: string[]) => {
    setError(undefined);
    setBusy(true);
    try {
      await request("POST", v1(approvalPath(a) + "/respond"), { chosen_options: opts, comment: comment || undefined });
      props.onDone(`Answered “${a.subject}”: ${opts.join(", ")}`);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const taskHref = `/dags/${enc(a.dag_id)}/grid?${new URLSearchParams({ run: a.dag_run_id, task: a.task_id, ...(a.map_index >= 0 ? { map: String(a.map_index) } : {}) })}`;
  return (
    <article class="approval" aria-labelledby={id}>
      <h2 id={id}>{a.subject}</h2>
      <p class="muted small">
        <a href={taskHref}>
          {a.dag_id} / {a.dag_run_id} / {a.task_id}
          {a.map_index >= 0 ? `[${a.map_index}]` : ""}
        </a>{" "}
        · asked {fmtTime(a.created_at)}
        {a.timeout_at ? ` · takes ${a.defaults.join(", ") || "no answer"} at ${fmtTime(a.timeout_at)}` : ""}
        {a.assigned_role ? ` · for role ${a.assigned_role}` : ""}
        {(a.assigned_users || []).length ? ` · for ${a.assigned_users!.join(", ")}` : ""}
      </p>
      {a.body && <pre class="approval-body">{a.body}</pre>}
      {props.readOnly ? (
        <p class="muted">Options: {a.options.join(", ")}</p>
      ) : (
        <>
          <label>
            Comment
            <textarea rows={2} value={comment} onInput={(e) => setComment(e.currentTarget.value)} />
          </label>
          {a.multiple ? (
            <fieldset>
              <legend>Choose one or more</legend>
              {a.options.map((o) => (
                <label class="inline">
                  <input type="checkbox" checked={chosen.includes(o)} onChange={() => setChosen(chosen.includes(o) ? chosen.filter((x) => x !== o) : [...chosen, o])} />
                  {o}
                </label>
              ))}
              <button type="button" class="primary" disabled={busy || chosen.length === 0} onClick={() => send(chosen)}>
                Send
              </button>
            </fieldset>
          ) : (
            <div role="group" aria-label="Answer">
              {a.options.map((o, i) => (
                <button type="button" class={i === 0 ? "primary" : ""} disabled={busy} onClick={() => send([o])}>
                  {o}
                </button>
              ))}
            </div>
          )}
        </>
      )}
      <ErrorNote error={error} />
    </article>
  );
}

/** The count of pending approvals for the nav's badge; nothing when the user may not list them. */
export function ApprovalBadge() {
  const n = usePoll(
    () =>
      request<{ approvals: Approval[]; total_entries: number }>("GET", v1("/approvals" + query({ state: "pending", limit: LIMIT })))
        .then((r) => r.approvals.filter(isMine).length + Math.max(0, r.total_entries - r.approvals.length))
        .catch(() => 0),
    [],
  );
  if (!n.data) return null;
  return (
    <span class="count">
      {n.data}
      <span class="sr-only"> pending</span>
    </span>
  );
}
