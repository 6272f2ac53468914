// The Kubernetes connector in the UI: set up from its real descriptor (a
// streaming connector: no webhook, a context picker fed by listKubeContexts)
// and watched through its stream health.
import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import kubernetes from "../../../../descriptors/kubernetes.json";
import { ConnectorWizard } from "./ConnectorWizard";
import { Monitoring } from "./Monitoring";
import { CatalogueGrid } from "./Connectors";
import { listOf } from "./ConfigField";
import { createApi, type Platform } from "../../platform/api";
import type { Catalogue, CatalogueEntry as DescriptorSummary } from "../../wire";
import type { Command, InstanceView, KubeContexts } from "../../wire";
import { ApiError } from "../../platform/errors";

afterEach(cleanup);
const now = Date.parse("2026-01-01T10:05:00Z");

const descriptor: DescriptorSummary = { ...(kubernetes as unknown as DescriptorSummary), instances: 0, unhealthy: 0 };
const catalogue: Catalogue = { connectors: [descriptor] };

const contexts: KubeContexts = {
  source: "/home/me/.kube/config",
  current: "kind-dev",
  contexts: [
    { name: "kind-dev", cluster: "kind-dev", server: "https://127.0.0.1:6443", namespace: null, user: "kind-dev" },
    { name: "prod", cluster: "prod-eu", server: "https://prod.example:6443", namespace: "shop", user: "oncall" },
  ],
};

/** The real API helpers over a platform that answers listKubeContexts per kubeconfig path. */
function kubeApi(answer: (kubeconfig: string | null) => KubeContexts) {
  const calls: Command[] = [];
  const platform: Platform = {
    kind: "web",
    async call<T>(c: Command): Promise<T> {
      calls.push(c);
      if (c.command !== "listKubeContexts") throw new ApiError("not_found", c.command);
      return answer(c.args.kubeconfig) as T;
    },
    subscribe: () => () => {},
  };
  return { api: createApi(platform), calls };
}

function kubeInstance(over: Partial<InstanceView> = {}): InstanceView {
  return {
    id: "kubernetes-prod",
    descriptorId: "kubernetes",
    projectId: "default",
    name: "prod",
    enabled: true,
    health: { state: "healthy", itemsReceived: 12, itemsDeadLettered: 0, lastSuccessAt: "2026-01-01T10:04:00Z", lastError: null, consecutiveFailures: 0 },
    webhookUrl: null,
    config: { context: "prod" },
    secretFields: [],
    ...over,
  };
}

