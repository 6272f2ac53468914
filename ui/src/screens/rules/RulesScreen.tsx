import type { CorrelationConfig } from "../../wire";
import { useResource, useSession, useWorkbench, type ResourceSpec } from "../../app/useResource";
import { Rules } from "./Rules";

/** Correlation settings are settings: a change to either makes this stale. */
const CORRELATION: ResourceSpec<CorrelationConfig> = {
  key: "correlation",
  load: (api) => api.getCorrelationSettings(),
  on: ["settings"],
};

/** How signals become incidents, tried against the past (a backtest) before it is applied. */
export function RulesScreen() {
  const { api } = useWorkbench();
  const { shown, stalled } = useSession();
  const correlation = useResource(CORRELATION);
  return (
    <Rules
      settings={{ data: correlation.data, error: shown(correlation.error) }}
      backtest={api.backtest}
      apply={(c) => correlation.mutate((api) => api.applyCorrelationSettings(c), ["settings"])}
      stalled={stalled}
    />
  );
}
