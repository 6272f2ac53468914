// Dev-only: a synthetic incident storm to measure the detail view at scale.
import type { GraphEdge, GraphNode, IncidentDetail, SignalView, TimelineEntry } from "../wire";

/** A small deterministic PRNG, so runs compare. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const RELATIONS = ["owns", "runs-on", "selects", "calls"] as const;

/**
 * An incident with `signals` signals over `nodes` entities: namespaces of
 * deployments owning pods that run on nodes, services selecting pods and
 * calling each other, as the engine builds them.
 */
export function stormDetail({ signals = 10_000, nodes = 500, seed = 7 } = {}): IncidentDetail {
  const rand = rng(seed);
  const start = Date.parse("2026-01-01T10:00:00Z");
  const span = 45 * 60_000;
  const graphNodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  const k8sNodes = Math.max(1, Math.round(nodes * 0.04));
  for (let i = 0; i < k8sNodes; i++) {
    graphNodes.push({ id: `node/node-${i}`, kind: "node", label: `node-${i}`, signalCount: 0, firing: 0, root: false, inferred: false });
  }
  const rest = nodes - k8sNodes;
  const groups = Math.max(1, Math.floor(rest / 5)); // deployment, service, 3 pods
  let made = k8sNodes;
  const services: string[] = [];
  for (let g = 0; g < groups && made < nodes; g++) {
    const ns = `ns-${g % 12}`;
    const app = `app-${g}`;
    const dep = `deployment/${ns}/${app}`;
    const svc = `service/${ns}/${app}`;
    graphNodes.push({ id: dep, kind: "deployment", label: app, signalCount: 0, firing: 0, root: false, inferred: false });
    made++;
    if (made < nodes) {
      graphNodes.push({ id: svc, kind: "service", label: app, signalCount: 0, firing: 0, root: false, inferred: false });
      services.push(svc);
      made++;
    }
    for (let p = 0; p < 3 && made < nodes; p++, made++) {
      const pod = `pod/${ns}/${app}-7d9f8b6c5-${g}x${p}`;
      graphNodes.push({ id: pod, kind: "pod", label: `${app}-7d9f8b6c5-${g}x${p}`, signalCount: 0, firing: 0, root: false, inferred: p === 2 });
      edges.push({ from: dep, to: pod, relation: "owns", inferred: p === 2 });
      edges.push({ from: pod, to: `node/node-${Math.floor(rand() * k8sNodes)}`, relation: "runs-on", inferred: false });
      if (services.includes(svc)) edges.push({ from: svc, to: pod, relation: "selects", inferred: false });
    }
    if (services.length > 1 && rand() < 0.5) {
      edges.push({ from: services[Math.floor(rand() * (services.length - 1))], to: svc, relation: RELATIONS[3], inferred: rand() < 0.2 });
    }
  }
  const root = graphNodes.find((n) => n.kind === "pod") ?? graphNodes[0];
  root.root = true;

  const byId = new Map(graphNodes.map((n) => [n.id, n]));
  const out: SignalView[] = [];
  const timeline: TimelineEntry[] = [{ at: new Date(start).toISOString(), kind: "opened", signalId: null, entity: null, text: "Incident opened" }];
  for (let i = 0; i < signals; i++) {
    const n = graphNodes[Math.floor(rand() * graphNodes.length)];
    const at = new Date(start + Math.floor((i / signals) * span)).toISOString();
    const resolved = rand() < 0.3;
    const ended = resolved ? new Date(start + Math.floor((i / signals) * span) + 60_000).toISOString() : null;
    const id = `storm-${i}`;
    const score = 0.3 + rand() * 0.7;
    const node = byId.get(n.id)!;
    node.signalCount++;
    if (!resolved) node.firing++;
    out.push({
      id,
      project: "default",
      connectorInstance: "default-alertmanager",
      sourceType: "ALERTMANAGER",
      externalId: null,
      sourceRef: null,
      kind: "alert",
      status: resolved ? "resolved" : "firing",
      severity: (["critical", "high", "medium", "low", "info"] as const)[i % 5],
      title: `Alert ${i % 97} on ${n.label}`,
      description: null,
      service: null,
      environment: "prod",
      region: null,
      team: null,
      entity: n.id,
      correlationKey: `k-${i % 50}`,
      fingerprint: `fp-${i}`,
      traceId: null,
      spanId: null,
      requestId: null,
      tags: {},
      occurredAt: at,
      receivedAt: at,
      endedAt: ended,
      externalUrl: null,
      rawRef: null,
      notifications: 1,
      lastSeenAt: at,
      unassignedReason: null,
      link: {
        incidentId: "storm",
        signalId: id,
        strategy: i === 0 ? "key" : (["resource", "topology", "temporal"] as const)[i % 3],
        confidence: score >= 0.8 ? "high" : score >= 0.5 ? "medium" : "low",
        score,
        explanation: `${n.id} is within two hops of ${root.id}`,
        decidedAt: at,
      },
    } as SignalView);
    timeline.push({ at, kind: "fired", signalId: id, entity: n.id, text: `Alert ${i % 97} fired` });
    if (ended) timeline.push({ at: ended, kind: "resolved", signalId: id, entity: n.id, text: `Alert ${i % 97} resolved` });
  }
  timeline.sort((a, b) => a.at.localeCompare(b.at));
  return {
    id: "storm",
    title: `Storm: ${signals} signals over ${nodes} entities`,
    severity: "critical",
    status: "active",
    pattern: "cascading-failure",
    rootCause: { entity: root.id, confidence: 0.7, explanation: "earliest onset (synthetic storm)" },
    signalCount: signals,
    signalTotal: signals,
    openedAt: new Date(start).toISOString(),
    updatedAt: new Date(start + span).toISOString(),
    resolvedAt: null,
    signals: out,
    timeline,
    graph: { nodes: graphNodes, edges },
    impacted: graphNodes.slice(0, 20).map((n) => n.id),
    insight: `Root cause: ${root.id} (synthetic storm)`,
    suggestedAction: null,
  };
}
