import type { IncidentDetail, IncidentSummary, SignalView } from "../wire";

const base = {
  project: "default",
  connectorInstance: "alertmanager/default",
  sourceType: "alertmanager",
  externalId: null,
  sourceRef: null,
  kind: "alert" as const,
  description: null,
  service: "cart",
  environment: "prod",
  region: null,
  team: "shop",
  correlationKey: "shop/cart",
  traceId: null,
  spanId: null,
  requestId: null,
  tags: {},
  endedAt: null,
  externalUrl: null,
  rawRef: null,
  notifications: 1,
  unassignedReason: null,
};

function signal(
  id: string,
  title: string,
  entity: string,
  at: string,
  strategy: "key" | "resource" | "temporal",
  explanation: string,
  score: number,
): SignalView {
  return {
    ...base,
    id,
    title,
    entity,
    status: "firing",
    severity: "critical",
    fingerprint: `fp-${id}`,
    occurredAt: at,
    receivedAt: at,
    lastSeenAt: at,
    link: {
      incidentId: "inc-1",
      signalId: id,
      strategy,
      confidence: score >= 0.8 ? "high" : score >= 0.5 ? "medium" : "low",
      score,
      explanation,
      decidedAt: at,
    },
  };
}

export const sampleSummary: IncidentSummary = {
  id: "inc-1",
  title: "cart is crash looping in shop",
  severity: "critical",
  status: "active",
  pattern: "crashloop-after-deploy",
  rootCause: {
    entity: "pod/shop/cart-7d9f8b6c5-x2b4k",
    confidence: 0.6,
    explanation: 'earliest onset: "KubePodCrashLooping" began 2 min before any other entity alerted',
  },
  signalCount: 3,
  openedAt: "2026-01-01T10:00:00Z",
  updatedAt: "2026-01-01T10:04:00Z",
  resolvedAt: null,
};

export const sampleDetail: IncidentDetail = {
  ...sampleSummary,
  signalTotal: 3,
  signals: [
    signal(
      "s1",
      "KubePodCrashLooping",
      "pod/shop/cart-7d9f8b6c5-x2b4k",
      "2026-01-01T10:00:00Z",
      "key",
      "opened the incident: first critical signal for shop/cart",
      1,
    ),
    signal(
      "s2",
      "KubeDeploymentReplicasMismatch",
      "deployment/shop/cart",
      "2026-01-01T10:02:00Z",
      "resource",
      "deployment/shop/cart owns pod/shop/cart-7d9f8b6c5-x2b4k",
      0.85,
    ),
    signal(
      "s3",
      "CartHighErrorRate",
      "service/shop/cart",
      "2026-01-01T10:03:00Z",
      "temporal",
      "fired 3 min after the incident opened, same namespace",
      0.45,
    ),
  ],
  timeline: [
    { at: "2026-01-01T10:00:00Z", kind: "opened", signalId: "s1", entity: null, text: "Incident opened" },
    {
      at: "2026-01-01T10:02:00Z",
      kind: "fired",
      signalId: "s2",
      entity: "deployment/shop/cart",
      text: "KubeDeploymentReplicasMismatch fired",
    },
  ],
  graph: {
    nodes: [
      { id: "deployment/shop/cart", kind: "deployment", label: "cart", signalCount: 1, firing: 1, root: false, inferred: false },
      {
        id: "pod/shop/cart-7d9f8b6c5-x2b4k",
        kind: "pod",
        label: "cart-7d9f8b6c5-x2b4k",
        signalCount: 1,
        firing: 1,
        root: true,
        inferred: false,
      },
      { id: "service/shop/cart", kind: "service", label: "cart", signalCount: 1, firing: 1, root: false, inferred: false },
    ],
    edges: [{ from: "deployment/shop/cart", to: "pod/shop/cart-7d9f8b6c5-x2b4k", relation: "owns", inferred: true }],
  },
  impacted: ["deployment/shop/cart", "service/shop/cart"],
  insight: "Root cause: pod shop/cart-7d9f8b6c5-x2b4k — KubePodCrashLooping, affecting 2 other entities",
  suggestedAction: null,
};
