import { describe, expect, it } from "vitest";
import { formatAge, formatDuration, formatPercent, formatScore, matchesWords, splitEntity } from "./format";

const now = Date.parse("2026-01-10T12:00:00Z");
const ago = (secs: number) => new Date(now - secs * 1000).toISOString();

describe("formatAge", () => {
  it("says just now for the last few seconds and for clock skew", () => {
    expect(formatAge(ago(0), now)).toBe("just now");
    expect(formatAge(ago(9), now)).toBe("just now");
    expect(formatAge(ago(-30), now)).toBe("just now");
  });
  it("counts seconds, minutes, hours and days", () => {
    expect(formatAge(ago(42), now)).toBe("42 s ago");
    expect(formatAge(ago(60), now)).toBe("1 min ago");
    expect(formatAge(ago(3 * 60 + 59), now)).toBe("3 min ago");
    expect(formatAge(ago(59 * 60), now)).toBe("59 min ago");
    expect(formatAge(ago(60 * 60), now)).toBe("1 h ago");
    expect(formatAge(ago(23 * 3600 + 3599), now)).toBe("23 h ago");
    expect(formatAge(ago(2 * 86400 + 5), now)).toBe("2 d ago");
  });
  it("shows a dash for missing or unreadable times", () => {
    expect(formatAge(null, now)).toBe("—");
    expect(formatAge("not a date", now)).toBe("—");
  });
});

describe("other formats", () => {
  it("formats durations", () => {
    expect(formatDuration(ago(125), null, now)).toBe("2 min");
    expect(formatDuration(ago(3 * 3600 + 300), null, now)).toBe("3 h 5 min");
    expect(formatDuration(ago(100), ago(55), now)).toBe("45 s");
  });
  it("formats confidence as a percentage and scores with two decimals", () => {
    expect(formatPercent(0.6)).toBe("60%");
    expect(formatPercent(0.905)).toBe("91%");
    expect(formatPercent(1.7)).toBe("100%");
    expect(formatScore(0.8)).toBe("0.80");
  });
  it("splits entities", () => {
    expect(splitEntity("pod/shop/cart-1")).toEqual({ kind: "pod", scope: "shop", name: "cart-1" });
    expect(splitEntity("node/node-3")).toEqual({ kind: "node", scope: null, name: "node-3" });
  });
});

describe("matchesWords", () => {
  it("keeps text holding every word of the query, in any case and order", () => {
    expect(matchesWords("Disk full on db-1", "DB disk")).toBe(true);
    expect(matchesWords("Disk full on db-1", "disk cpu")).toBe(false);
    expect(matchesWords("anything", "  ")).toBe(true);
  });
});
