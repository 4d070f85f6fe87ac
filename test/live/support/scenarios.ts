// What live scenarios check on a viewer's board, and how they leave the PBX clean for the next one.

import type { PersonView } from "../../../src/domain/visibility.js";
import type { LiveCallsight } from "./callsight.js";
import { until } from "./processes.js";
import type { SippEndpoint } from "./sipp.js";
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

/** The recordings of one call, as an administrator lists them. */
export async function recordingsOf(callsight: LiveCallsight, call: string): Promise<any[]> {
  const res = await callsight.api("GET", `/v1/recordings?call=${encodeURIComponent(call)}`, "admin");
  if (res.status !== 200) throw new Error(`GET /v1/recordings: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.recordings;
}

/** After a scenario: no channel left on the PBX and every phone's sipp ended. */
export async function settle(site: {
  pbx: { hangupAll(): Promise<void> };
  phones: Record<string, SippEndpoint>;
  carrier: SippEndpoint;
}): Promise<void> {
  await site.pbx.hangupAll();
  await Promise.all([...Object.values(site.phones), site.carrier].map((p) => p.stop()));
  await until(() => true, "settled", 1);
}
