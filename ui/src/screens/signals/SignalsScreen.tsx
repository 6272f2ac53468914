import { useMemo } from "react";
import { incidentsOf, unassignedOf } from "../../app/resources";
import { useProject } from "../../app/project";
import { useResource, useSession } from "../../app/useResource";
import { useNow } from "../../app/useNow";
import { SignalsInbox } from "./SignalsInbox";

/** The current project's inbox: signals in no incident, each movable into one of its incidents (recorded in its ledger). */
export function SignalsScreen() {
  const { shown, stalled } = useSession();
  const now = useNow();
  const { id: project } = useProject();
  const unassigned = useResource(unassignedOf(project));
  const incidents = useResource(incidentsOf(project)).data;
  const { mutate } = unassigned;
  const assign = useMemo(
    () => ({
      incidents: incidents ?? [],
      // The open incident's detail and ledger change too.
      move: (ids: string[], to: string) =>
        mutate(async (api) => {
          for (const id of ids) await api.moveSignal(id, to);
        }, ["incidents", "detail"]),
    }),
    [incidents, mutate],
  );
  return <SignalsInbox signals={unassigned.data} error={shown(unassigned.error)} stalled={stalled} now={now} assign={assign} />;
}
