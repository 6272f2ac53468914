/** "just now", "42 s ago", "3 min ago", "5 h ago", "2 d ago". */
export function formatAge(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return "—";
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return "—";
  const secs = Math.floor((now - at) / 1000);
  if (secs < 10) return "just now"; // includes small clock skew into the future
  if (secs < 60) return `${secs} s ago`;
  const mins = Math.floor(secs / 60);
  if (mins < 60) return `${mins} min ago`;
  const hours = Math.floor(mins / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.floor(hours / 24);
  return `${days} d ago`;
}

/** A duration between two instants, compact: "45 s", "12 min", "3 h 5 min", "2 d". */
export function formatDuration(fromIso: string, toIso: string | null, now: number = Date.now()): string {
  const from = Date.parse(fromIso);
  const to = toIso ? Date.parse(toIso) : now;
  if (Number.isNaN(from) || Number.isNaN(to)) return "—";
  const secs = Math.max(0, Math.floor((to - from) / 1000));
  if (secs < 60) return `${secs} s`;
  const mins = Math.floor(secs / 60);
  if (mins < 60) return `${mins} min`;
  const hours = Math.floor(mins / 60);
  if (hours < 24) return mins % 60 ? `${hours} h ${mins % 60} min` : `${hours} h`;
  return `${Math.floor(hours / 24)} d`;
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** Local wall-clock time "14:03:07", with the date in front when not today. */
export function formatClock(iso: string, now: number = Date.now()): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  const time = `${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}`;
  const today = new Date(now);
  const sameDay =
    at.getFullYear() === today.getFullYear() &&
    at.getMonth() === today.getMonth() &&
    at.getDate() === today.getDate();
  return sameDay ? time : `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())} ${time}`;
}

/** 0.6 → "60%"; clamps to 0–100. */
export function formatPercent(fraction: number): string {
  if (!Number.isFinite(fraction)) return "—";
  return `${Math.round(Math.min(1, Math.max(0, fraction)) * 100)}%`;
}

/** A link score with two decimals: 0.8 → "0.80". */
export function formatScore(score: number): string {
  return Number.isFinite(score) ? score.toFixed(2) : "—";
}

/** "pod/shop/cart-7d9f8b6c5-x2b4k" → {kind: "pod", scope: "shop", name: "cart-…"}. */
export function splitEntity(entity: string): { kind: string; scope: string | null; name: string } {
  const parts = entity.split("/");
  if (parts.length >= 3) return { kind: parts[0], scope: parts[1], name: parts.slice(2).join("/") };
  if (parts.length === 2) return { kind: parts[0], scope: null, name: parts[1] };
  return { kind: "", scope: null, name: entity };
}

/** A status word for a person: "acknowledged" → "Acknowledged". */
export function titleCase(word: string): string {
  return word ? word[0].toUpperCase() + word.slice(1) : word;
}

/**
 * Whether `text` holds every word of a search box's `query`, ignoring case
 * (an empty query keeps everything): the one rule every list search uses.
 */
export function matchesWords(text: string, query: string): boolean {
  const lower = text.toLowerCase();
  return query
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((w) => lower.includes(w));
}
