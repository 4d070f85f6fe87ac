// Calls that leave the PBX by a path a queue or a user's settings set up (issue 17 item 5), on a real PBX
// configured as FreePBX / FusionPBX configure them (test/live/capture has the same scenarios captured):
// 1001's follow-me ringing the desk phone and a mobile over the carrier at once, 1002's call forward to an
// outside number, and a queue call the agent blind-transfers from her phone (SIP REFER) to a colleague.
// Asserted through the board and the history, as a user sees them: one call, real parties only (never a
// Local or loopback channel), who rang and who talked.

import { expect, it } from "vitest";
import { freePort, until } from "./processes.js";
import type { QueueLive } from "./queue-scenarios.js";
import { onCallWith, storedRecordingsOf, withRecordingPolicy } from "./scenarios.js";
import { type CallerStep, SippEndpoint, type SippRun, uacScenario } from "./sipp.js";
import type { LiveViewer } from "./viewer.js";

/** The outside caller of the follow-me scenario (not the carrier's own number: that one answers). */
const OUTSIDE = "15552220001";
const OUTSIDE_NAME = "Outside Caller";
/** 1001's follow-me number and 1002's forward-to number: mobiles reached over the carrier. */
const FOLLOW_ME_MOBILE = "15557771001";
const FORWARD_TO = "15557771002";
/** The carrier's number as it calls in (the queue scenario's caller). */
const CALLER = "15551234567";
/** 1001's own DID, with her follow-me on (test/live/asterisk/extensions.conf, freeswitch.xml). */
const FOLLOW_ME_DID = "15559991001";

/** What differs between the PBXes: how a second outside caller reaches the carrier side, how a forward is set. */
export interface QueuePaths {
  /**
   * Calls `did` from a second outside address over the carrier while the carrier's own address answers the
   * outbound leg (the follow-me's mobile).
   */
  callIn(did: string, steps?: CallerStep[]): Promise<{ run: SippRun; stop(): Promise<void> }>;
  /** Sets (or, with undefined, removes) `ext`'s call forward to an outside number, in the PBX. */
  forward(ext: string, to: string | undefined): Promise<void>;
}

export type QueuePathLive = QueueLive & { paths: QueuePaths; site: { dir: string } };

async function secondCaller(dir: string, sipPort: number): Promise<SippEndpoint> {
  return new SippEndpoint(OUTSIDE, OUTSIDE_NAME, await freePort(), dir, () => sipPort);
}

/**
 * Asterisk: the outside caller comes from a second address of the carrier, identified by a header
 * (pjsip.conf `[carrier-in]`); the forward is FreePBX's AstDB `CF/<ext>`, written with the CLI.
 */
export function asteriskPaths(site: {
  dir: string;
  pbx: { ports: { sip: number }; cli(command: string): Promise<string> };
}): QueuePaths {
  return {
    async callIn(did, steps = []) {
      const caller = await secondCaller(site.dir, site.pbx.ports.sip);
      const xml = uacScenario(steps).replace(
        "CSeq: 1 INVITE\n",
        "CSeq: 1 INVITE\nX-Carrier-Trunk: carrier\n",
      );
      const run = await caller.run("uac", xml, [`127.0.0.1:${site.pbx.ports.sip}`, "-s", did]);
      return { run, stop: () => caller.finish() };
    },
    async forward(ext, to) {
      const out = await site.pbx.cli(to ? `database put CF ${ext} ${to}` : `database del CF ${ext}`);
      if (to && !/Updated database successfully/i.test(out))
        throw new Error(`database put CF/${ext}: ${out}`);
    },
  };
}

/**
 * FreeSWITCH: the external profile takes calls from any address; the forward is the capture configuration's
 * mod_db `forward_all/<ext>` (FusionPBX's forward_all_destination), written through the event socket.
 */
