// Airflow's state colours, so Airflow users read the grid at a glance. The state is also
// always given as text (aria-label, title): colour is never the only cue.
export const stateColor: Record<string, string> = {
  success: "#008000",
  running: "#01ff70",
  failed: "#ff0000",
  upstream_failed: "#ffa500",
  up_for_retry: "#ffd700",
  up_for_reschedule: "#40e0d0",
  queued: "#808080",
  scheduled: "#d2b48c",
  skipped: "#ff69b4",
  removed: "#d3d3d3",
  deferred: "#9370db",
  restarting: "#ee82ee",
  none: "#ffffff",
};

export const stateName = (s: string | null | undefined) => s || "none";

// The state a group of instances (a mapped task) shows: the most pressing one first.
const priority = ["failed", "upstream_failed", "up_for_retry", "up_for_reschedule", "running", "queued", "scheduled", "none", "skipped", "removed", "success"];
export function summaryState(states: (string | null)[]): string {
  let best = "success";
  let bi = priority.length;
  for (const s of states) {
    const i = priority.indexOf(stateName(s));
    if (i >= 0 && i < bi) {
      bi = i;
      best = priority[i];
    }
  }
  return states.length ? best : "none";
}

export const unfinished = (s: string | null | undefined) =>
  ["running", "queued", "scheduled", "up_for_retry", "up_for_reschedule", "deferred", "restarting"].includes(stateName(s)) || !s;

/** The counts of a summary's states, most first: "9,998 success, 2 failed". */
export function countsText(states: Record<string, number>): string {
  return Object.entries(states)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([s, n]) => `${n.toLocaleString("en-US")} ${s}`)
    .join(", ");
}
