import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { ApiError } from "../../platform/errors";
import { Projects } from "./Projects";

afterEach(cleanup);

const list = [
  { id: "default", name: "Default" },
  { id: "staging", name: "Staging" },
];

function setup(onRename = vi.fn().mockResolvedValue(null)) {
  const props = { onSwitch: vi.fn(), onNew: vi.fn(), onRename, onDelete: vi.fn() };
  render(<Projects projects={{ data: list, error: null }} current="staging" {...props} />);
  const rows = screen.getAllByTestId("project-row");
  return { ...props, rows };
}

describe("Settings → Projects", () => {
  it("offers no delete for default, and shows, renames or deletes the others", () => {
    const { rows, onSwitch, onDelete, onNew } = setup();
    expect(rows.map((r) => r.dataset.projectId)).toEqual(["default", "staging"]);
    expect(within(rows[0]).queryByRole("button", { name: /Delete/ })).toBeNull();
    expect(rows[1].textContent).toContain("shown now");
    expect(within(rows[1]).queryByRole("button", { name: /^Show/ })).toBeNull();
    fireEvent.click(within(rows[0]).getByRole("button", { name: "Show Default" }));
    expect(onSwitch).toHaveBeenCalledWith("default");
    fireEvent.click(within(rows[1]).getByRole("button", { name: "Delete Staging…" }));
    expect(onDelete).toHaveBeenCalledWith(list[1]);
    fireEvent.click(screen.getByRole("button", { name: "New project" }));
    expect(onNew).toHaveBeenCalled();
  });

  it("renames in place, and says why the server refused", async () => {
    const onRename = vi.fn().mockRejectedValueOnce(new ApiError("bad_request", "a project name is 1 to 80 characters")).mockResolvedValue(null);
    const { rows } = setup(onRename);
    fireEvent.click(within(rows[1]).getByRole("button", { name: "Rename Staging" }));
    const input = within(rows[1]).getByLabelText("New name");
    fireEvent.change(input, { target: { value: "  Staging EU " } });
    fireEvent.click(within(rows[1]).getByRole("button", { name: "Save" }));
    expect((await screen.findByRole("alert")).textContent).toBe("a project name is 1 to 80 characters (bad_request)");
    expect(onRename).toHaveBeenLastCalledWith("staging", "Staging EU");
    fireEvent.click(within(rows[1]).getByRole("button", { name: "Save" }));
    await waitFor(() => expect(within(rows[1]).queryByLabelText("New name")).toBeNull());
    expect(onRename).toHaveBeenCalledTimes(2);
  });
});
