import { useEffect, useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { APIError, DAG, DAGRun, JSONSchema, enc, request, v1 } from "../api";
import { ErrorNote, Loading, Page } from "../components";
import { usePoll } from "../hooks";

type Kind = "string" | "number" | "integer" | "boolean" | "enum" | "json";

function kindOf(s: JSONSchema): Kind {
  if (s.enum) return "enum";
  const t = Array.isArray(s.type) ? s.type.find((x) => x !== "null") : s.type;
  if (t === "string" || t === "number" || t === "integer" || t === "boolean") return t;
  if (t === undefined && typeof s.default === "string") return "string";
  if (t === undefined && typeof s.default === "number") return "number";
  if (t === undefined && typeof s.default === "boolean") return "boolean";
  return "json";
}

function initial(s: JSONSchema): string {
  const k = kindOf(s);
  if (s.default === undefined || s.default === null) return k === "boolean" ? "false" : "";
  if (k === "json" || (k === "enum" && typeof s.default !== "string")) return JSON.stringify(s.default, null, 2);
  return String(s.default);
}

/** Converts a field's text to its JSON value; throws a message naming the field when it cannot. */
function valueOf(name: string, s: JSONSchema, text: string): unknown {
  const k = kindOf(s);
  switch (k) {
    case "string":
      return text;
    case "boolean":
      return text === "true";
    case "number":
    case "integer": {
      const n = Number(text);
      if (text.trim() === "" || isNaN(n)) throw new Error(`${name}: enter a number`);
      if (k === "integer" && !Number.isInteger(n)) throw new Error(`${name}: enter a whole number`);
      return n;
    }
    case "enum": {
      const hit = (s.enum || []).find((v) => String(v) === text || JSON.stringify(v) === text);
      return hit === undefined ? text : hit;
    }
    default:
      try {
        return JSON.parse(text);
      } catch {
        throw new Error(`${name}: not valid JSON`);
      }
  }
}

/** The trigger form, one field per declared param, typed and bounded by its JSON schema. */
export function Trigger(props: { dag: string }) {
  const dagId = props.dag;
  const { route } = useLocation();
  const dag = usePoll(() => request<DAG>("GET", v1(`/dags/${enc(dagId)}`)), [dagId], 0);
  const [values, setValues] = useState<Record<string, string>>({});
  const [runId, setRunId] = useState("");
  const [error, setError] = useState<{ msg: string; field?: string }>();
  const [busy, setBusy] = useState(false);
  const params = dag.data?.params || {};
  const names = Object.keys(params).sort();

  useEffect(() => {
    const v: Record<string, string> = {};
    for (const n of names) v[n] = initial(params[n]);
    setValues(v);
  }, [dag.data?.dag_id]);

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    const conf: Record<string, unknown> = {};
    try {
      for (const n of names) {
        const text = values[n] ?? "";
        // An empty field that is not text leaves the param to its default on the server.
        if (text.trim() === "" && kindOf(params[n]) !== "string") continue;
        conf[n] = valueOf(n, params[n], text);
      }
    } catch (err) {
      setError({ msg: (err as Error).message, field: "conf." + (err as Error).message.split(":")[0] });
      return;
    }
    setBusy(true);
    try {
      const run = await request<DAGRun>("POST", v1(`/dags/${enc(dagId)}/dagRuns`), { conf, ...(runId ? { dag_run_id: runId } : {}) });
      route(`/dags/${enc(dagId)}/grid?run=${enc(run.dag_run_id)}`);
    } catch (err) {
      const ae = err as APIError;
      setError({ msg: ae.message, field: ae.field });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Page title={`Trigger ${dagId}`}>
      <ErrorNote error={dag.error} />
      <Loading when={dag.loading} />
      {dag.data && (
        <form class="trigger" onSubmit={submit} noValidate={false}>
          {names.length === 0 && <p class="muted">This DAG declares no params.</p>}
          {names.map((n) => {
            const s = params[n];
            const k = kindOf(s);
            const id = "param-" + n;
            const invalid = error?.field === "conf." + n;
            const common = {
              id,
              name: n,
              "aria-invalid": invalid ? ("true" as const) : undefined,
              "aria-describedby": s.description ? id + "-help" : undefined,
            };
            const set = (v: string) => setValues({ ...values, [n]: v });
            let input;
            if (k === "boolean") {
              input = <input type="checkbox" {...common} checked={values[n] === "true"} onChange={(e) => set(e.currentTarget.checked ? "true" : "false")} />;
            } else if (k === "enum") {
              input = (
                <select {...common} value={values[n]} onChange={(e) => set(e.currentTarget.value)}>
                  {(s.enum || []).map((v) => (
                    <option value={typeof v === "string" ? v : JSON.stringify(v)}>{String(v)}</option>
                  ))}
                </select>
              );
            } else if (k === "number" || k === "integer") {
              input = (
                <input
                  type="number"
                  {...common}
                  required={s.default === undefined}
                  step={k === "integer" ? 1 : "any"}
                  min={s.minimum}
                  max={s.maximum}
                  value={values[n]}
                  onInput={(e) => set(e.currentTarget.value)}
                />
              );
            } else if (k === "string") {
              input = (
                <input
                  type={s.format === "date-time" ? "text" : "text"}
                  {...common}
                  required={s.default === undefined && !(s.minLength === 0)}
                  minLength={s.minLength}
                  maxLength={s.maxLength}
                  pattern={s.pattern}
                  value={values[n]}
                  onInput={(e) => set(e.currentTarget.value)}
                />
              );
            } else {
              input = <textarea {...common} rows={4} value={values[n]} onInput={(e) => set(e.currentTarget.value)} />;
            }
            return (
              <div class={"field" + (invalid ? " invalid" : "")}>
                <label for={id}>
                  {s.title || n} <span class="muted small">({k === "json" ? "JSON" : k})</span>
                </label>
                {input}
                {s.description && (
                  <div id={id + "-help"} class="muted small">
                    {s.description}
                  </div>
                )}
                {(s.minimum !== undefined || s.maximum !== undefined) && (
                  <div class="muted small">
                    {s.minimum !== undefined ? `≥ ${s.minimum}` : ""} {s.maximum !== undefined ? `≤ ${s.maximum}` : ""}
                  </div>
                )}
              </div>
            );
          })}
          <div class="field">
            <label for="run-id">
              Run ID <span class="muted small">(optional)</span>
            </label>
            <input id="run-id" name="dag_run_id" value={runId} onInput={(e) => setRunId(e.currentTarget.value)} placeholder="manual__<logical date>" />
          </div>
          {error && <ErrorNote error={error.msg} />}
          <button type="submit" class="primary" disabled={busy}>
            Trigger
          </button>
        </form>
      )}
    </Page>
  );
}
