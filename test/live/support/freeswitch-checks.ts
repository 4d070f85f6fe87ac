// What the FreeSWITCH live scenarios share: the site and viewers a scenario module is handed, and the checks
// they make on a viewer's board and on the recording store.

import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { expect } from "vitest";
import type { PersonCallView, PersonView } from "../../../src/domain/visibility.js";
import type { LiveCallsight } from "./callsight.js";
import type { FreeSwitchSite } from "./freeswitch-site.js";
import { until } from "./processes.js";
import { recordingsOf } from "./scenarios.js";
import type { LiveViewer } from "./viewer.js";

/** What a scenario module of freeswitch-esl.live.test.ts gets once the suite's beforeAll has run. */
export interface FsLive {
  site: FreeSwitchSite;
  /** Sees everything. */
  admin: LiveViewer;
  /** Each recorded call and how many recordings it got: checked again at the end (no late duplicate). */
  recorded: Map<string, number>;
}

export const PEOPLE = ["1001", "1002", "1003", "1004", "1005", "1006"];

/** Every one of `users` idle: available and no call on their tile. */
export function idle(...users: string[]) {
  return (v: LiveViewer) =>
    users.every((u) => v.person(u)?.presence === "available" && (v.person(u)?.calls?.length ?? 0) === 0);
}

/** Whether this viewer was ever shown `user` in a state `check` accepts (from `from` on in its history). */
export function everShown(v: LiveViewer, user: string, check: (p: PersonView) => unknown, from = 0): boolean {
  return (v.history.get(user) ?? []).slice(from).some((p) => Boolean(check(p)));
}

/**
 * The first answered call of `user` with `other` this viewer was shown (from `from` on in its history): also
 * a state the board showed only for a moment (a call a phone transfers right after it is answered).
 */
export function shownOnCallWith(user: string, other: string, from = 0) {
  return (v: LiveViewer): PersonCallView | undefined => {
    for (const p of (v.history.get(user) ?? []).slice(from)) {
      const call = p.calls?.find((c) => c.state === "up" && c.remote?.some((r) => r.number === other));
      if (call) return call;
    }
    return undefined;
  };
}

/** The one stored recording of a call, once there is one. */
export async function storedRecording(callsight: LiveCallsight, call: string): Promise<any> {
  const list = await until(
    async () => {
      const r = await recordingsOf(callsight, call);
      return r.length > 0 ? r : undefined;
    },
    `a stored recording of call ${call}`,
    30_000,
    250,
  );
  expect(list).toHaveLength(1);
  return list[0];
}

/**
 * Waits until FreeSWITCH has written audio into a file whose name starts with `prefix` in its recordings
 * folder (not one of `done`): media flows into the recording before the test stops it (the live
 * FreeSWITCH writes as the audio comes, `enable_file_write_buffering=false`). Returns the name.
 */
export async function audioIn(
  site: FreeSwitchSite,
  prefix: string,
  done: ReadonlySet<string> = new Set(),
): Promise<string> {
  return until(
    async () => {
      for (const name of await readdir(site.pbx.recordingsDir)) {
        if (!name.startsWith(prefix) || done.has(name)) continue;
        const size = await stat(join(site.pbx.recordingsDir, name)).then(
          (s) => s.size,
          () => 0,
        );
        if (size > 44 + 2000) return name;
      }
      return undefined;
    },
    `audio in FreeSWITCH's recording ${prefix}…`,
    15_000,
    50,
  );
}

/** Sets a user's recording policy through the admin API and waits until FreeSWITCH's db holds it. */
export async function setRecording(site: FreeSwitchSite, user: string, policy: "off" | "external" | "all") {
  const res = await site.callsight.api("PATCH", `/v1/admin/users/${user}`, "admin", { recording: policy });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  // The dialplan reads the policy from FreeSWITCH's db before the bridge: a call placed earlier would race it.
  await until(
    async () => (await site.pbx.api(`db select/callsight_recording/${user}`)).trim() === policy,
    `${user}'s policy ${policy} in FreeSWITCH's db`,
  );
}
