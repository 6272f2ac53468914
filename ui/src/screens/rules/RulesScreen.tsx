import type { CorrelationConfig } from "../../wire";
import { useResource, useSession, useWorkbench, type ResourceSpec } from "../../app/useResource";
import { useProject } from "../../app/project";
import { Rules } from "./Rules";

/** A project's correlation settings. They are settings: a change to either makes this stale. */
function correlationOf(project: string): ResourceSpec<CorrelationConfig> {
  return {
    key: `correlation:${project}`,
    load: (api) => api.getCorrelationSettings(project),
    on: ["settings"],
  };
}

/**
 * How the current project's signals become incidents (each project has its
 * own settings and rules), tried against its past (a backtest) before they
 * are applied.
 */
export function RulesScreen() {
  const { api } = useWorkbench();
  const { shown, stalled } = useSession();
  const { id: project } = useProject();
  const correlation = useResource(correlationOf(project));
  return (
    <Rules
      // A draft is one project's: switching starts from the next one's settings.
      key={project}
      settings={{ data: correlation.data, error: shown(correlation.error) }}
      backtest={(c) => api.backtest(c, project)}
      apply={(c) => correlation.mutate((api) => api.applyCorrelationSettings(c, project), ["settings"])}
      stalled={stalled}
    />
  );
}
