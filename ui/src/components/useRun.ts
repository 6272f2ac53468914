import { useState } from "react";
import { errorText } from "../platform/errors";

/** Runs one action named `what`; an error is kept to show, never thrown. */
export type Run = (what: string, f: () => Promise<unknown>) => Promise<void>;

/**
 * The state of a panel's buttons that each start one action: which one is
 * running (to disable the others and say "…ing"), and the last one's error
 * as `{code, message}` text. Shared so every action button behaves alike.
 */
export function useRun(): [busy: string | null, error: string | null, run: Run] {
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const run: Run = async (what, f) => {
    setBusy(what);
    setError(null);
    try {
      await f();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(null);
    }
  };
  return [busy, error, run];
}