export function freeswitchPaths(site: {
  dir: string;
  pbx: { ports: { external: number }; api(command: string): Promise<string> };
}): QueuePaths {
  return {
    async callIn(did, steps = []) {
      const caller = await secondCaller(site.dir, site.pbx.ports.external);
      const run = await caller.call(did, steps);
      return { run, stop: () => caller.finish() };
    },
    async forward(ext, to) {
      const out = await site.pbx.api(
        to ? `db insert/forward_all/${ext}/${to}` : `db delete/forward_all/${ext}`,
      );
      if (!out.includes("+OK")) throw new Error(`db forward_all/${ext}: ${out}`);
    },
  };
}

interface HistoryPartyRow {
  user?: string;
  number?: string;
  external: boolean;
  caller?: true;
  talked?: true;
  missed?: true;
  answeredElsewhere?: true;
}

/** Only people and outside numbers: no Local/…, loopback/… or other plumbing shows as a party. */
function realNumbers(parties: { number?: string }[] | undefined): boolean {
  return (parties ?? []).every((p) => p.number === undefined || /^\d+$/.test(p.number));
}

/** The history rows (as an admin lists them) of calls `number` was on. */
async function rowsWith(v: { callsight: QueueLive["site"]["callsight"] }, user: string, number: string) {
  const { body } = await v.callsight.api("GET", `/v1/history?user=${user}&limit=20`, "admin");
  return (body.history ?? []).filter((r: { parties: HistoryPartyRow[] }) =>
    r.parties.some((p) => p.number === number),
  ) as { answered: boolean; talkMs: number; parties: HistoryPartyRow[]; transfers: any[]; call: string }[];
}

const busy = (v: LiveViewer) => (v.view?.people ?? []).filter((p) => p.calls?.length).map((p) => p.id);

