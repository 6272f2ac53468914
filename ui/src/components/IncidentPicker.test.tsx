import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { IncidentPicker } from "./IncidentPicker";
import { sampleSummary } from "../test/sample";

afterEach(cleanup);

const list = [
  { ...sampleSummary, id: "a", title: "cart out of memory", status: "resolved" as const },
  { ...sampleSummary, id: "b", title: "checkout latency" },
  { ...sampleSummary, id: "c", title: "cart pods restarting" },
];

describe("IncidentPicker", () => {
  it("lists open incidents first, leaves out the excluded, and narrows as one types", () => {
    const onPick = vi.fn();
    render(<IncidentPicker incidents={list} exclude={new Set(["b"])} action="Merge into" onPick={onPick} onCancel={vi.fn()} />);
    expect(screen.getAllByTestId("pick-incident").map((b) => b.dataset.incidentId)).toEqual(["c", "a"]);
    fireEvent.change(screen.getByLabelText("Find an incident"), { target: { value: "memory" } });
    expect(screen.getAllByTestId("pick-incident").map((b) => b.dataset.incidentId)).toEqual(["a"]);
    fireEvent.keyDown(screen.getByLabelText("Find an incident"), { key: "Enter" });
    expect(onPick).toHaveBeenCalledWith(list[0]);
  });

  it("walks with the arrows and cancels with Escape", () => {
    const onPick = vi.fn();
    const onCancel = vi.fn();
    render(<IncidentPicker incidents={list} action="Move here" onPick={onPick} onCancel={onCancel} />);
    const input = screen.getByLabelText("Find an incident");
    fireEvent.keyDown(input, { key: "ArrowDown" });
    fireEvent.keyDown(input, { key: "Enter" });
    expect(onPick).toHaveBeenCalledWith(list[2]);
    fireEvent.keyDown(input, { key: "Escape" });
    expect(onCancel).toHaveBeenCalled();
    expect(screen.getByRole("dialog", { name: "Move here" })).toBeTruthy();
  });
});
