import { useEffect, useRef, useState } from "react";

/** Something fetched: the last good answer, and the last error (both may be set while stale). */
export type Loaded<T> = { data: T | null; error: unknown };

/**
 * Fetches with `load` whenever `deps` change (the app's refresh tick among
 * them), keeping the last answer on screen while the next one comes, and
 * ignoring answers that arrive after the deps moved on. `load` null: idle.
 */
export function useLoaded<T>(load: (() => Promise<T>) | null, deps: readonly unknown[]): Loaded<T> {
  const [state, setState] = useState<Loaded<T>>({ data: null, error: null });
  useEffect(() => {
    if (!load) return;
    let cancelled = false;
    load().then(
      (data) => !cancelled && setState({ data, error: null }),
      (error) => !cancelled && setState((prev) => ({ data: prev.data, error })),
    );
    return () => {
      cancelled = true;
    };
    // The caller names what the fetch depends on.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  return state;
}

/** `value`, once it has stopped changing for `ms` (typing in a search box). */
export function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return settled;
}

/**
 * `value`, changed at most once every `ms`: the first change shows at once,
 * later ones within the window are folded into one at its end (a storm that
 * keeps changing the open incident reloads it every `ms`, not every event).
 */
export function useThrottled<T>(value: T, ms: number): T {
  const [shown, setShown] = useState(value);
  const last = useRef(Number.NEGATIVE_INFINITY);
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false; // the value it starts with is no change
      return;
    }
    const wait = last.current + ms - Date.now();
    if (wait <= 0) {
      last.current = Date.now();
      setShown(value);
      return;
    }
    const t = setTimeout(() => {
      last.current = Date.now();
      setShown(value);
    }, wait);
    return () => clearTimeout(t);
  }, [value, ms]);
  return shown;
}
