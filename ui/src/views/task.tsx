import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { DAGRun, TaskInstance, enc, query, request, v1 } from "../api";
import { ErrorNote, StateBadge, fmtTime } from "../components";
import { usePoll } from "../hooks";
import { unfinished } from "../states";
import type { Selection } from "./grid";

/** One task instance: its state, tries, log (followed while it runs), output, and clear/mark actions. */
export function TaskPanel(props: { dagId: string; sel: Selection; onClose: () => void; onChanged: () => void }) {
  const { dagId, sel } = props;
  const base = `/dags/${enc(dagId)}/dagRuns/${enc(sel.runId)}/taskInstances/${enc(sel.taskId)}`;
  const ti = usePoll(() => request<TaskInstance>("GET", v1(`${base}/${sel.mapIndex}`)), [base, sel.mapIndex], 2000);
  const [tryNo, setTryNo] = useState<number | null>(null);
  const t = ti.data;
  const shownTry = tryNo ?? t?.try_number ?? 0;
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus({ preventScroll: true }), [base, sel.mapIndex]); // the panel is sticky: in view
  useEffect(() => setTryNo(null), [base, sel.mapIndex]);

  return (
    <aside class="panel" aria-labelledby="ti-title">
      <div class="page-head">
        <h2 id="ti-title" tabIndex={-1} ref={heading}>
          {sel.taskId}
          {sel.mapIndex >= 0 ? `[${sel.mapIndex}]` : ""}
        </h2>
        <button type="button" onClick={props.onClose} aria-label="Close the task instance">
          Close
        </button>
      </div>
      <p class="muted small">run {sel.runId}</p>
      <ErrorNote error={ti.error} />
      {t && (
        <>
          <dl class="facts">
            <dt>State</dt>
            <dd>
              <StateBadge state={t.state} />
            </dd>
            <dt>Try</dt>
            <dd>
              {t.try_number} of {t.max_tries}
            </dd>
            <dt>Started</dt>
            <dd>{fmtTime(t.start_date) || "—"}</dd>
            <dt>Ended</dt>
            <dd>{fmtTime(t.end_date) || "—"}</dd>
            {t.duration != null && (
              <>
                <dt>Duration</dt>
                <dd>{t.duration.toFixed(2)} s</dd>
              </>
            )}
            {t.cached_from && (
              <>
                <dt>Cached from</dt>
                <dd>{t.cached_from}</dd>
              </>
            )}
          </dl>
          {t.error && <pre class="task-error">{t.error}</pre>}
          <Actions dagId={dagId} sel={sel} ti={t} onChanged={() => (ti.reload(), props.onChanged(), setTryNo(null))} />
          <Rendered url={v1(`${base}/renderedFields` + query({ map_index: sel.mapIndex >= 0 ? sel.mapIndex : undefined, try_number: tryNo ?? undefined }))} />
          {t.args && (
            <details>
              <summary>Arguments</summary>
              <pre>{JSON.stringify(t.args, null, 2)}</pre>
            </details>
          )}
          {t.output != null && (
            <details open>
              <summary>Output</summary>
              <pre>{JSON.stringify(t.output, null, 2)}</pre>
            </details>
          )}
          {t.try_number > 0 && (
            <>
              <div role="group" aria-label="Tries" class="tries">
                <span>Tries:</span>
                {Array.from({ length: t.try_number }, (_, i) => i + 1).map((n) => (
                  <button type="button" aria-pressed={n === shownTry} onClick={() => setTryNo(n)}>
                    {n}
                  </button>
                ))}
              </div>
              <Log url={v1(`${base}/logs/${shownTry}` + query({ map_index: sel.mapIndex >= 0 ? sel.mapIndex : undefined }))} live={shownTry === t.try_number && unfinished(t.state)} />
            </>
          )}
        </>
      )}
    </aside>
  );
}

/**
 * The instance's rendered template fields (Airflow's "Rendered Template"), secrets masked by
 * the server; loaded when opened. It says which they are: those the try saved when it
 * started (what it ran with), or a preview rendered now (and why).
 */
