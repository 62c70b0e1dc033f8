import { useLocation } from "preact-iso";
import { DAGRun, MLRun, ModelVersion, enc, mlflow, query, request, v1 } from "../api";
import { ErrorNote, Loading, Page, fmtTime } from "../components";
import { usePoll } from "../hooks";
import { fmtNum } from "./experiments";

// The lineage of a model version, read as `weir lineage` reads it: the version's run
// (MLflow), the run's weir.* tags naming the DAG run and task that logged it, the DAG
// run's triggering dataset events, the datasets the run logged as inputs, and the dataset
// events the DAG run produced.

interface RunWithInputs extends MLRun {
  inputs?: { dataset_inputs?: { tags?: { key: string; value: string }[]; dataset: { name?: string; digest?: string; source_type?: string; source?: string; profile?: string; schema?: string } }[] };
}
interface TriggerEvent {
  id: number;
  uri: string;
  source_dag_id?: string;
  source_run_id?: string;
  source_task_id?: string;
}
interface DatasetEvent {
  id: number;
  dataset_uri: string;
  source_task_id?: string | null;
  timestamp: string;
}
interface Lineage {
  mv: ModelVersion;
  run?: RunWithInputs;
  dagRun?: DAGRun & { trigger_events?: TriggerEvent[] | null };
  produced: DatasetEvent[];
}

// MLflow keeps a dataset's source, profile and schema as JSON text: {"uri": …} for files
// and URLs, {"path": …} or other keys for tables; shown parsed when they parse.
const parsed = (s?: string): Record<string, unknown> | undefined => {
  try {
    const v = s ? JSON.parse(s) : undefined;
    return v && typeof v === "object" ? v : undefined;
  } catch {
    return undefined;
  }
};
const sourceText = (s?: string) => {
  const v = parsed(s);
  const loc = v && (v.uri ?? v.path ?? v.url ?? v.table_name);
  return typeof loc === "string" ? loc : s || "";
};
const rowsOf = (profile?: string) => {
  const n = parsed(profile)?.num_rows;
  return typeof n === "number" ? n.toLocaleString("en") : "—";
};
const colsOf = (schema?: string) => {
  const c = parsed(schema)?.mlflow_colspec;
  return Array.isArray(c) ? c.map((x) => (x && typeof x === "object" && "name" in x ? String(x.name) : "")).filter(Boolean) : [];
};

const tag = (r: MLRun | undefined, k: string) => (r?.data.tags || []).find((t) => t.key === k)?.value;

async function loadLineage(name: string, version: string): Promise<Lineage> {
  const { model_version: mv } = await request<{ model_version: ModelVersion }>("GET", mlflow("/model-versions/get" + query({ name, version })));
  const out: Lineage = { mv, produced: [] };
  if (!mv.run_id) return out;
  out.run = (await request<{ run: RunWithInputs }>("GET", mlflow("/runs/get" + query({ run_id: mv.run_id })))).run;
  const dag = tag(out.run, "weir.dag_id");
  const dagRun = tag(out.run, "weir.run_id");
  if (dag && dagRun) {
    const [r, evs] = await Promise.all([
      request<Lineage["dagRun"]>("GET", v1(`/dags/${enc(dag)}/dagRuns/${enc(dagRun)}`)).catch(() => undefined),
      request<{ dataset_events: DatasetEvent[] }>("GET", v1("/datasets/events" + query({ source_dag_id: dag, source_run_id: dagRun, limit: 100 }))).catch(() => undefined),
    ]);
    out.dagRun = r;
    out.produced = evs?.dataset_events || [];
  }
  return out;
}

interface GNode {
  id: string;
  col: number;
  label: string;
  sub: string;
  href?: string;
}

const NW = 190,
  NH = 46,
  GX = 44,
  GY = 16;

/**
 * Draws the lineage as columns of boxes joined by arrows, each box a link. The SVG is as
 * wide as its container at most and scales down (viewBox) when the graph is wider, so the
 * last box (the version) is never cut off.
 */
