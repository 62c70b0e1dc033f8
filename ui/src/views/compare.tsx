import { useEffect, useRef, useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import uPlot from "uplot";
import { MLMetric, MLRun, enc, mlflow, request } from "../api";
import { ErrorNote, Loading, Page, fmtTime } from "../components";
import { usePoll } from "../hooks";
import { fmtNum } from "./experiments";

// Up to MAX_RUNS runs are compared (more are counted, not loaded). Up to FEW, the page is
// laid out as MLflow's compare page (params side by side, legends, points); past that, runs
// are rows, params that differ are summarised, and charts drop legends and points so a
// sweep of hundreds of runs stays responsive (MLflow's own page stalls past ~100 runs).
const MAX_RUNS = 1000;
const FEW = 20;
// Points per run and metric asked of get-history-bulk-interval (it samples evenly and
// keeps the first and last step): 320 as MLflow's charts ask, fewer past 100 runs — a
// chart of hundreds of overlaid lines shows no more with more points, and 1,000 runs × 320
// points × 10 metrics would be 3.2 million points to fetch and draw (16 a run at 1,000 runs).
const historyPoints = (runs: number) => (runs <= 100 ? 320 : Math.max(10, Math.floor(16000 / runs)));
// MLflow caps run_ids per bulk-interval call and we cap IN lists: 100 runs per request.
const CHUNK = 100;
const palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#555555", "#bcbd22", "#17becf", "#ff7f0e"];

interface Data {
  runs: MLRun[];
  total: number; // runs asked for by id, or loaded from a filter
  more: boolean; // the filter matches more runs than MAX_RUNS
}

const chunks = <T,>(xs: T[], n: number) => Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, i * n + n));
const quote = (s: string) => "'" + s.replace(/'/g, "''") + "'";

/** Runs with their latest metrics and params: by id (one runs/search per 100 ids, across
 * every experiment), or the runs of an experiment matching a filter, in its order. */
async function loadRuns(ids: string[], exp: string, filter: string, order: string): Promise<{ runs: MLRun[]; total: number; more: boolean }> {
  if (exp) {
    const runs: MLRun[] = [];
    let token: string | undefined;
    do {
      const page = await request<{ runs?: MLRun[]; next_page_token?: string }>("POST", mlflow("/runs/search"), {
        experiment_ids: [exp],
        filter: filter || undefined,
        order_by: order ? [order] : undefined,
        max_results: MAX_RUNS,
        page_token: token,
      });
      runs.push(...(page.runs || []));
      token = page.next_page_token;
    } while (token && runs.length < MAX_RUNS);
    return { runs: runs.slice(0, MAX_RUNS), total: Math.min(runs.length, MAX_RUNS), more: !!token || runs.length > MAX_RUNS };
  }
  const exps: string[] = [];
  let token: string | undefined;
  do {
    const page = await request<{ experiments?: { experiment_id: string }[]; next_page_token?: string }>("POST", mlflow("/experiments/search"), {
      max_results: 1000,
      view_type: "ALL",
      page_token: token,
    });
    exps.push(...(page.experiments || []).map((e) => e.experiment_id));
    token = page.next_page_token;
  } while (token);
  const shown = ids.slice(0, MAX_RUNS);
  const found = await Promise.all(
    chunks(shown, CHUNK).map((c) =>
      request<{ runs?: MLRun[] }>("POST", mlflow("/runs/search"), {
        experiment_ids: exps,
        filter: `attributes.run_id IN (${c.map(quote).join(", ")})`,
        run_view_type: "ALL",
        max_results: CHUNK,
      }).then((r) => r.runs || []),
    ),
  );
  const byId = new Map(found.flat().map((r) => [r.info.run_id, r]));
  return { runs: shown.map((id) => byId.get(id)).filter((r): r is MLRun => !!r), total: ids.length, more: false };
}

/** A metric's history for the runs that logged it, sampled to historyPoints steps per
 * run: one get-history-bulk-interval call per 100 runs. */
async function loadHistory(runs: MLRun[], k: string): Promise<Record<string, MLMetric[]>> {
  const byRun: Record<string, MLMetric[]> = {};
  const ids = runs.filter((r) => (r.data.metrics || []).some((m) => m.key === k)).map((r) => r.info.run_id);
  await Promise.all(
    chunks(ids, CHUNK).map(async (c) => {
      const q = new URLSearchParams([...c.map((id) => ["run_ids", id]), ["metric_key", k], ["max_results", String(historyPoints(runs.length))]]);
      const h = await request<{ metrics?: (MLMetric & { run_id: string })[] }>("GET", mlflow(`/metrics/get-history-bulk-interval?${q}`));
      for (const id of c) byRun[id] ||= [];
      for (const m of h.metrics || []) (byRun[m.run_id] ||= []).push(m);
    }),
  );
  return byRun;
}

/** Compare runs: a diff of params, a table of metrics, params against a metric in
 * parallel coordinates, and each metric over steps (uPlot). Runs come by id
 * (?runs=a,b,…) or as every run of an experiment matching a filter (?exp=ID&filter=…&order=…). */
export function Compare() {
  const { query } = useLocation();
  const ids = (query.runs || "").split(",").filter(Boolean);
  const exp = query.exp || "";
  const filter = query.filter || "";
  const order = query.order || "";
  const data = usePoll<Data>(
    async () => {
      const { runs, total, more } = await loadRuns(ids, exp, filter, order);
      return { runs, total, more };
    },
    [ids.join(","), exp, filter, order],
    0,
  );

  const runs = data.data?.runs || [];
  const total = data.data?.total ?? (exp ? 0 : ids.length);
  const few = runs.length <= FEW;
  const name = (r: MLRun) => r.info.run_name || r.info.run_id.slice(0, 8);
  const paramKeys = [...new Set(runs.flatMap((r) => (r.data.params || []).map((p) => p.key)))].sort();
  const pval = (r: MLRun, k: string) => (r.data.params || []).find((p) => p.key === k)?.value;
  const metricKeys = [...new Set(runs.flatMap((r) => (r.data.metrics || []).map((m) => m.key)))].sort();
  const differing = paramKeys.filter((k) => new Set(runs.map((r) => pval(r, k))).size > 1);
  const title = exp && !data.data ? "Compare runs" : `Compare ${total.toLocaleString("en")} run${total === 1 ? "" : "s"}`;

  return (
    <Page title={title}>
      {exp && (
        <p class="muted">
          The runs of <a href={`/experiments/${enc(exp)}`}>experiment {exp}</a>
          {filter ? (
            <>
              {" "}
              matching <code>{filter}</code>
            </>
          ) : null}
          {order ? <> ordered by {order}</> : null}.
        </p>
      )}
      {data.data && data.data.more && (
        <p class="muted">
          The filter matches more than {MAX_RUNS.toLocaleString("en")} runs: the first {MAX_RUNS.toLocaleString("en")} in this order are compared (narrow the filter to see others).
        </p>
      )}
      {data.data && !exp && total > runs.length && (
        <p class="muted">
          Showing {runs.length.toLocaleString("en")} of {total.toLocaleString("en")} runs
          {total > MAX_RUNS ? ` (at most ${MAX_RUNS.toLocaleString("en")} are compared)` : " (the others were not found)"}.
        </p>
      )}
      <ErrorNote error={data.error} />
      <Loading when={data.loading} />
      {data.data && runs.length === 0 && <p class="muted">No runs to compare.</p>}
      {data.data && runs.length > 0 && (
        <>
          <RunTable runs={runs} few={few} differing={few ? [] : differing} name={name} pval={pval} />
          {paramKeys.length > 0 && (few ? <ParamsSideBySide runs={runs} keys={paramKeys} name={name} pval={pval} /> : <ParamsSummary runs={runs} keys={paramKeys} pval={pval} />)}
          {runs.length > 1 && paramKeys.length > 0 && <ParallelCoords runs={runs} params={few ? paramKeys : differing.length ? differing : paramKeys} name={name} />}
          <h2>Metrics</h2>
          <div class="charts">
            {metricKeys.map((k) => (
              <LazyMetricChart key={k} metric={k} runs={runs} name={name} few={few} />
            ))}
          </div>
        </>
      )}
    </Page>
  );
}

/** The compared runs as rows; past FEW runs it also holds the params that differ and each
 * metric's latest value, sortable by clicking a column. */
function RunTable(props: { runs: MLRun[]; few: boolean; differing: string[]; name: (r: MLRun) => string; pval: (r: MLRun, k: string) => string | undefined }) {
  const [sort, setSort] = useState<{ col: string; desc: boolean } | undefined>(undefined);
  const metricKeys = props.few ? [] : [...new Set(props.runs.flatMap((r) => (r.data.metrics || []).map((m) => m.key)))].sort();
  const mval = (r: MLRun, k: string) => (r.data.metrics || []).find((m) => m.key === k)?.value;
  const colour = new Map(props.runs.map((r, i) => [r.info.run_id, palette[i % palette.length]]));
  const value = (r: MLRun, col: string): string | number | undefined =>
    col.startsWith("m:") ? mval(r, col.slice(2)) : col.startsWith("p:") ? props.pval(r, col.slice(2)) : col === "name" ? props.name(r) : r.info.start_time;
  let rows = props.runs;
  if (sort) {
    const num = rows.every((r) => value(r, sort.col) === undefined || isFinite(Number(value(r, sort.col))));
    rows = [...rows].sort((a, b) => {
      const x = value(a, sort.col),
        y = value(b, sort.col);
      if (x === undefined || y === undefined) return x === y ? 0 : x === undefined ? 1 : -1; // missing last
      const c = num ? Number(x) - Number(y) : String(x).localeCompare(String(y));
      return sort.desc ? -c : c;
    });
  }
  const head = (col: string, label: string) =>
    props.few ? (
      <th scope="col">{label}</th>
    ) : (
      <th scope="col" aria-sort={sort?.col === col ? (sort.desc ? "descending" : "ascending") : undefined}>
        <button type="button" class="sort" onClick={() => setSort(sort?.col === col ? { col, desc: !sort.desc } : { col, desc: col.startsWith("m:") })}>
          {label}
          <span aria-hidden="true">{sort?.col === col ? (sort.desc ? " ↓" : " ↑") : ""}</span>
        </button>
      </th>
    );
  return (
    <div class={props.few ? "table-wrap" : "table-wrap tall"} tabIndex={props.few ? undefined : 0} aria-label={props.few ? undefined : "Runs (scrolls)"} role={props.few ? undefined : "region"}>
      <table class="list compared">
        <caption>Runs</caption>
        <thead>
          <tr>
            {head("name", "Run")}
            <th scope="col">Status</th>
            {head("start", "Started")}
            <th scope="col">Ended</th>
            <th scope="col">Made by</th>
            {props.differing.map((k) => head("p:" + k, k))}
            {metricKeys.map((k) => head("m:" + k, k))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.info.run_id}>
              <th scope="row">
                <span class="swatch" style={{ background: colour.get(r.info.run_id) }} aria-hidden="true" /> {props.name(r)}
              </th>
              <td>{r.info.status}</td>
              <td>{fmtTime(r.info.start_time)}</td>
              <td>{fmtTime(r.info.end_time)}</td>
              <td>
                <MadeBy run={r} />
              </td>
              {props.differing.map((k) => (
                <td>{props.pval(r, k) ?? "—"}</td>
              ))}
              {metricKeys.map((k) => {
                const v = mval(r, k);
                return <td class="num">{v === undefined ? "—" : fmtNum(v)}</td>;
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** MLflow's layout for a few runs: one column per run, rows that differ highlighted. */
function ParamsSideBySide(props: { runs: MLRun[]; keys: string[]; name: (r: MLRun) => string; pval: (r: MLRun, k: string) => string | undefined }) {
  return (
    <div class="table-wrap">
      <table class="list">
        <caption>Params (differences highlighted)</caption>
        <thead>
          <tr>
            <th scope="col">Param</th>
            {props.runs.map((r) => (
              <th scope="col">{props.name(r)}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.keys.map((k) => {
            const vals = props.runs.map((r) => props.pval(r, k));
            const differs = new Set(vals).size > 1;
            return (
              <tr class={differs ? "differs" : ""}>
                <th scope="row">
                  {k}
                  {differs && <span class="sr-only"> (differs)</span>}
                </th>
                {vals.map((v) => (
                  <td>{v ?? "—"}</td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** For many runs: each param that differs with its distinct values (and how many runs
 * have each), then the params every run shares. */
function ParamsSummary(props: { runs: MLRun[]; keys: string[]; pval: (r: MLRun, k: string) => string | undefined }) {
  const rows = props.keys.map((k) => {
    const counts = new Map<string, number>();
    for (const r of props.runs) {
      const v = props.pval(r, k) ?? "—";
      counts.set(v, (counts.get(v) || 0) + 1);
    }
    return { k, counts: [...counts].sort((a, b) => b[1] - a[1]) };
  });
  const differ = rows.filter((r) => r.counts.length > 1);
  const same = rows.filter((r) => r.counts.length === 1);
  return (
    <>
      {differ.length > 0 && (
        <table class="list">
          <caption>Params that differ</caption>
          <thead>
            <tr>
              <th scope="col">Param</th>
              <th scope="col">Distinct values</th>
              <th scope="col">Values (runs)</th>
            </tr>
          </thead>
          <tbody>
            {differ.map((r) => (
              <tr class="differs">
                <th scope="row">{r.k}</th>
                <td class="num">{r.counts.length}</td>
                <td>
                  {r.counts
                    .slice(0, 12)
                    .map(([v, n]) => `${v} (${n})`)
                    .join(", ")}
                  {r.counts.length > 12 ? `, … ${r.counts.length - 12} more` : ""}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {same.length > 0 && (
        <p>
          <strong>Same in every run:</strong> {same.map((r) => `${r.k} = ${r.counts[0][0]}`).join(", ")}
        </p>
      )}
    </>
  );
}

/** A metric's chart, its history fetched once the chart is near the window (at once for a
 * few runs): with many runs and metrics the page shows its table and parallel coordinates
 * without waiting for every history, as MLflow's chart grid loads the charts in view. */
function LazyMetricChart(props: { metric: string; runs: MLRun[]; name: (r: MLRun) => string; few: boolean }) {
  const box = useRef<HTMLDivElement>(null);
  const [near, setNear] = useState(props.few);
  const [byRun, setByRun] = useState<Record<string, MLMetric[]>>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    if (near || !box.current) return;
    const io = new IntersectionObserver((es) => es.some((e) => e.isIntersecting) && setNear(true), { rootMargin: "300px" });
    io.observe(box.current);
    return () => io.disconnect();
  }, [near]);
  useEffect(() => {
    if (!near) return;
    let live = true;
    setByRun(undefined);
    loadHistory(props.runs, props.metric).then(
      (h) => live && setByRun(h),
      (e: Error) => live && setError(e.message),
    );
    return () => {
      live = false;
    };
  }, [near, props.metric, props.runs.map((r) => r.info.run_id).join(",")]);
  if (byRun) return <MetricChart metric={props.metric} runs={props.runs} byRun={byRun} name={props.name} few={props.few} />;
  return (
    <figure class="chart chart-pending" ref={box}>
      <figcaption>
        <strong>{props.metric}</strong>
      </figcaption>
      {error ? <ErrorNote error={error} /> : <p class="muted">Loading the history…</p>}
    </figure>
  );
}

function MetricChart(props: { metric: string; runs: MLRun[]; byRun: Record<string, MLMetric[]>; name: (r: MLRun) => string; few: boolean }) {
  const el = useRef<HTMLDivElement>(null);
  const runs = props.runs.filter((r) => props.byRun[r.info.run_id]);
  const last = (r: MLRun) => {
    const h = props.byRun[r.info.run_id];
    return h.length ? h[h.length - 1].value : undefined;
  };
  const hover = useRef<HTMLSpanElement>(null);
  const index = new Map(props.runs.map((r, i) => [r.info.run_id, i]));
  useEffect(() => {
    if (!el.current) return;
    const sparse = runs.every((r) => props.byRun[r.info.run_id].length <= 2);
    const steps = [...new Set(runs.flatMap((r) => props.byRun[r.info.run_id].map((m) => m.step)))].sort((a, b) => a - b);
    const series = runs.map((r) => {
      const at = new Map(props.byRun[r.info.run_id].map((m) => [m.step, m.value]));
      return steps.map((s) => (at.has(s) ? at.get(s)! : null));
    });
    const opts: uPlot.Options = {
      width: Math.max(280, Math.min(560, window.innerWidth - 80)),
      height: 240,
      scales: { x: { time: false } },
      axes: [{ label: "step" }, { label: props.metric }],
      // Past FEW runs: no legend (hundreds of rows), thin lines without points; the
      // cursor still names the nearest run in the figure's caption.
      legend: { show: props.few },
      cursor: props.few ? undefined : { focus: { prox: 16 } },
      focus: props.few ? undefined : { alpha: 0.25 },
      series: [
        { label: "step" },
        ...runs.map((r) => ({
          label: props.name(r),
          stroke: palette[index.get(r.info.run_id)! % palette.length],
          width: props.few ? 2 : 1,
          spanGaps: true,
          // Single values (a final score at one step) only show as points.
          points: { show: props.few || sparse, size: props.few ? 6 : 4 },
        })),
      ],
      hooks: props.few
        ? {}
        : {
            setSeries: [
              (u: uPlot, i: number | null) => {
                if (hover.current) hover.current.textContent = i ? `${u.series[i].label}` : "";
              },
            ],
          },
    };
    const plot = new uPlot(opts, [steps, ...series] as uPlot.AlignedData, el.current);
    return () => plot.destroy();
  }, [props.metric, props.byRun, runs.map((r) => r.info.run_id).join(",")]);
  return (
    <figure class="chart">
      <figcaption>
        <strong>{props.metric}</strong>
        {!props.few && (
          <>
            {" "}
            <span class="muted small" ref={hover} aria-live="off" />
          </>
        )}
        <span class="sr-only">
          {" "}
          {props.few
            ? `last values: ${runs.map((r) => `${props.name(r)} ${last(r) === undefined ? "none" : fmtNum(last(r)!)}`).join(", ")}`
            : `${runs.length} runs; their latest values are in the runs table`}
        </span>
      </figcaption>
      <div ref={el} class="plot" />
    </figure>
  );
}

const tag = (r: MLRun, k: string) => (r.data.tags || []).find((t) => t.key === k)?.value;

/** The DAG run and task that logged a tracking run (weir's weir.* tags), linked to its log. */
function MadeBy(props: { run: MLRun }) {
  const dag = tag(props.run, "weir.dag_id");
  const run = tag(props.run, "weir.run_id");
  const task = tag(props.run, "weir.task_id");
  const mi = tag(props.run, "weir.map_index");
  if (!dag || !run) return <span class="muted">—</span>;
  const q = new URLSearchParams({ run, ...(task ? { task } : {}), ...(mi ? { map: mi } : {}) });
  return (
    <a href={`/dags/${enc(dag)}/grid?${q}`}>
      {dag} / {run}
      {task ? ` / ${task}${mi ? `[${mi}]` : ""}` : ""}
    </a>
  );
}

/** One axis of the parallel coordinates: numeric when every value parses as a number,
 * else one position per distinct value. */
interface Axis {
  label: string;
  values: (string | number | undefined)[];
  pos: (v: string | number | undefined) => number | undefined; // 0 (bottom) … 1 (top)
  ticks: { at: number; text: string }[];
}

function makeAxis(label: string, values: (string | number | undefined)[]): Axis {
  const present = values.filter((v): v is string | number => v !== undefined && v !== "");
  const nums = present.map(Number);
  if (present.length > 0 && nums.every((n) => isFinite(n))) {
    const lo = Math.min(...nums),
      hi = Math.max(...nums);
    // Values spanning two decades or more (learning rates, regularisation) on a log scale.
    const log = lo > 0 && hi / lo >= 100;
    const f = log ? Math.log10 : (n: number) => n;
    const pos = (v: string | number | undefined) => (v === undefined || v === "" ? undefined : hi === lo ? 0.5 : (f(Number(v)) - f(lo)) / (f(hi) - f(lo)));
    return {
      label: log ? label + " (log)" : label,
      values,
      pos,
      ticks: hi === lo ? [{ at: 0.5, text: fmtNum(lo) }] : [{ at: 0, text: fmtNum(lo) }, { at: 1, text: fmtNum(hi) }],
    };
  }
  const cats = [...new Set(present.map(String))].sort();
  const at = (i: number) => (cats.length === 1 ? 0.5 : i / (cats.length - 1));
  return {
    label,
    values,
    pos: (v) => (v === undefined || v === "" ? undefined : at(cats.indexOf(String(v)))),
    ticks: cats.map((c, i) => ({ at: at(i), text: c.length > 14 ? c.slice(0, 13) + "…" : c })),
  };
}

/** Parallel coordinates (SVG): one axis per param and the chosen metric last, one line per run. */
function ParallelCoords(props: { runs: MLRun[]; params: string[]; name: (r: MLRun) => string }) {
  const metricKeys = [...new Set(props.runs.flatMap((r) => (r.data.metrics || []).map((m) => m.key)))].sort();
  const [metric, setMetric] = useState("");
  const mk = metricKeys.includes(metric) ? metric : metricKeys[0] || "";
  const mval = (r: MLRun) => (r.data.metrics || []).find((m) => m.key === mk)?.value;
  const axes = [
    ...props.params.map((k) => makeAxis(k, props.runs.map((r) => (r.data.params || []).find((p) => p.key === k)?.value))),
    ...(mk ? [makeAxis(mk, props.runs.map(mval))] : []),
  ];
  const W = Math.max(360, Math.min(900, 140 * axes.length)),
    H = 280,
    top = 30,
    bottom = 30,
    left = 60,
    right = 60;
  const many = props.runs.length > FEW;
  const x = (i: number) => (axes.length === 1 ? W / 2 : left + (i * (W - left - right)) / (axes.length - 1));
  const y = (p: number) => top + (1 - p) * (H - top - bottom);
  return (
    <figure class="chart pcoords-chart">
      <figcaption>
        <strong>Params against {mk || "a metric"}</strong>{" "}
        {metricKeys.length > 0 && (
          <label class="inline">
            Metric
            <select value={mk} onChange={(e) => setMetric(e.currentTarget.value)}>
              {metricKeys.map((k) => (
                <option value={k}>{k}</option>
              ))}
            </select>
          </label>
        )}
      </figcaption>
      <svg class="pcoords" width={W} height={H} viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`Parallel coordinates of ${axes.map((a) => a.label).join(", ")} for ${props.runs.length} runs`}>
        {axes.map((a, i) => (
          <g class="axis">
            <line x1={x(i)} x2={x(i)} y1={y(0)} y2={y(1)} />
            <text x={x(i)} y={top - 12} text-anchor="middle" font-weight={i === axes.length - 1 && mk ? 700 : 400}>
              {a.label}
            </text>
            {a.ticks.map((t) => (
              <text x={x(i) + 5} y={y(t.at) + 4}>
                {t.text}
              </text>
            ))}
          </g>
        ))}
        {props.runs.map((r, ri) => {
          const pts = axes.map((a, i) => {
            const p = a.pos(a.values[ri]);
            return p === undefined ? undefined : `${x(i)},${y(p)}`;
          });
          const d = pts.reduce((acc, p) => (p === undefined ? acc : acc + (acc ? " L" : "M") + p), "");
          // Many runs: each line coloured by its metric (as MLflow's chart does), the
          // best-to-worst story readable without a legend.
          const mp = many && mk ? axes[axes.length - 1].pos(axes[axes.length - 1].values[ri]) : undefined;
          const stroke = many ? (mp === undefined ? "#bbbbbb" : scale(mp)) : palette[ri % palette.length];
          return (
            <path class={many ? "line thin" : "line"} d={d} stroke={stroke}>
              <title>{`${props.name(r)}: ${axes.map((a) => `${a.label}=${a.values[ri] ?? "—"}`).join(", ")}`}</title>
            </path>
          );
        })}
      </svg>
      {many && mk && (
        <p class="muted small">
          Lines coloured by {mk}: <span class="ramp" aria-hidden="true" /> low to high; runs without it in grey.
        </p>
      )}
    </figure>
  );
}

// A perceptual ramp (viridis' ends and middle) from 0 (low) to 1 (high).
const RAMP = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];
function scale(p: number): string {
  const t = Math.min(1, Math.max(0, p)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(t)),
    f = t - i;
  const c = RAMP[i].map((v, j) => Math.round(v + f * (RAMP[i + 1][j] - v)));
  return `rgb(${c.join(",")})`;
}
