// Click-to-call on a real PBX (Asterisk over AMI and over ARI, FreeSWITCH over ESL), driven through the API
// as the board's Call button and number box drive it, with sipp phones: Callsight rings the caller's phone
// first and, once it answers, dials the target as the caller's extension. Asserted through the stream's
// frames in order (who rang first), the board (one call, both parties), the sipp phones' own results and
// the audit log.

import { expect, it } from "vitest";
import type { PersonView } from "../../../src/domain/visibility.js";
import type { LiveCallsight } from "./callsight.js";
import { until } from "./processes.js";
import { onCallWith } from "./scenarios.js";
import type { SippEndpoint } from "./sipp.js";
import type { LiveViewer } from "./viewer.js";

export interface DialLive {
  site: {
    callsight: LiveCallsight;
    phones: Record<string, SippEndpoint>;
    carrier: SippEndpoint;
    pbx: { hangupAll(): Promise<void> };
  };
  /** Sees everything. */
  admin: LiveViewer;
}

/** The index of the first frame from `from` on that shows `user` as `check` accepts, or -1. */
export function firstFrameShowing(
  viewer: LiveViewer,
  user: string,
  check: (p: PersonView) => unknown,
  from = 0,
): number {
  for (let i = from; i < viewer.frames.length; i++) {
    const message = JSON.parse(viewer.frames[i] as string);
    const people: PersonView[] =
      message.type === "snapshot"
        ? message.view.people
        : message.type === "delta"
          ? message.deltas.flatMap((d: { op: string; person?: PersonView }) =>
              d.op === "person" && d.person ? [d.person] : [],
            )
          : [];
    if (people.some((p) => p.id === user && check(p))) return i;
  }
  return -1;
}

const ringing = (p: PersonView) => p.presence === "ringing";
const talking = (p: PersonView) => p.calls?.some((c) => c.state !== "ringing") || p.presence === "on-call";

/** The audit entries of the click-to-call operation by `actor`, newest first. */
async function dialAudit(callsight: LiveCallsight, actor: string): Promise<any[]> {
  const res = await callsight.api("GET", `/v1/audit?action=dial&actor=${actor}`, "admin");
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.entries;
}

export function dialScenarios(live: () => DialLive): void {
  it("click-to-call 1001 -> 1002: 1001's phone rings first and answers, then 1002 rings and answers; one call with both", async () => {
    const { site, admin } = live();
    const { phones, callsight, pbx } = site;
    const from = admin.frames.length;
    const mine = await phones["1001"]!.answer({ ringMs: 800 });
    const theirs = await phones["1002"]!.answer({ ringMs: 800 });
    const res = await callsight.api("POST", "/v1/operations/call", "1001", { to: "1002" });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const call = await admin.sees("1001 on a call with 1002", onCallWith("1001", "1002"), 30_000);
    // 1002's phone was called as 1001: its tile names 1001 as the other party.
    const other = await admin.sees("1002 on a call with 1001", onCallWith("1002", "1001"));
    expect(other.call).toBe(call.call);
    expect(admin.person("1001")?.calls).toHaveLength(1);
    expect(admin.person("1002")?.calls).toHaveLength(1);
    expect(call.direction).toBe("internal");
    // The order the board showed it in: 1001 rang, 1001 answered, and only then did 1002 ring.
    const rang1001 = firstFrameShowing(admin, "1001", ringing, from);
    const answered1001 = firstFrameShowing(admin, "1001", talking, from);
    const rang1002 = firstFrameShowing(admin, "1002", ringing, from);
    expect(rang1001, "1001 shown ringing").toBeGreaterThanOrEqual(0);
    expect(rang1002, "1002 shown ringing").toBeGreaterThan(rang1001);
    expect(answered1001, "1001 answered before 1002 rang").toBeLessThanOrEqual(rang1002);
    await pbx.hangupAll();
    await admin.sees(
      "1001 and 1002 idle",
      (v) => v.person("1001")?.presence === "available" && v.person("1002")?.presence === "available",
    );
    expect(await mine.done).toBe(0);
    expect(await theirs.done).toBe(0);
    // Audited; where the driver can tell (AMI's OriginateResponse, ESL's job result) 1001's phone "joined".
    const entries = await dialAudit(callsight, "1001");
    expect(entries.some((e) => e.outcome === "accepted" && e.target === "1002")).toBe(true);
    if (res.body.operation)
      await until(
        async () =>
          (await dialAudit(callsight, "1001")).some(
            (e) => e.detail?.operation === res.body.operation && e.detail?.result === "joined",
          ),
        "the later outcome: 1001's phone joined",
      );
  });

  it("click-to-call an outside number: refused while dialExternal is off, then over the carrier as 1001", async () => {
    const { site, admin } = live();
    const { phones, carrier, callsight, pbx } = site;
    const refused = await callsight.api("POST", "/v1/operations/call", "1001", { to: "1 777 873-2492" });
    expect(refused.status, JSON.stringify(refused.body)).toBe(403);
    expect(refused.body).toMatchObject({ status: "refused", reason: "external-not-allowed" });
    const allow = (dialExternal: boolean) =>
      callsight.api("PATCH", "/v1/admin/users/1001", "admin", { operations: { dialExternal } });
    expect((await allow(true)).status).toBe(200);
    try {
      const outside = await carrier.answer({ ringMs: 500 });
      const mine = await phones["1001"]!.answer({ ringMs: 500 });
      const res = await callsight.api("POST", "/v1/operations/call", "1001", { to: "1 777 873-2492" });
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      const call = await admin.sees(
        "1001 on an outbound call with the dialled number",
        onCallWith("1001", "17778732492"),
        30_000,
      );
      expect(call.direction).toBe("outbound");
      expect(admin.person("1001")?.calls).toHaveLength(1);
      await pbx.hangupAll();
      await admin.sees("1001 idle", (v) => v.person("1001")?.presence === "available");
      expect(await mine.done).toBe(0);
      expect(await outside.done).toBe(0);
    } finally {
      await allow(false);
    }
  });
}
