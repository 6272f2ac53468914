// The wire format shared with the Rust backend, generated from the Rust types
// by ts-rs into ./bindings/ (never edit those by hand). The rest of the UI
// imports wire types from here.

export type { ApiError as ApiErrorBody } from "./bindings/ApiError";
export type { ChangeEvent } from "./bindings/ChangeEvent";
export type { Command } from "./bindings/Command";
export type { Confidence } from "./bindings/Confidence";
export type { CorrelationLink } from "./bindings/CorrelationLink";
export type { DeadLetterList } from "./bindings/DeadLetterList";
export type { DeadLetterView } from "./bindings/DeadLetterView";
export type { Entity } from "./bindings/Entity";
export type { Graph } from "./bindings/Graph";
export type { GraphEdge } from "./bindings/GraphEdge";
export type { GraphNode } from "./bindings/GraphNode";
export type { IncidentDetail } from "./bindings/IncidentDetail";
export type { IncidentList } from "./bindings/IncidentList";
export type { IncidentStatus } from "./bindings/IncidentStatus";
export type { IncidentSummary } from "./bindings/IncidentSummary";
export type { InstanceHealth } from "./bindings/InstanceHealth";
export type { InstanceList } from "./bindings/InstanceList";
export type { InstanceView } from "./bindings/InstanceView";
export type { NewInstance } from "./bindings/NewInstance";
export type { LinkStrategy } from "./bindings/LinkStrategy";
export type { Replayed } from "./bindings/Replayed";
export type { RootCause } from "./bindings/RootCause";
export type { Severity } from "./bindings/Severity";
export type { SignalKind } from "./bindings/SignalKind";
export type { SignalList } from "./bindings/SignalList";
export type { SignalStatus } from "./bindings/SignalStatus";
export type { SignalView } from "./bindings/SignalView";
export type { TimelineEntry } from "./bindings/TimelineEntry";
export type { ImpactView } from "./bindings/ImpactView";
export type { TopologyView } from "./bindings/TopologyView";
export type { TopologyRoot } from "./bindings/TopologyRoot";
export type { TokenView } from "./bindings/TokenView";
export type { TokenList } from "./bindings/TokenList";
export type { IssuedToken } from "./bindings/IssuedToken";
export type { SettingsView } from "./bindings/SettingsView";
export type { SettingsUpdate } from "./bindings/SettingsUpdate";
export type { TestResult } from "./bindings/TestResult";
export type { Authorization } from "./bindings/Authorization";
export type { Signal } from "./bindings/Signal";
export type { IncidentQuery } from "./bindings/IncidentQuery";
