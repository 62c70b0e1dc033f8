import { useEffect, useRef, useState } from "preact/hooks";
import uPlot from "uplot";
import { DAGRun, Monitor, MonitorResult, enc, query, request, v1 } from "../api";
import { ErrorNote, Loading, Page, Pager, fmtTime } from "../components";
import { usePoll } from "../hooks";
import { fmtNum } from "./experiments";

const LIMIT = 50;
// Results drawn in the drift-share chart: the latest this many evaluations.
const HISTORY = 200;

/** Drift monitors of deployments, with their latest verdict. */
export function Monitors() {
  const [offset, setOffset] = useState(0);
  const page = usePoll(() => request<{ monitors: Monitor[]; total_entries: number }>("GET", v1("/monitors" + query({ limit: LIMIT, offset }))), [offset]);
  return (
    <Page title="Monitors">
      <ErrorNote error={page.error} />
      <Loading when={page.loading && !page.data} />
      {page.data && (
        <>
          <table class="list">
            <thead>
              <tr>
                <th scope="col">Monitor</th>
                <th scope="col">Deployment</th>
                <th scope="col">Verdict</th>
                <th scope="col">Last run</th>
                <th scope="col">Last fired</th>
              </tr>
            </thead>
            <tbody>
              {page.data.monitors.map((m) => (
                <tr key={m.name}>
                  <th scope="row">
                    <a href={`/monitors/${enc(m.name)}`}>{m.name}</a>
                  </th>
                  <td>
                    <a href={`/deployments/${enc(m.endpoint)}`}>{m.endpoint}</a>
                  </td>
                  <td>{m.last_run_at ? m.drifting ? <span class="tag warn">drifting</span> : <span class="tag">no drift</span> : <span class="muted">not run yet</span>}</td>
                  <td>{fmtTime(m.last_run_at)}</td>
                  <td>{fmtTime(m.last_fired_at) || "never"}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {page.data.monitors.length === 0 && <p class="muted">No monitors.</p>}
          <Pager offset={offset} limit={LIMIT} total={page.data.total_entries} onChange={setOffset} />
        </>
      )}
    </Page>
  );
}

type TriggeredRun = DAGRun & { trigger_events?: { id: number }[] | null };

/** One monitor: the latest result per feature, the drift share over time, the reference vs
 * current histograms, and the actions fired (a dataset event → the runs it triggered). */
export function MonitorPage(props: { name: string }) {
  const name = props.name;
  const mon = usePoll(() => request<Monitor>("GET", v1(`/monitors/${enc(name)}`)), [name]);
  const res = usePoll(() => request<{ results: MonitorResult[] }>("GET", v1(`/monitors/${enc(name)}/results` + query({ limit: HISTORY }))), [name]);
  const results = res.data?.results || []; // newest first
  const latest = results.find((r) => r.result?.data) || results[0];
  const fired = results.filter((r) => r.fired && (r.result?.actions || []).length > 0);
  const eventIds = fired.flatMap((r) => (r.result?.actions || []).map((a) => a.event_id).filter((x): x is number => !!x));
  // The runs a fired dataset event triggered: dataset-triggered runs carry their events.
  const triggered = usePoll(
    async () => {
      if (eventIds.length === 0) return [] as TriggeredRun[];
      const r = await request<{ dag_runs: TriggeredRun[] }>("GET", v1("/dags/~/dagRuns" + query({ run_type: "dataset", limit: 100 })));
      return r.dag_runs.filter((x) => (x.trigger_events || []).some((e) => eventIds.includes(e.id)));
    },
    [eventIds.join(",")],
  );
  const runsOf = (id?: number) => (id ? (triggered.data || []).filter((x) => (x.trigger_events || []).some((e) => e.id === id)) : []);
  const m = mon.data;
  const features = latest?.result?.data?.features || [];
  return (
    <Page title={`Monitor ${name}`}>
      <p>
        <a href="/monitors">← Monitors</a>
      </p>
      <ErrorNote error={mon.error || res.error || triggered.error} />
      <Loading when={(mon.loading && !m) || (res.loading && !res.data)} />
      {m && (
        <dl class="facts">
          <dt>Deployment</dt>
          <dd>
            <a href={`/deployments/${enc(m.endpoint)}`}>{m.endpoint}</a>
          </dd>
          <dt>Verdict</dt>
          <dd>{m.last_run_at ? (m.drifting ? "drifting" : "no drift") : "not run yet"}</dd>
          <dt>Last run</dt>
          <dd>{fmtTime(m.last_run_at) || "—"}</dd>
          <dt>Last fired</dt>
          <dd>{fmtTime(m.last_fired_at) || "never"}</dd>
        </dl>
      )}
      {latest && (
        <>
          <h2>Latest result ({fmtTime(latest.time)})</h2>
          {latest.result?.model && (
            <p>
              Model <a href={`/models/${enc(latest.result.model)}/versions/${enc(latest.result.version || "")}`}>{`${latest.result.model} v${latest.result.version || "?"}`}</a>, {latest.result.rows ?? 0} rows.{" "}
              {latest.result.data && `${latest.result.data.drifted} of ${features.length} features drifted (share ${fmtNum(latest.result.data.share)}, dataset drift at ${fmtNum(latest.result.data.drift_share)}).`}
            </p>
          )}
          {latest.result?.error && <p class="error">{latest.result.error}</p>}
          {latest.result?.note && <p class="muted">{latest.result.note}</p>}
          {(latest.result?.reasons || []).length > 0 && (
            <ul>
              {latest.result!.reasons!.map((r) => (
                <li>{r}</li>
              ))}
            </ul>
          )}
          {features.length > 0 && (
            <table class="list">
              <caption>Drift per feature</caption>
              <thead>
                <tr>
                  <th scope="col">Feature</th>
                  <th scope="col">Test</th>
                  <th scope="col">Statistic</th>
                  <th scope="col">Threshold</th>
                  <th scope="col">Drifted</th>
                  <th scope="col">Rows (reference / current)</th>
                </tr>
              </thead>
              <tbody>
                {features.map((f) => (
                  <tr class={f.drift ? "differs" : ""}>
                    <th scope="row">{f.column}</th>
                    <td>{f.stattest}</td>
                    <td class="num">{fmtNum(f.score)}</td>
                    <td class="num">{fmtNum(f.threshold)}</td>
                    <td>{f.drift ? <span class="tag warn">drifted</span> : "no"}</td>
                    <td class="num">
                      {f.reference_n} / {f.current_n}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
      {results.some((r) => r.result?.data) && (
        <div class="charts">
          <ShareChart results={results} />
          <FeatureChart results={results} />
        </div>
      )}
      {features.length > 0 && (
        <>
          <h2>Reference vs current</h2>
          <div class="charts">
            {features.map((f) => (
              <figure class="chart">
                <figcaption>{f.column}</figcaption>
                <img src={v1(`/monitors/${enc(name)}/plots/${enc(f.column)}.png`)} alt={`Histogram of ${f.column}: reference against the current window`} width={480} />
              </figure>
            ))}
          </div>
        </>
      )}
      {res.data && (
        <>
          <h2>Actions fired</h2>
          {fired.length === 0 ? (
            <p class="muted">None in the latest {results.length} results.</p>
          ) : (
            <table class="list">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Action</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">Triggered</th>
                </tr>
              </thead>
              <tbody>
                {fired.flatMap((r) =>
                  (r.result?.actions || []).map((a) => (
                    <tr>
                      <td>{fmtTime(r.time)}</td>
                      <td>
                        {a.kind} {a.kind === "dataset" ? <a href="/datasets">{a.target}</a> : <code>{a.target}</code>}
                        {a.event_id ? ` (event #${a.event_id})` : ""}
                      </td>
                      <td>{a.ok ? "delivered" : `failed${a.status ? ` (${a.status})` : ""}${a.error ? ": " + a.error : ""}`}</td>
                      <td>
                        {runsOf(a.event_id).map((x) => (
                          <a href={`/dags/${enc(x.dag_id)}/grid?${new URLSearchParams({ run: x.dag_run_id })}`}>
                            {x.dag_id} / {x.dag_run_id} ({x.state}){" "}
                          </a>
                        ))}
                        {a.event_id && runsOf(a.event_id).length === 0 ? <span class="muted">no run yet</span> : ""}
                      </td>
                    </tr>
                  )),
                )}
              </tbody>
            </table>
          )}
        </>
      )}
    </Page>
  );
}

/** The data set's drift share over time (uPlot), with the share at which it counts as drift. */
function ShareChart(props: { results: MonitorResult[] }) {
  const el = useRef<HTMLDivElement>(null);
  const pts = props.results.filter((r) => r.result?.data).reverse();
  const key = pts.map((r) => r.id).join(",");
  useEffect(() => {
    if (!el.current) return;
    const xs = pts.map((r) => new Date(r.time).getTime() / 1000);
    const share = pts.map((r) => r.result!.data!.share);
    const limit = pts.map((r) => r.result!.data!.drift_share);
    const plot = new uPlot(
      {
        width: Math.max(320, Math.min(720, window.innerWidth - 80)),
        height: 240,
        scales: { y: { range: [0, 1] } },
        axes: [{}, { label: "share of features drifted" }],
        series: [
          { label: "time" },
          { label: "drift share", stroke: "#d62728", width: 2, points: { show: true, size: 6 } },
          { label: "dataset drift at", stroke: "#57606a", dash: [6, 4], width: 1 },
        ],
      },
      [xs, share, limit],
      el.current,
    );
    return () => plot.destroy();
  }, [key]);
  const last = pts[pts.length - 1]?.result?.data;
  return (
    <figure class="chart share-chart">
      <figcaption>
        <strong>Dataset drift share over time</strong>
        <span class="sr-only">
          {" "}
          {pts.length} results; latest share {last ? fmtNum(last.share) : "none"}
        </span>
      </figcaption>
      <div ref={el} class="plot" />
      <p class="small muted">
        Also as a picture: <a href={v1(`/monitors/${enc(pts[0]?.monitor || "")}/plots/history.png`)}>history.png</a>
      </p>
    </figure>
  );
}

const palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#555555", "#bcbd22", "#17becf", "#ff7f0e"];

/** Each feature's drift over time (uPlot): its statistic as a multiple of its threshold,
 * so features with different tests share one axis and 1 is where a feature drifts. */
function FeatureChart(props: { results: MonitorResult[] }) {
  const el = useRef<HTMLDivElement>(null);
  const pts = props.results.filter((r) => r.result?.data).reverse();
  const cols = [...new Set(pts.flatMap((r) => r.result!.data!.features.map((f) => f.column)))].sort();
  const key = pts.map((r) => r.id).join(",");
  useEffect(() => {
    if (!el.current) return;
    const xs = pts.map((r) => new Date(r.time).getTime() / 1000);
    const series = cols.map((c) =>
      pts.map((r) => {
        const f = r.result!.data!.features.find((x) => x.column === c);
        return f && f.threshold > 0 ? f.score / f.threshold : null;
      }),
    );
    const plot = new uPlot(
      {
        width: Math.max(320, Math.min(720, window.innerWidth - 80)),
        height: 240,
        axes: [{}, { label: "statistic / threshold" }],
        series: [{ label: "time" }, ...cols.map((c, i) => ({ label: c, stroke: palette[i % palette.length], width: 2, spanGaps: true, points: { show: true, size: 6 } }))],
      },
      [xs, ...series] as uPlot.AlignedData,
      el.current,
    );
    return () => plot.destroy();
  }, [key]);
  const last = pts[pts.length - 1]?.result?.data?.features || [];
  return (
    <figure class="chart feature-chart">
      <figcaption>
        <strong>Drift per feature over time</strong>
        <span class="sr-only">
          {" "}
          latest: {last.map((f) => `${f.column} ${fmtNum(f.score)} against ${fmtNum(f.threshold)}`).join(", ")}
        </span>
      </figcaption>
      <div ref={el} class="plot" />
      <p class="small muted">Above 1, the feature drifted.</p>
    </figure>
  );
}
