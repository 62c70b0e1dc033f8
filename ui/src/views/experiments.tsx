import { useEffect, useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { Experiment, MLRun, enc, mlflow, request } from "../api";
import { ErrorNote, Loading, Page, fmtTime } from "../components";
import { usePoll } from "../hooks";

const PAGE = 50;

/** Pages through tokens: a stack of the tokens of the pages before this one. */
function useTokens() {
  const [stack, setStack] = useState<string[]>([""]);
  return {
    token: stack[stack.length - 1],
    page: stack.length,
    next: (t: string) => setStack([...stack, t]),
    prev: () => setStack(stack.slice(0, -1)),
    reset: () => setStack([""]),
  };
}

function TokenPager(props: { page: number; next?: string; onNext: (t: string) => void; onPrev: () => void }) {
  if (props.page === 1 && !props.next) return null;
  return (
    <nav class="pager" aria-label="Pages">
      <button type="button" disabled={props.page === 1} onClick={props.onPrev}>
        Previous
      </button>
      <span>Page {props.page}</span>
      <button type="button" disabled={!props.next} onClick={() => props.next && props.onNext(props.next)}>
        Next
      </button>
    </nav>
  );
}

/** The experiments, a page at a time (MLflow's experiments/search). */
export function Experiments() {
  const [name, setName] = useState("");
  const tk = useTokens();
  const page = usePoll(
    () =>
      request<{ experiments?: Experiment[]; next_page_token?: string }>("POST", mlflow("/experiments/search"), {
        max_results: PAGE,
        page_token: tk.token || undefined,
        filter: name ? `name ILIKE '%${name.replace(/'/g, "")}%'` : undefined,
        order_by: ["name ASC"],
      }),
    [name, tk.token],
  );
  return (
    <Page title="Experiments">
      <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label>
          Search experiments
          <input type="search" value={name} onInput={(e) => (setName(e.currentTarget.value), tk.reset())} placeholder="name contains…" />
        </label>
      </form>
      <ErrorNote error={page.error} />
      <Loading when={page.loading && !page.data} />
      {page.data && (
        <>
          <table class="list">
            <thead>
              <tr>
                <th scope="col">Experiment</th>
                <th scope="col">ID</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {(page.data.experiments || []).map((e) => (
                <tr key={e.experiment_id}>
                  <th scope="row">
                    <a href={`/experiments/${enc(e.experiment_id)}`}>{e.name}</a>
                  </th>
                  <td>{e.experiment_id}</td>
                  <td>{fmtTime(e.last_update_time)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <TokenPager page={tk.page} next={page.data.next_page_token} onNext={tk.next} onPrev={tk.prev} />
        </>
      )}
    </Page>
  );
}

const backtick = (k: string) => "`" + k.replace(/`/g, "") + "`";

/** An experiment's runs: params and metrics as columns, MLflow's filter and sort, server-side pages. */
export function Runs(props: { exp: string }) {
  const expId = props.exp;
  const { route } = useLocation();
  const [filterText, setFilterText] = useState("");
  const [filter, setFilter] = useState("");
  const [order, setOrder] = useState<{ col: string; desc: boolean }>({ col: "attributes.start_time", desc: true });
  const [picked, setPicked] = useState<string[]>([]);
  const tk = useTokens();
  const exp = usePoll(() => request<{ experiment: Experiment }>("GET", mlflow(`/experiments/get?experiment_id=${enc(expId)}`)), [expId], 0);
  const page = usePoll(
    () =>
      request<{ runs?: MLRun[]; next_page_token?: string }>("POST", mlflow("/runs/search"), {
        experiment_ids: [expId],
        filter: filter || undefined,
        max_results: PAGE,
        order_by: [`${order.col} ${order.desc ? "DESC" : "ASC"}`],
        page_token: tk.token || undefined,
      }),
    [expId, filter, order.col, order.desc, tk.token],
  );
  const runs = page.data?.runs || [];
  const allParams = [...new Set(runs.flatMap((r) => (r.data.params || []).map((p) => p.key)))].sort();
  const allMetrics = [...new Set(runs.flatMap((r) => (r.data.metrics || []).map((m) => m.key)))].sort();
  const [hidden, setHidden] = useHiddenColumns(expId);
  const paramKeys = allParams.filter((k) => !hidden.includes("params." + k));
  const metricKeys = allMetrics.filter((k) => !hidden.includes("metrics." + k));
  const sortBy = (col: string) => {
    setOrder(order.col === col ? { col, desc: !order.desc } : { col, desc: true });
    tk.reset();
  };
  const sortHead = (col: string, label: string) => (
    <th scope="col" aria-sort={order.col === col ? (order.desc ? "descending" : "ascending") : undefined}>
      <button type="button" class="sort" onClick={() => sortBy(col)}>
        {label}
        <span aria-hidden="true">{order.col === col ? (order.desc ? " ↓" : " ↑") : ""}</span>
      </button>
    </th>
  );
  const toggle = (id: string) => setPicked(picked.includes(id) ? picked.filter((x) => x !== id) : [...picked, id]);

  return (
    <Page
      title={exp.data?.experiment.name || `Experiment ${expId}`}
      actions={
        <>
          <button
            type="button"
            title="Compare every run the filter matches (up to 1,000), in this order"
            onClick={() => route(`/compare?${new URLSearchParams({ exp: expId, ...(filter ? { filter } : {}), order: `${order.col} ${order.desc ? "DESC" : "ASC"}` })}`)}
          >
            Compare all matching
          </button>
          <button type="button" class="primary" disabled={picked.length < 1} onClick={() => route(`/compare?runs=${picked.map(enc).join(",")}`)}>
            Compare {picked.length || ""} run{picked.length === 1 ? "" : "s"}
          </button>
        </>
      }
    >
      <form
        class="filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setFilter(filterText.trim());
          tk.reset();
        }}
      >
        <label class="grow">
          Filter (MLflow syntax)
          <input value={filterText} onInput={(e) => setFilterText(e.currentTarget.value)} placeholder="metrics.rmse < 1 and params.alpha = '0.1'" />
        </label>
        <button type="submit">Search</button>
      </form>
      <ErrorNote error={page.error || exp.error} />
      <Loading when={page.loading && !page.data} />
      {(allParams.length > 0 || allMetrics.length > 0) && <ColumnChooser params={allParams} metrics={allMetrics} hidden={hidden} onChange={setHidden} />}
      {page.data && (
        <div class="table-wrap">
          <table class="list runs">
            <thead>
              {(paramKeys.length > 0 || metricKeys.length > 0) && (
                <tr class="group-head">
                  <td colSpan={4} />
                  {paramKeys.length > 0 && <th scope="colgroup" colSpan={paramKeys.length}>Params</th>}
                  {metricKeys.length > 0 && <th scope="colgroup" colSpan={metricKeys.length}>Metrics</th>}
                </tr>
              )}
              <tr>
                <th scope="col">
                  <input
                    type="checkbox"
                    aria-label="Select every run on this page"
                    checked={runs.length > 0 && runs.every((r) => picked.includes(r.info.run_id))}
                    onChange={(e) => {
                      const ids = runs.map((r) => r.info.run_id);
                      setPicked(e.currentTarget.checked ? [...new Set([...picked, ...ids])] : picked.filter((id) => !ids.includes(id)));
                    }}
                  />
                </th>
                {sortHead("attributes.run_name", "Run")}
                {sortHead("attributes.start_time", "Started")}
                <th scope="col">Status</th>
                {paramKeys.map((k) => sortHead("params." + backtick(k), k))}
                {metricKeys.map((k) => sortHead("metrics." + backtick(k), k))}
              </tr>
            </thead>
            <tbody>
              {runs.map((r) => {
                const params = Object.fromEntries((r.data.params || []).map((p) => [p.key, p.value]));
                const metrics = Object.fromEntries((r.data.metrics || []).map((m) => [m.key, m.value]));
                const name = r.info.run_name || r.info.run_id;
                return (
                  <tr key={r.info.run_id}>
                    <td>
                      <input type="checkbox" aria-label={`Select ${name}`} checked={picked.includes(r.info.run_id)} onChange={() => toggle(r.info.run_id)} />
                    </td>
                    <th scope="row">
                      <a href={`/compare?runs=${enc(r.info.run_id)}`}>{name}</a>
                    </th>
                    <td>{fmtTime(r.info.start_time)}</td>
                    <td>{r.info.status}</td>
                    {paramKeys.map((k) => (
                      <td>{params[k] ?? ""}</td>
                    ))}
                    {metricKeys.map((k) => (
                      <td class="num">{metrics[k] === undefined ? "" : fmtNum(metrics[k])}</td>
                    ))}
                  </tr>
                );
              })}
            </tbody>
          </table>
          {runs.length === 0 && <p class="muted">No runs match.</p>}
          <TokenPager page={tk.page} next={page.data.next_page_token} onNext={tk.next} onPrev={tk.prev} />
        </div>
      )}
    </Page>
  );
}

export const fmtNum = (v: number) => (Number.isInteger(v) ? String(v) : Math.abs(v) >= 1e-3 && Math.abs(v) < 1e6 ? v.toPrecision(4) : v.toExponential(3));

/** The params and metrics columns hidden in an experiment's runs table, kept in
 * localStorage (per experiment), so new keys show up until hidden. */
function useHiddenColumns(expId: string): [string[], (h: string[]) => void] {
  const key = "weir.runs.hidden." + expId;
  const read = () => {
    try {
      const v = JSON.parse(localStorage.getItem(key) || "[]");
      return Array.isArray(v) ? (v as string[]) : [];
    } catch {
      return [];
    }
  };
  const [hidden, setHidden] = useState<string[]>(read);
  useEffect(() => setHidden(read()), [expId]);
  return [
    hidden,
    (h: string[]) => {
      setHidden(h);
      try {
        localStorage.setItem(key, JSON.stringify(h));
      } catch {
        /* storage full or disabled: the choice lasts for this page only */
      }
    },
  ];
}

function ColumnChooser(props: { params: string[]; metrics: string[]; hidden: string[]; onChange: (h: string[]) => void }) {
  const all = [...props.params.map((k) => "params." + k), ...props.metrics.map((k) => "metrics." + k)];
  const shown = all.filter((c) => !props.hidden.includes(c)).length;
  const toggle = (c: string) => props.onChange(props.hidden.includes(c) ? props.hidden.filter((x) => x !== c) : [...props.hidden, c]);
  const group = (title: string, prefix: string, keys: string[]) =>
    keys.length > 0 && (
      <fieldset>
        <legend>{title}</legend>
        {keys.map((k) => (
          <label class="inline">
            <input type="checkbox" checked={!props.hidden.includes(prefix + k)} onChange={() => toggle(prefix + k)} />
            {k}
          </label>
        ))}
      </fieldset>
    );
  return (
    <details class="columns-chooser">
      <summary>
        Columns ({shown} of {all.length} shown)
      </summary>
      {group("Params", "params.", props.params)}
      {group("Metrics", "metrics.", props.metrics)}
      <button type="button" onClick={() => props.onChange(props.hidden.filter((c) => !all.includes(c)))}>
        Show all
      </button>
      <button type="button" onClick={() => props.onChange([...new Set([...props.hidden, ...all])])}>
        Hide all
      </button>
    </details>
  );
}