export function queuePathScenarios(live: () => QueuePathLive): void {
  it("queue paths: follow-me to an outside number rings 1001's desk phone and the mobile; the mobile answers: one call, 1001's, the desk phone rang and stopped", async () => {
    const { site, admin, paths } = live();
    const { phones, carrier, pbx } = site;
    const desk = await phones["1001"]!.answer("ring-until-cancelled");
    await carrier.answer({ ringMs: 3000 });
    const caller = await paths.callIn(FOLLOW_ME_DID);
    try {
      // 1001's desk phone rings for the outside caller (not for a Local or loopback channel).
      const ringingCall = await admin.sees("1001's desk phone ringing for the outside caller", (v) =>
        v.person("1001")?.calls?.find((c) => c.state === "ringing"),
      );
      expect(ringingCall.direction).toBe("inbound");
      expect(realNumbers(ringingCall.remote)).toBe(true);
      expect(ringingCall.remote?.map((r) => r.number)).toContain(OUTSIDE);
      // The mobile answers: 1001 is on the call (on her follow-me number), the desk phone no longer rings.
      const talking = await admin.sees(
        "1001 on the call with the outside caller, on her mobile, the desk phone stopped",
        (v) => {
          const calls = v.person("1001")?.calls ?? [];
          return v.person("1001")?.presence === "on-call" && calls.length === 1
            ? onCallWith("1001", OUTSIDE)(v)
            : undefined;
        },
      );
      expect(talking.remote?.map((r) => r.number)).toEqual([OUTSIDE]);
      expect(busy(admin)).toEqual(["1001"]);
      // Her follow-me number is hers: on nobody's board, no plumbing shows as anyone's call.
      expect(JSON.stringify(admin.view)).not.toContain(FOLLOW_ME_MOBILE);
      for (const p of admin.view?.people ?? [])
        expect(realNumbers(p.calls?.flatMap((c) => c.remote ?? []))).toBe(true);
      expect(await desk.done).toBe(0);
      await pbx.hangupAll();
      await admin.sees("1001 free", (v) => v.person("1001")?.presence === "available");
    } finally {
      await caller.stop();
    }
    // The history: one row, answered by 1001 (on her mobile), the caller's; the mobile's number nowhere.
    const rows = await until(async () => {
      const r = await rowsWith(site, "1001", OUTSIDE);
      return r.length ? r : undefined;
    }, "the follow-me call in the history");
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row.answered).toBe(true);
    expect(realNumbers(row.parties)).toBe(true);
    expect(JSON.stringify(row)).not.toContain(FOLLOW_ME_MOBILE);
    expect(row.parties.find((p) => p.number === OUTSIDE)).toMatchObject({ external: true, caller: true });
    expect(row.parties.find((p) => p.user === "1001")).toMatchObject({ talked: true });
    expect(row.parties.find((p) => p.user === "1001")?.missed).toBeUndefined();
    expect(row.parties.map((p) => p.user ?? p.number).sort()).toEqual(["1001", OUTSIDE].sort());
  });

  it("queue paths: Alice records `external`; her follow-me's mobile answers an outside call: recorded once, as hers", async () => {
    const { site, admin, paths } = live();
    const { phones, carrier, callsight, pbx } = site;
    await withRecordingPolicy(callsight, "1001", "external", async () => {
      const desk = await phones["1001"]!.answer("ring-until-cancelled");
      await carrier.answer({ ringMs: 500 });
      // Longer than Callsight's 5 s repair grace: on Asterisk the outbound route to the mobile has no recording
      // hook, so Callsight starts the recording (README "Follow-me and call forward to outside numbers").
      const caller = await paths.callIn(FOLLOW_ME_DID, [{ pauseMs: 8000 }, { hangup: true }]);
      try {
        const call = await admin.sees("1001 on the call on her mobile, recorded", (v) =>
          v.person("1001")?.presence === "on-call"
            ? v.person("1001")?.calls?.find((c) => c.state === "up" && c.recording)
            : undefined,
        );
        expect(call.remote?.map((r) => r.number)).toEqual([OUTSIDE]);
        expect(await desk.done).toBe(0);
        await admin.sees("1001 free", (v) => v.person("1001")?.presence === "available", 30_000);
        await pbx.hangupAll();
        const stored = await storedRecordingsOf(
          callsight,
          call.call!,
          "the follow-me call's recording stored",
        );
        expect(stored).toHaveLength(1);
        expect(stored[0]).toMatchObject({ extension: "1001", requiredBy: ["1001"], direction: "inbound" });
        expect(JSON.stringify(stored)).not.toContain(FOLLOW_ME_MOBILE);
      } finally {
        await caller.stop();
      }
    });
  });

  it("queue paths: 1002 forwards all calls to an outside number; 1001 calls 1002: one call, 1002's forwarded call, 1002's phone never rang", async () => {
    const { site, admin, paths } = live();
    const { phones, carrier, pbx } = site;
    await paths.forward("1002", FORWARD_TO);
    const before = admin.history.get("1002")?.length ?? 0;
    try {
      await carrier.answer({ ringMs: 1000 });
      await phones["1001"]!.call("1002");
      // The forward number answers: 1001 talks with 1002 (at 1002's forward number), outside the PBX.
      const call = await admin.sees("1001 on a call with 1002, forwarded", onCallWith("1001", "1002"));
      // 1001 talks with 1002, outside the PBX: an internal call, as if 1002 had answered at the desk.
      expect(call.direction).toBe("internal");
      expect(call.remote).toEqual([
        expect.objectContaining({ user: "1002", number: "1002", external: false }),
      ]);
      const bobs = await admin.sees("the call on 1002's tile, 1002 on a call", (v) =>
        v.person("1002")?.presence === "on-call" ? onCallWith("1002", "1001")(v) : undefined,
      );
      expect(bobs.call).toBe(call.call);
      expect(busy(admin).sort()).toEqual(["1001", "1002"]);
      // The forward number is 1002's: on nobody's board.
      expect(JSON.stringify(admin.view)).not.toContain(FORWARD_TO);
      await pbx.hangupAll();
      await admin.sees(
        "1001 and 1002 free",
        (v) => v.person("1001")?.presence === "available" && v.person("1002")?.presence === "available",
      );
      // 1002's own phone never rang (forwarded unconditionally): 1002 never had a second call beside the
      // forwarded one.
      const shown = (admin.history.get("1002") ?? []).slice(before);
      expect(shown.some((p) => p.calls?.length)).toBe(true);
      expect(shown.every((p) => (p.calls?.length ?? 0) <= 1)).toBe(true);
      const rows = await until(async () => {
        const r = (await rowsWith(site, "1001", "1002")).filter((x) => x.call === call.call);
        return r.length ? r : undefined;
      }, "the forwarded call in the history");
      expect(rows).toHaveLength(1);
      expect(rows[0]!.answered).toBe(true);
      expect(realNumbers(rows[0]!.parties)).toBe(true);
      expect(JSON.stringify(rows[0])).not.toContain(FORWARD_TO);
      expect(rows[0]!.parties.find((p) => p.user === "1001")).toMatchObject({ caller: true, talked: true });
      expect(rows[0]!.parties.find((p) => p.user === "1002")).toMatchObject({ talked: true });
    } finally {
      await paths.forward("1002", undefined);
    }
  });

  it("queue paths: Alice takes a queue call and blind-transfers it from her phone (REFER) to Carol: one call, the caller ends with Carol, Alice free", async () => {
    const { site, admin, did } = live();
    const { phones, carrier, pbx } = site;
    const alice = await phones["1001"]!.answerThenRefer({ ringMs: 1000, talkMs: 2000, target: "1003" });
    const bob = await phones["1002"]!.answer("ring-until-cancelled");
    await phones["1003"]!.answer({ ringMs: 1000 });
    await carrier.call(did);
    // Alice answers: the outside caller only (Bob's phone is in the call until the PBX has cancelled it).
    const first = await admin.sees("Alice on the queue call with the outside caller only", (v) =>
      v
        .person("1001")
        ?.calls?.find((c) => c.state === "up" && c.remote?.map((p) => p.number).join() === CALLER),
    );
    await admin.sees("Bob available again", (v) => v.person("1002")?.presence === "available");
    // Alice's phone transfers the caller to Carol: the same call, now between the caller and Carol.
    const after = await admin.sees(
      "Carol on the call with the outside caller",
      onCallWith("1003", CALLER),
      30_000,
    );
    expect(after.remote?.map((r) => r.number)).toEqual([CALLER]);
    expect(after.call).toBeDefined();
    expect(after.call).toBe(first.call);
    await admin.sees(
      "Alice free",
      (v) => v.person("1001")?.presence === "available" && !v.person("1001")?.calls?.length,
    );
    expect(await alice.done).toBe(0);
    expect(await bob.done).toBe(0);
    expect(busy(admin)).toEqual(["1003"]);
    await pbx.hangupAll();
    await admin.sees("Carol free", (v) => v.person("1003")?.presence === "available");
    // The history: one row for the caller's call, Alice and Carol talked, Bob's ringing was taken by Alice.
    const rows = await until(async () => {
      // This call's row (earlier scenarios of the run have rows with the same caller and Carol).
      const r = (await rowsWith(site, "1003", CALLER)).filter((x) => x.call === after.call);
      return r.length ? r : undefined;
    }, "the transferred queue call in the history");
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row.answered).toBe(true);
    expect(realNumbers(row.parties)).toBe(true);
    const outcome = (u: string) => row.parties.find((p) => p.user === u);
    expect(outcome("1001")).toMatchObject({ talked: true });
    expect(outcome("1003")).toMatchObject({ talked: true });
    expect(outcome("1002")).toMatchObject({ answeredElsewhere: true });
    expect(outcome("1002")?.missed).toBeUndefined();
    // One blind transfer, by Alice, to Carol.
    expect(row.transfers).toEqual([
      expect.objectContaining({
        kind: "blind",
        by: expect.objectContaining({ user: "1001" }),
        to: expect.objectContaining({ user: "1003" }),
      }),
    ]);
  });
}
