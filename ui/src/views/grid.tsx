import { useEffect, useRef, useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { DAG, DAGRun, TaskInstance, TaskSummary, enc, query, request, v1 } from "../api";
import { ErrorNote, Loading, Page, StateBadge, StateSquare, fmtTime } from "../components";
import { usePoll } from "../hooks";
import { countsText, stateColor, stateName, unfinished } from "../states";
import { RunPanel, TaskPanel } from "./task";

const RUNS = 20;

interface Column {
  run: DAGRun;
  // The run's tasks, each summed up by the server: a mapped task of 10,000 instances is one
  // summary (its count in each state and its most pressing state), so a column costs the
  // number of its tasks, not of its instances.
  byTask: Map<string, TaskSummary>;
}

// An expanded mapped task's rows are virtualised: only those in the window (and OVERSCAN
// more each side) are in the DOM, each ROW_H pixels high; their instances are fetched from
// the server a page of MAPPED_PAGE at a time (listMapped), as the window reaches them.
const ROW_H = 22;
const OVERSCAN = 20;
const MAPPED_PAGE = 200;

export interface Selection {
  runId: string;
  taskId: string;
  mapIndex: number;
}

/** The grid: runs as columns (oldest left), tasks as rows; a mapped task's row expands to its instances. */
export function Grid(props: { dag: string }) {
  const dagId = props.dag;
  const { query: q } = useLocation();
  const [sel, setSel] = useState<Selection | null>(q.run && q.task ? { runId: q.run, taskId: q.task, mapIndex: Number(q.map ?? -1) } : null);
  const [runSel, setRunSel] = useState<string | null>(q.run && !q.task ? q.run : null);
  const [open, setOpen] = useState<Record<string, boolean>>({});
  const [runOffset, setRunOffset] = useState(0);
  const dag = usePoll(() => request<DAG>("GET", v1(`/dags/${enc(dagId)}`)), [dagId], 0);
  const grid = usePoll(async () => {
    const runs = await request<{ dag_runs: DAGRun[]; total_entries: number }>(
      "GET",
      v1(`/dags/${enc(dagId)}/dagRuns` + query({ limit: RUNS, offset: runOffset, order_by: "-logical_date" })),
    );
    const cols: Column[] = await Promise.all(
      runs.dag_runs.reverse().map(async (run) => {
        const c = await request<{ task_summaries: TaskSummary[] }>("GET", v1(`/dags/${enc(dagId)}/dagRuns/${enc(run.dag_run_id)}/taskSummaries`));
        return { run, byTask: new Map(c.task_summaries.map((s) => [s.task_id, s])) };
      }),
    );
    return { cols, total: runs.total_entries };
  }, [dagId, runOffset]);

  const cols = grid.data?.cols || [];
  const tasks = taskRows(dag.data?.task_ids || [], cols);
  const totalRuns = grid.data?.total || 0;
  const maxSeconds = Math.max(0.001, ...cols.map((c) => runSeconds(c.run)));
  const select = (s: Selection) => (setSel(s), setRunSel(null));
  const selectedRun = cols.find((c) => c.run.dag_run_id === runSel)?.run;

  return (
    <Page
      title={dagId}
      actions={
        <div class="head-actions">
          <a class="button" href={`/dags/${enc(dagId)}/graph` + query({ run: runSel || sel?.runId })}>
            Graph
          </a>
          <a class="button" href={`/dags/${enc(dagId)}/code`}>
            Code
          </a>
          <a class="button primary" href={`/dags/${enc(dagId)}/trigger`}>
            Trigger
          </a>
        </div>
      }
    >
      <ErrorNote error={dag.error || grid.error} />
      <Loading when={grid.loading && !grid.data} />
      <div class="grid-layout">
        <div class="grid-wrap">
          {grid.data && cols.length === 0 && <p class="muted">No runs yet.</p>}
          {cols.length > 0 && (
            <table class="grid" aria-label={`Runs of ${dagId} by task (arrow keys move between squares)`} onKeyDown={arrows}>
              <thead>
                <tr>
                  <th scope="col">Task</th>
                  {cols.map((c) => (
                    <th scope="col" class="run-head">
                      <span
                        class="run-bar"
                        aria-hidden="true"
                        style={{ height: `${Math.max(2, (runSeconds(c.run) / maxSeconds) * 48)}px`, background: stateColor[stateName(c.run.state)] }}
                      />
                      <StateSquare
                        state={c.run.state}
                        selected={runSel === c.run.dag_run_id}
                        label={`run ${c.run.dag_run_id} (${fmtTime(c.run.logical_date)})`}
                        onClick={() => (setRunSel(c.run.dag_run_id), setSel(null))}
                      />
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {tasks.map((task) => {
                  const mapped = cols.some((c) => c.byTask.get(task)?.is_mapped);
                  const width = Math.max(0, ...cols.map((c) => c.byTask.get(task)?.total ?? 0));
                  const rows = [
                    <tr>
                      <th scope="row" class="task-name">
                        {mapped ? (
                          <button type="button" class="expand" aria-expanded={!!open[task]} onClick={() => setOpen({ ...open, [task]: !open[task] })}>
                            <span aria-hidden="true">{open[task] ? "▾" : "▸"}</span> {task} <span class="muted">[{width}]</span>
                          </button>
                        ) : (
                          task
                        )}
                      </th>
                      {cols.map((c) => {
                        const sum = c.byTask.get(task);
                        const mi = sum?.first_map_index ?? -1;
                        const isSel = sel?.runId === c.run.dag_run_id && sel?.taskId === task && (mapped || sel.mapIndex === mi);
                        // A mapped task's square: the most pressing state of all its
                        // instances, their counts by state in its label and tooltip.
                        const what = sum && mapped ? ` (${sum.total.toLocaleString("en-US")} instance${sum.total === 1 ? "" : "s"}: ${countsText(sum.states)})` : "";
                        return (
                          <td>
                            {sum && (
                              <StateSquare
                                state={sum.state}
                                selected={isSel}
                                label={`${task} in ${c.run.dag_run_id}${what}`}
                                onClick={() => select({ runId: c.run.dag_run_id, taskId: task, mapIndex: mi })}
                              />
                            )}
                          </td>
                        );
                      })}
                    </tr>,
                  ];
                  if (mapped && open[task]) {
                    rows.push(<MappedRows dagId={dagId} task={task} cols={cols} sel={sel} select={select} />);
                  }
                  return rows;
                })}
              </tbody>
            </table>
          )}
          {totalRuns > RUNS && (
            <nav class="pager" aria-label="Runs">
              <button type="button" disabled={runOffset + RUNS >= totalRuns} onClick={() => setRunOffset(runOffset + RUNS)}>
                Older runs
              </button>
              <span>
                runs {runOffset + 1}–{Math.min(runOffset + RUNS, totalRuns)} of {totalRuns}, newest right
              </span>
              <button type="button" disabled={runOffset === 0} onClick={() => setRunOffset(Math.max(0, runOffset - RUNS))}>
                Newer runs
              </button>
            </nav>
          )}
          {cols.length > 0 && <RunList cols={cols} />}
        </div>
        {sel && <TaskPanel dagId={dagId} sel={sel} onClose={() => setSel(null)} onChanged={grid.reload} />}
        {!sel && selectedRun && (
          <RunPanel run={selectedRun} onClose={() => setRunSel(null)} onChanged={grid.reload}>
            <Gantt col={cols.find((c) => c.run.dag_run_id === runSel)!} tasks={tasks} />
          </RunPanel>
        )}
      </div>
    </Page>
  );
}

/**
 * The rows of an expanded mapped task, virtualised against the window's scroll: spacer rows
 * stand for the rows out of view, and the instances in view are fetched by page from the
 * server (again whenever the grid refreshes, so they stay live).
 */
function MappedRows(props: { dagId: string; task: string; cols: Column[]; sel: Selection | null; select: (s: Selection) => void }) {
  const { dagId, task, cols, sel } = props;
  const top = useRef<HTMLTableRowElement>(null);
  const [win, setWin] = useState<[number, number]>([0, 50]);
  const [pages, setPages] = useState<Map<string, Map<number, TaskInstance>>>(new Map());
  const [totals, setTotals] = useState<Map<string, number>>(new Map());
  const asked = useRef(new Map<string, Column[]>()); // page key → the grid data it was fetched for
  const width = Math.max(0, ...cols.map((c) => totals.get(c.run.dag_run_id) ?? c.byTask.get(task)?.total ?? 0));

  // The window: the rows between the top of the viewport and its bottom.
  useEffect(() => {
    let frame = 0;
    const measure = () => {
      frame = 0;
      const el = top.current;
      if (!el) return;
      const y = el.getBoundingClientRect().top;
      const first = Math.max(0, Math.floor(-y / ROW_H) - OVERSCAN);
      const last = Math.max(first, Math.ceil((window.innerHeight - y) / ROW_H) + OVERSCAN);
      setWin((w) => (w[0] === first && w[1] === last ? w : [first, last]));
    };
    const onScroll = () => {
      if (!frame) frame = requestAnimationFrame(measure);
    };
    measure();
    window.addEventListener("scroll", onScroll, { passive: true });
    window.addEventListener("resize", onScroll);
    return () => {
      window.removeEventListener("scroll", onScroll);
      window.removeEventListener("resize", onScroll);
      if (frame) cancelAnimationFrame(frame);
    };
  }, []);

  const first = Math.min(win[0], width);
  const last = Math.min(win[1], width || win[1]);
  // Fetch the pages of the window, for each run, once per grid refresh.
  useEffect(() => {
    for (const c of cols) {
      const runId = c.run.dag_run_id;
      for (let p = Math.floor(first / MAPPED_PAGE); p * MAPPED_PAGE < Math.max(last, 1); p++) {
        const key = `${runId}\u0000${p}`;
        if (asked.current.get(key) === cols) continue;
        asked.current.set(key, cols);
        request<{ task_instances: TaskInstance[]; total_entries: number }>(
          "GET",
          v1(`/dags/${enc(dagId)}/dagRuns/${enc(runId)}/taskInstances/${enc(task)}/listMapped` + query({ limit: MAPPED_PAGE, offset: p * MAPPED_PAGE })),
        )
          .then((r) => {
            setPages((m) => new Map(m).set(key, new Map(r.task_instances.map((ti) => [ti.map_index, ti]))));
            setTotals((m) => (m.get(runId) === r.total_entries ? m : new Map(m).set(runId, r.total_entries)));
          })
          .catch(() => asked.current.delete(key)); // a run without the task, or a failure: asked again next refresh
      }
    }
  }, [cols, first, last, dagId, task]);

  const span = cols.length + 1;
  const rows = [
    <tr key="top" class="spacer" ref={top} style={{ height: `${first * ROW_H}px` }} aria-hidden="true">
      <td colSpan={span} />
    </tr>,
  ];
  for (let i = first; i < last; i++) {
    rows.push(
      <tr key={i} class="mapped">
        <th scope="row" class="task-name">
          <span class="indent">[{i}]</span>
        </th>
        {cols.map((c) => {
          const ti = pages.get(`${c.run.dag_run_id}\u0000${Math.floor(i / MAPPED_PAGE)}`)?.get(i);
          return (
            <td>
              {ti && (
                <StateSquare
                  state={ti.state}
                  selected={sel?.runId === c.run.dag_run_id && sel?.taskId === task && sel.mapIndex === i}
                  label={`${task}[${i}] in ${c.run.dag_run_id}`}
                  onClick={() => props.select({ runId: c.run.dag_run_id, taskId: task, mapIndex: i })}
                />
              )}
            </td>
          );
        })}
      </tr>,
    );
  }
  rows.push(
    <tr key="bottom" class="spacer" style={{ height: `${Math.max(0, width - last) * ROW_H}px` }} aria-hidden="true">
      <td colSpan={span} />
    </tr>,
  );
  return <>{rows}</>;
}

function RunList(props: { cols: Column[] }) {
  const last = props.cols.slice(-5).reverse();
  return (
    <table class="list small">
      <caption>Latest runs</caption>
      <thead>
        <tr>
          <th scope="col">Run</th>
          <th scope="col">State</th>
          <th scope="col">Type</th>
          <th scope="col">Logical date</th>
          <th scope="col">Ended</th>
        </tr>
      </thead>
      <tbody>
        {last.map((c) => (
          <tr>
            <td>{c.run.dag_run_id}</td>
            <td>
              <StateBadge state={c.run.state} />
            </td>
            <td>{c.run.run_type}</td>
            <td>{fmtTime(c.run.logical_date)}</td>
            <td>{fmtTime(c.run.end_date)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Arrow keys move the focus between the grid's squares, as in a spreadsheet. */
function arrows(e: KeyboardEvent) {
  const d = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] }[e.key];
  const cell = (e.target as HTMLElement).closest("td, th");
  const row = cell?.parentElement as HTMLTableRowElement | null;
  if (!d || !cell || !row || !(e.target as HTMLElement).matches("button")) return;
  const rows = [...(row.closest("table") as HTMLTableElement).rows];
  let r = rows.indexOf(row);
  let c = (cell as HTMLTableCellElement).cellIndex;
  // Step until a cell with a control; stop at the edge.
  for (;;) {
    r += d[0];
    c += d[1];
    const next = rows[r]?.cells[c];
    if (!next) return;
    const target = next.querySelector("button");
    if (target) {
      e.preventDefault();
      target.focus();
      return;
    }
    if (d[0] === 0 && c <= 0) return;
  }
}

/** Seconds as a short axis label: 0, 2.5 ms, 1.5 s, 42 s, 3 min, 2.1 h. */
const fmtSecs = (x: number) => (x === 0 ? "0" : x < 1 ? (x < 0.01 ? (x * 1000).toFixed(1) : Math.round(x * 1000)) + " ms" : x < 10 ? x.toFixed(1) + " s" : x < 120 ? Math.round(x) + " s" : x < 7200 ? (x / 60).toFixed(x < 600 ? 1 : 0) + " min" : (x / 3600).toFixed(1) + " h");

/** A run's Gantt chart: each task's span from its first start to its last end, in its state's colour. */
function Gantt(props: { col: Column; tasks: string[] }) {
  const spans = props.tasks
    .map((task) => {
      const sum = props.col.byTask.get(task);
      if (!sum?.start_date) return null;
      const start = Date.parse(sum.start_date);
      const end = sum.end_date && !Object.keys(sum.states).some(unfinished) ? Date.parse(sum.end_date) : Date.now();
      return { task, start, end, state: stateName(sum.state) };
    })
    .filter((x): x is { task: string; start: number; end: number; state: string } => x !== null);
  if (!spans.length) return null;
  const t0 = Math.min(...spans.map((s) => s.start));
  const total = Math.max(1, Math.max(...spans.map((s) => s.end)) - t0);
  return (
    <table class="gantt">
      <caption>Gantt</caption>
      <thead>
        <tr>
          <th scope="col">Task</th>
          <th scope="col">
            Span <span class="muted small">(from {fmtTime(new Date(t0).toISOString())})</span>
            <div class="gantt-axis" aria-hidden="true">
              {[0, 0.25, 0.5, 0.75, 1].map((f) => (
                <span style={{ left: `${f * 100}%` }}>{fmtSecs((f * total) / 1000)}</span>
              ))}
            </div>
          </th>
          <th scope="col">Seconds</th>
        </tr>
      </thead>
      <tbody>
        {spans.map((s) => (
          <tr>
            <th scope="row">{s.task}</th>
            <td class="gantt-track">
              <span
                class="gantt-bar"
                title={`${s.task}: ${stateName(s.state)}, from ${fmtTime(new Date(s.start).toISOString())} to ${fmtTime(new Date(s.end).toISOString())}`}
                style={{
                  marginLeft: `${((s.start - t0) / total) * 100}%`,
                  width: `${Math.max(0.5, ((s.end - s.start) / total) * 100)}%`,
                  background: stateColor[stateName(s.state)],
                }}
              />
            </td>
            <td class="num">{((s.end - s.start) / 1000).toFixed(2)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * The grid's rows: the DAG's tasks in its order, then the tasks of the runs shown that the
 * DAG no longer has (removed since those runs ran), by ID — the union over the runs shown,
 * as Airflow's grid shows it.
 */
function taskRows(current: string[], cols: Column[]): string[] {
  const seen = new Set(current);
  const gone = new Set<string>();
  for (const c of cols) for (const t of c.byTask.keys()) if (!seen.has(t)) gone.add(t);
  return gone.size ? [...current, ...[...gone].sort()] : current;
}

/** How long a run took (so far, when it still runs), in seconds. */
function runSeconds(r: DAGRun): number {
  if (!r.start_date) return 0;
  const end = r.end_date ? Date.parse(r.end_date) : Date.now();
  return Math.max(0, (end - Date.parse(r.start_date)) / 1000);
}
