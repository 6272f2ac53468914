import { PROJECTS } from "../../app/resources";
import { useResource, useWorkbench } from "../../app/useResource";
import { NewProjectDialog } from "./NewProjectDialog";

/** The "New project" dialog over the API: the list of projects and the connectors refetch once it is made. */
export function NewProject({ onSwitch, onClose }: { onSwitch: (id: string) => void; onClose: () => void }) {
  const { platform } = useWorkbench();
  const { mutate } = useResource(PROJECTS);
  const origin = platform.kind === "web" && typeof location !== "undefined" ? location.origin : null;
  return (
    <NewProjectDialog
      create={(id, name) => mutate((api) => api.createProject(id, name), ["instances"])}
      origin={origin}
      onSwitch={onSwitch}
      onClose={onClose}
    />
  );
}
