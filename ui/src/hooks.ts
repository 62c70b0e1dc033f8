import { useCallback, useEffect, useRef, useState } from "preact/hooks";

/** How often views refresh what they show (polling; the lists answer 304 when nothing changed, see request). */
export const POLL_MS = 4000;

export interface Loaded<T> {
  data: T | undefined;
  error: string | undefined;
  loading: boolean;
  reload: () => void;
}

/**
 * Loads with fn when deps change, and again every intervalMs while the page is visible
 * (0: once). A refresh keeps the last data on screen; an error shows beside it.
 */
export function usePoll<T>(fn: () => Promise<T>, deps: unknown[], intervalMs = POLL_MS): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const gen = useRef(0);
  const fnRef = useRef(fn);
  fnRef.current = fn;

  // One load at a time: the next poll is timed from the end of the last one, so a slow
  // server is never sent a pile of overlapping requests.
  const load = useCallback((): Promise<void> => {
    const g = gen.current;
    return fnRef
      .current()
      .then((d) => {
        if (g !== gen.current) return;
        setData(d);
        setError(undefined);
      })
      .catch((e: Error) => {
        if (g !== gen.current) return;
        setError(e.message);
      })
      .finally(() => {
        if (g === gen.current) setLoading(false);
      });
  }, []);

  useEffect(() => {
    const g = ++gen.current;
    let timer: ReturnType<typeof setTimeout> | undefined;
    setLoading(true);
    setData(undefined);
    setError(undefined);
    const tick = () => {
      if (g !== gen.current) return;
      const next = () => {
        if (g === gen.current && intervalMs) timer = setTimeout(tick, intervalMs);
      };
      if (document.visibilityState === "visible" || !intervalMs) load().then(next);
      else next();
    };
    tick();
    return () => {
      gen.current++;
      if (timer) clearTimeout(timer);
    };
  }, deps);

  return { data, error, loading, reload: () => void load() };
}
