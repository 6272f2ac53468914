// How the catalogue's words read in the connectors screens.

/** Whether the tool pushes to a webhook URL of ours (a streaming connector reads its source itself). */
export function takesWebhooks(mode: string): boolean {
  return mode === "webhook" || mode === "both";
}

/** The catalogue's words for a mode. */
export function modeText(mode: string): string {
  switch (mode) {
    case "both":
      return "webhook + polling";
    case "streaming":
      return "live watch";
    default:
      return mode;
  }
}
