import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { CatalogueGrid, connectorStatus, Monitoring } from "./Connectors";
import { ConnectorWizard, gatewayScheme } from "./ConnectorWizard";
import type { Catalogue, CatalogueEntry as DescriptorSummary } from "../../wire";
import type { InstanceView } from "../../wire";
import { ApiError } from "../../platform/errors";
import { sampleDetail } from "../../test/sample";

const sampleSignal = sampleDetail.signals[0];

afterEach(cleanup);
const now = Date.parse("2026-01-01T10:05:00Z");

function d(id: string, name: string, category: string, extra: Partial<DescriptorSummary> = {}): DescriptorSummary {
  return {
    id,
    name,
    description: `${name} alerts`,
    instances: 0,
    unhealthy: 0,
    category,
    icon: id,
    kind: "generic",
    auth: { type: "webhook_secret", scheme: { type: "github_sha256" } },
    ingestion: { mode: "webhook" },
    configSchema: { type: "object", properties: { secret: { type: "string", title: "Webhook secret", "x-secret": true } } },
    ...extra,
  };
}

const catalogue: Catalogue = {
  connectors: [
    d("grafana", "Grafana Alerting", "Observability", { auth: { type: "webhook_secret", scheme: { type: "grafana_hmac_sha256" } } }),
    d("alertmanager", "Prometheus Alertmanager", "Observability", {
      kind: "native",
      auth: { type: "webhook_secret", scheme: { type: "bearer_token" } },
      configSchema: {
        type: "object",
        properties: {
          token: { type: "string", title: "Bearer token", description: "http_config.authorization.credentials", "x-secret": true },
          rateLimitPerMinute: { type: "integer", title: "Rate limit per minute" },
        },
      },
    }),
    d("github", "GitHub", "Code & DevOps"),
    d("jira", "Jira", "Project Management", { ingestion: { mode: "polling" }, auth: { type: "api_key" } }),
  ],
};

function instance(over: Partial<InstanceView> = {}): InstanceView {
  return {
    id: "alertmanager-prod",
    descriptorId: "alertmanager",
    projectId: "default",
    name: "prod",
    enabled: true,
    health: { state: "waiting", itemsReceived: 0, itemsDeadLettered: 0, lastSuccessAt: null, lastError: null, consecutiveFailures: 0 },
    webhookUrl: "http://127.0.0.1:8787/webhooks/alertmanager/default",
    config: {},
    secretFields: ["webhookSecret"],
    ...over,
  };
}

describe("catalogue", () => {
  it("groups by category, searches, and shows each connector's status", () => {
    const instances = [
      instance(),
      instance({ id: "gh", descriptorId: "github", health: { ...instance().health, state: "error", lastError: "401" } }),
    ];
    render(<CatalogueGrid catalogue={{ data: catalogue, error: null }} instances={instances} onSetup={vi.fn()} />);
    const cats = screen.getAllByTestId("category").map((c) => c.getAttribute("data-category"));
    expect(cats).toEqual(["Observability", "Code & DevOps", "Project Management"]);
    const status = (id: string) =>
      within(document.querySelector(`[data-connector-id="${id}"]`) as HTMLElement).getByTestId("connector-status").textContent;
    expect(status("alertmanager")).toBe("connected");
    expect(status("github")).toBe("unhealthy");
    expect(status("grafana")).toBe("not configured");
    fireEvent.change(screen.getByRole("searchbox", { name: "Search connectors" }), { target: { value: "graf" } });
    const cards = screen.getAllByTestId("connector-card").map((c) => c.getAttribute("data-connector-id"));
    expect(cards).toEqual(["grafana"]);
  });

  it("says the catalogue is unavailable when the server refuses the command", () => {
    render(
      <CatalogueGrid
        catalogue={{ data: null, error: new ApiError("bad_request", "unknown command listCatalogue") }}
        instances={[]}
        onSetup={vi.fn()}
      />,
    );
    expect(screen.getByRole("alert").textContent).toContain("Connector catalogue unavailable");
    expect(screen.getByRole("alert").textContent).toContain("unknown command listCatalogue (bad_request)");
    expect(screen.queryByRole("status")).toBeNull();
  });

  it("shows a brand's mark where Simple Icons has one, else its initial", () => {
    render(<CatalogueGrid catalogue={{ data: catalogue, error: null }} instances={[]} onSetup={vi.fn()} />);
    const card = (id: string) => document.querySelector(`[data-connector-id="${id}"] .connector-icon`) as HTMLElement;
    expect(card("grafana").querySelector("svg path")?.getAttribute("d")).toMatch(/^M/);
    expect(card("grafana").style.background).not.toBe("");
    expect(card("alertmanager").querySelector("svg")).toBeNull();
    expect(card("alertmanager").textContent).toBe("P");
  });

  it("derives status from instances", () => {
    expect(connectorStatus("x", null)).toBe("not configured");
    expect(connectorStatus("alertmanager", [instance({ enabled: false })])).toBe("not configured");
    expect(connectorStatus("alertmanager", [instance({ health: { ...instance().health, state: "degraded" } })])).toBe("unhealthy");
  });
});

