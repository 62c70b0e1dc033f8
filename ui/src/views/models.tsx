import { useState } from "preact/hooks";
import { ModelVersion, RegisteredModel, enc, mlflow, query, request } from "../api";
import { ErrorNote, Loading, Page, fmtTime } from "../components";
import { usePoll } from "../hooks";

const PAGE = 50;

/** Registered models, a page at a time, with their aliases. */
export function Models() {
  const [name, setName] = useState("");
  const [tokens, setTokens] = useState<string[]>([""]);
  const token = tokens[tokens.length - 1];
  const page = usePoll(
    () =>
      request<{ registered_models?: RegisteredModel[]; next_page_token?: string }>(
        "GET",
        mlflow("/registered-models/search" + query({ max_results: PAGE, page_token: token, filter: name ? `name ILIKE '%${name.replace(/'/g, "")}%'` : undefined })),
      ),
    [name, token],
  );
  return (
    <Page title="Models">
      <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label>
          Search models
          <input type="search" value={name} onInput={(e) => (setName(e.currentTarget.value), setTokens([""]))} placeholder="name contains…" />
        </label>
      </form>
      <ErrorNote error={page.error} />
      <Loading when={page.loading && !page.data} />
      {page.data && (
        <>
          <table class="list">
            <thead>
              <tr>
                <th scope="col">Model</th>
                <th scope="col">Aliases</th>
                <th scope="col">Latest version</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {(page.data.registered_models || []).map((m) => (
                <tr key={m.name}>
                  <th scope="row">
                    <a href={`/models/${enc(m.name)}`}>{m.name}</a>
                    {m.description && <div class="muted small">{m.description}</div>}
                  </th>
                  <td>
                    {(m.aliases || []).map((a) => (
                      <span class="tag">
                        @{a.alias} → v{a.version}
                      </span>
                    ))}
                  </td>
                  <td>{(m.latest_versions || []).map((v) => "v" + v.version).join(", ")}</td>
                  <td>{fmtTime(m.last_updated_timestamp)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {(page.data.registered_models || []).length === 0 && <p class="muted">No registered models.</p>}
          {(tokens.length > 1 || page.data.next_page_token) && (
            <nav class="pager" aria-label="Pages">
              <button type="button" disabled={tokens.length === 1} onClick={() => setTokens(tokens.slice(0, -1))}>
                Previous
              </button>
              <span>Page {tokens.length}</span>
              <button type="button" disabled={!page.data.next_page_token} onClick={() => setTokens([...tokens, page.data!.next_page_token!])}>
                Next
              </button>
            </nav>
          )}
        </>
      )}
    </Page>
  );
}

/** One registered model: its versions (newest first, paged by the server) and aliases. */
export function Model(props: { name: string }) {
  const name = props.name;
  const model = usePoll(() => request<{ registered_model: RegisteredModel }>("GET", mlflow(`/registered-models/get?name=${enc(name)}`)), [name]);
  const versions = usePoll(
    () =>
      request<{ model_versions?: ModelVersion[] }>(
        "GET",
        mlflow("/model-versions/search" + query({ filter: `name='${name.replace(/'/g, "\\'")}'`, max_results: PAGE, order_by: "version_number DESC" })),
      ),
    [name],
  );
  const m = model.data?.registered_model;
  const changed = () => (model.reload(), versions.reload());
  const aliasesOf = (v: string) => (m?.aliases || []).filter((a) => a.version === v).map((a) => a.alias);
  return (
    <Page title={`Model ${name}`}>
      <ErrorNote error={model.error || versions.error} />
      <Loading when={model.loading && !model.data} />
      {m?.description && <p>{m.description}</p>}
      {m && (m.aliases || []).length > 0 && (
        <p>
          Aliases:{" "}
          {(m.aliases || []).map((a) => (
            <a class="tag" href={`/models/${enc(name)}/versions/${enc(a.version)}`} title="lineage">
              @{a.alias} → v{a.version}
            </a>
          ))}
        </p>
      )}
      {versions.data && (
        <table class="list">
          <caption>Versions</caption>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Aliases</th>
              <th scope="col">Stage</th>
              <th scope="col">Status</th>
              <th scope="col">Run</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {(versions.data.model_versions || []).map((v) => (
              <tr key={v.version}>
                <th scope="row">
                  <a href={`/models/${enc(name)}/versions/${enc(v.version)}`} title="lineage">v{v.version}</a>
                </th>
                <td>
                  {aliasesOf(v.version).map((a) => (
                    <span class="tag">@{a}</span>
                  ))}
                </td>
                <td>{v.current_stage || ""}</td>
                <td>{v.status || ""}</td>
                <td>{v.run_id ? <a href={`/compare?runs=${enc(v.run_id)}`}>{v.run_id.slice(0, 12)}</a> : "—"}</td>
                <td>{fmtTime(v.creation_timestamp)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {m && versions.data && <AliasForm name={name} model={m} versions={versions.data.model_versions || []} onDone={changed} />}
    </Page>
  );
}

/** Sets or moves an alias, after a confirmation that says what moves where. */
function AliasForm(props: { name: string; model: RegisteredModel; versions: ModelVersion[]; onDone: () => void }) {
  const [alias, setAlias] = useState("");
  const [version, setVersion] = useState("");
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string>();
  const [done, setDone] = useState<string>();
  const v = version || props.versions[0]?.version || "";
  const current = (props.model.aliases || []).find((a) => a.alias === alias.trim());
  const send = async () => {
    setError(undefined);
    try {
      await request("POST", mlflow("/registered-models/alias"), { name: props.name, alias: alias.trim(), version: v });
      setDone(`@${alias.trim()} → v${v}`);
      setConfirming(false);
      props.onDone();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <form
      class="filters"
      onSubmit={(e) => {
        e.preventDefault();
        setDone(undefined);
        setConfirming(true);
      }}
    >
      <label>
        Alias
        <input value={alias} required onInput={(e) => (setAlias(e.currentTarget.value), setConfirming(false))} placeholder="champion" />
      </label>
      <label>
        Version
        <select value={v} onChange={(e) => (setVersion(e.currentTarget.value), setConfirming(false))}>
          {props.versions.map((x) => (
            <option value={x.version}>v{x.version}</option>
          ))}
        </select>
      </label>
      <button type="submit">Set alias…</button>
      {confirming && (
        <div class="confirm" role="dialog" aria-label="Confirm the alias">
          <p>
            {current ? (current.version === v ? `@${current.alias} is already on v${v}.` : `Move @${current.alias} from v${current.version} to v${v}?`) : `Set @${alias.trim()} on v${v}?`}{" "}
            Deployments that serve models:/{props.name}@{alias.trim()} follow it.
          </p>
          <button type="button" class="primary" onClick={send}>
            Confirm
          </button>
          <button type="button" onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </div>
      )}
      <ErrorNote error={error} />
      {done && (
        <p class="ok" role="status">
          {done}
        </p>
      )}
    </form>
  );
}
