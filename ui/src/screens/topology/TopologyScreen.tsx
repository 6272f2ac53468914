import type { TopologyView } from "../../wire";
import type { Route } from "../../app/router";
import { useResource, useSession, useWorkbench, type ResourceSpec } from "../../app/useResource";
import { Topology } from "./Topology";

const TOPOLOGY: ResourceSpec<TopologyView> = { key: "topology", load: (api) => api.getTopology(), on: ["topology"] };

/** What runs on what, as the signals told it; `entity` is the one picked to see its impact. */
export function TopologyScreen({ entity, go }: { entity: string | null; go: (r: Route) => void }) {
  const { api } = useWorkbench();
  const { shown, stalled } = useSession();
  const topology = useResource(TOPOLOGY);
  return <Topology topology={{ data: topology.data, error: shown(topology.error) }} entity={entity} api={api} go={go} stalled={stalled} />;
}