function Rendered(props: { url: string }) {
  const [open, setOpen] = useState(false);
  const r = usePoll(
    () =>
      open
        ? request<{ rendered_fields: Record<string, unknown> | null; error?: string; source: string; try_number: number; rendered_at?: string | null; note?: string }>("GET", props.url)
        : Promise.resolve(undefined),
    [props.url, open],
    0,
  );
  const d = r.data;
  return (
    <details class="rendered" onToggle={(e) => setOpen((e.currentTarget as HTMLDetailsElement).open)}>
      <summary>Rendered template</summary>
      <ErrorNote error={r.error || d?.error} />
      {d && (
        <p class="muted small" data-source={d.source}>
          {d.source === "try" ? `As rendered when try ${d.try_number} started (${fmtTime(d.rendered_at)}): what it ran with.` : `Preview, rendered now: ${d.note || "the instance saved none"}.`}
        </p>
      )}
      {d?.rendered_fields && (
        <dl class="facts">
          {Object.entries(d.rendered_fields).map(([k, v]) => (
            <>
              <dt>{k}</dt>
              <dd>
                <pre>{typeof v === "string" ? v : JSON.stringify(v, null, 2)}</pre>
              </dd>
            </>
          ))}
        </dl>
      )}
    </details>
  );
}

/**
 * A try's log. While live it polls with a Range request from the bytes already shown (as
 * `weir logs --follow` does): 206 is what is new, 416 nothing new, 200 the whole log.
 */
function Log(props: { url: string; live: boolean }) {
  const [text, setText] = useState("");
  const [error, setError] = useState<string>();
  const [follow, setFollow] = useState(true);
  const pre = useRef<HTMLPreElement>(null);
  const offset = useRef(0);
  const liveRef = useRef(props.live);
  liveRef.current = props.live;

  useEffect(() => {
    let stop = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const decoder = new TextDecoder();
    offset.current = 0;
    setText("");
    setError(undefined);
    const poll = async () => {
      try {
        const headers: Record<string, string> = { Accept: "text/plain", "X-Requested-With": "weir-ui" };
        if (offset.current > 0) headers.Range = `bytes=${offset.current}-`;
        const res = await fetch(props.url, { headers, credentials: "same-origin" });
        if (stop) return;
        if (res.status === 206 || res.status === 200) {
          const buf = new Uint8Array(await res.arrayBuffer());
          if (stop) return;
          if (res.status === 200) {
            const chunk = buf.subarray(Math.min(offset.current, buf.length));
            if (chunk.length) setText((s) => s + decoder.decode(chunk, { stream: true }));
            offset.current = Math.max(offset.current, buf.length);
          } else if (buf.length) {
            setText((s) => s + decoder.decode(buf, { stream: true }));
            offset.current += buf.length;
          }
        } else if (res.status !== 416) {
          let msg = `${res.status} ${res.statusText}`;
          try {
            msg = (await res.json()).detail || msg;
          } catch {
            /* keep the status */
          }
          setError(msg);
        }
      } catch (e) {
        setError((e as Error).message);
      }
      // After the try ends, one more read picks up its last lines.
      if (!stop && liveRef.current) timer = setTimeout(poll, 1000);
    };
    poll();
    return () => {
      stop = true;
      if (timer) clearTimeout(timer);
    };
  }, [props.url, props.live]);

  useEffect(() => {
    if (follow && pre.current) pre.current.scrollTop = pre.current.scrollHeight;
  }, [text, follow]);

  return (
    <div class="log">
      <div class="log-head">
        <h3>Log</h3>
        {props.live && (
          <label class="inline">
            <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.currentTarget.checked)} /> Follow
          </label>
        )}
        <a href={props.url} target="_blank" rel="noopener">
          Raw
        </a>
      </div>
      <ErrorNote error={error} />
      <pre ref={pre} tabIndex={0} aria-label="Log text" aria-live={props.live ? "polite" : "off"}>
        {text || "(empty)"}
      </pre>
    </div>
  );
}

