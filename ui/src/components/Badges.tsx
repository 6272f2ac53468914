import type { Confidence, IncidentStatus, Severity, SignalStatus } from "../wire";
import { titleCase } from "./format";

/**
 * Every severity, worst first: the order the filters and pickers offer them
 * in, kept in one place so they all agree.
 */
export const SEVERITIES: readonly Severity[] = ["critical", "high", "medium", "low", "info"];

export function SeverityBadge({ severity }: { severity: Severity }) {
  return (
    <span className={`badge sev sev-${severity}`} title={`Severity: ${severity}`}>
      {severity}
    </span>
  );
}

export function StatusBadge({ status }: { status: IncidentStatus | SignalStatus }) {
  return (
    <span className={`badge status status-${status}`} title={`Status: ${status}`}>
      {titleCase(status)}
    </span>
  );
}

export function ConfidenceBadge({ confidence }: { confidence: Confidence }) {
  return (
    <span className={`badge conf conf-${confidence}`} title={`Link confidence: ${confidence}`}>
      {confidence}
    </span>
  );
}
