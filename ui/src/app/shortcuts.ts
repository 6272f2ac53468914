import { useEffect, useRef } from "react";
import { isTyping } from "../components/listKeys";
import { NAV } from "./Nav";
import type { Route } from "./router";

/** `g` then a key, within this long, goes to a screen. */
const CHORD_MS = 1200;

/**
 * Moves the selection of the screen on show one step (`j`: +1, `k`: -1);
 * a screen with a walkable list sets it while it shows.
 */
export type Walk = { current: ((step: 1 | -1) => void) | null };

/**
 * The keyboard: Ctrl/Cmd+K toggles the palette; `/` focuses the search;
 * `g` then a key goes to a screen (the rail shows which); j/k walk the list
 * of the screen on show.
 */
export function useShortcuts(go: (r: Route) => void, togglePalette: () => void, walk: Walk) {
  const chord = useRef(0);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "k") {
        e.preventDefault();
        togglePalette();
        return;
      }
      if (isTyping(e.target)) return;
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      if (Date.now() - chord.current < CHORD_MS) {
        chord.current = 0;
        const target = NAV.find((n) => n.key === `g ${e.key}`);
        if (target) {
          e.preventDefault();
          go(target.route);
        }
        return;
      }
      if (e.key === "g") {
        chord.current = Date.now();
        return;
      }
      if (e.key === "/") {
        const search = document.querySelector<HTMLInputElement>("main input[type=search], aside input[type=search]");
        if (search) {
          e.preventDefault();
          search.focus();
        }
        return;
      }
      if (e.key === "j" || e.key === "k") walk.current?.(e.key === "j" ? 1 : -1);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [go, togglePalette, walk]);
}
