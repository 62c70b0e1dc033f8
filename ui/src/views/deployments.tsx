import { useState } from "preact/hooks";
import { Deployment, Monitor, VersionStats, enc, query, request, v1 } from "../api";
import { ErrorNote, Loading, Page, Pager, fmtTime } from "../components";
import { usePoll } from "../hooks";

const LIMIT = 50;

const modelLink = (ref: string) => {
  const m = /^models:\/([^/@]+)/.exec(ref);
  return m ? <a href={`/models/${enc(m[1])}`}>{ref}</a> : <>{ref}</>;
};

const RATE_S = 300;
const sinceRate = () => new Date(Date.now() - RATE_S * 1000).toISOString();
const pct = (r: number) => (100 * r).toFixed(r > 0 && r < 0.001 ? 3 : 1) + "%";
/** The requests (answered and failed) and failed requests of a comparison's served rows. */
const totals = (vs: VersionStats[]) =>
  vs.filter((v) => !v.shadow).reduce((t, v) => ({ requests: t.requests + v.requests + v.errors_4xx + v.errors_5xx, failed: t.failed + v.errors_4xx + v.errors_5xx }), { requests: 0, failed: 0 });

/** A deployment's traffic of the last RATE_S seconds: requests/s and error rate. */
function RecentTraffic(props: { name: string }) {
  const recent = usePoll(() => request<{ versions: VersionStats[] }>("GET", v1(`/deployments/${enc(props.name)}/compare` + query({ since: sinceRate() }))), [props.name], 10000);
  if (!recent.data)
    return (
      <>
        <td class="num">{recent.error ? "?" : "…"}</td>
        <td class="num">{recent.error ? "?" : "…"}</td>
      </>
    );
  const t = totals(recent.data.versions);
  return (
    <>
      <td class="num">{(t.requests / RATE_S).toPrecision(2)}</td>
      <td class={"num" + (t.failed ? " bad" : "")}>{t.requests ? pct(t.failed / t.requests) : "—"}</td>
    </>
  );
}

/** Serving deployments: what answers, the canary and its share, the shadow, and the
 * traffic of the last five minutes (one compare per row: a page has at most LIMIT). */
