import { useState } from "react";
import type { Authorization, InstanceView } from "../../wire";
import type { CatalogueEntry as DescriptorSummary } from "../../wire";
import { takesWebhooks } from "./catalogue";
import { CopyField } from "../../components/CopyField";
import { InlineError } from "../../components/States";
import { errorText } from "../../platform/errors";

/** One line per tool on where to paste the URL. */
export const PUSH_INSTRUCTIONS: Record<string, string> = {
  alertmanager:
    "In alertmanager.yml add a receiver with webhook_configs: [{url: <URL>}] and http_config.authorization.credentials set to the secret.",
  grafana: "Alerting → Contact points → New contact point → Webhook: paste the URL and set the HMAC secret.",
  github: "Repository Settings → Webhooks → Add webhook: Payload URL = the URL, content type application/json, and the secret.",
  pagerduty: "Integrations → Generic Webhooks (v3) → New webhook: paste the URL; copy PagerDuty's signing secret here.",
  sentry: "Settings → Developer Settings → Internal integration: set the Webhook URL and use its client secret here.",
  datadog: "Integrations → Webhooks → New: paste the URL, add the header with the secret, and mention @webhook-<name> in monitors.",
  opsgenie: "Settings → Integrations → Webhook: paste the URL and add the secret as a custom header.",
  newrelic: "Alerts → Destinations → Webhook: paste the URL as the endpoint and set the secret as a header.",
  cloudwatch: "SNS → Topic → Create subscription: protocol HTTPS, endpoint = the URL.",
  stackdriver: "Monitoring → Alerting → Notification channels → Webhooks: paste the URL.",
  pingdom: "Integrations → Add integration → Webhook: paste the URL.",
  graylog: "Alerts → Notifications → HTTP Notification: paste the URL.",
  "azure-monitor": "Action group → Actions → Webhook: paste the URL with user:secret in it, and enable the common alert schema.",
  zabbix: "Alerts → Media types → Webhook: POST hostname, severity, status, item, trigger and link as JSON to the URL, with the secret as the Authorization header.",
  uptimerobot: "Alert contacts → Webhook: paste the URL, send the monitor variables as JSON, and add the secret as the Authorization header.",
  "gcp-pubsub": "Pub/Sub → the notification channel's topic → Create subscription: delivery type Push, endpoint = the URL.",
  freshping: "Settings → Integrations → Webhook: paste the URL and add the secret as the Authorization header.",
  splunk: "Saved search → Edit alert → Add action → Webhook: paste the URL with user:secret in it.",
  "kubernetes-events": "Run an event exporter with a webhook sink pointing at the URL.",
  "uptime-kuma": "Settings → Notifications → Setup Notification → Webhook: paste the URL, body application/json, and add {\"Authorization\": \"<secret>\"} as additional headers.",
  betterstack: "Uptime → Integrations → Webhook: paste the URL and add the secret as the Authorization header; attach it to an escalation policy.",
  checkly: "Alert channels → Add channel → Webhook: paste the URL, POST the check and alert variables as JSON, and add the secret as the Authorization header.",
  honeycomb: "Team settings → Integrations → Webhooks: paste the URL and use the secret as the shared secret; add the webhook as a trigger recipient.",
  dynatrace: "Settings → Integration → Problem notifications → Custom integration: paste the URL, keep the placeholder JSON payload, and add the secret as the Authorization header.",
  icinga2: "Add a NotificationCommand whose curl POSTs the host, service and check_result JSON to the URL with the secret as the Authorization header.",
  elastalert: "In the rule: alert: post, http_post_url: the URL, http_post_all_values: true, and the secret under http_post_headers as Authorization.",
  "incident-io": "Settings → Webhooks → Add endpoint: paste the URL, choose the public incident events, and copy the endpoint's signing secret here.",
  causeway: "POST incidents to the URL with your ingest token.",
};

type Props = {
  created: InstanceView;
  descriptor: DescriptorSummary;
  /** The webhook secret just entered, to copy into the tool (null: none). */
  secret: string | null;
  origin: string | null;
  onAuthorize?: (id: string) => Promise<Authorization>;
  onDone: () => void;
};

/**
 * The wizard's last page: for a push connector the URL and the secret to
 * paste into the tool with one line on where; for an OAuth one the "Connect"
 * button that opens the provider's sign-in.
 */
export function WizardDone({ created, descriptor, secret, origin, onAuthorize, onDone }: Props) {
  const push = takesWebhooks(descriptor.ingestion.mode);
  const streaming = descriptor.ingestion.mode === "streaming";
  const oauth = descriptor.auth.type === "oauth2";
  const url = created.webhookUrl ?? (origin ? `${origin}/webhooks/${created.descriptorId}/${created.projectId}` : null);
  const [signIn, setSignIn] = useState<{ busy: boolean; url: string | null; error: string | null }>({ busy: false, url: null, error: null });

  const connect = async () => {
    if (!onAuthorize) return;
    setSignIn({ busy: true, url: null, error: null });
    try {
      const a = await onAuthorize(created.id);
      // In a browser tab the page opens the provider; the desktop app already did.
      if (origin) window.open(a.authorizeUrl, "_blank", "noopener");
      setSignIn({ busy: false, url: a.authorizeUrl, error: null });
    } catch (e) {
      setSignIn({ busy: false, url: null, error: errorText(e) });
    }
  };

  return (
    <div className="wizard-done" data-testid="wizard-done">
      <p>
        <strong>{created.name}</strong> is set up
        {oauth
          ? ": sign in to let it read."
          : push
            ? " and waiting for its first delivery."
            : streaming
              ? " and connecting: its connection shows under Connectors."
              : " and polling."}
      </p>
      {oauth ? (
        <div className="oauth" data-testid="oauth">
          <button type="button" className="btn btn-primary" data-testid="oauth-connect" disabled={!onAuthorize || signIn.busy} onClick={() => void connect()}>
            {signIn.busy ? "Opening…" : `Connect ${descriptor.name}`}
          </button>
          {signIn.url ? (
            <p className="small">
              Finish signing in on {descriptor.name}&apos;s page; Causeway takes the tokens on this machine and keeps them in the keychain. If no page
              opened,{" "}
              <a href={signIn.url} target="_blank" rel="noreferrer noopener" data-testid="oauth-link">
                open it here
              </a>
              .
            </p>
          ) : null}
          <InlineError text={signIn.error} />
        </div>
      ) : null}
      {push && url ? (
        <>
          <label htmlFor="webhook-url">Webhook URL</label>
          <CopyField value={url} label="Webhook URL" testId="webhook-url" />
          {secret ? (
            <>
              <label>Webhook secret</label>
              <CopyField value={secret} label="Webhook secret" testId="webhook-secret-copy" secret />
              <p className="muted small">Shown now only: it is in the keychain, and Causeway will not show it again.</p>
            </>
          ) : null}
          <p className="help small" data-testid="push-instruction">
            {PUSH_INSTRUCTIONS[descriptor.id] ?? `Point ${descriptor.name}'s webhook at this URL.`}
          </p>
        </>
      ) : null}
      <button type="button" className="btn btn-primary" onClick={onDone}>
        Go to monitoring
      </button>
    </div>
  );
}
