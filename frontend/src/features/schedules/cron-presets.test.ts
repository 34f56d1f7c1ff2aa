import { describe, expect, it } from "vitest";

import { fromCron, switchPreset, toCron, type CronPreset } from "./cron-presets";

describe("cron presets", () => {
  const cases: [CronPreset, string][] = [
    [{ kind: "hourly", minute: 15 }, "15 * * * *"],
    [{ kind: "daily", hour: 6, minute: 30 }, "30 6 * * *"],
    [{ kind: "weekdays", hour: 9, minute: 0 }, "0 9 * * 1-5"],
    [{ kind: "weekly", weekday: 1, hour: 8, minute: 45 }, "45 8 * * 1"],
    [{ kind: "monthly", day: 15, hour: 23, minute: 5 }, "5 23 15 * *"],
  ];

  it.each(cases)("%o makes %s and reads back the same", (preset, expression) => {
    expect(toCron(preset)).toBe(expression);
    expect(fromCron(expression)).toEqual(preset);
  });

  it("keeps anything else as a custom expression", () => {
    expect(fromCron("*/10  9-17 * * 1-5")).toEqual({ kind: "custom", expression: "*/10 9-17 * * 1-5" });
    expect(toCron({ kind: "custom", expression: " 0 0 1 1 * " })).toBe("0 0 1 1 *");
  });

  it("keeps the chosen time when switching presets", () => {
    const weekly = switchPreset({ kind: "daily", hour: 7, minute: 20 }, "weekly");
    expect(toCron(weekly)).toBe("20 7 * * 1");
    expect(switchPreset(weekly, "custom")).toEqual({ kind: "custom", expression: "20 7 * * 1" });
  });
});
