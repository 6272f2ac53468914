import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import type { ProjectDetail } from "../../wire";
import { ApiError } from "../../platform/errors";
import { DeleteProjectDialog } from "./DeleteProjectDialog";
import { deletionText } from "./deletion";

afterEach(cleanup);

const staging: ProjectDetail = {
  id: "staging",
  name: "Staging",
  createdAt: "2026-01-01T00:00:00Z",
  connectors: 1,
  incidents: 12,
  signals: 340,
  deadLetters: 2,
  waiting: 3,
};

describe("deletionText", () => {
  it("names every kind of thing that goes, with its count", () => {
    expect(deletionText(staging)).toBe(
      "This deletes 1 connector with its keychain secrets, 12 incidents, 340 signals, 2 dead letters and 3 payloads waiting to be processed.",
    );
    expect(deletionText({ ...staging, connectors: 2, incidents: 1, signals: 1, deadLetters: 1, waiting: 1 })).toBe(
      "This deletes 2 connectors with their keychain secrets, 1 incident, 1 signal, 1 dead letter and 1 payload waiting to be processed.",
    );
    expect(deletionText({ ...staging, incidents: 0, signals: 0, deadLetters: 0, waiting: 0 })).toBe("This deletes 1 connector with its keychain secrets.");
    expect(deletionText({ ...staging, connectors: 0, incidents: 0, signals: 0, deadLetters: 0, waiting: 0 })).toBe("It holds nothing yet.");
  });
});

describe("DeleteProjectDialog", () => {
  it("names what goes and stays disabled until the project's id is typed", async () => {
    const onDelete = vi.fn().mockResolvedValue(null);
    const onClose = vi.fn();
    render(<DeleteProjectDialog project={staging} detail={{ data: staging, error: null }} onDelete={onDelete} onClose={onClose} />);
    expect(screen.getByRole("heading").textContent).toBe("Delete project Staging?");
    const counts = screen.getByTestId("delete-project-counts").textContent!;
    for (const said of ["1 connector with its keychain secrets", "12 incidents", "340 signals", "2 dead letters", "3 payloads waiting"]) {
      expect(counts).toContain(said);
    }
    const submit = screen.getByRole("button", { name: "Delete this project" }) as HTMLButtonElement;
    const confirm = screen.getByLabelText("Type staging to confirm");
    expect(submit.disabled).toBe(true);
    // Enter does not get round the button either.
    fireEvent.submit(confirm.closest("form")!);
    expect(onDelete).not.toHaveBeenCalled();
    for (const wrong of ["Staging", "stagin", "staging ", "default"]) {
      fireEvent.change(confirm, { target: { value: wrong } });
      expect(submit.disabled, wrong).toBe(true);
    }
    fireEvent.change(confirm, { target: { value: "staging" } });
    expect(submit.disabled).toBe(false);
    fireEvent.click(submit);
    await waitFor(() => expect(onClose).toHaveBeenCalled());
    expect(onDelete).toHaveBeenCalledTimes(1);
  });

  it("cannot be confirmed before it knows what the project holds", () => {
    render(<DeleteProjectDialog project={staging} detail={{ data: null, error: null }} onDelete={vi.fn()} onClose={vi.fn()} />);
    fireEvent.change(screen.getByLabelText("Type staging to confirm"), { target: { value: "staging" } });
    expect((screen.getByRole("button", { name: "Delete this project" }) as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByRole("status").textContent).toContain("Loading what it holds");
  });

  it("shows the server's refusal and stays open", async () => {
    const onDelete = vi.fn().mockRejectedValue(new ApiError("conflict", "the default project cannot be deleted"));
    const onClose = vi.fn();
    render(<DeleteProjectDialog project={staging} detail={{ data: staging, error: null }} onDelete={onDelete} onClose={onClose} />);
    fireEvent.change(screen.getByLabelText("Type staging to confirm"), { target: { value: "staging" } });
    fireEvent.click(screen.getByRole("button", { name: "Delete this project" }));
    expect((await screen.findByRole("alert")).textContent).toBe("the default project cannot be deleted (conflict)");
    expect(onClose).not.toHaveBeenCalled();
  });
});