/**
 * What a clear or a mark will change, from its dry run: the instances' names (with what
 * label adds to each), run by run when they span several runs (past, future).
 */
function describeChange(tis: TaskInstance[], runId: string, label: (ti: TaskInstance) => string = () => ""): string {
  const name = (p: TaskInstance) => p.task_id + (p.map_index >= 0 ? `[${p.map_index}]` : "") + label(p);
  const runs: string[] = [];
  const byRun = new Map<string, string[]>();
  for (const p of tis) {
    const id = p.dag_run_id || runId;
    if (!byRun.has(id)) {
      byRun.set(id, []);
      runs.push(id);
    }
    byRun.get(id)!.push(name(p));
  }
  if (runs.length === 0) return "none";
  if (runs.length === 1 && runs[0] === runId) return byRun.get(runId)!.join(", ");
  return runs.map((id) => `run ${id}: ${byRun.get(id)!.join(", ")}`).join("; ");
}

/** How many instances, and in how many runs when more than one. */
function countChange(tis: TaskInstance[]): string {
  const runs = new Set(tis.map((p) => p.dag_run_id)).size;
  return `${tis.length} task instance${tis.length === 1 ? "" : "s"}` + (runs > 1 ? ` in ${runs} runs` : "");
}

/**
 * Clear and mark, with Airflow's options (upstream, downstream, past, future), each after a
 * dry run listing what it will change, across runs. A clear works in a run still running:
 * the server kills a running try and runs it again.
 */
