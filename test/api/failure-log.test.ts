// Failed authentications are logged at warn without flooding the log: one line per address per interval
// (what followed is summed up when the interval is over), and a ceiling on lines over all addresses.

import pino from "pino";
import { describe, expect, it } from "vitest";
import { FailureLog } from "../../src/api/auth/failure-log.js";

function setup(options: { intervalMs: number; maxLines: number }) {
  const lines: any[] = [];
  const logger = pino({ level: "info" }, { write: (l: string) => lines.push(JSON.parse(l)) });
  let now = 1_000_000;
  const log = new FailureLog(logger, { ...options, now: () => now });
  const note = (address: string) =>
    log.note({ address, reason: "unknown-token", method: "GET", path: "/v1/me" });
  return { lines, note, advance: (ms: number) => (now += ms) };
}

describe("the failed-authentication log", () => {
  it("writes one line per address per interval, then the count of what followed", () => {
    const { lines, note, advance } = setup({ intervalMs: 10_000, maxLines: 20 });
    for (let i = 0; i < 500; i++) note("192.0.2.7");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 40,
      msg: "authentication failed",
      address: "192.0.2.7",
      failures: 1,
    });
    advance(10_000);
    note("192.0.2.7");
    expect(lines.slice(1).map((l) => [l.msg, l.failures])).toEqual([
      ["authentication failed (repeated)", 499],
      ["authentication failed", 1],
    ]);
  });

  it("writes at most maxLines lines an interval over all addresses, and says how many it left out", () => {
    const { lines, note, advance } = setup({ intervalMs: 10_000, maxLines: 3 });
    for (let i = 0; i < 100; i++) note(`198.51.100.${i}`);
    expect(lines).toHaveLength(3);
    advance(10_000);
    note("203.0.113.1");
    expect(lines[3]).toMatchObject({ failures: 97, msg: expect.stringContaining("more addresses") });
    expect(lines.filter((l) => l.msg === "authentication failed")).toHaveLength(4);
  });
});