describe("setup wizard", () => {
  it("builds the form from configSchema, masks secrets, and creates the instance", async () => {
    const onCreate = vi.fn().mockResolvedValue(instance({ name: "prod" }));
    const onTest = vi.fn().mockResolvedValue({
      ok: true,
      latencyMs: 0,
      message: "prod receives webhooks; there is nothing to pull. Send a test delivery from the tool to check it.",
      sample: [],
      requests: [],
      errorClass: null,
    });
    render(
      <ConnectorWizard
        descriptorId="alertmanager"
        catalogue={{ data: catalogue, error: null }}
        onCreate={onCreate}
        onTest={onTest}
        onCancel={vi.fn()}
        onDone={vi.fn()}
        origin="http://127.0.0.1:8787"
      />,
    );
    expect((screen.getByTestId("verify-scheme") as HTMLSelectElement).value).toBe("bearer");
    fireEvent.click(screen.getByRole("button", { name: "Next" }));
    expect(screen.getByRole("alert").textContent).toBe("Give the connection a name.");
    fireEvent.change(screen.getByLabelText("Name"), { target: { value: "prod" } });
    const secret = screen.getByLabelText("Bearer token") as HTMLInputElement;
    expect(secret.type).toBe("password");
    expect(screen.getByText("http_config.authorization.credentials")).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Show" }));
    expect(secret.type).toBe("text");
    fireEvent.change(secret, { target: { value: "s3cret" } });
    fireEvent.click(screen.getByRole("button", { name: "Next" }));
    fireEvent.change(screen.getByLabelText("Rate limit per minute (optional)"), { target: { value: "120" } });
    fireEvent.click(screen.getByRole("button", { name: "Next" }));
    fireEvent.click(within(screen.getByTestId("step-test")).getByTestId("test-connection"));
    expect((await screen.findByTestId("dry-run-message")).textContent).toContain("Send a test delivery");
    expect(onTest.mock.calls[0][0].secrets).toEqual({ webhookSecret: "s3cret" });
    fireEvent.click(screen.getByRole("button", { name: "Next" }));
    const confirm = screen.getByTestId("step-confirm");
    expect(confirm.textContent).not.toContain("s3cret");
    fireEvent.click(screen.getByRole("button", { name: "Connect" }));
    await waitFor(() => expect(onCreate).toHaveBeenCalled());
    expect(onCreate.mock.calls[0][0]).toEqual({
      descriptorId: "alertmanager",
      projectId: "default",
      name: "prod",
      config: { rateLimitPerMinute: 120, verify: { type: "bearer" } },
      secrets: { webhookSecret: "s3cret" },
    });
    const done = await screen.findByTestId("wizard-done");
    expect((within(done).getByTestId("webhook-url") as HTMLInputElement).value).toBe(
      "http://127.0.0.1:8787/webhooks/alertmanager/default",
    );
    expect(within(done).getByTestId("push-instruction").textContent).toContain("alertmanager.yml");
    // The secret just chosen, to paste into the tool, this once.
    expect((within(done).getByTestId("webhook-secret-copy") as HTMLInputElement).value).toBe("s3cret");
  });

  it("shows a dry run's requests and sample signals, and a failure's reason", async () => {
    const onTest = vi
      .fn()
      .mockResolvedValueOnce({
        ok: false,
        latencyMs: 12,
        message: "401 Unauthorized: the token was refused",
        sample: [],
        requests: [{ method: "GET", url: "http://127.0.0.1:9/api/v2/alerts", headers: {}, status: 401, latencyMs: 12, response: '{"error":"unauthorized"}' }],
        errorClass: "needs_reauth",
      })
      .mockResolvedValueOnce({
        ok: true,
        latencyMs: 8,
        message: "Connected in 8 ms: 1 item(s) on the first page, 1 signal(s) would be created.",
        sample: [{ ...sampleSignal, title: "KubePodCrashLooping" }],
        requests: [{ method: "GET", url: "http://127.0.0.1:9/api/v2/alerts", headers: {}, status: 200, latencyMs: 8, response: "[]" }],
        errorClass: null,
      });
    render(
      <ConnectorWizard descriptorId="alertmanager" catalogue={{ data: catalogue, error: null }} onCreate={vi.fn()} onTest={onTest} onCancel={vi.fn()} onDone={vi.fn()} origin={null} />,
    );
    fireEvent.change(screen.getByLabelText("Name"), { target: { value: "pull" } });
    fireEvent.change(screen.getByLabelText("Bearer token"), { target: { value: "t" } });
    fireEvent.click(screen.getByRole("button", { name: "Next" }));
    fireEvent.click(screen.getByRole("button", { name: "Next" }));
    fireEvent.click(screen.getByTestId("test-connection"));
    let dry = await screen.findByTestId("dry-run");
    expect(dry.dataset.ok).toBe("false");
    expect(dry.textContent).toContain("the token was refused");
    expect(dry.textContent).toContain("sign in again");
    expect(within(dry).getByTestId("dry-request").textContent).toContain("GET http://127.0.0.1:9/api/v2/alerts");
    expect(within(dry).getByTestId("dry-request").textContent).toContain("401");
    fireEvent.click(screen.getByTestId("test-connection"));
    await waitFor(() => expect(screen.getByTestId("dry-run").dataset.ok).toBe("true"));
    dry = screen.getByTestId("dry-run");
    expect(within(dry).getAllByTestId("sample-signal")[0].textContent).toContain("KubePodCrashLooping");
  });

  it("falls back to the generic webhook form, with the reason, when there is no catalogue", async () => {
    const onCreate = vi.fn().mockRejectedValue(new ApiError("not_found", "no project 'staging'"));
    render(
      <ConnectorWizard
        descriptorId="alertmanager"
        project="default"
        projects={[
          { id: "default", name: "Default" },
          { id: "staging", name: "Staging" },
        ]}
        catalogue={{ data: null, error: new ApiError("bad_request", "unknown command") }}
        onCreate={onCreate}
        onCancel={vi.fn()}
        onDone={vi.fn()}
        origin={null}
      />,
    );
    expect(screen.getAllByRole("alert")[0].textContent).toContain("Connector catalogue unavailable");
    fireEvent.change(screen.getByTestId("verify-scheme"), { target: { value: "bearer" } });
    fireEvent.change(screen.getByLabelText("Name"), { target: { value: "am" } });
    fireEvent.change(screen.getByTestId("webhook-secret"), { target: { value: "tok" } });
    fireEvent.click(screen.getByRole("button", { name: "Next" }));
    expect((screen.getByLabelText("Project") as HTMLSelectElement).value).toBe("default");
    fireEvent.change(screen.getByLabelText("Project"), { target: { value: "staging" } });
    fireEvent.click(screen.getByRole("button", { name: "Next" }));
    fireEvent.click(screen.getByRole("button", { name: "Next" }));
    fireEvent.click(screen.getByRole("button", { name: "Connect" }));
    expect(await screen.findByText("no project 'staging' (not_found)")).toBeTruthy();
    expect(onCreate.mock.calls[0][0].projectId).toBe("staging");
    expect(onCreate.mock.calls[0][0].secrets).toEqual({ webhookSecret: "tok" });
    expect(onCreate.mock.calls[0][0].config).toEqual({ verify: { type: "bearer" } });
  });

  it("maps descriptor schemes to the gateway's", () => {
    expect(gatewayScheme("bearer_token")).toBe("bearer");
    expect(gatewayScheme("grafana_hmac_sha256")).toBe("grafana");
    expect(gatewayScheme("github_sha256")).toBe("github_sha256");
    expect(gatewayScheme("made_up")).toBe("none");
  });
});

