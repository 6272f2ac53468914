import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { Rules } from "./Rules";
import type { CorrelationConfig } from "../../wire";
import { ApiError } from "../../platform/errors";

afterEach(cleanup);

const config: CorrelationConfig = {
  groupWindowSecs: 1800,
  reopenWindowSecs: 3600,
  openMinSeverity: "high",
  topologyMaxHops: 2,
  topologyWindowSecs: 900,
  onsetToleranceSecs: 120,
  explainMinSeverity: "high",
  temporalWindowSecs: 600,
  temporalMinSimilarity: 0.5,
  attachThreshold: 0.5,
  resolveQuietSecs: 600,
  adoptWindowSecs: 900,
  changeWindowSecs: 3600,
  recurringMinRepeats: 3,
  retainResolvedSecs: 86400,
  chronicMinEpisodes: 3,
  chronicGapSecs: 600,
  chronicLookbackSecs: 21600,
  chronicPersistSecs: 3600,
  pointInTimeSources: [],
  trustedKeySources: [],
  vocabulary: [],
  rank: { upstream: 3, earliest: 1, cause: 1, moreCauses: 0.5, fresh: 0.75, blamed: 2.5, change: 1.5, silentPenalty: 0.5 },
  calibration: [],
  rules: [
    {
      name: "db-critical",
      when: { kinds: ["alert"], sources: [], minSeverity: "critical", tags: { namespace: "db" }, title: null, service: null },
      open: true,
      title: null,
      severity: "critical",
      assignee: null,
      team: "dba",
      runbook: null,
    },
  ],
};

const report = {
  signals: 1200,
  current: { incidents: 40, unassigned: 12 },
  proposed: { incidents: 31, unassigned: 12 },
  changes: [
    {
      kind: "merged",
      current: [
        { id: "a", title: "cart OOM", signals: 9 },
        { id: "b", title: "cart restarts", signals: 4 },
      ],
      proposed: [{ id: "p", title: "cart OOM", signals: 13 }],
    },
  ],
};

