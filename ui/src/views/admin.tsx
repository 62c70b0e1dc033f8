import { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { APIError, enc, query, request, v1 } from "../api";
import { ErrorNote, Loading, Page, Pager } from "../components";
import { usePoll } from "../hooks";

// Airflow's Admin menu: variables, connections and pools, read and changed through the
// REST API (secret values arrive masked and are never sent back; the server decides who
// may change what and its refusals are shown as they come).

const LIMIT = 100;

interface Variable {
  key: string;
  value: string;
  description?: string | null;
  is_secret: boolean;
  masked: boolean;
}
interface Connection {
  connection_id: string;
  conn_type: string;
  description?: string | null;
  host?: string | null;
  login?: string | null;
  schema?: string | null;
  port?: number | null;
  password?: string | null;
  extra?: string | null;
}
interface Pool {
  name: string;
  slots: number;
  occupied_slots: number;
  running_slots: number;
  queued_slots: number;
  open_slots: number;
  description?: string | null;
}

function AdminPage(props: { title: string; children: ComponentChildren }) {
  const tabs = [
    ["/admin/variables", "Variables"],
    ["/admin/connections", "Connections"],
    ["/admin/pools", "Pools"],
  ];
  return (
    <Page title={props.title}>
      <nav class="tabs" aria-label="Admin">
        {tabs.map(([href, label]) => (
          <a href={href} aria-current={location.pathname === href ? "page" : undefined}>
            {label}
          </a>
        ))}
      </nav>
      {props.children}
    </Page>
  );
}

/** A delete button that asks once more, in place (no browser dialog). */
function DeleteButton(props: { what: string; onDelete: () => Promise<void> }) {
  const [asking, setAsking] = useState(false);
  if (!asking)
    return (
      <button type="button" onClick={() => setAsking(true)}>
        Delete
      </button>
    );
  return (
    <span class="confirm">
      <button type="button" class="danger" onClick={() => props.onDelete().finally(() => setAsking(false))}>
        Delete {props.what}
      </button>{" "}
      <button type="button" onClick={() => setAsking(false)}>
        Keep
      </button>
    </span>
  );
}

/** Sends a form's request and reports the server's answer: an error (and its field) or done. */
function useSubmit() {
  const [error, setError] = useState<{ msg: string; field?: string }>();
  const [done, setDone] = useState<string>();
  const run = async (f: () => Promise<unknown>, ok: string) => {
    setError(undefined);
    setDone(undefined);
    try {
      await f();
      setDone(ok);
      return true;
    } catch (e) {
      setError({ msg: (e as Error).message, field: (e as APIError).field });
      return false;
    }
  };
  return { error, done, run, setError };
}

/** The answer to a form's last request: the server's error, or what was done. */
function FormStatus(props: { s: ReturnType<typeof useSubmit> }) {
  return (
    <>
      <ErrorNote error={props.s.error?.msg} />
      {props.s.done && (
        <p class="ok" role="status">
          {props.s.done}
        </p>
      )}
    </>
  );
}

/** Variables: key, value (secret ones masked), description; set (create or replace) and delete. */
export function Variables() {
  const [offset, setOffset] = useState(0);
  const page = usePoll(() => request<{ variables: Variable[]; total_entries: number }>("GET", v1("/variables" + query({ limit: LIMIT, offset }))), [offset]);
  const [form, setForm] = useState({ key: "", value: "", description: "", is_secret: false });
  const s = useSubmit();
  const save = (e: Event) => {
    e.preventDefault();
    s.run(() => request("POST", v1("/variables"), { key: form.key.trim(), value: form.value, description: form.description || undefined, is_secret: form.is_secret }), `Variable ${form.key.trim()} saved.`).then(
      (ok) => ok && (setForm({ key: "", value: "", description: "", is_secret: false }), page.reload()),
    );
  };
  return (
    <AdminPage title="Variables">
      <ErrorNote error={page.error} />
      <Loading when={page.loading && !page.data} />
      {page.data && (
        <>
          <table class="list">
            <caption>{page.data.total_entries} variables</caption>
            <thead>
              <tr>
                <th scope="col">Key</th>
                <th scope="col">Value</th>
                <th scope="col">Description</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {page.data.variables.map((v) => (
                <tr key={v.key}>
                  <th scope="row">{v.key}</th>
                  <td>
                    <code>{v.value}</code> {v.masked && <span class="tag">secret: masked</span>}
                  </td>
                  <td>{v.description || ""}</td>
                  <td>
                    <button type="button" onClick={() => setForm({ key: v.key, value: v.masked ? "" : v.value, description: v.description || "", is_secret: v.is_secret })}>
                      Edit
                    </button>{" "}
                    <DeleteButton what={v.key} onDelete={() => s.run(() => request("DELETE", v1(`/variables/${enc(v.key)}`)), `Variable ${v.key} deleted.`).then(() => page.reload())} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager offset={offset} limit={LIMIT} total={page.data.total_entries} onChange={setOffset} />
        </>
      )}
      <form class="admin-form" onSubmit={save} aria-labelledby="var-form">
        <h2 id="var-form">Set a variable</h2>
        <p class="muted small">Creates the variable, or replaces the one with this key. A secret's value is never shown again: type it anew to change the variable.</p>
        <label>
          Key
          <input required value={form.key} onInput={(e) => setForm({ ...form, key: e.currentTarget.value })} aria-invalid={s.error?.field === "key"} />
        </label>
        <label>
          Value
          <textarea required rows={2} value={form.value} onInput={(e) => setForm({ ...form, value: e.currentTarget.value })} aria-invalid={s.error?.field === "value"} />
        </label>
        <label>
          Description
          <input value={form.description} onInput={(e) => setForm({ ...form, description: e.currentTarget.value })} />
        </label>
        <label class="inline">
          <input type="checkbox" checked={form.is_secret} onChange={(e) => setForm({ ...form, is_secret: e.currentTarget.checked })} /> Secret (masked in the API, the UI and task logs)
        </label>
        <button type="submit" class="primary">
          Save
        </button>
        <FormStatus s={s} />
      </form>
    </AdminPage>
  );
}

const emptyConn = { connection_id: "", conn_type: "", host: "", port: "", login: "", password: "", schema: "", extra: "", description: "" };

/** Connections: type, host, port, login, schema (password and secret extras masked); set and delete. */
export function Connections() {
  const [offset, setOffset] = useState(0);
  const page = usePoll(() => request<{ connections: Connection[]; total_entries: number }>("GET", v1("/connections" + query({ limit: LIMIT, offset }))), [offset]);
  const [form, setForm] = useState(emptyConn);
  const s = useSubmit();
  const field = (name: keyof typeof emptyConn, label: string) => {
    const common = {
      value: form[name],
      required: name === "connection_id" || name === "conn_type",
      onInput: (e: { currentTarget: HTMLInputElement }) => setForm({ ...form, [name]: e.currentTarget.value }),
      "aria-invalid": s.error?.field === name,
    };
    return (
      <label>
        {label}
        {name === "password" ? <input type="password" autoComplete="new-password" {...common} /> : <input type="text" {...common} />}
      </label>
    );
  };
  const save = (e: Event) => {
    e.preventDefault();
    const port = form.port.trim();
    if (port && !/^\d+$/.test(port)) {
      s.setError({ msg: `port: "${port}" is not a number`, field: "port" });
      return;
    }
    const body = {
      connection_id: form.connection_id.trim(),
      conn_type: form.conn_type.trim(),
      host: form.host || undefined,
      port: port ? Number(port) : undefined,
      login: form.login || undefined,
      password: form.password || undefined,
      schema: form.schema || undefined,
      extra: form.extra || undefined,
      description: form.description || undefined,
    };
    s.run(() => request("POST", v1("/connections"), body), `Connection ${body.connection_id} saved.`).then((ok) => ok && (setForm(emptyConn), page.reload()));
  };
  return (
    <AdminPage title="Connections">
      <ErrorNote error={page.error} />
      <Loading when={page.loading && !page.data} />
      {page.data && (
        <>
          <table class="list">
            <caption>{page.data.total_entries} connections</caption>
            <thead>
              <tr>
                <th scope="col">Connection</th>
                <th scope="col">Type</th>
                <th scope="col">Host</th>
                <th scope="col">Port</th>
                <th scope="col">Login</th>
                <th scope="col">Password</th>
                <th scope="col">Schema</th>
                <th scope="col">Description</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {page.data.connections.map((c) => (
                <tr key={c.connection_id}>
                  <th scope="row">{c.connection_id}</th>
                  <td>{c.conn_type}</td>
                  <td>{c.host || ""}</td>
                  <td class="num">{c.port ?? ""}</td>
                  <td>{c.login || ""}</td>
                  <td>{c.password ? <code>{c.password}</code> : ""}</td>
                  <td>{c.schema || ""}</td>
                  <td>{c.description || ""}</td>
                  <td>
                    <button
                      type="button"
                      onClick={() =>
                        setForm({
                          connection_id: c.connection_id,
                          conn_type: c.conn_type,
                          host: c.host || "",
                          port: c.port ? String(c.port) : "",
                          login: c.login || "",
                          password: "",
                          schema: c.schema || "",
                          extra: c.extra && !c.extra.includes('"***"') ? c.extra : "",
                          description: c.description || "",
                        })
                      }
                    >
                      Edit
                    </button>{" "}
                    <DeleteButton what={c.connection_id} onDelete={() => s.run(() => request("DELETE", v1(`/connections/${enc(c.connection_id)}`)), `Connection ${c.connection_id} deleted.`).then(() => page.reload())} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager offset={offset} limit={LIMIT} total={page.data.total_entries} onChange={setOffset} />
        </>
      )}
      <form class="admin-form" onSubmit={save} aria-labelledby="conn-form">
        <h2 id="conn-form">Set a connection</h2>
        <p class="muted small">Creates the connection, or replaces the one with this id. The password and secret extras are never shown again: type them anew when you edit.</p>
        {field("connection_id", "Connection id")}
        {field("conn_type", "Type (postgres, http, aws, …)")}
        {field("host", "Host")}
        {field("port", "Port")}
        {field("login", "Login")}
        {field("password", "Password")}
        {field("schema", "Schema")}
        {field("extra", "Extra (a JSON object)")}
        {field("description", "Description")}
        <button type="submit" class="primary">
          Save
        </button>
        <FormStatus s={s} />
      </form>
    </AdminPage>
  );
}

/** Pools: slots and their use now; add, resize and delete. */
export function Pools() {
  const [offset, setOffset] = useState(0);
  const page = usePoll(() => request<{ pools: Pool[]; total_entries: number }>("GET", v1("/pools" + query({ limit: LIMIT, offset }))), [offset]);
  const [form, setForm] = useState({ name: "", slots: "", description: "" });
  const [editing, setEditing] = useState<string>();
  const s = useSubmit();
  const slotsOf = (text: string) => {
    const n = Number(text.trim());
    if (text.trim() === "" || !Number.isInteger(n) || n < -1) throw new APIError(400, `slots: "${text}" is not a whole number of slots (-1 for unlimited)`, "slots");
    return n;
  };
  const save = (e: Event) => {
    e.preventDefault();
    const name = form.name.trim();
    s.run(async () => {
      const slots = slotsOf(form.slots);
      if (editing) await request("PATCH", v1(`/pools/${enc(editing)}` + query({ update_mask: ["slots", "description"] })), { slots, description: form.description });
      else await request("POST", v1("/pools"), { name, slots, description: form.description || undefined });
    }, `Pool ${editing || name} saved.`).then((ok) => ok && (setForm({ name: "", slots: "", description: "" }), setEditing(undefined), page.reload()));
  };
  return (
    <AdminPage title="Pools">
      <ErrorNote error={page.error} />
      <Loading when={page.loading && !page.data} />
      {page.data && (
        <>
          <table class="list">
            <caption>{page.data.total_entries} pools</caption>
            <thead>
              <tr>
                <th scope="col">Pool</th>
                <th scope="col">Slots</th>
                <th scope="col">Running</th>
                <th scope="col">Queued</th>
                <th scope="col">Open</th>
                <th scope="col">Description</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {page.data.pools.map((p) => (
                <tr key={p.name}>
                  <th scope="row">{p.name}</th>
                  <td class="num">{p.slots < 0 ? "unlimited" : p.slots}</td>
                  <td class="num">{p.running_slots}</td>
                  <td class="num">{p.queued_slots}</td>
                  <td class="num">{p.open_slots < 0 ? "unlimited" : p.open_slots}</td>
                  <td>{p.description || ""}</td>
                  <td>
                    <button
                      type="button"
                      onClick={() => {
                        setEditing(p.name);
                        setForm({ name: p.name, slots: String(p.slots), description: p.description || "" });
                      }}
                    >
                      Edit
                    </button>{" "}
                    <DeleteButton what={p.name} onDelete={() => s.run(() => request("DELETE", v1(`/pools/${enc(p.name)}`)), `Pool ${p.name} deleted.`).then(() => page.reload())} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager offset={offset} limit={LIMIT} total={page.data.total_entries} onChange={setOffset} />
        </>
      )}
      <form class="admin-form" onSubmit={save} aria-labelledby="pool-form">
        <h2 id="pool-form">{editing ? `Change pool ${editing}` : "Add a pool"}</h2>
        {!editing && (
          <label>
            Name
            <input required value={form.name} onInput={(e) => setForm({ ...form, name: e.currentTarget.value })} aria-invalid={s.error?.field === "name"} />
          </label>
        )}
        <label>
          Slots (-1 for unlimited)
          <input required inputMode="numeric" value={form.slots} onInput={(e) => setForm({ ...form, slots: e.currentTarget.value })} aria-invalid={s.error?.field === "slots"} />
        </label>
        <label>
          Description
          <input value={form.description} onInput={(e) => setForm({ ...form, description: e.currentTarget.value })} />
        </label>
        <button type="submit" class="primary">
          Save
        </button>
        {editing && (
          <button
            type="button"
            onClick={() => {
              setEditing(undefined);
              setForm({ name: "", slots: "", description: "" });
            }}
          >
            Cancel
          </button>
        )}
        <FormStatus s={s} />
      </form>
    </AdminPage>
  );
}