function Actions(props: { dagId: string; sel: Selection; ti: TaskInstance; onChanged: () => void }) {
  const { dagId, sel } = props;
  const [downstream, setDownstream] = useState(false);
  const [upstream, setUpstream] = useState(false);
  const [past, setPast] = useState(false);
  const [future, setFuture] = useState(false);
  const [onlyFailed, setOnlyFailed] = useState(false);
  const [pending, setPending] = useState<TaskInstance[] | null>(null);
  const [markUp, setMarkUp] = useState(false);
  const [markDown, setMarkDown] = useState(false);
  const [markPast, setMarkPast] = useState(false);
  const [markFuture, setMarkFuture] = useState(false);
  const [marking, setMarking] = useState<{ state: string; tis: TaskInstance[] } | null>(null);
  const [error, setError] = useState<string>();
  const [done, setDone] = useState<string>();
  const body = (dry: boolean) => ({
    dag_run_id: sel.runId,
    task_ids: [sel.taskId],
    map_indexes: sel.mapIndex >= 0 ? [sel.mapIndex] : undefined,
    include_downstream: downstream,
    include_upstream: upstream,
    include_past: past,
    include_future: future,
    only_failed: onlyFailed,
    dry_run: dry,
  });
  const run = async (f: () => Promise<void>) => {
    setError(undefined);
    setDone(undefined);
    try {
      await f();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const preview = () =>
    run(async () => {
      const r = await request<{ task_instances: TaskInstance[] }>("POST", v1(`/dags/${enc(dagId)}/clearTaskInstances`), body(true));
      setPending(r.task_instances);
    });
  const confirm = () =>
    run(async () => {
      const r = await request<{ task_instances: TaskInstance[] }>("POST", v1(`/dags/${enc(dagId)}/clearTaskInstances`), body(false));
      setPending(null);
      const runs = new Set(r.task_instances.map((p) => p.dag_run_id)).size;
      setDone(`Cleared ${countChange(r.task_instances)}; ${runs > 1 ? "the runs run" : "the run runs"} again.`);
      props.onChanged();
    });
  // Mark, as Airflow's: with the task's upstream and/or downstream tasks, in this run and
  // with past/future in the DAG's earlier/later runs, after a dry run that lists what will
  // change.
  const markPath = `/dags/${enc(dagId)}/dagRuns/${enc(sel.runId)}/taskInstances/${enc(sel.taskId)}` + (sel.mapIndex >= 0 ? `/${sel.mapIndex}` : "");
  const markBody = (state: string, dry: boolean) => ({
    new_state: state,
    include_upstream: markUp,
    include_downstream: markDown,
    include_past: markPast,
    include_future: markFuture,
    dry_run: dry,
  });
  const previewMark = (state: string) =>
    run(async () => {
      const r = await request<{ task_instances: TaskInstance[] }>("PATCH", v1(markPath), markBody(state, true));
      setMarking({ state, tis: r.task_instances });
    });
  const confirmMark = () =>
    run(async () => {
      const r = await request<{ task_instances: TaskInstance[] }>("PATCH", v1(markPath), markBody(marking!.state, false));
      setMarking(null);
      setDone(`Marked ${countChange(r.task_instances)} ${marking!.state}.`);
      props.onChanged();
    });
  return (
    <div class="actions">
      <fieldset>
        <legend>Clear</legend>
        <label class="inline">
          <input type="checkbox" checked={downstream} onChange={(e) => setDownstream(e.currentTarget.checked)} /> Downstream
        </label>
        <label class="inline" title={sel.mapIndex >= 0 ? "Upstream clears whole tasks: open the mapped task's row to clear it with its upstream" : undefined}>
          <input type="checkbox" checked={upstream} disabled={sel.mapIndex >= 0} onChange={(e) => setUpstream(e.currentTarget.checked)} /> Upstream
        </label>
        <label class="inline" title="Also in the DAG's runs with an earlier logical date">
          <input type="checkbox" name="clear-past" checked={past} onChange={(e) => setPast(e.currentTarget.checked)} /> Past
        </label>
        <label class="inline" title="Also in the DAG's runs with a later logical date">
          <input type="checkbox" name="clear-future" checked={future} onChange={(e) => setFuture(e.currentTarget.checked)} /> Future
        </label>
        <label class="inline">
          <input type="checkbox" checked={onlyFailed} onChange={(e) => setOnlyFailed(e.currentTarget.checked)} /> Only failed
        </label>
        <button type="button" onClick={preview}>
          Clear…
        </button>
      </fieldset>
      {pending && (
        <div class="confirm" role="dialog" aria-label="Confirm clear">
          <p>
            {countChange(pending)} will be cleared: {describeChange(pending, sel.runId)}
            {pending.some((p) => p.state === "running") && " (running tries are killed and run again)"}
          </p>
          <button type="button" class="primary" onClick={confirm} disabled={pending.length === 0}>
            Confirm clear
          </button>
          <button type="button" onClick={() => setPending(null)}>
            Cancel
          </button>
        </div>
      )}
      <fieldset class="mark">
        <legend>Mark</legend>
        <label class="inline">
          <input type="checkbox" name="mark-upstream" checked={markUp} onChange={(e) => setMarkUp(e.currentTarget.checked)} /> Upstream
        </label>
        <label class="inline">
          <input type="checkbox" name="mark-downstream" checked={markDown} onChange={(e) => setMarkDown(e.currentTarget.checked)} /> Downstream
        </label>
        <label class="inline" title="Also in the DAG's earlier runs">
          <input type="checkbox" name="mark-past" checked={markPast} onChange={(e) => setMarkPast(e.currentTarget.checked)} /> Past
        </label>
        <label class="inline" title="Also in the DAG's later runs">
          <input type="checkbox" name="mark-future" checked={markFuture} onChange={(e) => setMarkFuture(e.currentTarget.checked)} /> Future
        </label>
        <button type="button" onClick={() => previewMark("success")}>
          Mark success…
        </button>
        <button type="button" onClick={() => previewMark("failed")}>
          Mark failed…
        </button>
      </fieldset>
      {marking && (
        <div class="confirm" role="dialog" aria-label={`Confirm mark ${marking.state}`}>
          <p>
            {countChange(marking.tis)} will be marked {marking.state}: {describeChange(marking.tis, sel.runId, (p) => ` (now ${p.state || "no state"})`)}
          </p>
          <button type="button" class="primary" onClick={confirmMark} disabled={marking.tis.length === 0}>
            {`Confirm mark ${marking.state}`}
          </button>
          <button type="button" onClick={() => setMarking(null)}>
            Cancel
          </button>
        </div>
      )}
      <ErrorNote error={error} />
      {done && (
        <p class="ok" role="status">
          {done}
        </p>
      )}
    </div>
  );
}

/** One DAG run: its facts, conf and params, and the run's clear (after a dry run) and marks. */
export function RunPanel(props: { run: DAGRun; onClose: () => void; onChanged: () => void; children?: ComponentChildren }) {
  const r = props.run;
  const path = `/dags/${enc(r.dag_id)}/dagRuns/${enc(r.dag_run_id)}`;
  const [onlyFailed, setOnlyFailed] = useState(false);
  const [pending, setPending] = useState<TaskInstance[] | null>(null);
  const [error, setError] = useState<string>();
  const [done, setDone] = useState<string>();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    heading.current?.focus();
    setPending(null);
    setDone(undefined);
    setError(undefined);
  }, [path]);
  const act = async (f: () => Promise<void>) => {
    setError(undefined);
    setDone(undefined);
    try {
      await f();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const preview = () =>
    act(async () => {
      const res = await request<{ task_instances: TaskInstance[] }>("POST", v1(path + "/clear"), { dry_run: true, only_failed: onlyFailed });
      setPending(res.task_instances);
    });
  const confirm = () =>
    act(async () => {
      await request("POST", v1(path + "/clear"), { dry_run: false, only_failed: onlyFailed });
      setPending(null);
      setDone("Cleared; the run runs again.");
      props.onChanged();
    });
  const mark = (state: string) =>
    act(async () => {
      await request("PATCH", v1(path), { state });
      setDone(`Marked ${state}.`);
      props.onChanged();
    });
  return (
    <aside class="panel" aria-labelledby="run-title">
      <div class="page-head">
        <h2 id="run-title" tabIndex={-1} ref={heading}>
          Run {r.dag_run_id}
        </h2>
        <button type="button" onClick={props.onClose} aria-label="Close the run">
          Close
        </button>
      </div>
      <dl class="facts">
        <dt>State</dt>
        <dd>
          <StateBadge state={r.state} />
        </dd>
        <dt>Type</dt>
        <dd>{r.run_type}</dd>
        <dt>Logical date</dt>
        <dd>{fmtTime(r.logical_date)}</dd>
        <dt>Started</dt>
        <dd>{fmtTime(r.start_date) || "—"}</dd>
        <dt>Ended</dt>
        <dd>{fmtTime(r.end_date) || "—"}</dd>
      </dl>
      {props.children}
      {r.params && Object.keys(r.params).length > 0 && (
        <details open>
          <summary>Params</summary>
          <pre>{JSON.stringify(r.params, null, 2)}</pre>
        </details>
      )}
      {r.conf && Object.keys(r.conf).length > 0 && (
        <details>
          <summary>Conf</summary>
          <pre>{JSON.stringify(r.conf, null, 2)}</pre>
        </details>
      )}
      <div class="actions">
        <fieldset>
          <legend>Clear the run</legend>
          <label class="inline">
            <input type="checkbox" checked={onlyFailed} onChange={(e) => setOnlyFailed(e.currentTarget.checked)} /> Only failed
          </label>
          <button type="button" onClick={preview}>
            Clear run…
          </button>
        </fieldset>
        {pending && (
          <div class="confirm" role="dialog" aria-label="Confirm clearing the run">
            <p>
              {pending.length} task instance{pending.length === 1 ? "" : "s"} will be cleared.
            </p>
            <button type="button" class="primary" onClick={confirm} disabled={pending.length === 0}>
              Confirm clear
            </button>
            <button type="button" onClick={() => setPending(null)}>
              Cancel
            </button>
          </div>
        )}
        <fieldset>
          <legend>Mark the run</legend>
          <button type="button" onClick={() => mark("success")}>
            Mark success
          </button>
          <button type="button" onClick={() => mark("failed")}>
            Mark failed
          </button>
        </fieldset>
        <ErrorNote error={error} />
        {done && (
          <p class="ok" role="status">
            {done}
          </p>
        )}
      </div>
    </aside>
  );
}
