import { useState } from "react";
import type { IncidentRule, Severity, SignalKind } from "../../wire";
import { InlineError } from "../../components/States";
import { SEVERITIES } from "../../components/Badges";

const KINDS: SignalKind[] = ["alert", "event", "change", "metric", "log", "trace"];

/** "a, b c" → ["a", "b", "c"]. */
function words(text: string): string[] {
  return text.split(/[\s,]+/).filter(Boolean);
}

/** "namespace=db team=pay*" → {namespace: "db", team: "pay*"}, or the piece that is not `key=pattern`. */
export function parseTags(text: string): { tags: Record<string, string> } | { error: string } {
  const tags: Record<string, string> = {};
  for (const w of words(text)) {
    const i = w.indexOf("=");
    if (i <= 0 || i === w.length - 1) return { error: `“${w}” is not label=pattern` };
    tags[w.slice(0, i)] = w.slice(i + 1);
  }
  return { tags };
}

const EMPTY = { name: "", kinds: [] as SignalKind[], sources: "", minSeverity: "", title: "", service: "", tags: "", open: true, severity: "", team: "", runbook: "" };

/**
 * A new auto-incident rule, field by field: what it matches (all given
 * conditions must hold; `*` matches any run of characters) and what the
 * incident it opens gets.
 */
export function RuleForm({ taken, onAdd, onCancel }: { taken: string[]; onAdd: (r: IncidentRule) => void; onCancel: () => void }) {
  const [f, setF] = useState(EMPTY);
  const [error, setError] = useState<string | null>(null);
  const set = (patch: Partial<typeof EMPTY>) => setF((x) => ({ ...x, ...patch }));
  const text = (key: "name" | "sources" | "title" | "service" | "tags" | "team" | "runbook", label: string, placeholder: string) => (
    <label>
      {label}
      <input value={f[key]} placeholder={placeholder} data-testid={`rule-${key}`} onChange={(e) => set({ [key]: e.target.value })} />
    </label>
  );
  const add = () => {
    const name = f.name.trim();
    if (!name) return setError("Name the rule.");
    if (taken.includes(name)) return setError(`There is a rule named ${name} already.`);
    const tags = parseTags(f.tags);
    if ("error" in tags) return setError(`Labels: ${tags.error}.`);
    onAdd({
      name,
      when: {
        kinds: f.kinds,
        sources: words(f.sources).map((s) => s.toUpperCase()),
        minSeverity: (f.minSeverity || null) as Severity | null,
        tags: tags.tags,
        title: f.title.trim() || null,
        service: f.service.trim() || null,
      },
      open: f.open,
      title: null,
      severity: (f.severity || null) as Severity | null,
      assignee: null,
      team: f.team.trim() || null,
      runbook: f.runbook.trim() || null,
    });
  };
  return (
    <div className="rule-form" data-testid="rule-form" role="group" aria-label="New rule">
      <div className="setting-grid">
        {text("name", "Name", "db-critical")}
        <label>
          Kinds (any of)
          <span className="kind-picks">
            {KINDS.map((k) => (
              <label key={k} className="check small">
                <input
                  type="checkbox"
                  checked={f.kinds.includes(k)}
                  onChange={(e) => set({ kinds: e.target.checked ? [...f.kinds, k] : f.kinds.filter((x) => x !== k) })}
                />{" "}
                {k}
              </label>
            ))}
          </span>
        </label>
        {text("sources", "Sources (any of)", "ALERTMANAGER, DATADOG_ALERT")}
        <label>
          At least
          <select value={f.minSeverity} data-testid="rule-min-severity" onChange={(e) => set({ minSeverity: e.target.value })}>
            <option value="">any severity</option>
            {SEVERITIES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        {text("title", "Title matches", "*disk*full*")}
        {text("service", "Service matches", "payments*")}
        {text("tags", "Labels match", "namespace=db team=pay*")}
      </div>
      <div className="setting-grid">
        <label>
          Then
          <select value={f.open ? "open" : "wait"} data-testid="rule-open" onChange={(e) => set({ open: e.target.value === "open" })}>
            <option value="open">open an incident</option>
            <option value="wait">keep them unassigned for review</option>
          </select>
        </label>
        <label>
          Incident severity
          <select value={f.severity} onChange={(e) => set({ severity: e.target.value })}>
            <option value="">the signal&apos;s</option>
            {SEVERITIES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        {text("team", "Team", "dba")}
        {text("runbook", "Runbook", "https://wiki/runbooks/db")}
      </div>
      <InlineError text={error} />
      <div className="inline-form">
        <button type="button" className="btn btn-primary" data-testid="rule-add" onClick={add}>
          Add the rule
        </button>
        <button type="button" className="btn btn-quiet" onClick={onCancel}>
          Cancel
        </button>
        <span className="muted small">It joins the draft: preview it on the history, then apply.</span>
      </div>
    </div>
  );
}
