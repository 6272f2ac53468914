import { useState } from "react";

/** A read-only value with a Copy button (webhook URLs, a new token, a secret). */
export function CopyField({ value, label, testId, secret = false }: { value: string; label: string; testId?: string; secret?: boolean }) {
  const [copied, setCopied] = useState<boolean | null>(null);
  return (
    <div className="copy-field">
      <input
        readOnly
        value={value}
        aria-label={label}
        data-testid={testId}
        className={secret ? "mono secret-value" : "mono"}
        onFocus={(e) => e.currentTarget.select()}
      />
      <button
        type="button"
        className="btn"
        onClick={() => {
          const done = navigator.clipboard?.writeText(value);
          if (!done) return setCopied(false);
          done.then(
            () => setCopied(true),
            () => setCopied(false),
          );
        }}
      >
        {copied ? "Copied" : "Copy"}
      </button>
      {copied === false ? <span className="muted small">Select it and copy with Ctrl+C.</span> : null}
    </div>
  );
}
