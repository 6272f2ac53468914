import { useMemo } from "react";
import { INCIDENTS, UNASSIGNED } from "../../app/resources";
import { useResource, useSession } from "../../app/useResource";
import { useNow } from "../../app/useNow";
import { SignalsInbox } from "./SignalsInbox";

/** The inbox: signals in no incident, each movable into one (recorded in its ledger). */
export function SignalsScreen() {
  const { shown, stalled } = useSession();
  const now = useNow();
  const unassigned = useResource(UNASSIGNED);
  const incidents = useResource(INCIDENTS).data;
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
