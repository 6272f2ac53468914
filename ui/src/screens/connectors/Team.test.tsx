import { afterEach, describe, expect, it } from "vitest";
import { cleanup, render, screen, within } from "@testing-library/react";
import type { TeamView } from "../../wire";
import { formatOffset, TeamPanel } from "./Team";

afterEach(cleanup);

const team: TeamView = {
  team: "oncall",
  redis: "redis://redis.internal:6379",
  memberId: "m-a",
  memberName: "alice-laptop",
  state: "connected",
  message: null,
  warnings: ["two members are named bob-laptop"],
  members: [
    { id: "m-a", name: "alice-laptop", host: "alice", version: "0.1.0", seenAt: 1, cursor: "5-0", lag: 0, outbox: 0, clockOffsetMs: 120, leases: ["prom"], gone: false, me: true },
    { id: "m-b", name: "bob-laptop", host: "bob", version: "0.1.0", seenAt: 1, cursor: "3-0", lag: 2, outbox: 3, clockOffsetMs: -2500, leases: [], gone: false, me: false },
    { id: "m-c", name: "carol-laptop", host: "carol", version: "0.1.0", seenAt: 0, cursor: "1-0", lag: 1000, outbox: 0, clockOffsetMs: 0, leases: [], gone: true, me: false },
  ],
  leases: [
    { lease: "prom", name: "Prometheus prod", holder: "m-a", holderName: "alice-laptop", mine: true },
    { lease: "jira", name: "Jira", holder: null, holderName: null, mine: false },
  ],
  lag: 0,
  outbox: 0,
  cursor: "5-0",
  newest: "5-0",
  malformed: 0,
  retentionDays: 7,
  leaseTtlMs: 3000,
};

describe("TeamPanel", () => {
  it("shows the members, how far behind each is, and who runs each connector", () => {
    render(<TeamPanel team={{ data: team, error: null }} />);
    const panel = screen.getByTestId("team");
    expect(within(panel).getByRole("heading").textContent).toContain("Team oncall");
    // Two members are heard from; the third is shown as gone.
    expect(within(panel).getByRole("heading").textContent).toContain("2");
    expect(screen.getByTestId("team-state").textContent).toBe("Connected");
    const rows = screen.getAllByTestId("team-member");
    expect(rows.map((r) => r.querySelector("th")?.textContent)).toEqual([
      "alice-laptop (this one)",
      "bob-laptop",
      "carol-laptop — not heard from",
    ]);
    expect(rows[1].textContent).toContain("2 entries");
    expect(rows[1].textContent).toContain("−2.5 s");
    expect(rows[2].textContent).toContain("1000+ entries");
    const leases = screen.getAllByTestId("team-lease");
    expect(leases[0].textContent).toContain("alice-laptop (this one)");
    expect(leases[1].textContent).toContain("nobody");
    expect(screen.getByRole("note").textContent).toContain("bob-laptop");
  });

  it("says when Redis does not answer, and shows nothing for a lone Causeway", () => {
    const { unmount } = render(
      <TeamPanel team={{ data: { ...team, state: "unreachable", message: "connection refused", outbox: 4 }, error: null }} />,
    );
    expect(screen.getByTestId("team-state").textContent).toContain("Redis unreachable");
    expect(screen.getByTestId("team").textContent).toContain("4 waiting for the log");
    expect(screen.getByTestId("team").textContent).toContain("connection refused");
    unmount();
    const { container } = render(<TeamPanel team={{ data: null, error: null }} />);
    expect(container.textContent).toBe("");
  });

  it("writes clock offsets with their sign", () => {
    expect(formatOffset(120)).toBe("+0.1 s");
    expect(formatOffset(-2500)).toBe("−2.5 s");
    expect(formatOffset(42000)).toBe("+42 s");
  });
});
