import type { TopologyView } from "../../wire";
import type { Route } from "../../app/router";
import { useResource, useSession, useWorkbench, type ResourceSpec } from "../../app/useResource";
import { useProject } from "../../app/project";
import { Topology } from "./Topology";

/** The graph, marked with the project's open incidents. */
export function topologyOf(project: string): ResourceSpec<TopologyView> {
  return { key: `topology:${project}`, load: (api) => api.getTopology(project), on: ["topology"] };
}

/** What runs on what, as the signals told it; `entity` is the one picked to see its impact. */
export function TopologyScreen({ entity, go }: { entity: string | null; go: (r: Route) => void }) {
  const { api } = useWorkbench();
  const { shown, stalled } = useSession();
  const { id: project } = useProject();
  const topology = useResource(topologyOf(project));
  return <Topology topology={{ data: topology.data, error: shown(topology.error) }} entity={entity} api={api} go={go} stalled={stalled} />;
}
