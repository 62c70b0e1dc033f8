// The UI's only way to the server: the public REST API (/api/v1) and MLflow's API
// (/ajax-api/2.0/mlflow). Errors carry the server's message (RFC 7807 "detail", or
// MLflow's "message") so views can show it as it is.

export class APIError extends Error {
  constructor(public status: number, message: string, public field?: string) {
    super(message);
  }
}

/** Called when the server answers 401: the app shows its login form. */
export let onUnauthorized: () => void = () => {};
export function setUnauthorizedHandler(f: () => void) {
  onUnauthorized = f;
}

/** The session's CSRF token (from POST /api/v1/login or GET /api/v1/me), sent as
 * X-CSRF-Token on every state-changing request: the server refuses such requests made with
 * the session cookie alone. Empty without a session (tokens, or no authentication). */
let csrfToken = "";
export function rememberSession(me: unknown) {
  const t = (me as { csrf_token?: string } | undefined)?.csrf_token;
  if (t) csrfToken = t;
  const m = me as { name?: string; kind?: string; role?: string } | undefined;
  if (m?.name) currentUser = { name: m.name, kind: m.kind, role: m.role };
}

/** Who is signed in (GET /api/v1/me, POST /api/v1/login); undefined on a server without login. */
export let currentUser: { name: string; kind?: string; role?: string } | undefined;

async function errorOf(res: Response): Promise<APIError> {
  let msg = `${res.status} ${res.statusText}`;
  let field: string | undefined;
  try {
    const body = await res.json();
    msg = body.detail || body.message || body.title || msg;
    field = body.field;
  } catch {
    /* not JSON: keep the status line */
  }
  return new APIError(res.status, msg, field);
}

// The last answer of each GET that carried an ETag: the next GET of the URL sends
// If-None-Match, and a 304 (nothing changed) is answered from the kept text without a
// transfer (parsed again: views may sort what they get in place).
const etags = new Map<string, { tag: string; text: string }>();
const ETAG_URLS = 500;

export async function request<T>(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
  // X-Requested-With: a 401 then carries no Basic challenge, which the browser would answer
  // with its own password dialog instead of letting the app show its sign-in form.
  const init: RequestInit = { method, headers: { Accept: "application/json", "X-Requested-With": "weir-ui", ...headers }, credentials: "same-origin" };
  if (csrfToken && method !== "GET" && method !== "HEAD") (init.headers as Record<string, string>)["X-CSRF-Token"] = csrfToken;
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)["Content-Type"] = "application/json";
  }
  const cached = method === "GET" ? etags.get(url) : undefined;
  if (cached) (init.headers as Record<string, string>)["If-None-Match"] = cached.tag;
  if (method === "GET") init.cache = "no-store"; // revalidation is done here, not by the HTTP cache
  const res = await fetch(url, init);
  if (res.status === 304 && cached) return JSON.parse(cached.text) as T;
  if (res.status === 401) onUnauthorized();
  if (!res.ok) throw await errorOf(res);
  const text = await res.text();
  const value = (text ? JSON.parse(text) : undefined) as T;
  const tag = res.headers.get("ETag");
  if (method === "GET" && tag) {
    if (etags.size >= ETAG_URLS) etags.delete(etags.keys().next().value!);
    etags.delete(url);
    etags.set(url, { tag, text });
  }
  return value;
}

export const v1 = (path: string) => "/api/v1" + path;
export const mlflow = (path: string) => "/ajax-api/2.0/mlflow" + path;
export const enc = encodeURIComponent;

export function query(params: Record<string, string | number | boolean | undefined | null | (string | number)[]>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === "") continue;
    if (Array.isArray(v)) v.forEach((x) => q.append(k, String(x)));
    else q.append(k, String(v));
  }
  const s = q.toString();
  return s ? "?" + s : "";
}

