import { afterEach, describe, expect, it } from "vitest";
import { act, cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { App } from "./App";
import { PROJECT_STORAGE_KEY } from "./project";
import type { Platform } from "../platform/api";
import { ApiError } from "../platform/errors";
import type { ChangeEvent, Command, DeadLetterView, IncidentSummary, InstanceView, ProjectView } from "../wire";
import { sampleDetail, sampleSummary } from "../test/sample";

afterEach(() => {
  cleanup();
  localStorage.clear();
  window.location.hash = "";
});

function deadLetter(id: number, projectId: string): DeadLetterView {
  return { id, connectorId: `alertmanager/${projectId}`, projectId, receivedAt: "2026-01-01T10:00:00Z", error: "not json", rawBase64: "", preview: "x" };
}

function instance(projectId: string): InstanceView {
  return {
    id: `${projectId}-alertmanager`,
    descriptorId: "alertmanager",
    projectId,
    name: `Alertmanager (${projectId})`,
    enabled: true,
    health: { state: "waiting", itemsReceived: 0, itemsDeadLettered: 0, lastSuccessAt: null, lastError: null, consecutiveFailures: 0 },
    webhookUrl: `http://127.0.0.1:8787/webhooks/alertmanager/${projectId}`,
    config: {},
    secretFields: [],
  };
}

/** Two projects, each with its own incidents, dead letters and connector; answers from memory. */
function fakePlatform() {
  const state: {
    projects: ProjectView[];
    incidents: Record<string, IncidentSummary[]>;
    deadLetters: Record<string, DeadLetterView[]>;
  } = {
    projects: [
      { id: "default", name: "Default" },
      { id: "staging", name: "Staging" },
    ],
    incidents: {
      default: [sampleSummary],
      staging: [{ ...sampleSummary, id: "inc-s1", title: "staging checkout is slow" }],
    },
    deadLetters: { default: [deadLetter(1, "default")], staging: [deadLetter(2, "staging"), deadLetter(3, "staging")] },
  };
  const calls: Command[] = [];
  let push: ((e: ChangeEvent) => void) | undefined;
  const project = (args: { project?: string }) => {
    const p = args.project ?? "default";
    if (!state.projects.some((x) => x.id === p)) throw new ApiError("not_found", `no project '${p}'`);
    return p;
  };
  const platform: Platform = {
    kind: "web",
    async call<T>(command: Command): Promise<T> {
      calls.push(command);
      switch (command.command) {
        case "listProjects":
          return { projects: state.projects } as T;
        case "listIncidents":
          return { incidents: state.incidents[project(command.args)] } as T;
        case "searchIncidents":
          return { incidents: state.incidents[project(command.args)] } as T;
        case "getIncident": {
          const s = Object.values(state.incidents)
            .flat()
            .find((i) => i.id === command.args.id);
          if (!s) throw new ApiError("not_found", `no incident ${command.args.id}`);
          return { ...sampleDetail, ...s } as T;
        }
        case "getLedger":
          return { incidentId: command.args.id, entries: [] } as T;
        case "listSignals":
          project(command.args);
          return { signals: [] } as T;
        case "listDeadLetters":
          return { deadLetters: state.deadLetters[project(command.args)] } as T;
        case "listInstances":
          return { instances: command.args.project ? [instance(project(command.args))] : state.projects.map((p) => instance(p.id)) } as T;
        case "getProject": {
          const p = state.projects.find((x) => x.id === command.args.id)!;
          return { ...p, createdAt: "2026-01-01T00:00:00Z", connectors: 1, incidents: 12, signals: 340, deadLetters: 2, waiting: 0 } as T;
        }
        case "deleteProject":
          state.projects = state.projects.filter((p) => p.id !== command.args.id);
          return { id: command.args.id } as T;
        case "createProject":
          state.projects = [...state.projects, { id: command.args.id, name: command.args.name }];
          state.incidents[command.args.id] = [];
          state.deadLetters[command.args.id] = [];
          return {
            id: command.args.id,
            name: command.args.name,
            receiver: {
              instanceId: `${command.args.id}-alertmanager`,
              descriptorId: "alertmanager",
              secret: "s3cret-shown-once",
              webhookUrl: `http://127.0.0.1:8787/webhooks/alertmanager/${command.args.id}`,
              previousKept: false,
            },
          } as T;
        case "getTopology":
          project(command.args);
          return { loaded: false, graph: { nodes: [], edges: [] }, roots: [] } as T;
        case "getVersion":
          return { name: "Causeway", version: "1.0.0" } as T;
        default:
          throw new ApiError("not_found", `the fake platform has no ${command.command}`);
      }
    },
    subscribe(onChange) {
      push = onChange;
      return () => void (push = undefined);
    },
  };
  return { platform, state, calls, push: (e: ChangeEvent) => push?.(e) };
}

/** The `args` of every call of `name` so far. */
function argsOf(calls: Command[], name: Command["command"]): unknown[] {
  return calls.filter((c) => c.command === name).map((c) => ("args" in c ? c.args : undefined));
}

async function switchTo(name: string) {
  fireEvent.click(screen.getByTestId("project-current"));
  fireEvent.click(within(screen.getByRole("menu", { name: "Projects" })).getByRole("menuitemradio", { name: new RegExp(name) }));
}

function railCount(screenName: string): string {
  return screen.getByTestId(`nav-${screenName}`).querySelector(".count")?.textContent ?? "";
}

describe("the project switcher", () => {
  it("asks every per-project list for the project picked, and keeps the pick over a reload", async () => {
    const fake = fakePlatform();
    render(<App platform={fake.platform} />);
    await waitFor(() => expect(screen.getAllByTestId("incident-row").map((r) => r.dataset.incidentId)).toEqual(["inc-1"]));
    expect(screen.getByTestId("project-name").textContent).toBe("Default");
    expect(argsOf(fake.calls, "listIncidents")).toContainEqual({ project: "default" });
    expect(argsOf(fake.calls, "listSignals")).toContainEqual({ unassigned: true, project: "default" });
    expect(argsOf(fake.calls, "listDeadLetters")).toContainEqual({ project: "default" });
    await waitFor(() => expect(railCount("dead-letters")).toBe("1"));

    await switchTo("Staging");
    expect(screen.getByTestId("project-name").textContent).toBe("Staging");
    await waitFor(() => expect(screen.getAllByTestId("incident-row").map((r) => r.dataset.incidentId)).toEqual(["inc-s1"]));
    expect(argsOf(fake.calls, "listIncidents")).toContainEqual({ project: "staging" });
    expect(argsOf(fake.calls, "listSignals")).toContainEqual({ unassigned: true, project: "staging" });
    expect(argsOf(fake.calls, "listDeadLetters")).toContainEqual({ project: "staging" });
    // The rail counts are the staging project's, not the default one's.
    await waitFor(() => expect(railCount("dead-letters")).toBe("2"));
    expect(screen.getByTestId("open-count").textContent).toBe("1 open incident in Staging");
    expect(screen.getByTestId("incident-list").textContent).not.toContain(sampleSummary.title);

    // The search, the dead letters and the connectors ask for staging too.
    fireEvent.change(screen.getByTestId("incident-search"), { target: { value: "checkout" } });
    await waitFor(() => expect(argsOf(fake.calls, "searchIncidents")).toContainEqual(expect.objectContaining({ query: "checkout", project: "staging" })));
    act(() => {
      window.location.hash = "#/dead-letters";
      window.dispatchEvent(new HashChangeEvent("hashchange"));
    });
    await waitFor(() => expect(screen.getAllByTestId("dead-letter")).toHaveLength(2));
    act(() => {
      window.location.hash = "#/connectors";
      window.dispatchEvent(new HashChangeEvent("hashchange"));
    });
    await waitFor(() => expect(argsOf(fake.calls, "listInstances")).toContainEqual({ project: "staging" }));
    expect(argsOf(fake.calls, "listInstances")).not.toContainEqual({ project: "default" });
    expect(argsOf(fake.calls, "listInstances")).not.toContainEqual({});
    // The map marks the staging project's incidents.
    act(() => {
      window.location.hash = "#/topology";
      window.dispatchEvent(new HashChangeEvent("hashchange"));
    });
    await waitFor(() => expect(argsOf(fake.calls, "getTopology")).toEqual([{ project: "staging" }]));

    // A reload shows staging from the first request.
    expect(localStorage.getItem(PROJECT_STORAGE_KEY)).toBe("staging");
    cleanup();
    window.location.hash = "";
    const again = fakePlatform();
    render(<App platform={again.platform} />);
    await waitFor(() => expect(screen.getAllByTestId("incident-row").map((r) => r.dataset.incidentId)).toEqual(["inc-s1"]));
    expect(argsOf(again.calls, "listIncidents")).toEqual([{ project: "staging" }]);
    expect(screen.getByTestId("project-name").textContent).toBe("Staging");
  });

  it("switches from the Ctrl+K palette too", async () => {
    const fake = fakePlatform();
    render(<App platform={fake.platform} />);
    await screen.findAllByTestId("incident-row");
    fireEvent.keyDown(window, { key: "k", ctrlKey: true });
    const input = within(screen.getByTestId("palette")).getByRole("textbox", { name: "Jump to" });
    fireEvent.change(input, { target: { value: "project staging" } });
    expect(within(screen.getByTestId("palette")).getAllByRole("option").map((o) => o.textContent)).toEqual(["Switch to project Stagingstaging"]);
    fireEvent.keyDown(input, { key: "Enter" });
    await waitFor(() => expect(screen.getByTestId("project-name").textContent).toBe("Staging"));
    await waitFor(() => expect(argsOf(fake.calls, "listIncidents")).toContainEqual({ project: "staging" }));
  });

  it("leaves an open incident of the project left for the list of the next", async () => {
    window.location.hash = "#/incidents/inc-1";
    const fake = fakePlatform();
    render(<App platform={fake.platform} />);
    expect((await screen.findByTestId("incident-detail")).getAttribute("data-incident-id")).toBe("inc-1");
    await switchTo("Staging");
    await waitFor(() => expect(screen.getByTestId("incident-detail").getAttribute("data-incident-id")).toBe("inc-s1"));
    expect(window.location.hash).toBe("#/incidents");
  });

  it("sets a new connector up in the project shown", async () => {
    localStorage.setItem(PROJECT_STORAGE_KEY, "staging");
    window.location.hash = "#/connectors/new/alertmanager";
    const fake = fakePlatform();
    render(<App platform={fake.platform} />);
    const wizard = await screen.findByTestId("wizard");
    fireEvent.change(within(wizard).getByLabelText("Name"), { target: { value: "am" } });
    fireEvent.click(within(wizard).getByRole("button", { name: "Next" }));
    await waitFor(() => expect(within(wizard).getAllByRole("option").map((o) => o.textContent)).toEqual(["Default (default)", "Staging (staging)"]));
    expect((within(wizard).getByLabelText("Project") as HTMLSelectElement).value).toBe("staging");
    expect(within(wizard).getByTestId("step-configuration").textContent).toContain("/webhooks/alertmanager/staging");
  });

  it("asks for the correlation settings of the project shown", async () => {
    localStorage.setItem(PROJECT_STORAGE_KEY, "staging");
    window.location.hash = "#/rules";
    const fake = fakePlatform();
    render(<App platform={fake.platform} />);
    await waitFor(() => expect(argsOf(fake.calls, "getCorrelationSettings")).toEqual([{ project: "staging" }]));
  });

  it("falls back to default when the project kept is gone", async () => {
    localStorage.setItem(PROJECT_STORAGE_KEY, "deleted-elsewhere");
    const fake = fakePlatform();
    render(<App platform={fake.platform} />);
    await waitFor(() => expect(screen.getByTestId("project-name").textContent).toBe("Default"));
    await waitFor(() => expect(screen.getAllByTestId("incident-row").map((r) => r.dataset.incidentId)).toEqual(["inc-1"]));
    expect(localStorage.getItem(PROJECT_STORAGE_KEY)).toBe("default");
    expect(argsOf(fake.calls, "listIncidents")).toContainEqual({ project: "default" });
  });

  it("lists a project made elsewhere once projectsChanged comes", async () => {
    const fake = fakePlatform();
    render(<App platform={fake.platform} />);
    await screen.findAllByTestId("incident-row");
    fake.state.projects = [...fake.state.projects, { id: "eu-prod", name: "EU prod" }];
    act(() => fake.push({ type: "projectsChanged" }));
    fireEvent.click(screen.getByTestId("project-current"));
    await waitFor(() =>
      expect(screen.getAllByTestId("project-option").map((o) => o.dataset.projectId)).toEqual(["default", "staging", "eu-prod"]),
    );
  });

  it("makes a project from the switcher, shows its receiver's secret once, and switches to it", async () => {
    const fake = fakePlatform();
    render(<App platform={fake.platform} />);
    await screen.findAllByTestId("incident-row");
    fireEvent.click(screen.getByTestId("project-current"));
    fireEvent.click(screen.getByRole("menuitem", { name: "New project…" }));
    const dialog = screen.getByRole("dialog", { name: "New project" });
    fireEvent.change(within(dialog).getByLabelText("Name"), { target: { value: "EU Prod" } });
    expect((within(dialog).getByLabelText("Id") as HTMLInputElement).value).toBe("eu-prod");
    fireEvent.click(within(dialog).getByRole("button", { name: "Create project" }));
    const made = await screen.findByRole("dialog", { name: "Project EU Prod created" });
    expect(argsOf(fake.calls, "createProject")).toEqual([{ id: "eu-prod", name: "EU Prod" }]);
    expect((within(made).getByTestId("project-webhook-secret") as HTMLInputElement).value).toBe("s3cret-shown-once");
    expect((within(made).getByTestId("project-webhook-url") as HTMLInputElement).value).toBe("http://127.0.0.1:8787/webhooks/alertmanager/eu-prod");
    expect(within(made).getByTestId("alertmanager-snippet").textContent).toContain("credentials: s3cret-shown-once");
    fireEvent.click(within(made).getByRole("button", { name: "Switch to EU Prod" }));
    expect(screen.queryByRole("dialog")).toBeNull();
    // Shown once: gone with the dialog.
    expect(document.body.innerHTML).not.toContain("s3cret-shown-once");
    await waitFor(() => expect(screen.getByTestId("project-name").textContent).toBe("EU Prod"));
    await waitFor(() => expect(argsOf(fake.calls, "listIncidents")).toContainEqual({ project: "eu-prod" }));
    expect(localStorage.getItem(PROJECT_STORAGE_KEY)).toBe("eu-prod");
  });

  it("deletes the project shown from Settings after the typed confirmation, then shows default", async () => {
    localStorage.setItem(PROJECT_STORAGE_KEY, "staging");
    window.location.hash = "#/settings";
    const fake = fakePlatform();
    render(<App platform={fake.platform} />);
    const rows = await screen.findAllByTestId("project-row");
    expect(rows.map((r) => r.dataset.projectId)).toEqual(["default", "staging"]);
    // `default` cannot be deleted.
    expect(within(rows[0]).queryByRole("button", { name: /Delete/ })).toBeNull();
    fireEvent.click(within(rows[1]).getByRole("button", { name: "Delete Staging…" }));
    const dialog = screen.getByRole("dialog", { name: "Delete project Staging" });
    await waitFor(() =>
      expect(within(dialog).getByTestId("delete-project-counts").textContent).toContain(
        "This deletes 1 connector with its keychain secrets, 12 incidents, 340 signals and 2 dead letters.",
      ),
    );
    expect(argsOf(fake.calls, "getProject")).toContainEqual({ id: "staging" });
    const submit = within(dialog).getByRole("button", { name: "Delete this project" }) as HTMLButtonElement;
    expect(submit.disabled).toBe(true);
    fireEvent.change(within(dialog).getByLabelText(/to confirm/), { target: { value: "staging" } });
    expect(submit.disabled).toBe(false);
    fireEvent.click(submit);
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(argsOf(fake.calls, "deleteProject")).toEqual([{ id: "staging" }]);
    await waitFor(() => expect(screen.getByTestId("project-name").textContent).toBe("Default"));
    await waitFor(() => expect(screen.getAllByTestId("project-row").map((r) => r.dataset.projectId)).toEqual(["default"]));
    expect(localStorage.getItem(PROJECT_STORAGE_KEY)).toBe("default");
  });
});
