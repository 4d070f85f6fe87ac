// The Asterisk scenarios of the live suite, run once per driver (AMI; ARI with its AMI companion):
// each is driven by the phones (or the API, for operations) and asserted through the WebSocket stream,
// the API and the recording store.

import { readdirSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type AsteriskSite, startAsteriskSite } from "./asterisk-site.js";
import { dialScenarios } from "./dial-scenarios.js";
import { until } from "./processes.js";
import { asteriskPaths, queuePathScenarios } from "./queue-path-scenarios.js";
import {
  queueDndLinkScenario,
  queueLoginScenario,
  queueMemberScenarios,
  queuePauseScenario,
  queueScenarios,
} from "./queue-scenarios.js";
import { huntGroupScenario, ringGroupRecordingScenario, ringGroupScenario } from "./ring-group-scenarios.js";
import {
  onCallWith,
  recordingsOf,
  ringing,
  settle,
  storedRecordings,
  withRecordingPolicy,
} from "./scenarios.js";
import { SippEndpoint } from "./sipp.js";
import { asteriskStatus, statusScenarios } from "./status-scenarios.js";
import { LiveViewer } from "./viewer.js";

export function describeAsterisk(driver: "ami" | "ari"): void {
  describe(`Asterisk 22 over ${driver === "ami" ? "AMI" : "ARI with its AMI companion"}, live`, () => {
    let site: AsteriskSite;
    let admin: LiveViewer;
    let colleague: LiveViewer;

    beforeAll(async () => {
      site = await startAsteriskSite(driver);
      admin = await LiveViewer.connect(site.callsight, "admin");
      colleague = await LiveViewer.connect(site.callsight, "1003");
    });
    afterEach(async () => {
      await settle(site);
    });
    afterAll(async () => {
      admin?.close();
      colleague?.close();
      await site?.teardown();
    });

    it("internal call answered: the callee rings, both show the call with each other, then idle", async () => {
      const { phones, pbx } = site;
      const callee = await phones["1002"]!.answer({ ringMs: 1000 });
      const caller = await phones["1001"]!.call("1002");
      await admin.sees("1001 on a call with 1002", onCallWith("1001", "1002"));
      await admin.sees("1002 on a call with 1001", onCallWith("1002", "1001"));
      expect(admin.history.get("1002")?.some((p) => p.presence === "ringing")).toBe(true);
      await pbx.hangupDevice("PJSIP/1001");
      await admin.sees(
        "both idle",
        (v) => v.person("1001")?.presence === "available" && v.person("1002")?.presence === "available",
      );
      expect(await caller.done).toBe(0);
      expect(await callee.done).toBe(0);
    });

    it("internal call cancelled by the caller: the callee rang, nobody is left on a call", async () => {
      const { phones } = site;
      const before = admin.history.get("1002")?.length ?? 0;
      const callee = await phones["1002"]!.answer("ring-until-cancelled");
      const caller = await phones["1001"]!.call("1002", [], { cancelAfterMs: 1500 });
      expect(await caller.done).toBe(0);
      expect(await callee.done).toBe(0);
      await admin.sees(
        "both idle",
        (v) => v.person("1001")?.presence === "available" && v.person("1002")?.presence === "available",
      );
      const seen = admin.history.get("1002")?.slice(before) ?? [];
      expect(seen.some((p) => p.presence === "ringing")).toBe(true);
      expect(seen.some((p) => p.calls?.some((c) => c.state === "up"))).toBe(false);
    });

    it("internal call to a busy phone: the caller's call ends without ever being answered", async () => {
      const { phones } = site;
      const before = admin.history.get("1001")?.length ?? 0;
      const callee = await phones["1002"]!.answer("busy");
      const caller = await phones["1001"]!.call("1002");
      expect(await caller.done).toBe(0);
      expect(await callee.done).toBe(0);
      await admin.sees("1001 idle", (v) => v.person("1001")?.presence === "available");
      const seen = admin.history.get("1001")?.slice(before) ?? [];
      expect(seen.some((p) => p.calls?.length)).toBe(true);
      expect(seen.some((p) => p.calls?.some((c) => c.state === "up"))).toBe(false);
    });

    it("inbound from the carrier to a DID: the callee's tile shows the outside number", async () => {
      const { phones, carrier, pbx } = site;
      await phones["1002"]!.answer({ ringMs: 500 });
      await carrier.call("15559990002");
      const call = await admin.sees("1002 on an inbound call", (v) =>
        v.person("1002")?.calls?.find((c) => c.state === "up" && c.direction === "inbound"),
      );
      expect(call.remote?.[0]?.number).toBe("15551234567");
      expect(call.remote?.[0]?.external).toBe(true);
      await pbx.hangupAll();
    });

    it("outbound to the carrier: the caller's tile shows the dialled number", async () => {
      const { phones, carrier, pbx } = site;
      await carrier.answer({ ringMs: 500 });
      await phones["1001"]!.call("17778732492");
      const call = await admin.sees("1001 on an outbound call", (v) =>
        v.person("1001")?.calls?.find((c) => c.state === "up" && c.direction === "outbound"),
      );
      expect(call.remote?.[0]?.number).toBe("17778732492");
      await pbx.hangupAll();
    });

    it("hold and unhold from the phone (re-INVITE sendonly): shown on hold, then talking again", async () => {
      const { phones, pbx } = site;
      const before = admin.history.get("1001")?.length ?? 0;
      await phones["1002"]!.answer({ ringMs: 300 });
      const caller = await phones["1001"]!.call("1002", [
        { pauseMs: 1000 },
        { hold: true },
        { pauseMs: 1500 },
        { unhold: true },
      ]);
      await until(
        () => caller.process.log().then((l) => l.includes("Successful call") || false) || undefined,
        "",
        1,
      ).catch(() => undefined);
      await admin.sees("1001 or 1002 on hold, then back", (v) => {
        const seen = [...(v.history.get("1001")?.slice(before) ?? []), ...(v.history.get("1002") ?? [])];
        const held = seen.findIndex(
          (p) => p.presence === "on-hold" || p.calls?.some((c) => c.state === "held"),
        );
        return (
          held >= 0 &&
          v.person("1001")?.calls?.some((c) => c.state === "up") &&
          v.person("1002")?.calls?.some((c) => c.state === "up")
        );
      });
      await pbx.hangupAll();
    });

    it("pickup by a colleague through the API: the picker is on the call, the callee is free", async () => {
      const { phones, callsight, pbx } = site;
      await phones["1002"]!.answer("ring-until-cancelled");
      await phones["1003"]!.answer({ ringMs: 200 });
      await phones["1001"]!.call("1002");
      await admin.sees("1002 ringing", ringing("1002"));
      const res = await callsight.api("POST", "/v1/operations/pickup", "1003", { target: "1002" });
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      await admin.sees("1001 on a call with 1003", onCallWith("1001", "1003"));
      await admin.sees("1002 free", (v) => v.person("1002")?.presence === "available");
      await pbx.hangupAll();
    });

    it("park by a blind transfer to 700 (SIP REFER from the phone), then a colleague picks the parked call up", async () => {
      const { phones, carrier, callsight } = site;
      await carrier.answer({ ringMs: 300 });
      const parker = await phones["1001"]!.call("17778732492", [{ pauseMs: 800 }, { refer: "700" }]);
      const parked = await admin.sees("a parked call", (v) => v.view?.parked[0]);
      expect(await parker.done).toBe(0);
      await admin.sees("1001 free", (v) => v.person("1001")?.presence === "available");
      await phones["1003"]!.answer({ ringMs: 200 });
      const res = await callsight.api("POST", "/v1/operations/parked-pickup", "1003", { call: parked.call });
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      const call = await admin.sees(
        "1003 on a call with the outside party",
        onCallWith("1003", "17778732492"),
      );
      expect(call.call).toBe(parked.call);
      await admin.sees("nothing parked", (v) => v.view?.parked.length === 0);
    });

    it("blind transfer started by the phone (SIP REFER): one call, now between the outside party and 1002", async () => {
      const { phones, carrier } = site;
      await carrier.answer({ ringMs: 300 });
      await phones["1002"]!.answer({ ringMs: 300 });
      const transferrer = await phones["1001"]!.call("17778732492", [{ pauseMs: 800 }, { refer: "1002" }]);
      const before = await admin.sees("1001 on the outbound call", onCallWith("1001", "17778732492"));
      expect(await transferrer.done).toBe(0);
      const after = await admin.sees(
        "1002 on a call with the outside party",
        onCallWith("1002", "17778732492"),
      );
      expect(after.call).toBe(before.call);
      await admin.sees("1001 free", (v) => v.person("1001")?.presence === "available");
    });

    it("listen, whisper and barge by a supervisor: the session shows to admins, never to the agent", async () => {
      const { phones, carrier, callsight, pbx } = site;
      const agent = await LiveViewer.connect(callsight, "1002");
      try {
        await phones["1002"]!.answer({ ringMs: 300 });
        await carrier.call("15559990002");
        await admin.sees("1002 on the inbound call", (v) =>
          v.person("1002")?.calls?.find((c) => c.state === "up"),
        );
        for (const mode of ["listen", "whisper", "barge"] as const) {
          await phones["1004"]!.answer({ ringMs: 200 });
          const res = await callsight.api("POST", `/v1/operations/${mode}`, "1004", { target: "1002" });
          expect(res.status, JSON.stringify(res.body)).toBe(202);
          await admin.sees(`a ${mode} session on 1002`, (v) =>
            v.view?.monitoring.find((m) => m.mode === mode && m.target === "1002"),
          );
          await pbx.hangupDevice("PJSIP/1004");
          await admin.sees("the session gone", (v) => v.view?.monitoring.length === 0);
        }
        expect(agent.frames.some((f) => f.includes('"mode"'))).toBe(false);
      } finally {
        agent.close();
      }
      await pbx.hangupAll();
    });

    it("take over by a supervisor: 1004's phone replaces the agent, the outside caller stays, the agent is free", async () => {
      const { phones, carrier, callsight, pbx } = site;
      const agentPhone = await phones["1002"]!.answer({ ringMs: 300 });
      await carrier.call("15559990002");
      const before = await admin.sees("1002 on the inbound call", (v) =>
        v.person("1002")?.calls?.find((c) => c.state === "up"),
      );
      const supervisorPhone = await phones["1004"]!.answer({ ringMs: 200 });
      const res = await callsight.api("POST", "/v1/operations/take-over", "1004", { target: "1002" });
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      await admin.sees("1004 on the call with the outside caller", onCallWith("1004", "15551234567"), 20_000);
      await admin.sees("1002 free", (v) => (v.person("1002")?.calls?.length ?? 0) === 0, 20_000);
      // The agent's phone was hung up by the PBX, not by the test.
      expect(await agentPhone.done).toBe(0);
      expect(admin.person("1004")?.calls).toHaveLength(1);
      await pbx.hangupDevice("PJSIP/1004");
      await admin.sees("1004 free", (v) => (v.person("1004")?.calls?.length ?? 0) === 0);
      expect(await supervisorPhone.done).toBe(0);
      expect(before.state).toBe("up");
      await pbx.hangupAll();
    });

    describe("click-to-call", () => dialScenarios(() => ({ site, admin })));
    describe("queues and ring groups (FreePBX style)", () => {
      const live = () => ({
        site,
        admin,
        queue: "400",
        did: "15559990400",
        ringGroupDid: "15559990600",
        huntGroupDid: "15559990601",
      });
      queueScenarios(live);
      // ARI has no queue actions: its AMI companion's QueuePause carries the pause, reason and all.
      queuePauseScenario(() => ({ ...live(), pauseReason: (asked) => asked }));
      ringGroupScenario(live);
      ringGroupRecordingScenario(live);
      huntGroupScenario(live);
      queueMemberScenarios(live);
      queueLoginScenario(() => ({ ...live(), staticMembers: true }));
      queueDndLinkScenario(() => ({ ...live(), dndPause: "DND" }));
      describe("queue paths (follow-me, call forward, transfer out)", () =>
        queuePathScenarios(() => ({ ...live(), paths: asteriskPaths(site) })));
    });
    describe("my status", () =>
      statusScenarios(() => ({ callsight: site.callsight, admin, inPbx: asteriskStatus(site.pbx) })));

    it("send to IVR: the outside caller leaves the agent and waits in the IVR", async () => {
      const { phones, carrier, callsight, pbx } = site;
      await phones["1002"]!.answer({ ringMs: 300 });
      await carrier.call("15559990002");
      await admin.sees("1002 on the inbound call", (v) =>
        v.person("1002")?.calls?.find((c) => c.state === "up"),
      );
      const res = await callsight.api("POST", "/v1/operations/send-to-ivr", "1002", { target: "1002" });
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      await admin.sees("1002 free", (v) => v.person("1002")?.presence === "available");
      await until(
        async () => (await pbx.channels()).some((c) => c.startsWith("PJSIP/carrier-")),
        "the carrier's channel still up (in the IVR)",
      );
      await pbx.hangupAll();
    });

    it("DND from the phone's feature code (*78, *79): shown on the board", async () => {
      const { phones } = site;
      const on = await phones["1005"]!.call("*78");
      expect(await on.done).toBe(0);
      await admin.sees("1005 dnd", (v) => v.person("1005")?.presence === "dnd");
      const off = await phones["1005"]!.call("*79");
      expect(await off.done).toBe(0);
      await admin.sees("1005 available", (v) => v.person("1005")?.presence === "available");
    });

    it("registration lost and back: 1006 offline until it registers, then available, then offline", async () => {
      const { phones } = site;
      await admin.sees("1006 offline before registering", (v) => v.person("1006")?.presence === "offline");
      expect(await (await phones["1006"]!.register(120)).done).toBe(0);
      await admin.sees("1006 available", (v) => v.person("1006")?.presence === "available");
      expect(await (await phones["1006"]!.register(0)).done).toBe(0);
      await admin.sees("1006 offline again", (v) => v.person("1006")?.presence === "offline");
    });

    it("recording `all` on an internal call: one file, named after the call, attributed to the extension", async () => {
      const { phones, callsight, pbx } = site;
      await withRecordingPolicy(callsight, "1002", "all", async () => {
        await phones["1002"]!.answer({ ringMs: 300 });
        await phones["1001"]!.call("1002");
        const call = await admin.sees("1002 recorded", (v) =>
          v.person("1002")?.calls?.find((c) => c.state === "up" && c.recording),
        );
        await pbx.hangupAll();
        const list = await storedRecordings(callsight, site.pbx.monitorDir, call.call!);
        expect(list).toHaveLength(1);
        expect(list[0].extension).toBe("1002");
        expect(list[0].requiredBy).toEqual(["1002"]);
        // Failure 2: the PBX's file name starts with the call id (the dialplan used ${LINKEDID}, unset).
        expect(basename(list[0].originalPath).startsWith(`${call.call}-1002-`)).toBe(true);
      });
    });

    it("a picked-up call is not recorded for the callee who never answered (failure 3)", async () => {
      const { phones, callsight, pbx } = site;
      await withRecordingPolicy(callsight, "1002", "all", async () => {
        const before = admin.history.get("1001")?.length ?? 0;
        await phones["1002"]!.answer("ring-until-cancelled");
        await phones["1003"]!.answer({ ringMs: 200 });
        await phones["1001"]!.call("1002");
        await admin.sees("1002 ringing", ringing("1002"));
        const picked = await callsight.api("POST", "/v1/operations/pickup", "1003", { target: "1002" });
        expect(picked.status, JSON.stringify(picked.body)).toBe(202);
        const call = await admin.sees("1001 on a call with 1003", onCallWith("1001", "1003"));
        await pbx.hangupAll();
        await admin.sees("1001 free", (v) => v.person("1001")?.presence === "available");
        // Neither 1001 nor 1003 is covered: the PBX started no recording for this call, none was shown.
        expect(readdirSync(pbx.monitorDir).filter((f) => f.startsWith(`${call.call}-`))).toEqual([]);
        expect(
          (admin.history.get("1001") ?? []).slice(before).some((p) => p.calls?.some((c) => c.recording)),
        ).toBe(false);
        expect(await recordingsOf(callsight, call.call!)).toEqual([]);
      });
    });

    it("an outside caller routed through the IVR to an `external` user is recorded by the dialplan (failure 7)", async () => {
      const { phones, carrier, callsight, pbx } = site;
      await withRecordingPolicy(callsight, "1001", "external", async () => {
        await phones["1001"]!.answer({ ringMs: 300 });
        // The main number reaches the IVR; "1" goes to Sales (1001) through Goto(internal,1001,1).
        await carrier.call("15559990000", [{ pauseMs: 1500 }, { dtmf: "1" }]);
        const call = await admin.sees("1001 on the inbound call, recorded", (v) =>
          v.person("1001")?.calls?.find((c) => c.state === "up" && c.recording),
        );
        // Recorded by the PBX itself: the file is the dialplan's (<call>-1001-<uniqueid>.wav), not a repair.
        await until(
          () =>
            readdirSync(pbx.monitorDir).some(
              (f) => f.startsWith(`${call.call}-1001-`) && !f.includes("repair"),
            ),
          "the dialplan's recording file",
        );
        await pbx.hangupAll();
        const list = await storedRecordings(callsight, site.pbx.monitorDir, call.call!);
        expect(list).toHaveLength(1);
        expect(list[0]).toMatchObject({ extension: "1001", requiredBy: ["1001"], direction: "inbound" });
      });
    });

    it("on-demand recording by a supervisor (record-start, record-stop): stored once, listed to the supervisor", async () => {
      const { phones, carrier, callsight } = site;
      await phones["1002"]!.answer({ ringMs: 300 });
      await carrier.call("15559990002");
      const call = await admin.sees("1002 on the inbound call", (v) =>
        v.person("1002")?.calls?.find((c) => c.state === "up"),
      );
      const start = await callsight.api("POST", "/v1/operations/record-start", "1004", { target: "1002" });
      expect(start.status, JSON.stringify(start.body)).toBe(202);
      await admin.sees("the call recorded", (v) => v.person("1002")?.calls?.find((c) => c.recording));
      // A supervisor stops a recording that holds speech: wait until MixMonitor wrote audio past the WAV header.
      await until(
        () =>
          readdirSync(site.pbx.monitorDir).some(
            (f) =>
              f.startsWith(`callsight-${call.call}-`) && statSync(join(site.pbx.monitorDir, f)).size > 44,
          ),
        "audio in the on-demand recording",
      );
      const stop = await callsight.api("POST", "/v1/operations/record-stop", "1004", { target: "1002" });
      expect(stop.status, JSON.stringify(stop.body)).toBe(202);
      await admin.sees("the recording stopped", (v) =>
        v.person("1002")?.calls?.find((c) => c.state === "up" && !c.recording),
      );
      const list = await storedRecordings(callsight, site.pbx.monitorDir, call.call!);
      expect(list).toHaveLength(1);
      expect(list[0]).toMatchObject({ onDemandBy: "1004", direction: "inbound" });
      expect(list[0].sizeBytes).toBeGreaterThan(44);
      // The supervisor lists it, as 1002's tile shows the call: 1002 hides whom he talks to (showMyCalls
      // off), so neither the call nor the outside caller is named to 1004.
      const mine = await callsight.api("GET", "/v1/recordings", "1004");
      const theirs = mine.body.recordings.filter((r: { id: string }) => r.id === list[0].id);
      expect(theirs).toHaveLength(1);
      expect(theirs[0]).toMatchObject({ onDemandBy: "1004", sizeBytes: list[0].sizeBytes });
      expect(theirs[0].callId).toBeUndefined();
      expect(JSON.stringify(theirs[0])).not.toContain("15551234567");
    });

    it("a covered call the dialplan did not record gets a repair recording named after the extension (failure 6)", async () => {
      const { phones, carrier, callsight } = site;
      await phones["1002"]!.answer({ ringMs: 300 });
      await carrier.call("15559990002");
      const call = await admin.sees("1002 on the inbound call", (v) =>
        v.person("1002")?.calls?.find((c) => c.state === "up"),
      );
      // The policy changes after the dialplan has run: only Callsight's audit can catch this call.
      await withRecordingPolicy(callsight, "1002", "all", async () => {
        await admin.sees(
          "the call recorded by the repair",
          (v) => v.person("1002")?.calls?.find((c) => c.recording),
          30_000,
        );
        await site.pbx.hangupAll();
        const list = await storedRecordings(callsight, site.pbx.monitorDir, call.call!);
        expect(list).toHaveLength(1);
        expect(list[0]).toMatchObject({ extension: "1002", requiredBy: ["1002"] });
        expect(basename(list[0].originalPath)).toMatch(
          new RegExp(`^${call.call!.replace(".", "\\.")}-1002-repair-`),
        );
      });
    });

    it("a colleague's hidden call never reaches another viewer's raw frames (showMyCalls off)", async () => {
      const { phones, callsight, dir, pbx } = site;
      const supervisor = await LiveViewer.connect(callsight, "1004");
      try {
        // A caller nobody else in this run talks to, so its number and name can only come from this call.
        const privateCaller = new SippEndpoint(
          "15557654321",
          "Private Caller",
          pbx.ports.carrier,
          dir,
          () => pbx.ports.sip,
        );
        await phones["1002"]!.answer({ ringMs: 300 });
        await privateCaller.call("15559990002");
        await admin.sees("1002 with the private caller", onCallWith("1002", "15557654321"));
        const seen = await colleague.sees("1002 on a call, without the other party", (v) =>
          v.person("1002")?.calls?.find((c) => c.state === "up"),
        );
        expect(seen.remote).toBeUndefined();
        expect(seen.call).toBeUndefined();
        await supervisor.sees("1002 on a call", (v) =>
          v.person("1002")?.calls?.find((c) => c.state === "up"),
        );
        await pbx.hangupAll();
        await colleague.sees("1002 free", (v) => v.person("1002")?.presence === "available");
        await privateCaller.stop();
        for (const viewer of [colleague, supervisor]) {
          expect(viewer.everReceived("15557654321"), `${viewer.user} received the number`).toBe(false);
          expect(viewer.everReceived("Private Caller"), `${viewer.user} received the name`).toBe(false);
        }
        expect(admin.everReceived("15557654321")).toBe(true);
      } finally {
        supervisor.close();
      }
    });

    it("attended transfer from the phone (*2 feature code) to a recorded colleague: one call, one recording (failure 5)", async () => {
      const { phones, carrier, callsight } = site;
      await withRecordingPolicy(callsight, "1003", "all", async () => {
        await carrier.answer({ ringMs: 300 });
        await phones["1003"]!.answer({ ringMs: 300 });
        // 1002 calls out, presses *2 and dials 1003 (a consultation through a Local channel), talks to
        // 1003, then hangs up: the outside party and 1003 are left talking.
        const transferrer = await phones["1002"]!.call("17778732492", [
          { pauseMs: 800 },
          { dtmf: "*21003" },
          { pauseMs: 3000 },
          { hangup: true },
        ]);
        const before = await admin.sees("1002 on the outbound call", onCallWith("1002", "17778732492"));
        expect(await transferrer.done).toBe(0);
        const after = await admin.sees(
          "1003 on a call with the outside party",
          onCallWith("1003", "17778732492"),
          30_000,
        );
        expect(after.call).toBe(before.call);
        await admin.sees("1003's call recorded", (v) => v.person("1003")?.calls?.find((c) => c.recording));
        await site.pbx.hangupAll();
        // Every file the PBX wrote for the call is processed (failure 5 left a second one in the spool).
        const list = await storedRecordings(callsight, site.pbx.monitorDir, before.call!);
        expect(list).toHaveLength(1);
        expect(list[0]).toMatchObject({ extension: "1003", requiredBy: ["1003"] });
      });
    });

    it("attended transfer started by the phone (SIP REFER with Replaces): the outside party ends up with 1003, one call", async () => {
      const { phones, carrier } = site;
      await carrier.answer({ ringMs: 300 });
      await phones["1003"]!.answer({ ringMs: 300 });
      await phones["1001"]!.attendedTransfer("17778732492", "1003");
      const before = await admin.sees("1001 on the outbound call", onCallWith("1001", "17778732492"));
      await admin.sees("1001 consulting 1003", onCallWith("1003", "1001"));
      const after = await admin.sees(
        "1003 on a call with the outside party",
        onCallWith("1003", "17778732492"),
        30_000,
      );
      expect(after.call).toBe(before.call);
      await admin.sees("1001 free", (v) => v.person("1001")?.presence === "available", 30_000);
      expect(admin.person("1003")?.calls).toHaveLength(1);
    });

    it("a recorded call parked and picked up by a colleague stays one recording, 1001's", async () => {
      const { phones, carrier, callsight } = site;
      await withRecordingPolicy(callsight, "1001", "all", async () => {
        await carrier.answer({ ringMs: 300 });
        await phones["1001"]!.call("17778732492", [{ pauseMs: 800 }, { refer: "700" }]);
        const parked = await admin.sees("a parked call", (v) => v.view?.parked[0]);
        await phones["1003"]!.answer({ ringMs: 200 });
        const res = await callsight.api("POST", "/v1/operations/parked-pickup", "1003", {
          call: parked.call,
        });
        expect(res.status, JSON.stringify(res.body)).toBe(202);
        const call = await admin.sees("1003 with the outside party, recorded", (v) =>
          v
            .person("1003")
            ?.calls?.find((c) => c.recording && c.remote?.some((r) => r.number === "17778732492")),
        );
        expect(call.call).toBe(parked.call);
        await site.pbx.hangupAll();
        const list = await storedRecordings(callsight, site.pbx.monitorDir, parked.call);
        expect(list).toHaveLength(1);
        expect(list[0]).toMatchObject({ extension: "1001", requiredBy: ["1001"], direction: "outbound" });
      });
    });

    describe("each recording setting of 1001 on internal, inbound and outbound calls", () => {
      const kinds = ["internal", "inbound", "outbound"] as const;
      for (const policy of ["off", "external", "all"] as const) {
        for (const kind of kinds) {
          const recorded = policy === "all" || (policy === "external" && kind !== "internal");
          it(`${policy} on an ${kind} call: ${recorded ? "recorded once, as 1001's" : "not recorded"}`, async () => {
            const { phones, carrier, callsight, pbx } = site;
            await withRecordingPolicy(callsight, "1001", policy, async () => {
              const before = admin.history.get("1001")?.length ?? 0;
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
              if (recorded)
                await admin.sees("1001's call recorded", (v) =>
                  v.person("1001")?.calls?.find((c) => c.recording),
                );
              await pbx.hangupAll();
              await admin.sees("1001 free", (v) => v.person("1001")?.presence === "available");
              const shownRecorded = (admin.history.get("1001") ?? [])
                .slice(before)
                .some((p) => p.calls?.some((c) => c.recording));
              expect(shownRecorded).toBe(recorded);
              if (!recorded) return;
              const list = await storedRecordings(callsight, pbx.monitorDir, call.call!);
              expect(list).toHaveLength(1);
              expect(list[0]).toMatchObject({ extension: "1001", requiredBy: ["1001"], direction: kind });
              expect(basename(list[0].file)).toBe(`${call.call}-1001.wav`);
              const mine = await callsight.api(
                "GET",
                `/v1/recordings?call=${encodeURIComponent(call.call!)}`,
                "1001",
              );
              expect(mine.body.recordings).toHaveLength(1);
            });
          });
        }
      }
    });
  });
}
