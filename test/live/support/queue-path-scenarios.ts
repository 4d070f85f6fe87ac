// Calls that leave the PBX by a path a queue or a user's settings set up (issue 17 item 5), on a real PBX
// configured as FreePBX / FusionPBX configure them (test/live/capture has the same scenarios captured):
// 1001's follow-me ringing the desk phone and a mobile over the carrier at once, 1002's call forward to an
// outside number, and a queue call the agent blind-transfers from her phone (SIP REFER) to a colleague.
// Asserted through the board and the history, as a user sees them: one call, real parties only (never a
// Local or loopback channel), who rang and who talked.

import { expect, it } from "vitest";
import { freePort, until } from "./processes.js";
import type { QueueLive } from "./queue-scenarios.js";
import { onCallWith } from "./scenarios.js";
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
  /**
   * Gaps of the model this PBX shows live (reported, not asserted either way): the transfer missing from the
   * history row altogether (`transferHistory`: FreeSWITCH reports a phone's REFER only on the caller's leg).
   */
  gaps?: { transferHistory?: true };
}

export type QueuePathLive = QueueLive & { paths: QueuePaths; site: { dir: string } };

async function secondCaller(dir: string, sipPort: number): Promise<SippEndpoint> {
  return new SippEndpoint(OUTSIDE, OUTSIDE_NAME, await freePort(), dir, () => sipPort);
}

/**
 * Asterisk: the outside caller comes from a second address of the carrier, identified by a header
 * (pjsip.conf `[carrier-in]`); the forward is FreePBX's AstDB `CF/<ext>`, written with the CLI.
 */
export function asteriskPaths(
  site: { dir: string; pbx: { ports: { sip: number }; cli(command: string): Promise<string> } },
  driver: "ami" | "ari",
): QueuePaths {
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
    // mod_callcenter's agent REFER: no transfer event (the caller's Caller-Transfer-Source only); the
    // history row has no transfer (test/replay/queue-paths-freeswitch-golden.test.ts lists it as todo).
    gaps: { transferHistory: true },
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
  it("queue paths: follow-me to an outside number rings 1001's desk phone and the mobile; the mobile answers: one call, the desk phone rang and stopped", async () => {
    const { site, admin, paths } = live();
    const { phones, carrier, pbx } = site;
    const before = admin.history.get("1001")?.length ?? 0;
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
      // The mobile answers: the desk phone stops ringing, 1001 is never on the call from her desk.
      await admin.sees(
        "1001's desk phone stopped ringing",
        (v) => v.person("1001")?.presence === "available" && !v.person("1001")?.calls?.length,
      );
      expect(await desk.done).toBe(0);
      const shown = (admin.history.get("1001") ?? []).slice(before);
      expect(shown.some((p) => p.presence === "ringing")).toBe(true);
      expect(shown.some((p) => p.presence === "on-call" || p.calls?.some((c) => c.state === "up"))).toBe(
        false,
      );
      // The outside caller and the mobile talk: no extension is on it, no plumbing shows as anyone's call.
      await new Promise((r) => setTimeout(r, 2000));
      expect(busy(admin)).toEqual([]);
      for (const p of admin.view?.people ?? [])
        expect(realNumbers(p.calls?.flatMap((c) => c.remote ?? []))).toBe(true);
      await pbx.hangupAll();
    } finally {
      await caller.stop();
    }
    // The history: one row, answered (by the mobile), 1001's desk phone rang but she did not miss it.
    const rows = await until(async () => {
      const r = await rowsWith(site, "1001", OUTSIDE);
      return r.length ? r : undefined;
    }, "the follow-me call in the history");
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row.answered).toBe(true);
    expect(realNumbers(row.parties)).toBe(true);
    const party = (pred: (p: HistoryPartyRow) => boolean) => row.parties.find(pred);
    expect(party((p) => p.number === OUTSIDE)).toMatchObject({ external: true, caller: true });
    expect(party((p) => p.number === FOLLOW_ME_MOBILE)).toMatchObject({ external: true, talked: true });
    const deskRow = party((p) => p.user === "1001");
    expect(deskRow).toBeDefined();
    expect(deskRow!.missed).toBeUndefined();
    expect(deskRow!.talked).toBeUndefined();
    expect(row.parties.map((p) => p.user ?? p.number).sort()).toEqual(
      ["1001", OUTSIDE, FOLLOW_ME_MOBILE].sort(),
    );
  });

  it("queue paths: 1002 forwards all calls to an outside number; 1001 calls 1002: one call, 1001 talking with the outside number, 1002 never rang", async () => {
    const { site, admin, paths } = live();
    const { phones, carrier, pbx } = site;
    const before = admin.history.get("1002")?.length ?? 0;
    await paths.forward("1002", FORWARD_TO);
    try {
      await carrier.answer({ ringMs: 1000 });
      await phones["1001"]!.call("1002");
      const call = await admin.sees("1001 on a call with the outside number", onCallWith("1001", FORWARD_TO));
      expect(call.direction).toBe("outbound");
      expect(call.remote?.map((r) => r.number)).toEqual([FORWARD_TO]);
      expect(call.remote?.[0]?.external).toBe(true);
      // One call: only 1001 is on it; 1002 neither rang nor was on a call.
      expect(busy(admin)).toEqual(["1001"]);
      expect(
        (admin.history.get("1002") ?? [])
          .slice(before)
          .some((p) => p.presence !== "available" || p.calls?.length),
      ).toBe(false);
      await pbx.hangupAll();
      await admin.sees("1001 free", (v) => v.person("1001")?.presence === "available");
      const rows = await until(async () => {
        const r = await rowsWith(site, "1001", FORWARD_TO);
        return r.length ? r : undefined;
      }, "the forwarded call in the history");
      expect(rows).toHaveLength(1);
      expect(rows[0]!.answered).toBe(true);
      expect(realNumbers(rows[0]!.parties)).toBe(true);
      expect(rows[0]!.parties.find((p) => p.user === "1001")).toMatchObject({ caller: true, talked: true });
      expect(rows[0]!.parties.find((p) => p.number === FORWARD_TO)).toMatchObject({
        external: true,
        talked: true,
      });
    } finally {
      await paths.forward("1002", undefined);
    }
  });

  it("queue paths: Alice takes a queue call and blind-transfers it from her phone (REFER) to Carol: one call, the caller ends with Carol, Alice free", async () => {
    const { site, admin, did, paths } = live();
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
    // One blind transfer, by Alice, to Carol. Where the live PBX shows a gap of the model (QueuePaths.gaps),
    // what the history names must still be right: never another party, never another kind.
    const shown = JSON.stringify(row.transfers);
    if (paths.gaps?.transferHistory) expect(row.transfers.length, shown).toBeLessThanOrEqual(1);
    else expect(row.transfers, shown).toHaveLength(1);
    for (const t of row.transfers) {
      expect(t, shown).toMatchObject({ kind: "blind", by: { user: "1001" } });
      if (t.to || !paths.gaps?.transferHistory) expect(t.to, shown).toMatchObject({ user: "1003" });
    }
  });
}
