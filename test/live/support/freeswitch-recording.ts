// FreeSWITCH live scenarios of the recording policy the dialplan enforces (dialplan/freeswitch/callsight.xml,
// hooked in as its README says): an outside caller the IVR sends on to an `external` user, a picked-up call
// and the callee who only rang, and each setting of 1001 on internal, inbound and outbound calls. Asserted
// through the viewer, the API and the recording store.

import { readdirSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  audioIn,
  everShown,
  type FsLive,
  idle,
  setRecording,
  shownOnCallWith,
  storedRecording,
} from "./freeswitch-checks.js";
import type { FreeSwitchSite } from "./freeswitch-site.js";
import { until } from "./processes.js";
import { onCallWith, recordingsOf, ringing } from "./scenarios.js";

/** The files FreeSWITCH wrote for a call that are still in its recordings folder. */
function filesOf(site: FreeSwitchSite, call: string): string[] {
  return readdirSync(site.pbx.recordingsDir).filter(
    (f) => f.startsWith(`${call}-`) || f.includes(`-${call}-`),
  );
}

export function recordingScenarios(live: () => FsLive): void {
  it("a covered call the dialplan did not record gets a repair recording named after the extension", async () => {
    const { site, admin, recorded } = live();
    const { phones, carrier, callsight, pbx } = site;
    const callee = await phones["1002"]!.answer({ ringMs: 300 });
    await carrier.call("15559990002");
    const call = await admin.sees("1002 on the inbound call", (v) =>
      v.person("1002")?.calls?.find((c) => c.state === "up"),
    );
    expect(call.recording).toBe(false);
    // The policy changes after the dialplan has run: only Callsight's audit of the live call can catch it.
    await setRecording(site, "1002", "all");
    try {
      await admin.sees(
        "the call recorded by the repair",
        (v) => v.person("1002")?.calls?.find((c) => c.call === call.call && c.recording),
        30_000,
      );
      const file = await audioIn(site, `${call.call}-1002-repair-`);
      await pbx.hangupDevice("1002");
      await admin.sees("1002 idle", idle("1002"));
      expect(await callee.done).toBe(0);
      const stored = await storedRecording(callsight, call.call!);
      expect(stored).toMatchObject({ extension: "1002", requiredBy: ["1002"], direction: "inbound" });
      expect(basename(stored.originalPath)).toBe(file);
      recorded.set(call.call!, 1);
    } finally {
      await setRecording(site, "1002", "off");
    }
  });

  it("an outside caller routed through the IVR to an `external` user is recorded by the dialplan, not by a repair", async () => {
    const { site, admin, recorded } = live();
    const { phones, carrier, callsight, pbx } = site;
    await setRecording(site, "1001", "external");
    try {
      const callee = await phones["1001"]!.answer({ ringMs: 300 });
      // The main number answers with the IVR menu; "1" sends the caller on to Sales (1001) with
      // `transfer 1001 XML default`, the extension internal calls take.
      const caller = await carrier.call("15559990000", [{ pauseMs: 1500 }, { dtmf: "1" }]);
      const call = await admin.sees("1001 on the inbound call, recorded", (v) =>
        v.person("1001")?.calls?.find((c) => c.state === "up" && c.recording),
      );
      expect(call.direction).toBe("inbound");
      // The dialplan's file (<call>-<extension>.wav), not Callsight's repair (<call>-1001-repair-<ms>.wav).
      await audioIn(site, `${call.call}-1001.wav`);
      await pbx.hangupDevice("1001");
      await admin.sees("1001 idle", idle("1001"));
      const stored = await storedRecording(callsight, call.call!);
      expect(stored).toMatchObject({
        callId: call.call,
        extension: "1001",
        requiredBy: ["1001"],
        direction: "inbound",
      });
      expect(basename(stored.file)).toBe(`${call.call}-1001.wav`);
      expect(stored.originalPath).not.toMatch(/repair/);
      recorded.set(call.call!, 1);
      expect(await callee.done).toBe(0);
      expect(await caller.done).toBe(0);
    } finally {
      await setRecording(site, "1001", "off");
    }
  });

  it("a call picked up through the API is not recorded for the callee who only rang (1002 `all`)", async () => {
    const { site, admin } = live();
    const { phones, callsight, pbx } = site;
    await setRecording(site, "1002", "all");
    try {
      const from = admin.history.get("1001")?.length ?? 0;
      const callee = await phones["1002"]!.answer("ring-until-cancelled");
      const picker = await phones["1003"]!.answer({ ringMs: 200 });
      await phones["1001"]!.call("1002");
      await admin.sees("1002 ringing", ringing("1002"));
      const res = await callsight.api("POST", "/v1/operations/pickup", "1003", { target: "1002" });
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      const call = await admin.sees("1001 on a call with 1003", onCallWith("1001", "1003"));
      expect(await callee.done).toBe(0);
      await pbx.hangupDevice("1001");
      await admin.sees("1001 and 1003 idle", idle("1001", "1003"));
      expect(everShown(admin, "1001", (p) => p.calls?.some((c) => c.recording), from)).toBe(false);
      expect(filesOf(site, call.call!)).toEqual([]);
      expect(await recordingsOf(callsight, call.call!)).toEqual([]);
      expect(await picker.done).toBe(0);
    } finally {
      await setRecording(site, "1002", "off");
    }
  });

  it("a recorded call parked by the phone and picked up by a colleague stays one recording, 1001's", async () => {
    const { site, admin, recorded } = live();
    const { phones, carrier, callsight, pbx } = site;
    await setRecording(site, "1001", "all");
    try {
      const outside = await carrier.answer({ ringMs: 300 });
      // 1001 calls out (recorded: 1001 is `all`), then parks the outside party in valet slot 5902 by REFER.
      const parker = await phones["1001"]!.call("17778732492", [{ pauseMs: 1500 }, { refer: "5902" }]);
      const parked = await admin.sees("a call parked in 5902", (v) =>
        v.view?.parked.find((p) => p.space === "5902"),
      );
      expect(await parker.done).toBe(0);
      await admin.sees("1001 idle", idle("1001"));
      const retriever = await phones["1003"]!.answer({ ringMs: 200 });
      const res = await callsight.api("POST", "/v1/operations/parked-pickup", "1003", { call: parked.call });
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      const call = await admin.sees("1003 with the parked party", onCallWith("1003", "17778732492"));
      expect(call.call).toBe(parked.call);
      await pbx.hangupDevice("1003");
      await admin.sees("1003 idle", idle("1003"));
      expect(await retriever.done).toBe(0);
      expect(await outside.done).toBe(0);
      // One recording of the call, 1001's: parking and the pickup by 1003 (`off`) add none.
      const stored = await storedRecording(callsight, parked.call);
      expect(stored).toMatchObject({ extension: "1001", requiredBy: ["1001"], direction: "outbound" });
      expect(basename(stored.file)).toBe(`${parked.call}-1001.wav`);
      expect(filesOf(site, parked.call)).toEqual([]);
      recorded.set(parked.call, 1);
    } finally {
      await setRecording(site, "1001", "off");
    }
  });

  it("an outside call transferred by the phone (REFER) to a recorded colleague: one call, one recording, 1003's", async () => {
    const { site, admin, recorded } = live();
    const { phones, carrier, callsight, pbx } = site;
    await setRecording(site, "1003", "all");
    try {
      const from = admin.history.get("1001")?.length ?? 0;
      const earlier = new Set(readdirSync(site.pbx.recordingsDir));
      const outside = await carrier.answer({ ringMs: 300 });
      const target = await phones["1003"]!.answer({ ringMs: 300 });
      // 1001 (`off`) calls out, then transfers the outside party to 1003 (`all`) from the phone.
      const transferrer = await phones["1001"]!.call("17778732492", [{ pauseMs: 1500 }, { refer: "1003" }]);
      const before = await admin.sees(
        "1001 on the outbound call",
        shownOnCallWith("1001", "17778732492", from),
      );
      expect(before.recording).toBe(false);
      const after = await admin.sees("1003 on the call with the outside party, recorded", (v) =>
        v.person("1003")?.calls?.find((c) => c.call === before.call && c.state === "up" && c.recording),
      );
      expect(after.call).toBe(before.call);
      expect(await transferrer.done).toBe(0);
      // The dialplan names the file after the channel it ran on (the transferred outside leg), so wait for
      // audio in the new file of 1003's, whatever its uuid.
      await until(
        () =>
          readdirSync(site.pbx.recordingsDir).some(
            (f) =>
              f.endsWith("-1003.wav") &&
              !earlier.has(f) &&
              statSync(join(site.pbx.recordingsDir, f)).size > 44 + 2000,
          ),
        "audio in 1003's recording",
      );
      await pbx.hangupDevice("1003");
      await admin.sees("1001 and 1003 idle", idle("1001", "1003"));
      expect(await target.done).toBe(0);
      expect(await outside.done).toBe(0);
      // One recording, 1003's: 1001 was never recorded.
      const stored = await storedRecording(callsight, before.call!);
      expect(stored).toMatchObject({ extension: "1003", requiredBy: ["1003"] });
      expect(basename(stored.file)).toBe(`${before.call}-1003.wav`);
      recorded.set(before.call!, 1);
    } finally {
      await setRecording(site, "1003", "off");
    }
  });

  describe("each recording setting of 1001 on internal, inbound and outbound calls", () => {
    for (const policy of ["off", "external", "all"] as const) {
      for (const kind of ["internal", "inbound", "outbound"] as const) {
        const expected = policy === "all" || (policy === "external" && kind !== "internal");
        it(`${policy} on an ${kind} call: ${expected ? "recorded once, as 1001's" : "not recorded"}`, async () => {
          const { site, admin, recorded } = live();
          const { phones, carrier, callsight, pbx } = site;
          await setRecording(site, "1001", policy);
          try {
            const from = admin.history.get("1001")?.length ?? 0;
            if (kind === "internal") {
              await phones["1002"]!.answer({ ringMs: 200 });
              await phones["1001"]!.call("1002");
            } else if (kind === "inbound") {
              await phones["1001"]!.answer({ ringMs: 200 });
              await carrier.call("15559990001");
            } else {
              await carrier.answer({ ringMs: 200 });
              await phones["1001"]!.call("17778732492");
            }
            const other = kind === "internal" ? "1002" : kind === "inbound" ? "15551234567" : "17778732492";
            const call = await admin.sees(`1001 on the ${kind} call`, onCallWith("1001", other));
            if (expected) {
              await admin.sees("1001's call recorded", (v) =>
                v.person("1001")?.calls?.find((c) => c.recording),
              );
              await audioIn(site, `${call.call}-1001.wav`);
            }
            await pbx.hangupDevice("1001");
            await admin.sees("1001 idle", idle("1001"));
            expect(everShown(admin, "1001", (p) => p.calls?.some((c) => c.recording), from)).toBe(expected);
            if (!expected) {
              // record_session opens its file when the leg answers: none was written for this call.
              expect(filesOf(site, call.call!)).toEqual([]);
              expect(await recordingsOf(callsight, call.call!)).toEqual([]);
              return;
            }
            const stored = await storedRecording(callsight, call.call!);
            expect(stored).toMatchObject({ extension: "1001", requiredBy: ["1001"], direction: kind });
            expect(basename(stored.file)).toBe(`${call.call}-1001.wav`);
            recorded.set(call.call!, 1);
            // 1001 lists it (he was on the call).
            expect((await recordingsOf(callsight, call.call!, "1001")).map((r) => r.id)).toEqual([stored.id]);
          } finally {
            await setRecording(site, "1001", "off");
          }
        });
      }
    }
  });
}
