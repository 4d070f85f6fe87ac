import { describe, expect, it } from "vitest";
import { FlushPace, isBusy } from "../../src/api/board/flush-pace.js";

describe("flush pace", () => {
  it("turns busy above 90 % and quick again only below 80 %", () => {
    expect(isBusy(0.85, false)).toBe(false);
    expect(isBusy(0.95, false)).toBe(true);
    expect(isBusy(0.85, true)).toBe(true);
    expect(isBusy(0.75, true)).toBe(false);
  });

  it("widens the gap while the event loop is busy and narrows it when it has time again", async () => {
    const pace = new FlushPace({ quickMs: 5, windowMs: 40 });
    expect(pace.gapMs()).toBe(5);
    const until = performance.now() + 60;
    while (performance.now() < until) {
      // busy: the loop never gets to idle
    }
    expect(pace.gapMs()).toBe(10);
    await new Promise((r) => setTimeout(r, 120));
    expect(pace.gapMs()).toBe(5);
  });
});
