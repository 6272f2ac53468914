import { useEffect, useMemo, useState } from "react";
import type { Severity } from "../../wire";
import type { BacktestIncident, BacktestReport, CorrelationConfig, IncidentRule } from "../../wire";
import type { Loaded } from "../../app/useResource";
import { errorText } from "../../platform/errors";
import { Empty, ErrorBox, InlineError, Loading } from "../../components/States";
import { SEVERITIES } from "../../components/Badges";
import { RuleForm } from "./RuleForm";

type NumberKey = {
  [K in keyof CorrelationConfig]: CorrelationConfig[K] extends number ? K : never;
}[keyof CorrelationConfig];

/** The numeric knobs, grouped as an on-call engineer thinks of them. */
const GROUPS: { title: string; fields: { key: NumberKey; label: string; help: string; step?: number }[] }[] = [
  {
    title: "Grouping",
    fields: [
      { key: "groupWindowSecs", label: "Same place, within (s)", help: "A signal joins an open incident at the same workload, Node or Service within this long." },
      { key: "reopenWindowSecs", label: "Re-open within (s)", help: "A resolved incident re-opens when one of its alerts fires again within this long." },
      { key: "resolveQuietSecs", label: "Resolve after quiet (s)", help: "Every alert resolved and this long quiet: the incident resolves." },
      { key: "adoptWindowSecs", label: "Adopt waiting signals (s)", help: "An unassigned signal this recent joins an incident that opens at its place." },
    ],
  },
  {
    title: "Topology",
    fields: [
      { key: "topologyMaxHops", label: "Hops", help: "Place-to-place hops a topology join may follow (a call, a Pod's Node)." },
      { key: "topologyWindowSecs", label: "Within (s)", help: "…and only within this long of the incident's root onset and last firing." },
      { key: "onsetToleranceSecs", label: "Onset tolerance (s)", help: "How early a symptom may start before the failure it is put down to." },
    ],
  },
  {
    title: "Text and time",
    fields: [
      { key: "temporalWindowSecs", label: "Within (s)", help: "A similar title of the same service or namespace joins within this long of the last firing." },
      { key: "temporalMinSimilarity", label: "Similarity (0–1)", help: "Title words in common (Jaccard index) at least this.", step: 0.05 },
      { key: "attachThreshold", label: "Attach at score (0–1)", help: "The best candidate incident takes the signal when its score reaches this.", step: 0.05 },
    ],
  },
  {
    title: "Chronic alerts",
    fields: [
      { key: "chronicMinEpisodes", label: "Chronic after", help: "An alert (or the same cause on the same Pod or Node) coming back by itself this many times is chronic: its own incident, never another's." },
      { key: "chronicGapSecs", label: "Quiet gap (s)", help: "A new episode begins after this long without the alert (or when all of it resolved)." },
      { key: "chronicLookbackSecs", label: "Look back (s)", help: "Episodes are counted over this long." },
      { key: "chronicPersistSecs", label: "Or active for (s)", help: "Firing by itself without a break this long is chronic too." },
    ],
  },
  {
    title: "Patterns and history",
    fields: [
      { key: "changeWindowSecs", label: "Change before failure (s)", help: "A deploy or config change this long before a failure is suggested as its cause." },
      { key: "recurringMinRepeats", label: "Recurring after", help: "The same failure this many times is a recurring one." },
      { key: "retainResolvedSecs", label: "Keep resolved (s)", help: "How long resolved incidents stay candidates for re-opening." },
    ],
  },
];

type Props = {
  settings: Loaded<CorrelationConfig>;
  backtest: (c: CorrelationConfig) => Promise<BacktestReport>;
  apply: (c: CorrelationConfig) => Promise<CorrelationConfig>;
  stalled?: boolean;
};

/** What a rule matches, in a line. */
function ruleText(r: IncidentRule): string {
  const w = r.when;
  const parts = [
    w.kinds.length ? `kind ${w.kinds.join("|")}` : "",
    w.sources.length ? `from ${w.sources.join("|")}` : "",
    w.minSeverity ? `≥ ${w.minSeverity}` : "",
    w.title ? `title ~ ${w.title}` : "",
    w.service ? `service ~ ${w.service}` : "",
    ...Object.entries(w.tags).map(([k, v]) => `${k}=${v}`),
  ].filter(Boolean);
  return parts.length ? parts.join(", ") : "every signal";
}

/**
 * Auto-incident rules and the correlation settings. A change is previewed
 * first: the back-test replays the stored history with the proposed settings
 * beside the current ones, and only a previewed draft can be applied.
 */
