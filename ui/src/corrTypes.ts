// The correlation work's API (overrides, the decision ledger, correlation
// settings and the back-test) as its ts-rs bindings define it. Kept here
// until those commands are on main; then the generated bindings replace this
// file and the casts in platform/api.ts go.
import type { Severity, SignalKind } from "./wire";

export type LedgerAction =
  | "opened"
  | "attached"
  | "adopted"
  | "severity_raised"
  | "activated"
  | "resolved"
  | "reopened"
  | "moved_in"
  | "moved_out"
  | "merged"
  | "split"
  | "status_set";

export type LedgerEntry = {
  incidentId: string;
  at: string;
  action: LedgerAction;
  signalId: string | null;
  /** `engine` or `person`. */
  actor: string;
  text: string;
};

export type LedgerView = { incidentId: string; entries: LedgerEntry[] };

/** What an override changed: the incidents touched, and where the signals are now. */
export type OverrideResult = { incidents: string[]; incidentId: string };

export type RuleMatch = {
  kinds: SignalKind[];
  sources: string[];
  minSeverity: Severity | null;
  tags: { [key in string]: string };
  title: string | null;
  service: string | null;
};

export type IncidentRule = {
  name: string;
  when: RuleMatch;
  open: boolean;
  title: string | null;
  severity: Severity | null;
  assignee: string | null;
  team: string | null;
  runbook: string | null;
};

export type CorrelationConfig = {
  groupWindowSecs: number;
  reopenWindowSecs: number;
  openMinSeverity: Severity;
  topologyMaxHops: number;
  topologyWindowSecs: number;
  onsetToleranceSecs: number;
  explainMinSeverity: Severity;
  temporalWindowSecs: number;
  temporalMinSimilarity: number;
  attachThreshold: number;
  resolveQuietSecs: number;
  adoptWindowSecs: number;
  changeWindowSecs: number;
  recurringMinRepeats: number;
  retainResolvedSecs: number;
  pointInTimeSources: string[];
  trustedKeySources: string[];
  rules: IncidentRule[];
};

export type BacktestSide = { incidents: number; unassigned: number };
export type BacktestIncident = { id: string; title: string; signals: number };
export type BacktestChange = { kind: string; current: BacktestIncident[]; proposed: BacktestIncident[] };
export type BacktestReport = { signals: number; current: BacktestSide; proposed: BacktestSide; changes: BacktestChange[] };