function LineageGraph(props: { nodes: GNode[]; edges: [string, string][] }) {
  const { route } = useLocation();
  const cols = new Map<number, GNode[]>();
  props.nodes.forEach((n) => cols.set(n.col, [...(cols.get(n.col) || []), n]));
  const colIdx = [...cols.keys()].sort((a, b) => a - b);
  const pos = new Map<string, { x: number; y: number }>();
  const rows = Math.max(...[...cols.values()].map((c) => c.length));
  const height = rows * (NH + GY) + GY;
  colIdx.forEach((c, i) => {
    const list = cols.get(c)!;
    const top = (height - list.length * (NH + GY) + GY) / 2;
    list.forEach((n, j) => pos.set(n.id, { x: 8 + i * (NW + GX), y: top + j * (NH + GY) }));
  });
  const width = 16 + colIdx.length * (NW + GX) - GX;
  const cut = (s: string, n = 26) => (s.length > n ? s.slice(0, n - 1) + "…" : s);
  return (
    <svg class="lineage" width="100%" style={{ maxWidth: width + "px" }} viewBox={`0 0 ${width} ${height}`} role="group" aria-label="Lineage graph">
      <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto">
          <path d="M0,0 L10,5 L0,10 z" fill="#57606a" />
        </marker>
      </defs>
      {props.edges.map(([a, b]) => {
        const p = pos.get(a),
          q = pos.get(b);
        if (!p || !q) return null;
        const x1 = p.x + NW,
          y1 = p.y + NH / 2,
          x2 = q.x,
          y2 = q.y + NH / 2;
        const mx = (x1 + x2) / 2;
        return <path class="edge" d={`M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`} marker-end="url(#arrow)" />;
      })}
      {props.nodes.map((n) => {
        const p = pos.get(n.id)!;
        const box = (
          <g class={"node node-" + n.id.split(":")[0]}>
            <rect x={p.x} y={p.y} width={NW} height={NH} rx={6} />
            <text x={p.x + 8} y={p.y + 18} class="node-label">
              {cut(n.label)}
            </text>
            <text x={p.x + 8} y={p.y + 36} class="node-sub">
              {cut(n.sub, 30)}
            </text>
          </g>
        );
        // preact-iso routes clicks on HTML links only: an SVG link is routed here, so the
        // app is not reloaded.
        return n.href ? (
          <a
            href={n.href}
            onClick={(e) => {
              if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
              e.preventDefault();
              route(n.href!);
            }}
          >
            {box}
          </a>
        ) : (
          <g role="img" aria-label={`${n.sub}: ${n.label}`}>
            <title>{`${n.sub}: ${n.label}`}</title>
            {box}
          </g>
        );
      })}
    </svg>
  );
}

