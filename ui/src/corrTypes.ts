// The decision ledger as the correlation work defines it in core
// (`LedgerEntry`, `LedgerAction`). Replaced by the generated bindings once
// its commands are on main.
export type LedgerAction =
  | "opened"
  | "attached"
  | "adopted"
  | "severityRaised"
  | "activated"
  | "resolved"
  | "reopened"
  | "movedIn"
  | "movedOut"
  | "merged"
  | "split"
  | "statusSet";

export type LedgerEntry = {
  incidentId: string;
  at: string;
  action: LedgerAction | string;
  signalId: string | null;
  /** `engine` or `person`. */
  actor: string;
  text: string;
};
