import type { ComponentChildren } from "preact";
import { stateColor, stateName } from "./states";

export function StateSquare(props: { state: string | null | undefined; label: string; onClick?: () => void; href?: string; selected?: boolean }) {
  const s = stateName(props.state);
  const cls = "sq" + (props.selected ? " selected" : "");
  const style = { background: stateColor[s] || "#fff" };
  const label = `${props.label}: ${s}`;
  if (props.href) return <a class={cls} style={style} href={props.href} aria-label={label} title={label} />;
  if (props.onClick) return <button type="button" class={cls} style={style} onClick={props.onClick} aria-label={label} title={label} />;
  return <span class={cls} style={style} role="img" aria-label={label} title={label} />;
}

export function StateBadge(props: { state: string | null | undefined }) {
  const s = stateName(props.state);
  return (
    <span class="badge">
      <span class="dot" style={{ background: stateColor[s] || "#fff" }} aria-hidden="true" />
      {s}
    </span>
  );
}

export function ErrorNote(props: { error?: string }) {
  if (!props.error) return null;
  return (
    <p class="error" role="alert">
      {props.error}
    </p>
  );
}

export function Loading(props: { when: boolean }) {
  return props.when ? <p class="muted" aria-live="polite">Loading…</p> : null;
}

export function Pager(props: { offset: number; limit: number; total: number; onChange: (offset: number) => void }) {
  const { offset, limit, total } = props;
  if (total <= limit && offset === 0) return null;
  return (
    <nav class="pager" aria-label="Pages">
      <button type="button" disabled={offset === 0} onClick={() => props.onChange(Math.max(0, offset - limit))}>
        Previous
      </button>
      <span>
        {total ? offset + 1 : 0}–{Math.min(offset + limit, total)} of {total}
      </span>
      <button type="button" disabled={offset + limit >= total} onClick={() => props.onChange(offset + limit)}>
        Next
      </button>
    </nav>
  );
}

export function Page(props: { title: string; actions?: ComponentChildren; children: ComponentChildren }) {
  return (
    <section>
      <div class="page-head">
        <h1>{props.title}</h1>
        {props.actions}
      </div>
      {props.children}
    </section>
  );
}

export const fmtTime = (s?: string | number | null) => {
  if (s === undefined || s === null || s === "") return "";
  const d = new Date(s);
  return isNaN(d.getTime()) ? String(s) : d.toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
};
