import { useMemo, useState } from "react";
import type { Authorization, InstanceView, NewInstance, ProjectView, TestResult } from "../../wire";
import type { Catalogue, CatalogueEntry as DescriptorSummary } from "../../wire";
import { takesWebhooks } from "./catalogue";
import { DEFAULT_PROJECT } from "../../app/project";
import { errorText } from "../../platform/errors";
import { ErrorBox, Loading, InlineError } from "../../components/States";
import type { Loaded } from "../../app/useResource";
import { catalogueErrorTitle, ConnectorIcon } from "./Connectors";
import { DryRun } from "./DryRun";
import { WizardDone } from "./WizardDone";
import { ConfigField, listError, type Field, type LoadOptions } from "./ConfigField";

/** The keychain field the webhook gateway checks deliveries against. */
export const WEBHOOK_SECRET_FIELD = "webhookSecret";

/** Verification schemes the gateway knows (`config.verify.type`). */
export const VERIFY_SCHEMES: { type: string; label: string }[] = [
  { type: "none", label: "None (loopback only)" },
  { type: "bearer", label: "Authorization: Bearer <secret>" },
  { type: "basic", label: "Authorization: Basic (user:password)" },
  { type: "shared_token", label: "A fixed token in a header" },
  { type: "github_sha256", label: "GitHub HMAC-SHA256" },
  { type: "grafana", label: "Grafana HMAC-SHA256" },
  { type: "pager_duty_v3", label: "PagerDuty v3 signature" },
  { type: "sentry", label: "Sentry signature" },
  { type: "slack_v0", label: "Slack v0 signature" },
  { type: "standard_webhooks", label: "Standard Webhooks" },
  { type: "stripe", label: "Stripe signature" },
];

/** A descriptor's scheme name → the gateway's. */
export function gatewayScheme(descriptorScheme: string | undefined): string {
  switch (descriptorScheme) {
    case undefined:
      return "none";
    case "bearer_token":
      return "bearer";
    case "grafana_hmac_sha256":
      return "grafana";
    case "pagerduty_v3":
      return "pager_duty_v3";
    default:
      return VERIFY_SCHEMES.some((s) => s.type === descriptorScheme) ? descriptorScheme : "none";
  }
}

function fallbackDescriptor(id: string): DescriptorSummary {
  return {
    id,
    name: id,
    description: "",
    category: "Custom",
    icon: id,
    kind: "generic",
    auth: { type: "webhook_secret" },
    ingestion: { mode: "webhook" },
    instances: 0,
    unhealthy: 0,
    configSchema: { type: "object", properties: {} },
  };
}

/** The projects to pick from: the list, with the one picked in it even when the list is not in. */
function projectChoices(projects: ProjectView[] | null | undefined, picked: string): ProjectView[] {
  const list = projects ?? [];
  return list.some((p) => p.id === picked) ? list : [{ id: picked, name: picked }, ...list];
}

function projectLabel(p: ProjectView): string {
  return p.name === p.id ? p.id : `${p.name} (${p.id})`;
}

/** 32 random bytes as hex: a webhook secret to paste into the other tool. */
export function newSecret(): string {
  const b = new Uint8Array(32);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

function SecretInput({
  id,
  label,
  help,
  value,
  onChange,
  testId,
  generate = false,
}: {
  id: string;
  label: string;
  help?: string;
  value: string;
  onChange: (v: string) => void;
  testId?: string;
  /** Offer to make one up (a webhook secret is ours to choose). */
  generate?: boolean;
}) {
  const [show, setShow] = useState(false);
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <div className="secret-row">
        <input
          id={id}
          type={show ? "text" : "password"}
          autoComplete="off"
          spellCheck={false}
          value={value}
          data-testid={testId}
          onChange={(e) => onChange(e.target.value)}
        />
        <button type="button" className="btn btn-quiet" aria-pressed={show} onClick={() => setShow((s) => !s)}>
          {show ? "Hide" : "Show"}
        </button>
        {generate ? (
          <button type="button" className="btn btn-quiet" data-testid="generate-secret" onClick={() => onChange(newSecret())}>
            Generate
          </button>
        ) : null}
      </div>
      {help ? <p className="help small muted">{help}</p> : null}
      <p className="help small muted">Stored in the OS keychain; Causeway never shows it again.</p>
    </div>
  );
}

