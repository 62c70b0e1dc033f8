import { useEffect, useRef, useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import uPlot from "uplot";
import { MLMetric, MLRun, enc, mlflow, request } from "../api";
import { ErrorNote, Loading, Page, fmtTime } from "../components";
import { usePoll } from "../hooks";
import { fmtNum } from "./experiments";

// Charts stay readable and fast with this many runs; more are listed but not drawn.
const MAX_RUNS = 20;
const palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#555555", "#bcbd22", "#17becf", "#ff7f0e"];

interface Data {
  runs: MLRun[];
  history: Record<string, Record<string, MLMetric[]>>; // metric → run → points
}

/** Compare runs: a diff of params, a table of metrics, and each metric over steps (uPlot). */
export function Compare() {
  const { query } = useLocation();
  const ids = (query.runs || "").split(",").filter(Boolean);
  const shown = ids.slice(0, MAX_RUNS);
  const data = usePoll<Data>(async () => {
    const runs = await Promise.all(shown.map((id) => request<{ run: MLRun }>("GET", mlflow(`/runs/get?run_id=${enc(id)}`)).then((r) => r.run)));
    const keys = [...new Set(runs.flatMap((r) => (r.data.metrics || []).map((m) => m.key)))].sort();
    const history: Data["history"] = {};
    await Promise.all(
      keys.flatMap((k) =>
        runs
          .filter((r) => (r.data.metrics || []).some((m) => m.key === k))
          .map(async (r) => {
            const h = await request<{ metrics?: MLMetric[] }>("GET", mlflow(`/metrics/get-history?run_id=${enc(r.info.run_id)}&metric_key=${enc(k)}&max_results=25000`));
            (history[k] ||= {})[r.info.run_id] = h.metrics || [];
          }),
      ),
    );
    return { runs, history };
  }, [shown.join(",")], 0);

  const runs = data.data?.runs || [];
  const name = (r: MLRun) => r.info.run_name || r.info.run_id.slice(0, 8);
  const paramKeys = [...new Set(runs.flatMap((r) => (r.data.params || []).map((p) => p.key)))].sort();
  const pval = (r: MLRun, k: string) => (r.data.params || []).find((p) => p.key === k)?.value;

  return (
    <Page title={`Compare ${ids.length} run${ids.length === 1 ? "" : "s"}`}>
      {ids.length > MAX_RUNS && <p class="muted">Showing the first {MAX_RUNS} of {ids.length} runs.</p>}
      <ErrorNote error={data.error} />
      <Loading when={data.loading} />
      {data.data && (
        <>
          <table class="list">
            <caption>Runs</caption>
            <thead>
              <tr>
                <th scope="col">Run</th>
                <th scope="col">Status</th>
                <th scope="col">Started</th>
                <th scope="col">Ended</th>
                <th scope="col">Made by</th>
              </tr>
            </thead>
            <tbody>
              {runs.map((r, i) => (
                <tr>
                  <th scope="row">
                    <span class="swatch" style={{ background: palette[i % palette.length] }} aria-hidden="true" /> {name(r)}
                  </th>
                  <td>{r.info.status}</td>
                  <td>{fmtTime(r.info.start_time)}</td>
                  <td>{fmtTime(r.info.end_time)}</td>
                  <td>
                    <MadeBy run={r} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {paramKeys.length > 0 && (
            <table class="list">
              <caption>Params (differences highlighted)</caption>
              <thead>
                <tr>
                  <th scope="col">Param</th>
                  {runs.map((r) => (
                    <th scope="col">{name(r)}</th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {paramKeys.map((k) => {
                  const vals = runs.map((r) => pval(r, k));
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
          )}
          {runs.length > 1 && paramKeys.length > 0 && <ParallelCoords runs={runs} params={paramKeys} name={name} />}
          <h2>Metrics</h2>
          <div class="charts">
            {Object.keys(data.data.history)
              .sort()
              .map((k) => (
                <MetricChart metric={k} runs={runs} byRun={data.data!.history[k]} name={name} />
              ))}
          </div>
        </>
      )}
    </Page>
  );
}

function MetricChart(props: { metric: string; runs: MLRun[]; byRun: Record<string, MLMetric[]>; name: (r: MLRun) => string }) {
  const el = useRef<HTMLDivElement>(null);
  const runs = props.runs.filter((r) => props.byRun[r.info.run_id]);
  const last = (r: MLRun) => {
    const h = props.byRun[r.info.run_id];
    return h.length ? h[h.length - 1].value : undefined;
  };
  useEffect(() => {
    if (!el.current) return;
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
      series: [
        { label: "step" },
        ...runs.map((r, i) => ({
          label: props.name(r),
          stroke: palette[props.runs.indexOf(r) % palette.length],
          width: 2,
          spanGaps: true,
          points: { show: true, size: 6 },
        })),
      ],
    };
    const plot = new uPlot(opts, [steps, ...series] as uPlot.AlignedData, el.current);
    return () => plot.destroy();
  }, [props.metric, props.byRun, runs.map((r) => r.info.run_id).join(",")]);
  return (
    <figure class="chart">
      <figcaption>
        <strong>{props.metric}</strong>
        <span class="sr-only">
          {" "}
          last values: {runs.map((r) => `${props.name(r)} ${last(r) === undefined ? "none" : fmtNum(last(r)!)}`).join(", ")}
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
          return (
            <path class="line" d={d} stroke={palette[ri % palette.length]}>
              <title>{`${props.name(r)}: ${axes.map((a) => `${a.label}=${a.values[ri] ?? "—"}`).join(", ")}`}</title>
            </path>
          );
        })}
      </svg>
    </figure>
  );
}
