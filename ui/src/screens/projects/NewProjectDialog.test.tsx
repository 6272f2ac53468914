import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, fireEvent, render, screen, within } from "@testing-library/react";
import type { ProjectCreated } from "../../wire";
import { ApiError } from "../../platform/errors";
import { NewProjectDialog } from "./NewProjectDialog";
import { projectIdError, suggestId } from "./projectId";

afterEach(cleanup);

const made: ProjectCreated = {
  id: "staging",
  name: "Staging",
  receiver: {
    instanceId: "staging-alertmanager",
    descriptorId: "alertmanager",
    secret: "0123abcd-the-secret",
    webhookUrl: "http://127.0.0.1:8787/webhooks/alertmanager/staging",
    previousKept: false,
  },
};

function fill(name: string, id?: string) {
  fireEvent.change(screen.getByLabelText("Name"), { target: { value: name } });
  if (id !== undefined) fireEvent.change(screen.getByLabelText("Id"), { target: { value: id } });
}

describe("project ids", () => {
  it("takes the server's slugs and nothing else", () => {
    for (const ok of ["staging", "eu-prod", "a", "p2", "a".repeat(40), "x-1-y"]) expect(projectIdError(ok), ok).toBeNull();
    for (const bad of ["", "Staging", "-staging", "staging-", "eu_prod", "eu prod", "a".repeat(41), "ünï", "a/b"]) expect(projectIdError(bad), bad).not.toBeNull();
  });

  it("suggests an id from a name", () => {
    expect(suggestId("EU Prod")).toBe("eu-prod");
    expect(suggestId("  Zürich — staging! ")).toBe("zurich-staging");
    expect(projectIdError(suggestId("x".repeat(39) + " y"))).toBeNull();
  });
});

describe("NewProjectDialog", () => {
  it("checks the id before asking the server", () => {
    const create = vi.fn();
    render(<NewProjectDialog create={create} origin={null} onSwitch={vi.fn()} onClose={vi.fn()} />);
    fill("Staging", "Staging_1");
    expect(screen.getByTestId("new-project-id-help").textContent).toContain("lowercase letters, digits and inner hyphens");
    expect(screen.getByLabelText("Id").getAttribute("aria-invalid")).toBe("true");
    fireEvent.click(screen.getByRole("button", { name: "Create project" }));
    expect(create).not.toHaveBeenCalled();
    fill("", "staging");
    fireEvent.click(screen.getByRole("button", { name: "Create project" }));
    expect(screen.getByText("Give the project a name.")).toBeTruthy();
    expect(create).not.toHaveBeenCalled();
  });

  it("shows the server's refusal", async () => {
    const create = vi.fn().mockRejectedValue(new ApiError("conflict", "a project 'staging' exists already"));
    render(<NewProjectDialog create={create} origin={null} onSwitch={vi.fn()} onClose={vi.fn()} />);
    fill("Staging");
    fireEvent.click(screen.getByRole("button", { name: "Create project" }));
    expect((await screen.findByRole("alert")).textContent).toBe("a project 'staging' exists already (conflict)");
    expect(create).toHaveBeenCalledWith("staging", "Staging");
    expect(screen.getByRole("dialog", { name: "New project" })).toBeTruthy();
  });

  it("shows the new receiver's URL and secret once, with the snippet to paste", async () => {
    const create = vi.fn().mockResolvedValue(made);
    const onSwitch = vi.fn();
    const onClose = vi.fn();
    render(<NewProjectDialog create={create} origin={null} onSwitch={onSwitch} onClose={onClose} />);
    fill("Staging");
    fireEvent.click(screen.getByRole("button", { name: "Create project" }));
    const dialog = await screen.findByRole("dialog", { name: "Project Staging created" });
    expect((within(dialog).getByLabelText("Webhook URL") as HTMLInputElement).value).toBe(made.receiver.webhookUrl);
    expect((within(dialog).getByLabelText("Webhook secret") as HTMLInputElement).value).toBe(made.receiver.secret);
    const snippet = within(dialog).getByTestId("alertmanager-snippet").textContent!;
    expect(snippet).toContain(`url: ${made.receiver.webhookUrl}`);
    expect(snippet).toContain(`credentials: ${made.receiver.secret}`);
    expect(dialog.textContent).toContain("Shown now only");
    // Two copy buttons: the URL and the secret.
    expect(within(dialog).getAllByRole("button", { name: "Copy" })).toHaveLength(2);
    fireEvent.click(within(dialog).getByRole("button", { name: "Switch to Staging" }));
    expect(onSwitch).toHaveBeenCalledWith("staging");
    expect(onClose).toHaveBeenCalled();
  });

  it("makes the webhook URL from the page's origin when the answer has none", async () => {
    const create = vi.fn().mockResolvedValue({ ...made, receiver: { ...made.receiver, webhookUrl: null } });
    render(<NewProjectDialog create={create} origin="http://127.0.0.1:9999" onSwitch={vi.fn()} onClose={vi.fn()} />);
    fill("Staging");
    fireEvent.click(screen.getByRole("button", { name: "Create project" }));
    const dialog = await screen.findByRole("dialog", { name: "Project Staging created" });
    expect((within(dialog).getByLabelText("Webhook URL") as HTMLInputElement).value).toBe("http://127.0.0.1:9999/webhooks/alertmanager/staging");
  });
});
