import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, fireEvent, render, screen, within } from "@testing-library/react";
import { Settings } from "./Settings";
import type { SettingsView, TokenView } from "../../wire";
import { ApiError } from "../../platform/errors";

afterEach(cleanup);

const now = Date.parse("2026-01-01T10:05:00Z");
const settings: SettingsView = {
  dataDir: "/home/me/.local/share/causeway",
  savedDataDir: null,
  listeningOn: "http://127.0.0.1:8787",
  webhookPort: 8787,
  settingsFile: "/home/me/.config/causeway/settings.json",
  overriddenBy: [],
  restartNeeded: false,
  inTeam: false,
};
const tokens: TokenView[] = [
  { id: "tok-aaaa", scope: "ingest", createdAt: "2026-01-01T09:00:00Z", revokedAt: null },
  { id: "tok-bbbb", scope: "admin", createdAt: "2026-01-01T08:00:00Z", revokedAt: "2026-01-01T09:30:00Z" },
];

function api() {
  return {
    issueToken: vi.fn().mockResolvedValue({ id: "tok-cccc", scope: "admin", createdAt: "2026-01-01T10:05:00Z", revokedAt: null, token: "cw_" + "f".repeat(64) }),
    revokeToken: vi.fn().mockResolvedValue({ ...tokens[0], revokedAt: "2026-01-01T10:05:00Z" }),
    saveSettings: vi.fn().mockResolvedValue({ ...settings, webhookPort: 9797, restartNeeded: true }),
  };
}

describe("Settings", () => {
  it("issues a token and shows it once, with the scope asked for", async () => {
    const a = api();
    const onChanged = vi.fn();
    render(<Settings settings={{ data: settings, error: null }} tokens={{ data: tokens, error: null }} api={a} onChanged={onChanged} now={now} />);
    fireEvent.change(screen.getByTestId("token-scope"), { target: { value: "admin" } });
    fireEvent.click(screen.getByRole("button", { name: "Issue a token" }));
    const issued = await screen.findByTestId("issued-token");
    expect(a.issueToken).toHaveBeenCalledWith("admin");
    expect((within(issued).getByTestId("issued-token-value") as HTMLInputElement).value).toBe("cw_" + "f".repeat(64));
    expect(issued.textContent).toContain("will not be shown again");
    expect(onChanged).toHaveBeenCalled();
    fireEvent.click(within(issued).getByRole("button", { name: "Done" }));
    expect(screen.queryByTestId("issued-token")).toBeNull();
    expect(document.body.textContent).not.toContain("f".repeat(64));
  });

  it("revokes an active token after a confirmation; revoked ones have no button", async () => {
    const a = api();
    render(<Settings settings={{ data: settings, error: null }} tokens={{ data: tokens, error: null }} api={a} onChanged={vi.fn()} now={now} />);
    const rows = screen.getAllByTestId("token-row");
    expect(within(rows[1]).queryByRole("button", { name: "Revoke" })).toBeNull();
    expect(rows[1].textContent).toContain("revoked");
    fireEvent.click(within(rows[0]).getByRole("button", { name: "Revoke" }));
    expect(a.revokeToken).not.toHaveBeenCalled();
    fireEvent.click(within(rows[0]).getByRole("button", { name: "Yes, revoke" }));
    await vi.waitFor(() => expect(a.revokeToken).toHaveBeenCalledWith("tok-aaaa"));
  });

  it("saves the webhook port and says a restart applies it", async () => {
    const a = api();
    render(<Settings settings={{ data: settings, error: null }} tokens={{ data: [], error: null }} api={a} onChanged={vi.fn()} now={now} />);
    expect(screen.getByTestId("data-dir-in-use").textContent).toBe(settings.dataDir);
    expect(screen.getByTestId("tokens").textContent).toContain("No tokens yet");
    fireEvent.change(screen.getByTestId("webhook-port"), { target: { value: "9797" } });
    fireEvent.submit(screen.getByTestId("webhook-port").closest("form")!);
    expect((await screen.findByTestId("settings-outcome")).textContent).toContain("Restart Causeway to apply it");
    expect(a.saveSettings).toHaveBeenCalledWith({ webhookPort: 9797 });
  });

  it("shows a refused value's {code, message}", async () => {
    const a = api();
    a.saveSettings.mockRejectedValue(new ApiError("bad_request", "the data folder must be an absolute path, not 'data'"));
    render(<Settings settings={{ data: settings, error: null }} tokens={{ data: [], error: null }} api={a} onChanged={vi.fn()} now={now} />);
    fireEvent.change(screen.getByTestId("data-dir"), { target: { value: "data" } });
    fireEvent.submit(screen.getByTestId("data-dir").closest("form")!);
    const out = await screen.findByTestId("settings-outcome");
    expect(out.getAttribute("role")).toBe("alert");
    expect(out.textContent).toBe("the data folder must be an absolute path, not 'data' (bad_request)");
    expect(a.saveSettings).toHaveBeenCalledWith({ dataDir: "data" });
  });
});