/** A model version's lineage: back to the tracking run, its data, and the DAG run and task that made it. */
export function Lineage(props: { name: string; version: string }) {
  const { name, version } = props;
  const l = usePoll(() => loadLineage(name, version), [name, version]);
  const d = l.data;
  const nodes: GNode[] = [];
  const edges: [string, string][] = [];
  const dag = tag(d?.run, "weir.dag_id");
  const dagRun = tag(d?.run, "weir.run_id");
  const task = tag(d?.run, "weir.task_id");
  const mi = tag(d?.run, "weir.map_index");
  const tryN = tag(d?.run, "weir.try_number");
  const inputs = d?.run?.inputs?.dataset_inputs || [];
  if (d) {
    nodes.push({ id: "mv", col: 4, label: `${d.mv.name} v${d.mv.version}`, sub: "model version", href: `/models/${enc(d.mv.name)}` });
    if (d.run) {
      nodes.push({ id: "run:" + d.run.info.run_id, col: 3, label: d.run.info.run_name || d.run.info.run_id, sub: "tracking run", href: `/compare?runs=${enc(d.run.info.run_id)}` });
      edges.push(["run:" + d.run.info.run_id, "mv"]);
      inputs.forEach((x, i) => {
        const id = "input:" + i;
        nodes.push({ id, col: 2, label: x.dataset.name || x.dataset.source || "dataset", sub: "dataset input" + (x.dataset.digest ? " " + x.dataset.digest.slice(0, 8) : "") });
        edges.push([id, "run:" + d.run!.info.run_id]);
      });
      if (dag && dagRun) {
        const q = new URLSearchParams({ run: dagRun, ...(task ? { task } : {}), ...(mi ? { map: mi } : {}) });
        if (task) {
          nodes.push({ id: "task:" + task, col: 2, label: task + (mi && mi !== "-1" ? `[${mi}]` : "") + (tryN ? ` try ${tryN}` : ""), sub: "task", href: `/dags/${enc(dag)}/grid?${q}` });
          edges.push(["task:" + task, "run:" + d.run.info.run_id]);
        }
        nodes.push({ id: "dagrun:" + dagRun, col: 1, label: `${dag} / ${dagRun}`, sub: "DAG run" + (d.dagRun ? ` (${d.dagRun.state})` : ""), href: `/dags/${enc(dag)}/grid?${new URLSearchParams({ run: dagRun })}` });
        edges.push(["dagrun:" + dagRun, task ? "task:" + task : "run:" + d.run.info.run_id]);
        (d.dagRun?.trigger_events || []).forEach((e) => {
          const id = "trigger:" + e.id;
          nodes.push({ id, col: 0, label: e.uri, sub: `dataset event #${e.id}`, href: `/datasets` });
          edges.push([id, "dagrun:" + dagRun]);
          // Further back: the task instance that updated the dataset, when a task did.
          if (e.source_dag_id && e.source_run_id) {
            const src = `source:${e.source_dag_id}/${e.source_run_id}/${e.source_task_id || ""}`;
            if (!nodes.some((n) => n.id === src)) {
              const q = new URLSearchParams({ run: e.source_run_id, ...(e.source_task_id ? { task: e.source_task_id } : {}) });
              nodes.push({ id: src, col: -1, label: `${e.source_dag_id} / ${e.source_run_id}`, sub: `updated by ${e.source_task_id || "a task"}`, href: `/dags/${enc(e.source_dag_id)}/grid?${q}` });
            }
            edges.push([src, id]);
          }
        });
      }
    }
  }
  const metrics = d?.run?.data.metrics || [];
  const params = d?.run?.data.params || [];
  return (
    <Page title={`Lineage of ${name} v${version}`}>
      <p>
        <a href={`/models/${enc(name)}`}>← {name}</a>
      </p>
      <ErrorNote error={l.error} />
      <Loading when={l.loading && !d} />
      {d && (
        <>
          <div class="table-wrap">
            <LineageGraph nodes={nodes} edges={edges} />
          </div>
          <dl class="facts">
            <dt>Files</dt>
            <dd>
              <code>{d.mv.source || "—"}</code>
            </dd>
            <dt>Created</dt>
            <dd>{fmtTime(d.mv.creation_timestamp)}</dd>
            <dt>Tracking run</dt>
            <dd>{d.run ? <a href={`/compare?runs=${enc(d.run.info.run_id)}`}>{d.run.info.run_name || d.run.info.run_id}</a> : "none recorded: registered without a run"}</dd>
            {d.run && (
              <>
                <dt>Made by</dt>
                <dd>
                  {dag && dagRun ? (
                    <a href={`/dags/${enc(dag)}/grid?${new URLSearchParams({ run: dagRun, ...(task ? { task } : {}) })}`}>
                      task {task} of DAG run {dag} / {dagRun}
                      {d.dagRun ? ` (${d.dagRun.run_type}, ${d.dagRun.state})` : ""}
                    </a>
                  ) : (
                    "the run was not made by a weir task"
                  )}
                </dd>
              </>
            )}
            {(d.dagRun?.trigger_events || []).map((e) => (
              <>
                <dt>Triggered by</dt>
                <dd>
                  dataset {e.uri} (event #{e.id} from {e.source_dag_id || "the API"}
                  {e.source_run_id ? " / " + e.source_run_id : ""})
                </dd>
              </>
            ))}
            {d.produced.map((e) => (
              <>
                <dt>Updated</dt>
                <dd>
                  dataset {e.dataset_uri} (by {e.source_task_id || "?"}, {fmtTime(e.timestamp)})
                </dd>
              </>
            ))}
          </dl>
          {inputs.length > 0 && (
            <table class="list">
              <caption>Datasets the run logged as inputs</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Digest</th>
                  <th scope="col">Context</th>
                  <th scope="col">Rows</th>
                  <th scope="col">Columns</th>
                  <th scope="col">Source</th>
                </tr>
              </thead>
              <tbody>
                {inputs.map((x) => (
                  <tr>
                    <th scope="row">{x.dataset.name || "—"}</th>
                    <td>
                      <code>{x.dataset.digest || ""}</code>
                    </td>
                    <td>{(x.tags || []).map((t) => (t.key === "mlflow.data.context" ? t.value : `${t.key}=${t.value}`)).join(", ") || "—"}</td>
                    <td class="num">{rowsOf(x.dataset.profile)}</td>
                    <td title={colsOf(x.dataset.schema).join(", ")}>{colsOf(x.dataset.schema).length || "—"}</td>
                    <td>
                      {x.dataset.source_type ? x.dataset.source_type + ": " : ""}
                      <code>{typeof x.dataset.source === "string" ? sourceText(x.dataset.source) : JSON.stringify(x.dataset.source || "")}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <div class="side-by-side">
            {params.length > 0 && (
              <table class="list">
                <caption>Params</caption>
                <tbody>
                  {params.map((p) => (
                    <tr>
                      <th scope="row">{p.key}</th>
                      <td>{p.value}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            {metrics.length > 0 && (
              <table class="list">
                <caption>Metrics</caption>
                <tbody>
                  {metrics.map((m) => (
                    <tr>
                      <th scope="row">{m.key}</th>
                      <td class="num">{fmtNum(m.value)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </div>
        </>
      )}
    </Page>
  );
}
