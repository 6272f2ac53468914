/**
 * Brand marks for the catalogue's cards, from Simple Icons (CC0-1.0). Each
 * is imported by name so the bundle, which is embedded in the `causeway`
 * binary, carries these alone. A source Simple Icons does not carry (several
 * brands asked to be removed: AWS, Azure, Slack, ...) keeps its letter.
 */
import {
  siBetterstack,
  siConfluence,
  siDatadog,
  siDynatrace,
  siGithub,
  siGitlab,
  siGooglecloud,
  siGrafana,
  siGraylog,
  siIcinga,
  siJira,
  siKubernetes,
  siLinear,
  siNewrelic,
  siNotion,
  siOpsgenie,
  siPagerduty,
  siPingdom,
  siPrometheus,
  siRedis,
  siSentry,
  siSplunk,
  siStatuspage,
  siTrello,
  siUptimekuma,
} from "simple-icons";

export type BrandIcon = { title: string; path: string; hex: string };

/** A descriptor's `icon` → its mark. */
export const BRAND_ICONS: Record<string, BrandIcon> = {
  betterstack: siBetterstack,
  confluence: siConfluence,
  datadog: siDatadog,
  dynatrace: siDynatrace,
  github: siGithub,
  gitlab: siGitlab,
  "google-cloud": siGooglecloud,
  grafana: siGrafana,
  graylog: siGraylog,
  icinga: siIcinga,
  jira: siJira,
  kubernetes: siKubernetes,
  linear: siLinear,
  newrelic: siNewrelic,
  notion: siNotion,
  opsgenie: siOpsgenie,
  pagerduty: siPagerduty,
  pingdom: siPingdom,
  prometheus: siPrometheus,
  redis: siRedis,
  sentry: siSentry,
  splunk: siSplunk,
  statuspage: siStatuspage,
  trello: siTrello,
  uptimekuma: siUptimekuma,
};