describe("Rules", () => {
  it("lists the rules in words, and loads with a state", () => {
    const { rerender } = render(<Rules settings={{ data: null, error: null }} backtest={vi.fn()} apply={vi.fn()} />);
    expect(screen.getByRole("status").textContent).toContain("Loading the correlation settings");
    rerender(<Rules settings={{ data: config, error: null }} backtest={vi.fn()} apply={vi.fn()} />);
    const rule = screen.getByTestId("rule");
    expect(rule.textContent).toContain("db-critical");
    expect(rule.textContent).toContain("kind alert, ≥ critical, namespace=db");
    expect(rule.textContent).toContain("opens an incident");
    expect(rule.textContent).toContain("team dba");
  });

  it("applies a change only after previewing it on the history, and a new edit needs a new preview", async () => {
    const backtest = vi.fn().mockResolvedValue(report);
    const apply = vi.fn().mockImplementation(async (c: CorrelationConfig) => c);
    render(<Rules settings={{ data: config, error: null }} backtest={backtest} apply={apply} />);
    const applyButton = screen.getByTestId("apply-settings") as HTMLButtonElement;
    expect(applyButton.disabled).toBe(true);
    fireEvent.change(screen.getByTestId("setting-groupWindowSecs"), { target: { value: "3600" } });
    expect(applyButton.disabled).toBe(true);
    expect(document.body.textContent).toContain("Preview the change before applying it");
    fireEvent.click(screen.getByTestId("backtest"));
    const shown = await screen.findByTestId("backtest-report");
    expect(backtest.mock.calls[0][0].groupWindowSecs).toBe(3600);
    expect(within(shown).getByTestId("backtest-incidents").textContent).toBe("40 → 31");
    expect(shown.textContent).toContain("(-9)");
    expect(within(shown).getByTestId("backtest-change").textContent).toBe("mergedcart OOM (9) + cart restarts (4)→cart OOM (13)");
    expect(applyButton.disabled).toBe(false);
    // Another edit: the preview is of an earlier draft now.
    fireEvent.change(screen.getByTestId("open-min-severity"), { target: { value: "critical" } });
    expect(applyButton.disabled).toBe(true);
    expect(screen.getByTestId("backtest-report").textContent).toContain("earlier draft");
    fireEvent.click(screen.getByTestId("backtest"));
    await waitFor(() => expect(backtest).toHaveBeenCalledTimes(2));
    await waitFor(() => expect(applyButton.disabled).toBe(false));
    fireEvent.click(applyButton);
    await waitFor(() => expect(apply).toHaveBeenCalledTimes(1));
    expect(apply.mock.calls[0][0]).toMatchObject({ groupWindowSecs: 3600, openMinSeverity: "critical" });
    expect(await screen.findByText(/Applied: the decisions to come use these settings/)).toBeTruthy();
  });

  it("refuses rules that are not JSON, and shows the server's refusal", async () => {
    const backtest = vi.fn().mockRejectedValue(new ApiError("bad_request", "attachThreshold must be within 0..=1"));
    render(<Rules settings={{ data: config, error: null }} backtest={backtest} apply={vi.fn()} />);
    fireEvent.change(screen.getByTestId("rules-json"), { target: { value: "[{" } });
    expect(screen.getByRole("alert").textContent).toMatch(/JSON|Expected|Unexpected/);
    expect((screen.getByTestId("backtest") as HTMLButtonElement).disabled).toBe(true);
    fireEvent.change(screen.getByTestId("rules-json"), { target: { value: "[]" } });
    expect(screen.queryByTestId("rule")).toBeNull();
    fireEvent.change(screen.getByTestId("setting-attachThreshold"), { target: { value: "2" } });
    fireEvent.click(screen.getByTestId("backtest"));
    expect((await screen.findByText("attachThreshold must be within 0..=1 (bad_request)")).getAttribute("role")).toBe("alert");
  });

  it("adds a rule from the form and removes one, both previewed before they apply", async () => {
    const backtest = vi.fn().mockResolvedValue(report);
    render(<Rules settings={{ data: config, error: null }} backtest={backtest} apply={vi.fn()} />);
    fireEvent.click(screen.getByTestId("rule-new"));
    const form = screen.getByTestId("rule-form");
    fireEvent.click(within(form).getByTestId("rule-add"));
    expect(within(form).getByRole("alert").textContent).toBe("Name the rule.");
    fireEvent.change(within(form).getByTestId("rule-name"), { target: { value: "db-critical" } });
    fireEvent.click(within(form).getByTestId("rule-add"));
    expect(within(form).getByRole("alert").textContent).toContain("already");
    fireEvent.change(within(form).getByTestId("rule-name"), { target: { value: "disk-full" } });
    fireEvent.click(within(form).getByLabelText("alert"));
    fireEvent.change(within(form).getByTestId("rule-sources"), { target: { value: "alertmanager, datadog_alert" } });
    fireEvent.change(within(form).getByTestId("rule-title"), { target: { value: "*disk*full*" } });
    fireEvent.change(within(form).getByTestId("rule-tags"), { target: { value: "namespace" } });
    fireEvent.click(within(form).getByTestId("rule-add"));
    expect(within(form).getByRole("alert").textContent).toContain("“namespace” is not label=pattern");
    fireEvent.change(within(form).getByTestId("rule-tags"), { target: { value: "namespace=db team=pay*" } });
    fireEvent.change(within(form).getByTestId("rule-open"), { target: { value: "wait" } });
    fireEvent.change(within(form).getByTestId("rule-team"), { target: { value: "storage" } });
    fireEvent.click(within(form).getByTestId("rule-add"));
    expect(screen.queryByTestId("rule-form")).toBeNull();
    const rules = screen.getAllByTestId("rule");
    expect(rules).toHaveLength(2);
    expect(rules[1].textContent).toContain("disk-full when kind alert, from ALERTMANAGER|DATADOG_ALERT, title ~ *disk*full*, namespace=db, team=pay*");
    expect(rules[1].textContent).toContain("waits unassigned");
    expect((screen.getByTestId("rules-json") as HTMLTextAreaElement).value).toContain('"disk-full"');
    fireEvent.click(screen.getByRole("button", { name: "Remove db-critical" }));
    expect(screen.getAllByTestId("rule").map((r) => r.textContent)).toEqual([expect.stringContaining("disk-full")]);
    expect((screen.getByTestId("apply-settings") as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(screen.getByTestId("backtest"));
    await waitFor(() => expect(backtest).toHaveBeenCalledTimes(1));
    expect(backtest.mock.calls[0][0].rules).toEqual([
      {
        name: "disk-full",
        when: { kinds: ["alert"], sources: ["ALERTMANAGER", "DATADOG_ALERT"], minSeverity: null, tags: { namespace: "db", team: "pay*" }, title: "*disk*full*", service: null },
        open: false,
        title: null,
        severity: null,
        assignee: null,
        team: "storage",
        runbook: null,
      },
    ]);
    await waitFor(() => expect((screen.getByTestId("apply-settings") as HTMLButtonElement).disabled).toBe(false));
  });
});