describe("monitoring", () => {
  it("shows health, toggles, and disconnects only after confirming", async () => {
    const onSetEnabled = vi.fn().mockResolvedValue(undefined);
    const onDelete = vi.fn().mockResolvedValue(undefined);
    const healthy = instance({
      health: { state: "healthy", itemsReceived: 12, itemsDeadLettered: 1, lastSuccessAt: "2026-01-01T10:04:00Z", lastError: null, consecutiveFailures: 0 },
    });
    render(<Monitoring instances={{ data: [healthy], error: null }} now={now} onSetEnabled={onSetEnabled} onDelete={onDelete} />);
    const row = screen.getByTestId("instance");
    expect(row.getAttribute("data-state")).toBe("healthy");
    expect(within(row).getByTestId("health-state").textContent).toBe("Healthy");
    expect(within(row).getByTestId("items-received").textContent).toBe("12");
    expect(within(row).getByTestId("items-dead-lettered").textContent).toBe("1");
    expect(within(row).getByTestId("last-success").textContent).toBe("1 min ago");
    fireEvent.click(within(row).getByRole("switch", { name: "Enable prod" }));
    expect(onSetEnabled).toHaveBeenCalledWith("alertmanager-prod", false);
    await waitFor(() => expect((within(row).getByRole("switch") as HTMLInputElement).disabled).toBe(false));
    fireEvent.click(within(row).getByRole("button", { name: "Disconnect" }));
    expect(onDelete).not.toHaveBeenCalled();
    fireEvent.click(within(row).getByRole("button", { name: "Cancel" }));
    fireEvent.click(within(row).getByRole("button", { name: "Disconnect" }));
    fireEvent.click(within(row).getByRole("button", { name: "Yes, disconnect" }));
    await waitFor(() => expect(onDelete).toHaveBeenCalledWith("alertmanager-prod"));
  });

  it("shows a poller's figures and sparkline, tests it, and offers to sign in again", async () => {
    const onTest = vi.fn().mockResolvedValue({
      ok: false,
      latencyMs: 30,
      message: "invalid_grant: the refresh token was revoked",
      sample: [],
      requests: [],
      errorClass: "needs_reauth",
    });
    const onAuthorize = vi.fn().mockResolvedValue({ authorizeUrl: "http://127.0.0.1:9/authorize?x=1" });
    const open = vi.spyOn(window, "open").mockReturnValue(null);
    const slack = instance({
      id: "slack-1",
      descriptorId: "slack",
      name: "ops slack",
      health: {
        state: "needs_reauth",
        itemsReceived: 40,
        itemsDeadLettered: 0,
        lastSuccessAt: "2026-01-01T09:05:00Z",
        lastPollAt: "2026-01-01T10:04:30Z",
        lastError: "invalid_grant",
        consecutiveFailures: 3,
        latencyMs: 230,
        signals24h: 12,
        signals7d: 80,
        hourly: [0, 1, 0, 2, 5, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1],
      },
    });
    render(
      <Monitoring
        instances={{ data: [slack], error: null }}
        now={now}
        onSetEnabled={vi.fn()}
        onDelete={vi.fn()}
        onTest={onTest}
        onAuthorize={onAuthorize}
        isOauth={(id) => id === "slack"}
      />,
    );
    const row = screen.getByTestId("instance");
    expect(within(row).getByTestId("health-state").textContent).toBe("Needs sign-in");
    expect(row.textContent).toContain("The credentials were refused");
    expect(within(row).getByTestId("last-sync").textContent).toBe("30 s ago");
    expect(within(row).getByTestId("latency").textContent).toBe("230 ms");
    expect(within(row).getByTestId("consecutive-failures").textContent).toBe("3");
    expect(within(row).getByTestId("signals-24h-7d").textContent).toBe("12 / 80");
    expect(within(row).getByTestId("sparkline").getAttribute("aria-label")).toContain("0, 1, 0, 2, 5");
    fireEvent.click(within(row).getByRole("button", { name: "Test" }));
    expect((await within(row).findByTestId("dry-run")).textContent).toContain("invalid_grant");
    fireEvent.click(within(row).getByRole("button", { name: "Sign in again" }));
    await waitFor(() => expect(onAuthorize).toHaveBeenCalledWith("slack-1"));
    expect(open).toHaveBeenCalledWith("http://127.0.0.1:9/authorize?x=1", "_blank", "noopener");
  });

  it("makes a receiver's new secret and shows it once with the Alertmanager snippet", async () => {
    const onNewSecret = vi.fn().mockResolvedValue({
      instanceId: "default-alertmanager",
      descriptorId: "alertmanager",
      secret: "0f".repeat(32),
      webhookUrl: "http://127.0.0.1:8787/webhooks/alertmanager/default",
      previousKept: false,
    });
    const fresh = instance({ id: "default-alertmanager", verification: "bearer", secretFields: [] });
    const open = instance({ id: "open-one", name: "open", verification: "none" });
    const pulled = instance({ id: "jira-1", descriptorId: "jira", name: "jira", verification: undefined, webhookUrl: null });
    render(<Monitoring instances={{ data: [fresh, open, pulled], error: null }} now={now} onSetEnabled={vi.fn()} onDelete={vi.fn()} onNewSecret={onNewSecret} />);
    const [row, openRow, jiraRow] = screen.getAllByTestId("instance");
    expect(within(row).getByTestId("no-secret").textContent).toContain("every delivery is refused");
    expect(within(openRow).getByTestId("unverified").textContent).toContain("anyone who can reach this port");
    expect(within(openRow).queryByTestId("new-secret")).toBeNull();
    expect(within(jiraRow).queryByTestId("new-secret")).toBeNull();
    fireEvent.click(within(row).getByRole("button", { name: "New secret" }));
    await waitFor(() => expect(onNewSecret).toHaveBeenCalledWith("default-alertmanager"));
    expect(((await within(row).findByTestId("new-secret-value")) as HTMLInputElement).value).toBe("0f".repeat(32));
    const snippet = within(row).getByTestId("alertmanager-snippet").textContent ?? "";
    expect(snippet).toContain("url: http://127.0.0.1:8787/webhooks/alertmanager/default");
    expect(snippet).toContain(`credentials: ${"0f".repeat(32)}`);
    expect(within(row).queryByTestId("no-secret")).toBeNull();
  });
});