export function Rules({ settings, backtest, apply, stalled }: Props) {
  const [draft, setDraft] = useState<CorrelationConfig | null>(null);
  const [rulesText, setRulesText] = useState("");
  const [rulesError, setRulesError] = useState<string | null>(null);
  const [preview, setPreview] = useState<{ of: string; report: BacktestReport } | null>(null);
  const [busy, setBusy] = useState<"preview" | "apply" | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [applied, setApplied] = useState(false);
  const [adding, setAdding] = useState(false);

  useEffect(() => {
    if (settings.data && draft === null) {
      setDraft(settings.data);
      setRulesText(JSON.stringify(settings.data.rules, null, 2));
    }
  }, [settings.data, draft]);

  const key = useMemo(() => (draft ? JSON.stringify(draft) : ""), [draft]);
  const changed = settings.data !== null && key !== JSON.stringify(settings.data);
  const previewed = preview !== null && preview.of === key;

  if (settings.data === null || draft === null) {
    if (settings.error) return <ErrorBox error={settings.error} title="The correlation settings could not be loaded." />;
    return stalled ? null : <Loading what="the correlation settings" />;
  }

  const set = (patch: Partial<CorrelationConfig>) => {
    setApplied(false);
    setDraft((d) => (d ? { ...d, ...patch } : d));
  };
  const setRules = (rules: IncidentRule[]) => {
    set({ rules });
    setRulesText(JSON.stringify(rules, null, 2));
    setRulesError(null);
  };
  const run = async (what: "preview" | "apply") => {
    setBusy(what);
    setError(null);
    try {
      if (what === "preview") setPreview({ of: key, report: await backtest(draft) });
      else {
        const now = await apply(draft);
        setDraft(now);
        setRulesText(JSON.stringify(now.rules, null, 2));
        setApplied(true);
      }
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(null);
    }
  };

  return (
    <div className="rules" data-testid="rules">
      <section className="panel rules-bar" aria-label="Preview and apply">
        <div className="inline-form">
          <button type="button" className="btn" data-testid="backtest" disabled={busy !== null || rulesError !== null} onClick={() => void run("preview")}>
            {busy === "preview" ? "Replaying the history…" : "Preview on the history"}
          </button>
          <button
            type="button"
            className="btn btn-primary"
            data-testid="apply-settings"
            disabled={busy !== null || !changed || !previewed}
            title={previewed ? undefined : "Preview the change first"}
            onClick={() => void run("apply")}
          >
            {busy === "apply" ? "Applying…" : "Apply"}
          </button>
          <button
            type="button"
            className="btn btn-quiet"
            disabled={!changed}
            onClick={() => {
              setDraft(settings.data);
              setRulesText(JSON.stringify(settings.data!.rules, null, 2));
              setRulesError(null);
            }}
          >
            Undo changes
          </button>
          {changed && !previewed ? <span className="muted small">Preview the change before applying it.</span> : null}
          {!changed && !applied ? <span className="muted small">Change a rule or a setting below; preview it on the stored history, then apply.</span> : null}
          {applied ? (
            <span className="inline-ok" role="status">
              Applied: the decisions to come use these settings.
            </span>
          ) : null}
        </div>
        <InlineError text={error} />
        {preview ? <BacktestView report={preview.report} stale={!previewed} /> : null}
      </section>
      <section className="panel" aria-label="Auto-incident rules">
        <h2 className="section-title">
          Auto-incident rules <span className="count">{draft.rules.length}</span>
        </h2>
        <p className="muted small">
          A signal that matches a rule opens an incident (or, with <code>open: false</code>, waits unassigned) with the rule&apos;s title, severity,
          team and runbook. The first rule that matches decides.
        </p>
        {draft.rules.length ? (
          <ol className="rule-list">
            {draft.rules.map((r) => (
              <li key={r.name} data-testid="rule">
                <strong>{r.name}</strong> <span className="muted small">when {ruleText(r)}</span>{" "}
                <span className="badge">{r.open ? "opens an incident" : "waits unassigned"}</span>
                {r.severity ? <span className="small"> · severity {r.severity}</span> : null}
                {r.team ? <span className="small"> · team {r.team}</span> : null}
                {r.runbook ? <span className="small"> · runbook {r.runbook}</span> : null}{" "}
                <button type="button" className="link-button small" aria-label={`Remove ${r.name}`} onClick={() => setRules(draft.rules.filter((x) => x !== r))}>
                  remove
                </button>
              </li>
            ))}
          </ol>
        ) : (
          <Empty>No rule: signals at least {draft.openMinSeverity} open incidents, milder ones wait for one.</Empty>
        )}
        {adding ? (
          <RuleForm
            taken={draft.rules.map((r) => r.name)}
            onAdd={(r) => {
              setRules([...draft.rules, r]);
              setAdding(false);
            }}
            onCancel={() => setAdding(false)}
          />
        ) : (
          <button type="button" className="btn" data-testid="rule-new" onClick={() => setAdding(true)}>
            Add a rule…
          </button>
        )}
        <details className="rules-json">
          <summary>Edit the rules as JSON</summary>
          <textarea
            className="mono"
            rows={10}
            aria-label="Rules as JSON"
            data-testid="rules-json"
            value={rulesText}
            onChange={(e) => {
              setRulesText(e.target.value);
              try {
                const rules = JSON.parse(e.target.value) as IncidentRule[];
                if (!Array.isArray(rules)) throw new Error("the rules are a JSON array");
                setRulesError(null);
                set({ rules });
              } catch (err) {
                setRulesError(err instanceof Error ? err.message : String(err));
              }
            }}
          />
          <InlineError text={rulesError} />
        </details>
      </section>

      <section className="panel" aria-label="Correlation settings">
        <h2 className="section-title">Correlation settings</h2>
        <div className="setting-grid">
          <label>
            Open an incident at
            <select value={draft.openMinSeverity} data-testid="open-min-severity" onChange={(e) => set({ openMinSeverity: e.target.value as Severity })}>
              {SEVERITIES.map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
            <span className="muted small">Without a rule, firing signals at least this severe open an incident.</span>
          </label>
          <label>
            Explain from below at
            <select value={draft.explainMinSeverity} onChange={(e) => set({ explainMinSeverity: e.target.value as Severity })}>
              {SEVERITIES.map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
            <span className="muted small">A cause below an incident&apos;s root joins it only when at least this severe.</span>
          </label>
        </div>
        {GROUPS.map((g) => (
          <fieldset key={g.title} className="setting-group">
            <legend>{g.title}</legend>
            <div className="setting-grid">
              {g.fields.map((f) => (
                <label key={f.key} title={f.help}>
                  {f.label}
                  <input
                    type="number"
                    step={f.step ?? 1}
                    data-testid={`setting-${f.key}`}
                    value={draft[f.key]}
                    onChange={(e) => set({ [f.key]: e.target.value === "" ? 0 : Number(e.target.value) } as Partial<CorrelationConfig>)}
                  />
                  <span className="muted small">{f.help}</span>
                </label>
              ))}
            </div>
          </fieldset>
        ))}
      </section>

    </div>
  );
}

/** What each kind of back-test change means, for its badge's tooltip. */
const CHANGE_TEXT: Record<string, string> = {
  created: "signals in no incident now would open one",
  merged: "incidents now apart would be one",
  split: "one incident now would come apart",
  dropped: "an incident's signals would all wait unassigned",
};

function incidentText(i: BacktestIncident): string {
  return `${i.title} (${i.signals})`;
}

function BacktestView({ report, stale }: { report: BacktestReport; stale: boolean }) {
  const delta = (a: number, b: number) => (b === a ? "no change" : `${b > a ? "+" : ""}${b - a}`);
  return (
    <div className={`backtest${stale ? " stale" : ""}`} data-testid="backtest-report" role="status">
      {stale ? <p className="muted small">This preview is of an earlier draft.</p> : null}
      <p>
        Over <strong>{report.signals}</strong> stored signals: <strong data-testid="backtest-incidents">{report.current.incidents} → {report.proposed.incidents}</strong>{" "}
        incidents ({delta(report.current.incidents, report.proposed.incidents)}), {report.current.unassigned} → {report.proposed.unassigned} unassigned
        signals.
      </p>
      {report.changes.length ? (
        <ul className="plain backtest-changes">
          {report.changes.slice(0, 50).map((c, i) => (
            <li key={i} data-testid="backtest-change" className="backtest-change">
              <span className={`badge change-${c.kind}`} title={CHANGE_TEXT[c.kind]}>
                {c.kind}
              </span>
              <span className="bt-side">{c.current.length ? c.current.map(incidentText).join(" + ") : <span className="muted">unassigned signals</span>}</span>
              <span aria-hidden="true">→</span>
              <span className="bt-side">{c.proposed.length ? c.proposed.map(incidentText).join(" + ") : <span className="muted">unassigned</span>}</span>
            </li>
          ))}
          {report.changes.length > 50 ? <li className="muted small">…and {report.changes.length - 50} more changes.</li> : null}
        </ul>
      ) : (
        <p className="muted small">The same incidents as now.</p>
      )}
    </div>
  );
}
