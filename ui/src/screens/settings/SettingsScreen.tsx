import type { SettingsView, TokenView } from "../../wire";
import { useResource, useSession, useWorkbench, type ResourceSpec } from "../../app/useResource";
import { useNow } from "../../app/useNow";
import { Settings } from "./Settings";
import { ProjectsSection } from "../projects/ProjectsSection";

const SETTINGS: ResourceSpec<SettingsView> = { key: "settings", load: (api) => api.getSettings(), on: ["settings"] };
const TOKENS: ResourceSpec<TokenView[]> = { key: "tokens", load: (api) => api.listTokens().then((r) => r.tokens), on: ["settings"] };

/** Projects, access tokens and storage; a token or storage change refetches both of those. */
export function SettingsScreen({ onNewProject }: { onNewProject: () => void }) {
  const { api, refresh } = useWorkbench();
  const { shown, stalled } = useSession();
  const now = useNow();
  const settings = useResource(SETTINGS);
  const tokens = useResource(TOKENS);
  return (
    <Settings
      projects={<ProjectsSection onNewProject={onNewProject} />}
      settings={{ data: settings.data, error: shown(settings.error) }}
      tokens={{ data: tokens.data, error: shown(tokens.error) }}
      api={api}
      onChanged={() => refresh(["settings"])}
      now={now}
      stalled={stalled}
    />
  );
}