export function Deployments() {
  const [offset, setOffset] = useState(0);
  const page = usePoll(() => request<{ deployments: Deployment[]; total_entries: number }>("GET", v1("/deployments" + query({ limit: LIMIT, offset }))), [offset]);
  return (
    <Page title="Deployments">
      <ErrorNote error={page.error} />
      <Loading when={page.loading && !page.data} />
      {page.data && (
        <>
          <table class="list">
            <thead>
              <tr>
                <th scope="col">Deployment</th>
                <th scope="col">Model</th>
                <th scope="col">Canary</th>
                <th scope="col">Shadow</th>
                <th scope="col">Endpoint</th>
                <th scope="col">Requests/s (last 5 min)</th>
                <th scope="col">Error rate (last 5 min)</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {page.data.deployments.map((d) => (
                <tr key={d.name}>
                  <th scope="row">
                    <a href={`/deployments/${enc(d.name)}`}>{d.name}</a>
                    {d.description ? <div class="muted small">{String(d.description)}</div> : null}
                  </th>
                  <td>{modelLink(d.model)}</td>
                  <td>{d.canary ? <>{modelLink(d.canary)} ({d.canary_weight}%)</> : "—"}</td>
                  <td>{d.shadow ? modelLink(String(d.shadow)) : "—"}</td>
                  <td>
                    <code>/serve/{d.name}/invocations</code>
                  </td>
                  <RecentTraffic name={d.name} />
                  <td>{fmtTime(d.updated_at as string)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {page.data.deployments.length === 0 && <p class="muted">No deployments.</p>}
          <Pager offset={offset} limit={LIMIT} total={page.data.total_entries} onChange={setOffset} />
        </>
      )}
    </Page>
  );
}

const noModel = (v: VersionStats) => v.model === "" && v.version === "none";
const versionLink = (v: VersionStats) =>
  noModel(v) ? <span>no model chosen</span> : v.version ? <a href={`/models/${enc(v.model)}/versions/${enc(v.version)}`}>{`${v.model} v${v.version}`}</a> : <span>{v.model}</span>;
const ms = (us: number) => (us >= 1000 ? (us / 1000).toFixed(1) + " ms" : us + " µs");
const opt = (v?: number) => (v === undefined || v === null ? "—" : v.toPrecision(4));

/** One deployment: its traffic split and the live figures of each model version that
 * answered (GET /deployments/{name}/compare), a canary analysis before promotion. */
export function DeploymentPage(props: { name: string }) {
  const name = props.name;
  const dep = usePoll(() => request<Deployment>("GET", v1(`/deployments/${enc(name)}`)), [name]);
  const cmp = usePoll(() => request<{ versions: VersionStats[] }>("GET", v1(`/deployments/${enc(name)}/compare`)), [name]);
  // The rate: the requests of the last RATE_S seconds (the compare's since).
  const recent = usePoll(
    () => request<{ versions: VersionStats[] }>("GET", v1(`/deployments/${enc(name)}/compare` + query({ since: sinceRate() }))),
    [name],
  );
  const rate = (v: VersionStats) => {
    const r = recent.data?.versions.find((x) => x.model === v.model && x.version === v.version && x.shadow === v.shadow);
    return r ? ((r.requests + r.errors_4xx + r.errors_5xx) / RATE_S).toPrecision(2) : recent.data ? "0" : "…";
  };
  // The monitors watching this deployment (the API lists them all: there are few).
  const mons = usePoll(() => request<{ monitors: Monitor[] }>("GET", v1("/monitors" + query({ limit: 1000 }))).then((r) => r.monitors.filter((m) => m.endpoint === name)), [name]);
  const d = dep.data;
  const w = d?.canary ? d.canary_weight || 0 : 0;
  const vs = cmp.data?.versions || [];
  const served = vs.filter((v) => !v.shadow).reduce((n, v) => n + v.requests, 0);
  const all = totals(vs);
  const failing = vs.filter((v) => v.last_error);
  return (
    <Page title={`Deployment ${name}`}>
      <p>
        <a href="/deployments">← Deployments</a>
      </p>
      <ErrorNote error={dep.error || cmp.error} />
      <Loading when={dep.loading && !d} />
      {d && (
        <>
          <h2>Traffic split</h2>
          <div class="split" role="img" aria-label={`primary ${100 - w}%${d.canary ? `, canary ${w}%` : ""}${d.shadow ? ", shadow mirrored" : ""}`}>
            <span class="split-primary" style={{ width: `${100 - w}%` }}>
              primary {100 - w}%
            </span>
            {w > 0 && (
              <span class="split-canary" style={{ width: `${w}%` }}>
                canary {w}%
              </span>
            )}
          </div>
          <dl class="facts">
            <dt>Primary</dt>
            <dd>{modelLink(d.model)}</dd>
            <dt>Canary</dt>
            <dd>{d.canary ? <>{modelLink(d.canary)} ({w}%)</> : "—"}</dd>
            <dt>Shadow</dt>
            <dd>{d.shadow ? modelLink(String(d.shadow)) : "—"}</dd>
            <dt>Endpoint</dt>
            <dd>
              <code>/serve/{d.name}/invocations</code>
            </dd>
            <dt>Monitors</dt>
            <dd>
              {(mons.data || []).length === 0
                ? "none"
                : mons.data!.map((m) => (
                    <>
                      <a href={`/monitors/${enc(m.name)}`}>{m.name}</a> ({m.last_run_at ? (m.drifting ? "drifting" : "no drift") : "not run yet"}){" "}
                    </>
                  ))}
            </dd>
          </dl>
        </>
      )}
      {cmp.data && (
        <div class="table-wrap">
        <table class="list">
          <caption>
            Live figures per model version (canary analysis): {all.requests} requests, {all.failed} failed{all.requests ? ` (${pct(all.failed / all.requests)})` : ""}
          </caption>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Role</th>
              <th scope="col">Requests</th>
              <th scope="col">Share</th>
              <th scope="col">Requests/s (last 5 min)</th>
              <th scope="col">Latency p50</th>
              <th scope="col">Latency p99</th>
              <th scope="col">Labelled</th>
              <th scope="col">MAE</th>
              <th scope="col">RMSE</th>
              <th scope="col">Accuracy</th>
              <th scope="col">Errors (4xx / 5xx)</th>
              <th scope="col">Error rate</th>
            </tr>
          </thead>
          <tbody>
            {vs.map((v) => (
              <tr key={v.model + "/" + v.version + (v.shadow ? "s" : "")}>
                <th scope="row">{versionLink(v)}</th>
                <td>{v.shadow ? "shadow" : noModel(v) ? "failed" : "serving"}</td>
                <td class="num">{v.requests}</td>
                <td class="num">{v.shadow || noModel(v) || !served ? "—" : ((100 * v.requests) / served).toFixed(1) + "%"}</td>
                <td class="num">{rate(v)}</td>
                <td class="num">{v.requests ? ms(v.latency_p50_us) : "—"}</td>
                <td class="num">{v.requests ? ms(v.latency_p99_us) : "—"}</td>
                <td class="num">{v.labelled}</td>
                <td class="num">{opt(v.mae)}</td>
                <td class="num">{opt(v.rmse)}</td>
                <td class="num">{opt(v.accuracy)}</td>
                <td class={"num" + (v.errors_4xx + v.errors_5xx ? " bad" : "")}>
                  {v.errors_4xx} / {v.errors_5xx}
                </td>
                <td class="num">{v.shadow ? "—" : pct(v.error_rate)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        </div>
      )}
      {failing.length > 0 && (
        <table class="list last-errors">
          <caption>Last error per model version</caption>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Status</th>
              <th scope="col">When</th>
              <th scope="col">Message</th>
            </tr>
          </thead>
          <tbody>
            {failing.map((v) => (
              <tr key={v.model + "/" + v.version}>
                <th scope="row">{versionLink(v)}</th>
                <td class="num">{v.last_error_status}</td>
                <td>{fmtTime(v.last_error_at)}</td>
                <td class="last-error">{v.last_error}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {cmp.data && vs.length === 0 && <p class="muted">No predictions logged and no failed requests yet.</p>}
    </Page>
  );
}
