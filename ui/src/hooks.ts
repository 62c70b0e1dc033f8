import { useCallback, useEffect, useRef, useState } from "preact/hooks";

/** How often views refresh what they show (plain polling: the API has no ETags yet). */
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

  const load = useCallback(() => {
    const g = gen.current;
    fnRef
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
      .finally(() => g === gen.current && setLoading(false));
  }, []);

  useEffect(() => {
    gen.current++;
    setLoading(true);
    setData(undefined);
    setError(undefined);
    load();
    if (!intervalMs) return;
    const t = setInterval(() => {
      if (document.visibilityState === "visible") load();
    }, intervalMs);
    return () => clearInterval(t);
  }, deps);

  return { data, error, loading, reload: load };
}
