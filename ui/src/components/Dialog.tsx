import { useEffect, useRef, type ReactNode } from "react";

/**
 * A modal over the page: Escape or a click outside closes it, and the
 * first field (else the first button) takes the focus when it opens.
 */
export function Dialog({ label, onClose, children, testId }: { label: string; onClose: () => void; children: ReactNode; testId?: string }) {
  const box = useRef<HTMLDivElement>(null);
  const close = useRef(onClose);
  close.current = onClose;
  useEffect(() => {
    const first = box.current?.querySelector<HTMLElement>("input:not([readonly]), select, textarea") ?? box.current?.querySelector<HTMLElement>("button");
    first?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") {
        e.preventDefault();
        close.current();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
  return (
    <div className="dialog-backdrop" onMouseDown={onClose}>
      <div
        ref={box}
        className="dialog panel"
        role="dialog"
        aria-modal="true"
        aria-label={label}
        data-testid={testId}
        onMouseDown={(e) => e.stopPropagation()}
      >
        {children}
      </div>
    </div>
  );
}
