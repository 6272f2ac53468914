import type { ProjectDetail } from "../../wire";

function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * What deleting a project takes, said in full: "1 connector with its
 * keychain secrets, 12 incidents, 340 signals and 2 dead letters".
 * Only what it holds is named; an empty project says so.
 */
export function deletionText(d: ProjectDetail): string {
  const parts = [
    d.connectors ? count(d.connectors, "connector with its keychain secrets", "connectors with their keychain secrets") : null,
    d.incidents ? count(d.incidents, "incident", "incidents") : null,
    d.signals ? count(d.signals, "signal", "signals") : null,
    d.deadLetters ? count(d.deadLetters, "dead letter", "dead letters") : null,
    d.waiting ? count(d.waiting, "payload waiting to be processed", "payloads waiting to be processed") : null,
  ].filter((p): p is string => p !== null);
  if (parts.length === 0) return "It holds nothing yet.";
  const list = parts.length === 1 ? parts[0] : `${parts.slice(0, -1).join(", ")} and ${parts[parts.length - 1]}`;
  return `This deletes ${list}.`;
}
