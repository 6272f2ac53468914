import type { Confidence, IncidentStatus, Severity, SignalStatus } from "../wire";
import { titleCase } from "../format";

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
