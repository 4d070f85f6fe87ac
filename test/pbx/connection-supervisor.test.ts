// The connection loop every driver uses: retries with growing, capped, jittered waits that reset once a
// session got up; a refused login never retried at once; stop() ends the wait and the loop.

import { describe, expect, it, vi } from "vitest";
import { backoffDelay, ConnectionSupervisor } from "../../src/pbx/connection-supervisor.js";

describe("backoffDelay", () => {
  it("draws below initial × 2^attempt, capped at max", () => {
    const top = () => 0.999_999;
    expect(backoffDelay(0, { initialMs: 100, maxMs: 1000, random: top })).toBe(99);
    expect(backoffDelay(2, { initialMs: 100, maxMs: 1000, random: top })).toBe(399);
    expect(backoffDelay(10, { initialMs: 100, maxMs: 1000, random: top })).toBe(999);
    expect(backoffDelay(3, { initialMs: 100, maxMs: 1000, random: () => 0 })).toBe(0);
  });
});

describe("ConnectionSupervisor", () => {
  it("runs sessions one after another, resets the attempt count after a session that got up, and stops", async () => {
    const starts: number[] = [];
    const failures: number[] = [];
    const outcomes = [false, false, true, false];
    let endSession: ((up: boolean) => void) | undefined;
    const supervisor = new ConnectionSupervisor({
      runSession: async () => {
        starts.push(Date.now());
        const up = outcomes.shift();
        if (up === undefined) {
          return new Promise<boolean>((resolve) => {
            endSession = resolve;
          });
        }
        if (!up) throw new Error("connection refused");
        return true;
      },
      onFailure: (_err, attempt) => failures.push(attempt),
      backoff: { initialMs: 20, maxMs: 40, random: () => 0.999 },
    });
    supervisor.start();
    // The back-off waits add up to ~120 ms; poll rather than sleep, so a slow machine does not fail it.
    await vi.waitFor(() => expect(starts.length).toBeGreaterThanOrEqual(5), { timeout: 3000, interval: 10 });
    expect(starts).toHaveLength(5);
    // Attempts count up to the session that got up, then start again at 1.
    expect(failures).toEqual([1, 2, 1]);
    expect(supervisor.reconnects).toBe(1);
    // Waits grew: ~20 ms, then ~40 (capped), and again from ~20 after the session that got up.
    const gaps = starts.slice(1).map((t, i) => t - (starts[i] as number));
    expect(gaps[0]).toBeGreaterThanOrEqual(15);
    expect(gaps[1]).toBeGreaterThanOrEqual(35);
    // stop() closes the live session (here: ends it) and waits for the loop to finish.
    await supervisor.stop(async () => endSession?.(true));
    expect(starts).toHaveLength(5);
    expect(supervisor.running).toBe(false);
  });

  it("waits at least leastDelayAfter after a failure of that kind, and stop() cuts the wait short", async () => {
    let runs = 0;
    const supervisor = new ConnectionSupervisor({
      runSession: async () => {
        runs++;
        throw new Error("auth refused");
      },
      onFailure: () => undefined,
      backoff: { initialMs: 1, maxMs: 1, random: () => 0 },
      leastDelayAfter: (err) => (err.message === "auth refused" ? 10_000 : 0),
    });
    supervisor.start();
    await new Promise((r) => setTimeout(r, 100));
    expect(runs).toBe(1);
    const t0 = Date.now();
    await supervisor.stop();
    expect(Date.now() - t0).toBeLessThan(1000);
  });
});
