// What live scenarios check on a viewer's board, and how they leave the PBX clean for the next one.

import { readdirSync } from "node:fs";
import type { PersonView } from "../../../src/domain/visibility.js";
import type { LiveCallsight } from "./callsight.js";
import { until } from "./processes.js";
import type { CallerStep, SippEndpoint } from "./sipp.js";
import type { LiveViewer } from "./viewer.js";

/** `user` is on an answered call with `other`, as this viewer sees it. */
export function onCallWith(user: string, other: string) {
  return (v: LiveViewer) =>
    v.person(user)?.calls?.find((c) => c.state === "up" && c.remote?.some((r) => r.number === other));
}

export function ringing(user: string) {
  return (v: LiveViewer) => v.person(user)?.presence === "ringing" || undefined;
}

export function presenceOf(v: LiveViewer, user: string): PersonView["presence"] | undefined {
  return v.person(user)?.presence;
}

/** The recordings of one call, as `as` (an administrator by default) lists them. */
export async function recordingsOf(callsight: LiveCallsight, call: string, as = "admin"): Promise<any[]> {
  const res = await callsight.api("GET", `/v1/recordings?call=${encodeURIComponent(call)}`, as);
  if (res.status !== 200) throw new Error(`GET /v1/recordings: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.recordings;
}

/** Runs `body` with `user`'s recording setting at `policy`, set and restored through the admin API. */
export async function withRecordingPolicy<T>(
  callsight: LiveCallsight,
  user: string,
  policy: "off" | "external" | "all",
  body: () => Promise<T>,
): Promise<T> {
  const set = await callsight.api("PATCH", `/v1/admin/users/${user}`, "admin", { recording: policy });
  if (set.status !== 200)
    throw new Error(`PATCH ${user} recording=${policy}: ${set.status} ${JSON.stringify(set.body)}`);
  try {
    return await body();
  } finally {
    await callsight.api("PATCH", `/v1/admin/users/${user}`, "admin", { recording: "off" });
  }
}

/**
 * The recordings of a call once they are all in: at least one is listed and no file of the call is left
 * in the PBX's recording directory (the worker moves each one it processes; one never queued stays).
 */
export async function storedRecordings(
  callsight: LiveCallsight,
  pbxRecordingDir: string,
  call: string,
): Promise<any[]> {
  await until(
    async () => (await recordingsOf(callsight, call)).length > 0,
    `a stored recording of call ${call}`,
    30_000,
  );
  await until(
    () => readdirSync(pbxRecordingDir).every((f) => !f.startsWith(`${call}-`)),
    `every file of call ${call} processed`,
    30_000,
  );
  return recordingsOf(callsight, call);
}

/** After a scenario: no channel left on the PBX and every phone's sipp ended. */
export async function settle(site: {
  pbx: { hangupAll(): Promise<void> };
  phones: Record<string, SippEndpoint>;
  carrier: SippEndpoint;
}): Promise<void> {
  await site.pbx.hangupAll();
  await Promise.all([...Object.values(site.phones), site.carrier].map((p) => p.finish()));
}

/** The caller talks ~4 s after the answer, then hangs up: a call long enough for its recording to have audio. */
export const TALK_THEN_HANG_UP: CallerStep[] = [{ pauseMs: 4000 }, { hangup: true }];

/**
 * The recordings stored of `call`, once there is one (the worker settles the file, stores and indexes it;
 * 30 s, as the other live recording tests allow on a loaded machine). A timeout says which recordings the
 * API listed instead.
 */
export async function storedRecordingsOf(callsight: LiveCallsight, call: string, what: string) {
  return until(
    async () => {
      const list = (await callsight.api("GET", `/v1/recordings?call=${encodeURIComponent(call)}`, "admin"))
        .body.recordings;
      return list?.length ? (list as any[]) : undefined;
    },
    what,
    30_000,
  ).catch(async (err) => {
    const recent = (await callsight.api("GET", "/v1/recordings?limit=5", "admin")).body;
    throw new Error(`${(err as Error).message}; call ${call}; recent: ${JSON.stringify(recent)}`);
  });
}
