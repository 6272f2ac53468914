import type { Dispatch, KeyboardEvent, SetStateAction } from "react";

/**
 * The keyboard of a filtered list under a search box (the palette, the
 * incident picker): arrows move the active row, Enter picks it, Escape closes.
 */
export function listKeyDown(
  e: KeyboardEvent,
  count: number,
  setActive: Dispatch<SetStateAction<number>>,
  pick: () => void,
  close: () => void,
): void {
  const act: Record<string, () => void> = {
    ArrowDown: () => setActive((a) => Math.min(count - 1, a + 1)),
    ArrowUp: () => setActive((a) => Math.max(0, a - 1)),
    Enter: pick,
    Escape: close,
  };
  const f = act[e.key];
  if (!f) return;
  e.preventDefault();
  f();
}

/**
 * Whether a key press is typing into a field (an input, a select, an
 * editable element): the app's single-key shortcuts leave those keys alone.
 */
export function isTyping(target: EventTarget | null): boolean {
  const t = target as HTMLElement | null;
  return !!t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
}
