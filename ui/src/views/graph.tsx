import { useMemo, useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { Graph as DagreGraph, layout } from "@dagrejs/dagre";
import { DAGRun, Task, TaskGroup, TaskSummary, enc, query, request, v1 } from "../api";
import { ErrorNote, Loading, Page, fmtTime } from "../components";
import { usePoll } from "../hooks";
import { countsText, stateColor, stateName, summaryState } from "../states";
import type { Selection } from "./grid";
import { TaskPanel } from "./task";

const NODE_W = 190;
const NODE_H = 46;

interface Node {
  id: string; // a task ID, or "group:" + a collapsed group's ID
  label: string;
  task?: Task;
  group?: TaskGroup;
}

/** The outermost collapsed group holding a task (or a group), undefined when all are open. */
function collapsedAncestor(group: string | null, open: Set<string>): string | undefined {
  let found: string | undefined;
  for (let g = group; g; g = g.includes(".") ? g.slice(0, g.lastIndexOf(".")) : null) {
    if (!open.has(g)) found = g;
  }
  return found;
}

const short = (id: string) => id.slice(id.lastIndexOf(".") + 1);

/**
 * The graph view of a DAG run: tasks as nodes in their state's colour, dependencies as
 * edges, laid out by dagre; task groups collapse to one node (collapsed at first, as in
 * Airflow); setup tasks carry an upward arrow, teardowns a downward one, and the edge from a
 * setup to its teardown is dashed. A node opens the task instance panel.
 */
export function GraphView(props: { dag: string }) {
  const dagId = props.dag;
  const { query: q, route } = useLocation();
  const [open, setOpen] = useState<Set<string>>(new Set());
  const [sel, setSel] = useState<Selection | null>(null);
  const runs = usePoll(
    () => request<{ dag_runs: DAGRun[] }>("GET", v1(`/dags/${enc(dagId)}/dagRuns` + query({ limit: 20, order_by: "-logical_date" }))),
    [dagId],
  );
  const runId = q.run || runs.data?.dag_runs[0]?.dag_run_id;
  // A run is drawn as it ran: its tasks come from the DAG snapshot it ran with (a task since
  // removed from the DAG is still there, one added since is not); without a run, the DAG's
  // current tasks.
  const known = !!q.run || !!runs.data;
  const tasks = usePoll(
    () =>
      known
        ? request<{ tasks: Task[]; task_groups: TaskGroup[] }>("GET", v1(runId ? `/dags/${enc(dagId)}/dagRuns/${enc(runId)}/tasks` : `/dags/${enc(dagId)}/tasks`))
        : Promise.resolve(undefined),
    [dagId, runId, known],
  );
  // Each task's instances summed up by the server: a mapped task's node shows the most
  // pressing state of all its instances, and their counts.
  const states = usePoll(async () => {
    if (!runId) return new Map<string, TaskSummary>();
    const r = await request<{ task_summaries: TaskSummary[] }>("GET", v1(`/dags/${enc(dagId)}/dagRuns/${enc(runId)}/taskSummaries`));
    return new Map(r.task_summaries.map((x) => [x.task_id, x]));
  }, [dagId, runId]);

  const g = useMemo(() => tasks.data && buildLayout(tasks.data.tasks, tasks.data.task_groups, open), [tasks.data, open]);
  const toggle = (id: string) => {
    const next = new Set(open);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setOpen(next);
  };
  const stateOf = (n: Node): string => {
    const by = states.data;
    if (!by) return "none";
    const ids = n.task ? [n.task.task_id] : tasks.data!.tasks.filter((t) => t.task_id.startsWith(n.group!.group_id + ".")).map((t) => t.task_id);
    const sums = ids.map((id) => by.get(id)).filter((x): x is TaskSummary => !!x);
    return summaryState(sums.map((x) => x.state));
  };
  // A mapped task's counts by state, for its node's tooltip: " (9,998 success, 2 failed)".
  const counts = (t: Task) => {
    const sum = states.data?.get(t.task_id);
    return sum?.is_mapped ? ` (${countsText(sum.states)})` : "";
  };
  const choose = (t: Task) => {
    if (!runId) return;
    const sum = states.data?.get(t.task_id);
    setSel({ runId, taskId: t.task_id, mapIndex: sum?.first_map_index ?? -1 });
  };

  return (
    <Page
      title={`${dagId}: graph`}
      actions={
        <div class="head-actions">
          <a class="button" href={`/dags/${enc(dagId)}/grid`}>
            Grid
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
      <ErrorNote error={tasks.error || runs.error || states.error} />
      <Loading when={!tasks.data && !tasks.error} />
      {runs.data && runs.data.dag_runs.length > 0 && (
        <p>
          <label>
            Run{" "}
            <select value={runId} onChange={(e) => (setSel(null), route(`/dags/${enc(dagId)}/graph` + query({ run: e.currentTarget.value })))}>
              {runs.data.dag_runs.map((r) => (
                <option value={r.dag_run_id}>
                  {r.dag_run_id} ({stateName(r.state)}, {fmtTime(r.logical_date)})
                </option>
              ))}
            </select>
          </label>
        </p>
      )}
      {runs.data && runs.data.dag_runs.length === 0 && <p class="muted">No runs yet: the graph shows the tasks without states.</p>}
      <div class="grid-layout">
        <div class="graph-wrap">
          {g && (
            <div class="graph" style={{ width: `${g.width}px`, height: `${g.height}px` }} aria-label={`Tasks of ${dagId} and their dependencies`} role="group">
              <svg width={g.width} height={g.height} aria-hidden="true">
                <defs>
                  <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                    <path d="M 0 0 L 10 5 L 0 10 z" fill="#555" />
                  </marker>
                </defs>
                {g.edges.map((e) => (
                  <path
                    class={"edge" + (e.setupTeardown ? " setup-teardown" : "")}
                    data-edge={`${e.from}->${e.to}`}
                    d={"M " + e.points.map((p) => `${p.x} ${p.y}`).join(" L ")}
                    marker-end="url(#arrow)"
                  />
                ))}
              </svg>
              {g.groups.map((b) => (
                <div class="graph-group" style={{ left: `${b.x}px`, top: `${b.y}px`, width: `${b.w}px`, height: `${b.h}px` }}>
                  <button type="button" class="group-toggle" aria-expanded="true" onClick={() => toggle(b.id)}>
                    <span aria-hidden="true">▾</span> {short(b.id)}
                  </button>
                </div>
              ))}
              {g.nodes.map((n) => {
                const st = stateOf(n.node);
                const t = n.node.task;
                const kind = t ? (t.is_setup ? "setup" : t.is_teardown ? "teardown" : "") : "";
                const style = { left: `${n.x}px`, top: `${n.y}px`, width: `${NODE_W}px`, height: `${NODE_H}px`, borderColor: stateColor[st] };
                if (n.node.group) {
                  return (
                    <button type="button" class="graph-node group-node" style={style} aria-expanded="false" onClick={() => toggle(n.node.group!.group_id)} title={`group ${n.node.group.group_id}: ${st}`}>
                      <span class="node-name">
                        <span aria-hidden="true">▸</span> {n.node.label}
                      </span>
                      <span class="node-meta">
                        group{n.node.group.is_mapped ? ", mapped" : ""} · {st}
                      </span>
                    </button>
                  );
                }
                const selected = sel?.taskId === t!.task_id;
                return (
                  <button
                    type="button"
                    class={"graph-node" + (selected ? " selected" : "") + (kind ? " " + kind : "")}
                    style={style}
                    data-task={t!.task_id}
                    data-state={st}
                    onClick={() => choose(t!)}
                    title={`${t!.task_id}: ${st}${counts(t!)}, ${t!.operator_name}, trigger rule ${t!.trigger_rule}`}
                  >
                    <span class="node-name">
                      {kind === "setup" && (
                        <span class="st-icon" aria-hidden="true">
                          ↑
                        </span>
                      )}
                      {kind === "teardown" && (
                        <span class="st-icon" aria-hidden="true">
                          ↓
                        </span>
                      )}
                      {n.node.label}
                      {t!.is_mapped ? " [ ]" : ""}
                      {kind && <span class="sr-only"> ({kind})</span>}
                      {t!.task_group_id && <span class="sr-only"> in group {t!.task_group_id}</span>}
                    </span>
                    <span class="node-meta">
                      <span class="dot" style={{ background: stateColor[st] }} aria-hidden="true" /> {st} · {t!.operator_name}
                    </span>
                  </button>
                );
              })}
            </div>
          )}
        </div>
        {sel && <TaskPanel dagId={dagId} sel={sel} onClose={() => setSel(null)} onChanged={states.reload} />}
      </div>
    </Page>
  );
}

interface Layout {
  width: number;
  height: number;
  nodes: { node: Node; x: number; y: number }[];
  groups: { id: string; x: number; y: number; w: number; h: number }[];
  edges: { from: string; to: string; points: { x: number; y: number }[]; setupTeardown: boolean }[];
}

/** Lays the tasks out left to right with dagre, open groups as clusters around their tasks. */
function buildLayout(tasks: Task[], groups: TaskGroup[], open: Set<string>): Layout {
  const g = new DagreGraph({ compound: true, multigraph: false });
  g.setGraph({ rankdir: "LR", nodesep: 16, ranksep: 48, marginx: 8, marginy: 8 });
  g.setDefaultEdgeLabel(() => ({}));
  const nodes = new Map<string, Node>();
  const visible = (t: Task) => {
    const c = collapsedAncestor(t.task_group_id, open);
    return c ? "group:" + c : t.task_id;
  };
  const byGroup = new Map(groups.map((x) => [x.group_id, x]));
  for (const t of tasks) {
    const id = visible(t);
    if (nodes.has(id)) continue;
    const gid = id.startsWith("group:") ? id.slice(6) : undefined;
    nodes.set(id, gid ? { id, label: short(gid), group: byGroup.get(gid) } : { id, label: short(t.task_id), task: t });
    g.setNode(id, { width: NODE_W, height: NODE_H });
  }
  // Open groups are clusters: each holds its visible tasks and its open child groups.
  for (const grp of groups) {
    if (!open.has(grp.group_id) || collapsedAncestor(grp.group_id, open)) continue;
    g.setNode("cluster:" + grp.group_id, { paddingTop: 30 });
    if (grp.parent_group_id) g.setParent("cluster:" + grp.group_id, "cluster:" + grp.parent_group_id);
  }
  for (const [id, n] of nodes) {
    const parent = n.task ? n.task.task_group_id : n.group?.parent_group_id;
    if (parent && g.hasNode("cluster:" + parent)) g.setParent(id, "cluster:" + parent);
  }
  const edges = new Map<string, { from: string; to: string; setupTeardown: boolean }>();
  const byId = new Map(tasks.map((t) => [t.task_id, t]));
  for (const t of tasks) {
    for (const d of t.downstream_task_ids) {
      const down = byId.get(d);
      if (!down) continue;
      const from = visible(t);
      const to = visible(down);
      if (from === to) continue;
      const key = from + "\u0000" + to;
      const st = t.is_setup && down.is_teardown;
      edges.set(key, { from, to, setupTeardown: (edges.get(key)?.setupTeardown ?? true) && st });
      g.setEdge(from, to);
    }
  }
  layout(g);
  const out: Layout = { width: 0, height: 0, nodes: [], groups: [], edges: [] };
  const graph = g.graph();
  out.width = Math.ceil(graph.width || 0) + 16;
  out.height = Math.ceil(graph.height || 0) + 16;
  for (const [id, n] of nodes) {
    const p = g.node(id);
    out.nodes.push({ node: n, x: p.x - NODE_W / 2, y: p.y - NODE_H / 2 });
  }
  // Tab order follows the layout: left to right, then top to bottom.
  out.nodes.sort((a, b) => a.x - b.x || a.y - b.y);
  for (const id of g.nodes()) {
    if (!id.startsWith("cluster:")) continue;
    const p = g.node(id);
    out.groups.push({ id: id.slice(8), x: p.x - p.width / 2, y: p.y - p.height / 2, w: p.width, h: p.height });
  }
  for (const e of edges.values()) {
    const pts = g.edge(e.from, e.to)?.points || [];
    out.edges.push({ ...e, points: pts });
  }
  return out;
}