type Props = {
  descriptorId: string;
  /** The project it is set up in, to start with (the one shown). */
  project?: string;
  /** The projects to pick from (null: only `project`). */
  projects?: ProjectView[] | null;
  catalogue: Loaded<Catalogue>;
  onCreate: (n: NewInstance) => Promise<InstanceView>;
  /** A dry run of the settings before anything is created. */
  onTest?: (n: NewInstance) => Promise<TestResult>;
  /** The OAuth sign-in link of a created instance. */
  onAuthorize?: (id: string) => Promise<Authorization>;
  /** The choices of a field with `x-options` (a kubeconfig's contexts). */
  loadOptions?: LoadOptions;
  onCancel: () => void;
  onDone: () => void;
  origin: string | null;
};

const STEPS = ["Credentials", "Configuration", "Test", "Confirm"] as const;
const CONFIRM = STEPS.length - 1;

/** The guided setup, generated from the descriptor's `configSchema`. */
export function ConnectorWizard({
  descriptorId,
  project: startProject = DEFAULT_PROJECT,
  projects,
  catalogue,
  onCreate,
  onTest,
  onAuthorize,
  loadOptions,
  onCancel,
  onDone,
  origin,
}: Props) {
  const found = catalogue.data?.connectors.find((c) => c.id === descriptorId) ?? null;
  const descriptor = found ?? (catalogue.error || catalogue.data ? fallbackDescriptor(descriptorId) : null);
  const [step, setStep] = useState(0);
  const [name, setName] = useState("");
  const [project, setProject] = useState(startProject);
  const [values, setValues] = useState<Record<string, unknown>>({});
  const [secrets, setSecrets] = useState<Record<string, string>>({});
  const [scheme, setScheme] = useState<string | null>(null);
  const [tokenHeader, setTokenHeader] = useState("X-Causeway-Token");
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<InstanceView | null>(null);
  const [test, setTest] = useState<{ busy: boolean; result: TestResult | null; error: string | null }>({ busy: false, result: null, error: null });

  const fields = useMemo(() => {
    const props = descriptor?.configSchema?.properties ?? {};
    const req = new Set(descriptor?.configSchema?.required ?? []);
    // A field another one's choices are read with (the kubeconfig for the
    // context picker) comes before it.
    const feeds = new Set(Object.values(props).flatMap((p) => Object.values(p["x-options"]?.args ?? {})));
    const all: Field[] = Object.entries(props)
      .map(([n, p]) => ({ name: n, prop: p, required: req.has(n) }))
      .sort((a, b) => Number(feeds.has(b.name)) - Number(feeds.has(a.name)));
    return { secret: all.filter((f) => f.prop["x-secret"]), plain: all.filter((f) => !f.prop["x-secret"]) };
  }, [descriptor]);

  if (!descriptor) return <Loading what="the connector" />;
  const mode = descriptor.ingestion.mode;
  const push = takesWebhooks(mode);
  const webhookAuth = push && (descriptor.auth.type === "webhook_secret" || descriptor.auth.type === "none");
  const chosenScheme = scheme ?? gatewayScheme(descriptor.auth.scheme?.type as string | undefined);
  // The descriptor's webhook secret field, or one of our own when it names none.
  const webhookField: Field | null = webhookAuth
    ? descriptor.auth.type === "webhook_secret" && fields.secret.length
      ? fields.secret[0]
      : { name: WEBHOOK_SECRET_FIELD, prop: { type: "string", title: "Webhook secret", "x-secret": true }, required: false }
    : null;
  const otherSecrets = fields.secret.filter((f) => f !== webhookField);
  const needsWebhookSecret = webhookField !== null && chosenScheme !== "none";

  const stepError = (s: number): string | null => {
    if (s === 0) {
      if (!name.trim()) return "Give the connection a name.";
      if (needsWebhookSecret && !(secrets[webhookField!.name] ?? "").trim()) return "Enter the webhook secret.";
      const missing = otherSecrets.find((f) => f.required && !(secrets[f.name] ?? "").trim());
      if (missing) return `Enter ${missing.prop.title ?? missing.name}.`;
    }
    if (s === 1) {
      if (!project.trim()) return "Name the project.";
      const missing = fields.plain.find((f) => f.required && (values[f.name] === undefined || values[f.name] === ""));
      if (missing) return `Fill in ${missing.prop.title ?? missing.name}.`;
      for (const f of fields.plain) {
        const bad = listError(f, values[f.name]);
        if (bad) return `${bad}.`;
      }
    }
    return null;
  };

  const request = (): NewInstance => {
    const config: Record<string, unknown> = {};
    for (const f of fields.plain) {
      const v = values[f.name] ?? f.prop.default;
      if (v !== undefined && v !== "" && !(Array.isArray(v) && v.length === 0)) config[f.name] = v;
    }
    const out: Record<string, string> = {};
    for (const f of otherSecrets) if (secrets[f.name]) out[f.name] = secrets[f.name];
    if (webhookField) {
      if (chosenScheme !== "none") {
        config.verify = chosenScheme === "shared_token" ? { type: chosenScheme, header: tokenHeader } : { type: chosenScheme };
        out[WEBHOOK_SECRET_FIELD] = secrets[webhookField.name] ?? "";
      }
    }
    return { descriptorId: descriptor.id, projectId: project.trim(), name: name.trim(), config, secrets: out };
  };

  const next = () => {
    const e = stepError(step);
    setError(e);
    if (!e) setStep((s) => s + 1);
  };

  const submit = async () => {
    setSubmitting(true);
    setError(null);
    try {
      setCreated(await onCreate(request()));
    } catch (e) {
      setError(errorText(e));
    } finally {
      setSubmitting(false);
    }
  };

  const header = (
    <div className="wizard-head">
      <ConnectorIcon d={descriptor} />
      <div>
        <h2 className="section-title">Connect {descriptor.name}</h2>
        {descriptor.description ? <p className="muted small">{descriptor.description}</p> : null}
      </div>
    </div>
  );

  if (created) {
    return (
      <section className="panel wizard" data-testid="wizard" aria-label="Connector setup">
        {header}
        <WizardDone
          created={created}
          descriptor={descriptor}
          secret={needsWebhookSecret ? (secrets[webhookField!.name] ?? null) : null}
          origin={origin}
          onAuthorize={onAuthorize}
          onDone={onDone}
        />
      </section>
    );
  }

  const runTest = async () => {
    if (!onTest) return;
    setTest({ busy: true, result: null, error: null });
    try {
      setTest({ busy: false, result: await onTest(request()), error: null });
    } catch (e) {
      setTest({ busy: false, result: null, error: errorText(e) });
    }
  };

  return (
    <section className="panel wizard" data-testid="wizard" aria-label="Connector setup">
      {header}
      {catalogue.error ? (
        <ErrorBox
          error={catalogue.error}
          title={`${catalogueErrorTitle(catalogue.error)} Using the generic webhook form.`}
        />
      ) : null}
      <ol className="steps" aria-label="Steps">
        {STEPS.map((s, i) => (
          <li key={s} className={i === step ? "current" : i < step ? "done" : ""} aria-current={i === step ? "step" : undefined}>
            {i + 1}. {s}
          </li>
        ))}
      </ol>

      {step === 0 ? (
        <div className="step" data-testid="step-credentials">
          <div className="field">
            <label htmlFor="wz-name">Name</label>
            <input id="wz-name" data-testid="instance-name" value={name} placeholder={`${descriptor.name} prod`} onChange={(e) => setName(e.target.value)} />
          </div>
          {webhookField ? (
            <div className="field">
              <label htmlFor="wz-scheme">Verify deliveries with</label>
              <select id="wz-scheme" data-testid="verify-scheme" value={chosenScheme} onChange={(e) => setScheme(e.target.value)}>
                {VERIFY_SCHEMES.map((s) => (
                  <option key={s.type} value={s.type}>
                    {s.label}
                  </option>
                ))}
              </select>
            </div>
          ) : null}
          {chosenScheme === "shared_token" && webhookField ? (
            <div className="field">
              <label htmlFor="wz-header">Header carrying the token</label>
              <input id="wz-header" value={tokenHeader} onChange={(e) => setTokenHeader(e.target.value)} />
            </div>
          ) : null}
          {needsWebhookSecret ? (
            <SecretInput
              id="wz-webhook-secret"
              testId="webhook-secret"
              label={webhookField!.prop.title ?? "Webhook secret"}
              help={webhookField!.prop.description}
              value={secrets[webhookField!.name] ?? ""}
              onChange={(v) => setSecrets((s) => ({ ...s, [webhookField!.name]: v }))}
              generate
            />
          ) : null}
          {otherSecrets.map((f) => (
            <SecretInput
              key={f.name}
              id={`wz-secret-${f.name}`}
              testId={`secret-${f.name}`}
              label={`${f.prop.title ?? f.name}${f.required ? "" : " (optional)"}`}
              help={f.prop.description}
              value={secrets[f.name] ?? ""}
              onChange={(v) => setSecrets((s) => ({ ...s, [f.name]: v }))}
            />
          ))}
        </div>
      ) : null}

      {step === 1 ? (
        <div className="step" data-testid="step-configuration">
          <div className="field">
            <label htmlFor="wz-project">Project</label>
            <select id="wz-project" data-testid="wizard-project" value={project} onChange={(e) => setProject(e.target.value)}>
              {projectChoices(projects, project).map((p) => (
                <option key={p.id} value={p.id}>
                  {projectLabel(p)}
                </option>
              ))}
            </select>
            <p className="help small muted">
              Its webhook URL ends in the project (<code>/webhooks/{descriptor.id}/{project}</code>); what it brings in stays in that project.
            </p>
          </div>
          {fields.plain.length === 0 ? <p className="muted small">Nothing else to configure.</p> : null}
          {fields.plain.map((f) => (
            <ConfigField
              key={f.name}
              field={f}
              value={values[f.name] ?? f.prop.default}
              onChange={(x) => setValues((s) => ({ ...s, [f.name]: x }))}
              values={values}
              loadOptions={loadOptions}
            />
          ))}
        </div>
      ) : null}

      {step === 2 ? (
        <div className="step" data-testid="step-test">
          <p className="muted small">
            {mode === "webhook"
              ? "A webhook connector is tested by a delivery from the tool; the test below checks the settings."
              : mode === "streaming"
                ? "Connects once with these settings: checks what it may read and shows the signals recent items would make. Nothing is stored."
                : "One dry poll with these settings: the requests sent and the signals they would make. Nothing is stored."}
          </p>
          <div>
            <button type="button" className="btn" data-testid="test-connection" disabled={!onTest || test.busy} onClick={() => void runTest()}>
              {test.busy ? "Testing…" : test.result ? "Test again" : "Test connection"}
            </button>
          </div>
          <InlineError text={test.error} />
          {test.result ? <DryRun result={test.result} /> : null}
        </div>
      ) : null}

      {step === CONFIRM ? (
        <div className="step" data-testid="step-confirm">
          <dl className="summary">
            <dt>Connector</dt>
            <dd>{descriptor.name}</dd>
            <dt>Name</dt>
            <dd>{name}</dd>
            <dt>Project</dt>
            <dd data-testid="confirm-project">{projectLabel(projectChoices(projects, project).find((p) => p.id === project) ?? { id: project, name: project })}</dd>
            {webhookField ? (
              <>
                <dt>Verification</dt>
                <dd>{VERIFY_SCHEMES.find((s) => s.type === chosenScheme)?.label ?? chosenScheme}</dd>
              </>
            ) : null}
            {Object.entries(request().secrets).map(([k]) => (
              <div key={k} className="contents">
                <dt>{k}</dt>
                <dd>•••••••• (to the keychain)</dd>
              </div>
            ))}
            {Object.entries(request().config)
              .filter(([k]) => k !== "verify")
              .map(([k, v]) => (
                <div key={k} className="contents">
                  <dt>{k}</dt>
                  <dd>{JSON.stringify(v)}</dd>
                </div>
              ))}
          </dl>
        </div>
      ) : null}

      <InlineError text={error} />
      <div className="wizard-actions">
        <button type="button" className="btn btn-quiet" onClick={step === 0 ? onCancel : () => setStep((s) => s - 1)}>
          {step === 0 ? "Cancel" : "Back"}
        </button>
        {step < CONFIRM ? (
          <button type="button" className="btn btn-primary" onClick={next}>
            Next
          </button>
        ) : (
          <button type="button" className="btn btn-primary" disabled={submitting} onClick={() => void submit()}>
            {submitting ? "Connecting…" : "Connect"}
          </button>
        )}
      </div>
    </section>
  );
}