describe("Kubernetes setup", () => {
  it("asks for no webhook, picks a context from the kubeconfig, takes namespaces as a list, and shows no webhook URL", async () => {
    const { api, calls } = kubeApi((path) => (path === "/etc/other" ? { ...contexts, source: "/etc/other", contexts: [contexts.contexts[1]], current: null } : contexts));
    const onCreate = vi.fn().mockResolvedValue(kubeInstance());
    render(
      <ConnectorWizard
        descriptorId="kubernetes"
        catalogue={{ data: catalogue, error: null }}
        onCreate={onCreate}
        onTest={vi.fn()}
        loadOptions={api.fieldOptions}
        onCancel={vi.fn()}
        onDone={vi.fn()}
        origin="http://127.0.0.1:8787"
      />,
    );
    // Credentials: a name only; the cluster's credentials stay in the kubeconfig.
    expect(screen.queryByTestId("verify-scheme")).toBeNull();
    expect(screen.queryByTestId("webhook-secret")).toBeNull();
    fireEvent.change(screen.getByLabelText("Name"), { target: { value: "prod" } });
    fireEvent.click(screen.getByRole("button", { name: "Next" }));

    const picker = (await screen.findByTestId("wz-f-context-picker")) as HTMLSelectElement;
    // The kubeconfig the contexts are read from comes first.
    expect([...document.querySelectorAll(".field > label")].map((l) => l.textContent)[1]).toBe("Kubeconfig file (optional)");
    const labels = within(picker).getAllByRole("option").map((o) => o.textContent);
    expect(labels).toEqual(["Default: kind-dev", "kind-dev — kind-dev · https://127.0.0.1:6443", "prod — prod-eu · https://prod.example:6443 · namespace shop"]);
    expect(screen.getByText("From /home/me/.kube/config.")).toBeTruthy();
    expect(calls[0]).toEqual({ command: "listKubeContexts", args: { kubeconfig: null } });
    fireEvent.change(picker, { target: { value: "prod" } });

    // Another kubeconfig: its contexts are read instead.
    fireEvent.change(screen.getByLabelText("Kubeconfig file (optional)"), { target: { value: "/etc/other" } });
    await waitFor(() => expect(within(screen.getByTestId("wz-f-context-picker")).getAllByRole("option")).toHaveLength(2));
    expect(calls.at(-1)).toEqual({ command: "listKubeContexts", args: { kubeconfig: "/etc/other" } });
    expect((screen.getByTestId("wz-f-context-picker") as HTMLSelectElement).value).toBe("prod");

    // A namespace that is not a name is refused before going on.
    const namespaces = screen.getByLabelText("Namespaces (optional)");
    fireEvent.change(namespaces, { target: { value: "shop, Payments" } });
    fireEvent.click(screen.getByRole("button", { name: "Next" }));
    expect(screen.getByRole("alert").textContent).toContain("not a valid name: Payments");
    fireEvent.change(namespaces, { target: { value: "shop, payments" } });
    fireEvent.click(screen.getByRole("button", { name: "Next" }));
    expect(within(screen.getByTestId("step-test")).getByText(/checks what it may read/)).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Next" }));
    fireEvent.click(screen.getByRole("button", { name: "Connect" }));
    await waitFor(() => expect(onCreate).toHaveBeenCalled());
    expect(onCreate.mock.calls[0][0]).toEqual({
      descriptorId: "kubernetes",
      projectId: "default",
      name: "prod",
      config: { kubeconfig: "/etc/other", context: "prod", namespaces: ["shop", "payments"], events: "alerts-and-changes" },
      secrets: {},
    });
    const done = await screen.findByTestId("wizard-done");
    expect(within(done).queryByTestId("webhook-url")).toBeNull();
    expect(done.textContent).toContain("connecting");
  });

  it("falls back to typing the context, with the reason, when the kubeconfig cannot be read", async () => {
    const load = vi.fn().mockRejectedValue(new ApiError("bad_request", "no kubeconfig at /root/.kube/config"));
    render(
      <ConnectorWizard
        descriptorId="kubernetes"
        catalogue={{ data: catalogue, error: null }}
        onCreate={vi.fn()}
        loadOptions={load}
        onCancel={vi.fn()}
        onDone={vi.fn()}
        origin={null}
      />,
    );
    fireEvent.change(screen.getByLabelText("Name"), { target: { value: "prod" } });
    fireEvent.click(screen.getByRole("button", { name: "Next" }));
    expect((await screen.findByTestId("wz-f-context-options-error")).textContent).toContain("no kubeconfig at /root/.kube/config");
    const typed = screen.getByLabelText("Context (optional)") as HTMLInputElement;
    expect(typed.tagName).toBe("INPUT");
    fireEvent.change(typed, { target: { value: "prod" } });
    expect(typed.value).toBe("prod");
  });

  it("lists a namespace text as distinct names", () => {
    expect(listOf(" shop,payments  shop\nmonitoring ")).toEqual(["shop", "payments", "monitoring"]);
  });

  it("says the catalogue entry is a live watch", () => {
    render(<CatalogueGrid catalogue={{ data: catalogue, error: null }} instances={[]} onSetup={vi.fn()} />);
    expect(screen.getByTestId("connector-card").textContent).toContain("live watch · native");
  });
});

describe("Kubernetes monitoring", () => {
  it("shows the stream's state, context, server, objects, events and last event", () => {
    const stream = {
      state: "connected",
      message: null,
      context: "prod",
      server: "https://prod.example:6443",
      objects: 412,
      events: 37,
      lastEventAt: "2026-01-01T10:03:00Z",
      since: "2026-01-01T09:00:00Z",
    };
    render(<Monitoring instances={{ data: [kubeInstance({ stream })], error: null }} now={now} onSetEnabled={vi.fn()} onDelete={vi.fn()} />);
    const s = screen.getByTestId("stream");
    expect(within(s).getByTestId("stream-state").textContent).toBe("Connected");
    expect(within(s).getByTestId("stream-context").textContent).toBe("prod");
    expect(within(s).getByTestId("stream-server").textContent).toBe("https://prod.example:6443");
    expect(within(s).getByTestId("stream-objects").textContent).toBe("412");
    expect(within(s).getByTestId("stream-events").textContent).toBe("37");
    expect(within(s).getByTestId("stream-last-event").textContent).toBe("2 min ago");
    expect(screen.queryByText("Webhook")).toBeNull();
  });

  it("says what is wrong with a connection that fails", () => {
    const stream = {
      state: "error",
      message: "the API server refused the credentials (401): renew them with your cloud CLI",
      context: "prod",
      server: null,
      objects: 0,
      events: 0,
      lastEventAt: null,
      since: "2026-01-01T10:00:00Z",
    };
    const health = { ...kubeInstance().health, state: "error", lastError: stream.message, consecutiveFailures: 1 };
    render(<Monitoring instances={{ data: [kubeInstance({ stream, health })], error: null }} now={now} onSetEnabled={vi.fn()} onDelete={vi.fn()} />);
    expect(screen.getByTestId("stream-state").textContent).toBe("Cannot connect");
    expect(screen.getByTestId("stream-message").textContent).toContain("renew them");
    expect(screen.getByTestId("stream-last-event").textContent).toBe("none yet");
    // Said once, in the stream's block.
    expect(screen.getAllByText(/renew them/)).toHaveLength(1);
  });
});