// REST API types (api/openapi.yaml), the fields the UI reads.
export interface DAG {
  dag_id: string;
  description?: string | null;
  is_paused: boolean;
  is_active: boolean;
  tags: { name: string }[];
  schedule?: string;
  timetable_description?: string | null;
  has_import_errors?: boolean;
  params?: Record<string, JSONSchema>;
  task_ids?: string[];
  owners?: string[];
  dataset_expression?: string | null;
  next_dagrun?: string | null;
  next_dagrun_data_interval_start?: string | null;
  next_dagrun_data_interval_end?: string | null;
  next_dagrun_create_after?: string | null;
}
export interface DAGRun {
  dag_id: string;
  dag_run_id: string;
  state: string;
  run_type: string;
  logical_date: string;
  start_date?: string | null;
  end_date?: string | null;
  conf?: Record<string, unknown>;
  params?: Record<string, unknown> | null;
}
export interface TaskInstance {
  dag_id: string;
  dag_run_id: string;
  task_id: string;
  map_index: number;
  state: string | null;
  try_number: number;
  /** weir: the tries allowed (retries + 1, renewed by a clear). */
  max_tries: number;
  start_date?: string | null;
  end_date?: string | null;
  duration?: number | null;
  hostname?: string;
  pool?: string;
  output?: unknown;
  error?: string;
  args?: Record<string, unknown> | null;
  next_try_at?: string | null;
  cached_from?: string | null;
}
/** The instances of one task of a run summed up by the server (GET …/dagRuns/{run}/taskSummaries). */
export interface TaskSummary {
  task_id: string;
  /** The most pressing state of its instances; null is none. */
  state: string | null;
  is_mapped: boolean;
  total: number;
  /** Instances per state ("none" for no state yet). */
  states: Record<string, number>;
  first_map_index: number;
  start_date?: string | null;
  end_date?: string | null;
}
/** A task of a DAG (GET /dags/{dag_id}/tasks). */
export interface Task {
  task_id: string;
  operator_name: string;
  downstream_task_ids: string[];
  upstream_task_ids: string[];
  trigger_rule: string;
  is_mapped: boolean;
  is_setup: boolean;
  is_teardown: boolean;
  task_group_id: string | null;
}
export interface TaskGroup {
  group_id: string;
  parent_group_id: string | null;
  is_mapped: boolean;
}
export interface JSONSchema {
  type?: string | string[];
  default?: unknown;
  description?: string;
  title?: string;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  items?: JSONSchema;
}
export interface ImportError {
  filename: string;
  stack_trace: string;
  timestamp?: string | null;
}
export interface Deployment {
  name: string;
  model: string;
  canary?: string;
  canary_weight?: number;
  [k: string]: unknown;
}

// MLflow types, the fields the UI reads.
export interface Experiment {
  experiment_id: string;
  name: string;
  lifecycle_stage?: string;
  last_update_time?: number;
}
export interface KV {
  key: string;
  value: string;
}
export interface MLMetric {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}
export interface MLRun {
  info: { run_id: string; run_name?: string; experiment_id: string; status: string; start_time?: number; end_time?: number };
  data: { metrics?: MLMetric[]; params?: KV[]; tags?: KV[] };
}
export interface ModelVersion {
  name: string;
  version: string;
  run_id?: string;
  source?: string;
  status?: string;
  current_stage?: string;
  creation_timestamp?: number;
  aliases?: string[];
  description?: string;
}
export interface RegisteredModel {
  name: string;
  description?: string;
  latest_versions?: ModelVersion[];
  aliases?: { alias: string; version: string }[];
  last_updated_timestamp?: number;
}

// ML-side REST types (api/client): monitors, deployment comparison, approvals.
export interface Monitor {
  name: string;
  endpoint: string;
  spec: Record<string, unknown>;
  last_run_at?: string | null;
  drifting: boolean;
  last_fired_at?: string | null;
}
export interface DriftFeature {
  column: string;
  type: string;
  stattest: string;
  score: number;
  threshold: number;
  drift: boolean;
  reference_n: number;
  current_n: number;
}
export interface MonitorAction {
  kind: string;
  target: string;
  ok: boolean;
  attempts?: number;
  status?: number;
  error?: string;
  event_id?: number;
}
export interface MonitorResult {
  id: number;
  monitor: string;
  time: string;
  drift: boolean;
  fired: boolean;
  result: {
    model?: string;
    version?: string;
    rows?: number;
    judged?: boolean;
    note?: string;
    data?: { drift: boolean; share: number; drifted: number; drift_share: number; features: DriftFeature[] };
    reasons?: string[];
    actions?: MonitorAction[];
    error?: string;
  } | null;
}
export interface VersionStats {
  model: string;
  version: string;
  shadow: boolean;
  requests: number;
  latency_p50_us: number;
  latency_p99_us: number;
  labelled: number;
  mae?: number;
  rmse?: number;
  accuracy?: number;
  /** Failed requests: the client's fault (4xx) and the server's (5xx); the row with model "" and version "none" counts those that failed before a model was chosen. */
  errors_4xx: number;
  errors_5xx: number;
  error_rate: number;
  last_error?: string;
  last_error_status?: number;
  last_error_at?: string;
}
export interface Approval {
  dag_id: string;
  dag_run_id: string;
  task_id: string;
  map_index: number;
  subject: string;
  body: string;
  options: string[];
  defaults: string[];
  multiple: boolean;
  params?: Record<string, unknown> | null;
  assigned_users?: string[] | null;
  assigned_role?: string;
  created_at: string;
  timeout_at?: string | null;
  state: string;
}
