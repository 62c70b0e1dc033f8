import { DAG, enc, request, v1 } from "../api";
import { ErrorNote, Loading, Page } from "../components";
import { usePoll } from "../hooks";

/** A DAG's source (Airflow's Code view): the file that defines it, as the server reads it
 * now (GET /dagSources/{file_token}), with line numbers to point at. */
export function Code(props: { dag: string }) {
  const dagId = props.dag;
  const dag = usePoll(() => request<DAG & { fileloc?: string; file_token?: string }>("GET", v1(`/dags/${enc(dagId)}`)), [dagId], 0);
  const src = usePoll(
    () => request<{ content: string }>("GET", v1(`/dagSources/${enc(dag.data?.file_token || dagId)}`)).then((r) => r.content),
    [dagId, dag.data?.file_token],
    10_000,
  );
  const lines = src.data === undefined ? [] : src.data.replace(/\n$/, "").split("\n");
  return (
    <Page
      title={`${dagId}: code`}
      actions={
        <div class="head-actions">
          <a class="button" href={`/dags/${enc(dagId)}/grid`}>
            Grid
          </a>
          <a class="button" href={`/dags/${enc(dagId)}/graph`}>
            Graph
          </a>
          <a class="button primary" href={`/dags/${enc(dagId)}/trigger`}>
            Trigger
          </a>
        </div>
      }
    >
      {dag.data?.fileloc && (
        <p class="muted">
          <code>{dag.data.fileloc}</code>
        </p>
      )}
      <ErrorNote error={src.error || dag.error} />
      <Loading when={src.loading && src.data === undefined} />
      {src.data !== undefined && (
        <div class="code-wrap" tabIndex={0} role="region" aria-label={`Source of ${dagId}`}>
          <table class="code">
            <tbody>
              {lines.map((l, i) => (
                <tr id={`L${i + 1}`}>
                  <td class="ln" aria-hidden="true">
                    {i + 1}
                  </td>
                  <td>
                    <pre>{l || " "}</pre>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Page>
  );
}
