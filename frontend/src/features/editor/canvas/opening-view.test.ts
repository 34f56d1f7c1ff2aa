import { describe, expect, it } from "vitest";

import { openingViewport, READABLE_ZOOM } from "./opening-view";

describe("opening view", () => {
  it("fits a small bot whole, never above 100%", () => {
    const view = openingViewport({ x: 0, y: 0, width: 260, height: 600 }, 1200, 800);
    expect(view.zoom).toBe(1);
    expect(view.x + 130).toBe(600);
    expect(view.y + 300).toBe(400);
  });

  it("zooms out to fit a medium bot while it stays readable", () => {
    const view = openingViewport({ x: 0, y: 0, width: 260, height: 1400 }, 1200, 800);
    expect(view.zoom).toBeGreaterThanOrEqual(READABLE_ZOOM);
    expect(view.zoom).toBeLessThan(1);
    expect(1400 * view.zoom).toBeLessThanOrEqual(800);
  });

  it("opens a long bot at the readable zoom on its first steps", () => {
    const view = openingViewport({ x: 0, y: -100, width: 260, height: 45_000 }, 1200, 800);
    expect(view.zoom).toBe(READABLE_ZOOM);
    expect(view.y - 100 * READABLE_ZOOM).toBe(40); // the top of the bot, 40 px below the top edge
    expect(view.x + 130 * READABLE_ZOOM).toBe(600);
  });

  it("keeps a wide bot's left edge in view", () => {
    const view = openingViewport({ x: 500, y: 0, width: 10_000, height: 5_000 }, 1200, 800);
    expect(view.zoom).toBe(READABLE_ZOOM);
    expect(view.x + 500 * READABLE_ZOOM).toBe(40);
  });
});
