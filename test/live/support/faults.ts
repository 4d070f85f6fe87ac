// What the fault scenarios (asterisk-faults.live.test.ts) check beyond the ordinary ones: the PBX link
// states a viewer was told, the server's log, its exit after SIGTERM, and the recordings of a call.

import { readdirSync } from "node:fs";
import type { PbxLinkState } from "../../../src/domain/pbx-links.js";
import type { LiveCallsight } from "./callsight.js";
import { until } from "./processes.js";
import { recordingsOf } from "./scenarios.js";
import type { LiveViewer } from "./viewer.js";

/** Every state of `pbx`'s link this viewer was told, in order (snapshot and `links` deltas). */
export function linkStates(viewer: LiveViewer, pbx = "main"): PbxLinkState[] {
  const out: PbxLinkState[] = [];
  for (const text of viewer.frames) {
    const m = JSON.parse(text);
    const links =
      m.type === "snapshot"
        ? m.view.links
        : m.type === "delta"
          ? m.deltas.find((d: { op: string }) => d.op === "links")?.links
          : undefined;
    const link = (links ?? []).find((l: { pbx: string }) => l.pbx === pbx);
    if (link && out.at(-1) !== link.state) out.push(link.state);
  }
  return out;
}

/** The link state this viewer shows now. */
export function linkState(viewer: LiveViewer, pbx = "main"): PbxLinkState | undefined {
  return viewer.view?.links.find((l) => l.pbx === pbx)?.state;
}

/** How many lines of the server's log match `pattern` (its log file holds every process it ran). */
export async function serveLogCount(callsight: LiveCallsight, pattern: RegExp): Promise<number> {
  const log = (await callsight.server?.log()) ?? "";
  return log.split("\n").filter((l) => pattern.test(l)).length;
}

/** Waits until the server's log has more lines matching `pattern` than `before`. */
export async function serveLogs(
  callsight: LiveCallsight,
  pattern: RegExp,
  what: string,
  before = 0,
  ms = 20_000,
): Promise<number> {
  return until(
    async () => {
      const n = await serveLogCount(callsight, pattern);
      return n > before ? n : undefined;
    },
    `the server to log ${what}`,
    ms,
    100,
  );
}

/** Stored recordings of a call once there is at least one. */
export async function storedRecordings(callsight: LiveCallsight, call: string, ms = 60_000): Promise<any[]> {
  return until(
    async () => {
      const r = await recordingsOf(callsight, call);
      return r.length > 0 ? r : undefined;
    },
    `the recording of ${call} stored`,
    ms,
    250,
  );
}

/** Every file in MixMonitor's spool. */
export async function spoolAll(monitorDir: string): Promise<string[]> {
  return readdirSync(monitorDir);
}

/** The files the PBX wrote for a call (MixMonitor's spool). */
export function spoolFiles(monitorDir: string, call: string): string[] {
  return readdirSync(monitorDir).filter((f) => f.startsWith(`${call}-`));
}

/** Lines of a process log with the error ioredis prints for a connection nobody listens to. */
export function unhandledRedisErrors(log: string): string[] {
  return log.split("\n").filter((l) => l.includes("Unhandled error event"));
}

/** Answers of the /v1 routes while Redis is away: each should be a 503 with a reason. */
export async function v1Answers(callsight: LiveCallsight): Promise<Record<string, number>> {
  const asks: [string, string, unknown?][] = [
    ["GET", "/v1/board"],
    ["GET", "/v1/recordings"],
    ["GET", "/v1/audit"],
    ["GET", "/v1/admin/users"],
    ["PATCH", "/v1/admin/users/1005", { recording: "off" }],
    ["POST", "/v1/operations/pickup", { target: "1005" }],
  ];
  const out: Record<string, number> = {};
  for (const [method, path, body] of asks) {
    const res = await callsight.api(method, path, "admin", body);
    out[`${method} ${path}`] = res.status;
    if (res.status === 503 && !/redis/i.test(String(res.body?.message)))
      out[`${method} ${path} (reason)`] = 0;
  }
  return out;
}
