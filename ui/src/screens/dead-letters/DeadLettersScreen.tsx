import { deadLettersOf } from "../../app/resources";
import { useProject } from "../../app/project";
import { useResource, useSession } from "../../app/useResource";
import { useNow } from "../../app/useNow";
import { DeadLetters } from "./DeadLetters";

/** The current project's payloads that could not be read, each re-playable once the reader is fixed. */
export function DeadLettersScreen() {
  const { shown, stalled } = useSession();
  const now = useNow();
  const { id: project } = useProject();
  const deadLetters = useResource(deadLettersOf(project));
  return (
    <DeadLetters
      deadLetters={deadLetters.data}
      error={shown(deadLetters.error)}
      stalled={stalled}
      now={now}
      // The replayed payload goes back through the inbox, into signals.
      onReplay={(id) => deadLetters.mutate((api) => api.replayDeadLetter(id), ["signals"])}
    />
  );
}
