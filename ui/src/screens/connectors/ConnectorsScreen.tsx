import type { InstanceView, TeamView } from "../../wire";
import type { Route } from "../../app/router";
import { CATALOGUE } from "../../app/resources";
import { useProject } from "../../app/project";
import { useResource, useWorkbench, type ResourceSpec } from "../../app/useResource";
import { useNow } from "../../app/useNow";
import { CatalogueGrid, Monitoring } from "./Connectors";
import { ConnectorWizard } from "./ConnectorWizard";
import { TeamPanel } from "./Team";

/** The connector instances of one project. */
export function instancesOf(project: string): ResourceSpec<InstanceView[]> {
  return {
    key: `instances:${project}`,
    load: (api) => api.listInstances(project).then((r) => r.instances),
    on: ["instances"],
  };
}

/** The team this Causeway is in (`null`: none), asked again while shown: heartbeats send no change event. */
export const TEAM: ResourceSpec<TeamView | null> = {
  key: "team",
  load: (api) => api.getTeam(),
  pollMs: 5000,
};

/**
 * The team, when in one (members, who runs what, lag), the current
 * project's connectors (their health, to test, pause or remove), and the
 * catalogue of those to set up.
 */
export function ConnectorsScreen({ go }: { go: (r: Route) => void }) {
  const { api } = useWorkbench();
  const now = useNow();
  const { id: project } = useProject();
  const instances = useResource(instancesOf(project));
  const catalogue = useResource(CATALOGUE);
  const team = useResource(TEAM);
  const { mutate } = instances;
  return (
    <div className="connectors">
      <TeamPanel team={team} />
      <Monitoring
        instances={instances}
        now={now}
        onSetEnabled={(id, enabled) => mutate((api) => api.setInstanceEnabled(id, enabled))}
        onDelete={(id) => mutate((api) => api.deleteInstance(id))}
        onTest={api.testInstance}
        onAuthorize={api.authorizeInstance}
        onNewSecret={(id) => mutate((api) => api.rotateWebhookSecret(id))}
        isOauth={(id) => catalogue.data?.connectors.find((c) => c.id === id)?.auth.type === "oauth2"}
      />
      <CatalogueGrid catalogue={catalogue} instances={instances.data} onSetup={(descriptorId) => go({ screen: "connector-new", descriptorId })} />
    </div>
  );
}

/** The wizard that sets up one connector of the catalogue in the current project, then goes back to the list. */
export function NewConnectorScreen({ descriptorId, go }: { descriptorId: string; go: (r: Route) => void }) {
  const { api, platform } = useWorkbench();
  const { id: project, projects } = useProject();
  const catalogue = useResource(CATALOGUE);
  const origin = platform.kind === "web" && typeof location !== "undefined" ? location.origin : null;
  return (
    <ConnectorWizard
      key={`${descriptorId}:${project}`}
      descriptorId={descriptorId}
      project={project}
      projects={projects}
      catalogue={catalogue}
      onCreate={(n) => catalogue.mutate((api) => api.createInstance(n), ["instances"])}
      onTest={api.testConnection}
      onAuthorize={api.authorizeInstance}
      loadOptions={api.fieldOptions}
      onCancel={() => go({ screen: "connectors" })}
      onDone={() => go({ screen: "connectors" })}
      origin={origin}
    />
  );
}
