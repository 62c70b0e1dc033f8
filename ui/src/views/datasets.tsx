import { useMemo, useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { Graph as DagreGraph, layout } from "@dagrejs/dagre";
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

const NH = 44;

/** A node's width: wide enough for its label (13px semibold) and its sub line, never cut. */
const nodeWidth = (n: FlowNode) => Math.ceil(Math.max(160, 18 + 8 * n.label.length, 18 + 6.5 * n.sub.length));

interface FlowNode {
  id: string; // "task:DAG.TASK", "ds:URI" or "dag:DAG"
  kind: "task" | "ds" | "dag";
  label: string;
  sub: string;
  name: string; // what the link does, the end of its accessible name
  href: string;
  uri?: string;
}
interface FlowLayout {
  width: number;
  height: number;
  nodes: (FlowNode & { x: number; y: number; w: number })[];
  edges: { from: string; to: string; d: string }[];
}

/**
 * Lays out the page's datasets left to right with dagre: the tasks that produce each (one
 * node per task, shared by the datasets it updates) → the dataset → the DAGs scheduled on it.
 */
function flowLayout(datasets: Dataset[]): FlowLayout {
  const g = new DagreGraph();
  g.setGraph({ rankdir: "LR", nodesep: 12, ranksep: 56, marginx: 8, marginy: 8 });
  g.setDefaultEdgeLabel(() => ({}));
  const nodes = new Map<string, FlowNode>();
  const add = (n: FlowNode) => {
    if (!nodes.has(n.id)) {
      nodes.set(n.id, n);
      g.setNode(n.id, { width: nodeWidth(n), height: NH });
    }
    return n.id;
  };
  const edges: [string, string][] = [];
  for (const d of datasets) {
    const ds = add({
      id: "ds:" + d.uri,
      kind: "ds",
      label: d.uri,
      sub: d.updated_at ? "updated " + fmtTime(d.updated_at) : "dataset",
      name: "show its latest events",
      href: "/datasets" + query({ uri: d.uri }),
      uri: d.uri,
    });
    for (const p of d.producing_tasks) {
      const t = add({
        id: `task:${p.dag_id}.${p.task_id}`,
        kind: "task",
        label: `${p.dag_id}.${p.task_id}`,
        sub: "producer task",
        name: `opens the grid of DAG ${p.dag_id}`,
        href: `/dags/${enc(p.dag_id)}/grid`,
      });
      edges.push([t, ds]);
      g.setEdge(t, ds);
    }
    for (const c of d.consuming_dags) {
      const dag = add({
        id: "dag:" + c.dag_id,
        kind: "dag",
        label: c.dag_id,
        sub: "consumer DAG",
        name: "opens its grid",
        href: `/dags/${enc(c.dag_id)}/grid`,
      });
      edges.push([ds, dag]);
      g.setEdge(ds, dag);
    }
  }
  layout(g);
  const gr = g.graph();
  const out: FlowLayout = { width: Math.ceil(gr.width || 0), height: Math.ceil(gr.height || 0), nodes: [], edges: [] };
  for (const n of nodes.values()) {
    const p = g.node(n.id);
    out.nodes.push({ ...n, x: p.x - p.width / 2, y: p.y - NH / 2, w: p.width });
  }
  // Tab order follows the layout: left to right, then top to bottom.
  out.nodes.sort((a, b) => a.x - b.x || a.y - b.y);
  for (const [from, to] of edges) {
    const pts: { x: number; y: number }[] = g.edge(from, to)?.points || [];
    out.edges.push({ from, to, d: "M " + pts.map((p) => `${p.x} ${p.y}`).join(" L ") });
  }
  return out;
}

/**
 * The page's datasets drawn as a graph, each node a link: a producer task and a consumer
 * DAG open the DAG's grid, a dataset picks it for the events below. The SVG scales down
 * (viewBox) when it is wider than its container.
 */
function DatasetGraph(props: { datasets: Dataset[]; picked: string; onPick: (uri: string) => void }) {
  const { route } = useLocation();
  const g = useMemo(() => flowLayout(props.datasets), [props.datasets]);
  if (g.nodes.length === 0) return null;
  return (
    <svg class="lineage dataset-graph" width="100%" style={{ maxWidth: g.width + "px" }} viewBox={`0 0 ${g.width} ${g.height}`} role="group" aria-label="Producers, datasets and consumers">
      <defs>
        <marker id="ds-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto">
          <path d="M0,0 L10,5 L0,10 z" fill="#57606a" />
        </marker>
      </defs>
      {g.edges.map((e) => (
        <path class="edge" data-edge={`${e.from}->${e.to}`} d={e.d} marker-end="url(#ds-arrow)" />
      ))}
      {g.nodes.map((n) => (
        <a
          href={n.href}
          aria-label={`${n.label} ${n.sub}, ${n.name}`}
          data-node={n.id}
          aria-current={n.uri !== undefined && n.uri === props.picked ? "true" : undefined}
          onClick={(e) => {
            if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
            // preact-iso routes clicks on HTML links only: an SVG link is routed here.
            e.preventDefault();
            if (n.uri !== undefined) props.onPick(n.uri === props.picked ? "" : n.uri);
            else route(n.href);
          }}
        >
          <g class={"node node-" + n.kind}>
            <rect x={n.x} y={n.y} width={n.w} height={NH} rx={n.kind === "ds" ? 14 : 6} />
            {/* One text, so its visible text ("label sub") is the start of the link's name. */}
            <text x={n.x + 8} y={n.y + 18}>
              <tspan class="node-label">{n.label + " "}</tspan>
              <tspan class="node-sub" x={n.x + 8} dy={17}>
                {n.sub}
              </tspan>
            </text>
          </g>
        </a>
      ))}
    </svg>
  );
}

/** Datasets: producers → dataset → consumers drawn as a graph, a page at a time, then the list and the latest events. */
export function Datasets() {
  const { query: q } = useLocation();
  const [search, setSearch] = useState("");
  const [offset, setOffset] = useState(0);
  const [picked, setPicked] = useState<string>(q.uri || "");
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
          <DatasetGraph datasets={page.data.datasets} picked={picked} onPick={setPicked} />
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
