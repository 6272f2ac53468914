/** The Alertmanager receiver to paste into alertmanager.yml, with its secret. */
export function alertmanagerSnippet(url: string, secret: string, receiver = "causeway"): string {
  return [
    "receivers:",
    `  - name: ${receiver}`,
    "    webhook_configs:",
    `      - url: ${url}`,
    "        send_resolved: true",
    "        http_config:",
    "          authorization:",
    `            credentials: ${secret}`,
  ].join("\n");
}
