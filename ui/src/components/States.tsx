import type { ReactNode } from "react";
import { errorText } from "../platform/errors";

export function Loading({ what }: { what: string }) {
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> Loading {what}…
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="state state-empty">{children}</div>;
}

export function ErrorBox({ error, action, title = "Something went wrong." }: { error: unknown; action?: ReactNode; title?: string }) {
  return (
    <div className="state state-error" role="alert">
      <strong>{title}</strong> <span className="error-text">{errorText(error)}</span>
      {action ? <span className="error-action">{action}</span> : null}
    </div>
  );
}

/** A failed action's `{code, message}`, said next to the action (null: nothing to say). */
export function InlineError({ text }: { text: string | null | undefined }) {
  if (!text) return null;
  return (
    <div className="inline-error" role="alert">
      {text}
    </div>
  );
}
