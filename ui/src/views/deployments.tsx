import { useState } from "preact/hooks";
import { Deployment, enc, query, request, v1 } from "../api";
import { ErrorNote, Loading, Page, Pager, fmtTime } from "../components";
import { usePoll } from "../hooks";

const LIMIT = 50;

const modelLink = (ref: string) => {
  const m = /^models:\/([^/@]+)/.exec(ref);
  return m ? <a href={`/models/${enc(m[1])}`}>{ref}</a> : <>{ref}</>;
};

/** Serving deployments: what answers, the canary and its share, the shadow. */
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
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {page.data.deployments.map((d) => (
                <tr key={d.name}>
                  <th scope="row">
                    {d.name}
                    {d.description ? <div class="muted small">{String(d.description)}</div> : null}
                  </th>
                  <td>{modelLink(d.model)}</td>
                  <td>{d.canary ? <>{modelLink(d.canary)} ({d.canary_weight}%)</> : "—"}</td>
                  <td>{d.shadow ? modelLink(String(d.shadow)) : "—"}</td>
                  <td>
                    <code>/serve/{d.name}/invocations</code>
                  </td>
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
