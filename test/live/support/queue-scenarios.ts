// Queues and ring groups on a real PBX (Asterisk's app_queue over AMI and over ARI with its companion,
// FreeSWITCH's mod_callcenter over ESL), configured as FreePBX / FusionPBX configure them (README "Queues and
// ring groups"). sipp plays the carrier and the agents' phones; everything is asserted through the API and
// the stream: one call with its real parties, the members ringing, the waiting caller on the Sales queue's
// panel (named only for those rule Q allows), who answered, the day's counters and the call history.

import { expect, it } from "vitest";
import type { QueueView } from "../../../src/domain/visibility.js";
import type { LiveCallsight } from "./callsight.js";
import { until } from "./processes.js";
import { onCallWith, storedRecordingsOf, TALK_THEN_HANG_UP, withRecordingPolicy } from "./scenarios.js";
import type { SippEndpoint } from "./sipp.js";
import { LiveViewer } from "./viewer.js";

export interface QueueLive {
  site: {
    callsight: LiveCallsight;
    phones: Record<string, SippEndpoint>;
    carrier: SippEndpoint;
    pbx: { hangupAll(): Promise<void> };
  };
  /** Sees everything. */
  admin: LiveViewer;
  /** The queue as the PBX names it, and the DID that reaches it. */
  queue: string;
  did: string;
}

const CALLER = "15551234567";

const panelOf = (v: LiveViewer, queue: string): QueueView | undefined =>
  v.view?.queues?.find((q) => q.queue === queue);

export function queueScenarios(live: () => QueueLive): void {
  it("a queue call: the caller waits (named for agents and supervisors only), both agents ring, Alice takes it", async () => {
    const { site, admin, queue, did } = live();
    const { phones, carrier, callsight, pbx } = site;
    const dave = await LiveViewer.connect(callsight, "1004"); // Sales supervisor
    const carol = await LiveViewer.connect(callsight, "1003"); // Sales, not in the queue
    const frank = await LiveViewer.connect(callsight, "1006"); // Support: no panel
    try {
      await admin.sees("the PBX link up", (v) => v.view?.links.every((l) => l.state === "up"));
      // Before any queue call: the members as the PBX's resync lists them (QueueStatus; callcenter_config).
      await admin.sees("Alice and Bob logged in to the queue", (v) =>
        ["1001", "1002"].every((u) => panelOf(v, queue)?.agents.some((a) => a.user === u && a.loggedIn)),
      );
      const answered0 = panelOf(admin, queue)?.today.answered ?? 0;
      const alice = await phones["1001"]!.answer({ ringMs: 3000 });
      const bob = await phones["1002"]!.answer("ring-until-cancelled");
      await carrier.call(did);
      // Waiting: the supervisor sees who; a colleague outside the queue sees that someone waits.
      const waiting = await dave.sees("a caller waiting in the queue", (v) => panelOf(v, queue)?.waiting[0]);
      expect(waiting.caller?.number).toBe(CALLER);
      const seenByCarol = await carol.sees("a caller waiting", (v) => panelOf(v, queue)?.waiting[0]);
      expect(seenByCarol.caller).toBeUndefined();
      // Both agents' phones ring for the one call.
      await admin.sees("Alice and Bob ringing", (v) =>
        ["1001", "1002"].every((u) => v.person(u)?.presence === "ringing"),
      );
      // Alice answers: one call, the outside caller with Alice (no Local channel), Bob back to available.
      // (Bob's phone is in the call until the PBX has cancelled it.)
      await admin.sees("Alice on the queue call, with the outside caller only", (v) =>
        v
          .person("1001")
          ?.calls?.some(
            (c) =>
              c.state === "up" &&
              c.direction === "inbound" &&
              c.remote?.map((p) => p.number).join() === CALLER,
          ),
      );
      await admin.sees("Bob available again", (v) => v.person("1002")?.presence === "available");
      const during = await admin.sees("Alice on a queue call on the panel", (v) => {
        const p = panelOf(v, queue);
        return p?.waiting.length === 0 && p.agents.some((a) => a.user === "1001" && a.onQueueCall)
          ? p
          : undefined;
      });
      expect(during.today.answered).toBe(answered0 + 1);
      expect(frank.view?.queues).toEqual([]);
      expect(frank.everReceived(CALLER)).toBe(false);
      await pbx.hangupAll();
      expect(await alice.done).toBe(0);
      expect(await bob.done).toBe(0);
      // The history: one row, answered, through the queue; Bob's ringing was not a missed call of his.
      const row = await until(async () => {
        const { body } = await callsight.api("GET", "/v1/history?user=1002&limit=5", "admin");
        return body.history?.find((r: { queue?: string }) => r.queue === queue);
      }, "the queue call in the history");
      expect(row.answered).toBe(true);
      const outcome = (u: string) => row.parties.find((p: { user?: string }) => p.user === u);
      expect(outcome("1001")).toMatchObject({ talked: true });
      expect(outcome("1002")).toMatchObject({ answeredElsewhere: true });
      expect(outcome("1002").missed).toBeUndefined();
    } finally {
      dave.close();
      carol.close();
      frank.close();
    }
  });

  it("an abandoned queue call: nobody answers, the caller hangs up while waiting: abandoned, not answered", async () => {
    const { site, admin, queue, did } = live();
    const { phones, carrier, callsight } = site;
    const abandoned0 = panelOf(admin, queue)?.today.abandoned ?? 0;
    const alice = await phones["1001"]!.answer("ring-until-cancelled");
    const bob = await phones["1002"]!.answer("ring-until-cancelled");
    const caller = await carrier.call(did, [{ pauseMs: 4000 }, { hangup: true }]);
    await admin.sees("a caller waiting", (v) => panelOf(v, queue)?.waiting.length === 1);
    expect(await caller.done).toBe(0);
    const after = await admin.sees("the caller gone, counted abandoned", (v) => {
      const p = panelOf(v, queue);
      return p?.waiting.length === 0 && p.today.abandoned === abandoned0 + 1 ? p : undefined;
    });
    expect(after.today.longestWaitMs).toBeGreaterThanOrEqual(3000);
    await admin.sees("Alice and Bob available", (v) =>
      ["1001", "1002"].every((u) => v.person(u)?.presence === "available"),
    );
    expect(await alice.done).toBe(0);
    expect(await bob.done).toBe(0);
    const row = await until(async () => {
      const { body } = await callsight.api("GET", "/v1/history?user=1001&limit=5", "admin");
      return body.history?.find(
        (r: { queue?: string; answered: boolean }) => r.queue === queue && !r.answered,
      );
    }, "the abandoned call in the history");
    expect(row.talkMs).toBe(0);
    for (const u of ["1001", "1002"])
      expect(row.parties.find((p: { user?: string }) => p.user === u)?.missed).toBeUndefined();
  });
}

/** Pausing through the API (after queueScenarios: the PBX has reported the queue's members by then). */
export function queuePauseScenario(live: () => QueueLive & { pauseReason: (asked: string) => string }): void {
  it("Alice pauses herself with a reason, the PBX takes her out of the queue; her supervisor unpauses her", async () => {
    const { site, admin, queue, pauseReason } = live();
    const { callsight } = site;
    const path = `/v1/queues/${encodeURIComponent(queue)}/agents`;
    const alice = () => panelOf(admin, queue)?.agents.find((a) => a.user === "1001");
    await admin.sees("Alice a logged-in member", () => alice()?.loggedIn === true);
    const paused = await callsight.api("PUT", `${path}/me`, "1001", { paused: true, reason: "Lunch" });
    expect(paused.status).toBe(202);
    const shown = await admin.sees("Alice paused on the panel, as the PBX reports it", () =>
      alice()?.paused ? alice() : undefined,
    );
    expect(shown.pauseReason).toBe(pauseReason("Lunch"));
    expect(shown.pausedSince).toBeGreaterThan(0);
    // Bob may not unpause her; Dave, who supervises Sales, may.
    expect((await callsight.api("PUT", `${path}/1001`, "1002", { paused: false })).status).toBe(403);
    expect((await callsight.api("PUT", `${path}/1001`, "1004", { paused: false })).status).toBe(202);
    await admin.sees("Alice available in the queue again", () => alice()?.paused === false);
    const audit = await callsight.api("GET", "/v1/audit?action=queuePause&order=oldest", "admin");
    expect(
      audit.body.entries.map((e: { actor: string; outcome: string }) => `${e.actor} ${e.outcome}`),
    ).toEqual(["1001 accepted", "1002 refused", "1004 accepted"]);
  });
}

/**
 * Logging in and out through the API (Asterisk: a dynamic member added and removed with the site's member
 * template; FreeSWITCH: the agent FusionPBX set up, Logged Out, made Available and back). Carol is not a
 * member before. Asterisk's queues.conf members are static: they cannot log out.
 */
export function queueLoginScenario(live: () => QueueLive & { staticMembers: boolean }): void {
  it("Carol logs herself in to the queue, her supervisor logs her out; the panel follows the PBX", async () => {
    const { site, admin, queue, staticMembers } = live();
    const { callsight } = site;
    const path = `/v1/queues/${encodeURIComponent(queue)}/agents`;
    const agent = (user: string) => panelOf(admin, queue)?.agents.find((a) => a.user === user);
    await admin.sees("the queue's members known", () => agent("1001")?.loggedIn === true);
    expect(agent("1003")?.loggedIn ?? false).toBe(false);
    const login = await callsight.api("PUT", `${path}/me`, "1003", { loggedIn: true });
    expect(login.status, JSON.stringify(login.body)).toBe(202);
    await admin.sees(
      "Carol logged in to the queue, as the PBX reports it",
      () => agent("1003")?.loggedIn === true,
    );
    expect(agent("1003")?.paused).toBe(false);
    const twice = await callsight.api("PUT", `${path}/me`, "1003", { loggedIn: true });
    expect([twice.status, twice.body.reason]).toEqual([409, "already-logged-in"]);
    // Bob may not log her out; Dave, who supervises Sales, may.
    expect((await callsight.api("PUT", `${path}/1003`, "1002", { loggedIn: false })).status).toBe(403);
    const logout = await callsight.api("PUT", `${path}/1003`, "1004", { loggedIn: false });
    expect(logout.status, JSON.stringify(logout.body)).toBe(202);
    await admin.sees("Carol out of the queue", () => agent("1003")?.loggedIn !== true);
    const outcomes = ["1003 accepted", "1003 refused", "1002 refused", "1004 accepted"];
    if (staticMembers) {
      // queues.conf's members are the PBX's to change: Asterisk says no, and Callsight passes that on.
      const bob = await callsight.api("PUT", `${path}/1002`, "1004", { loggedIn: false });
      expect([bob.status, bob.body.reason]).toEqual([409, "static-member"]);
      expect(agent("1002")?.loggedIn).toBe(true);
      outcomes.push("1004 refused");
    }
    const audit = await callsight.api("GET", "/v1/audit?action=queueLogin&order=oldest", "admin");
    expect(
      audit.body.entries.map((e: { actor: string; outcome: string }) => `${e.actor} ${e.outcome}`),
    ).toEqual(outcomes);
  });
}

/**
 * The DND link, switched on for Sales through the admin API: Alice's DND (set with her status, which Callsight
 * writes to the PBX) pauses her in the queue, as the PBX then reports; leaving DND unpauses her.
 */
export function queueDndLinkScenario(live: () => QueueLive & { dndPause: string }): void {
  it("with Sales's DND link on, Alice's DND pauses her in the queue and leaving it unpauses her", async () => {
    const { site, admin, queue, dndPause } = live();
    const { callsight } = site;
    const alice = () => panelOf(admin, queue)?.agents.find((a) => a.user === "1001");
    await admin.sees(
      "Alice a logged-in member, not paused",
      () => alice()?.loggedIn === true && !alice()?.paused,
    );
    const on = await callsight.api("PATCH", "/v1/admin/departments/sales", "admin", {
      pauseQueuesOnDnd: true,
    });
    expect(on.status, JSON.stringify(on.body)).toBe(200);
    try {
      expect((await callsight.api("PUT", "/v1/status", "1001", { status: "dnd" })).status).toBe(202);
      const paused = await admin.sees("Alice paused by her DND, as the PBX reports it", () =>
        alice()?.paused ? alice() : undefined,
      );
      expect(paused.pauseReason).toBe(dndPause);
      expect((await callsight.api("PUT", "/v1/status", "1001", { status: "available" })).status).toBe(202);
      await admin.sees("Alice unpaused when she left DND", () => alice()?.paused === false);
      const audit = await callsight.api(
        "GET",
        "/v1/audit?action=queuePause&actor=callsight&order=oldest",
        "admin",
      );
      expect(
        audit.body.entries
          .filter((e: { detail: { by?: string } }) => e.detail.by === "dnd-link")
          .map((e: { outcome: string; detail: { paused: boolean } }) => `${e.detail.paused} ${e.outcome}`),
      ).toEqual(["true accepted", "false accepted"]);
    } finally {
      await callsight.api("PATCH", "/v1/admin/departments/sales", "admin", { pauseQueuesOnDnd: false });
    }
  });
}

/**
 * Operations on a queue member's real phone channel (never the queue's Local or loopback leg): a colleague
 * picks up a member's ringing queue call, a supervisor listens to the member who answered, and a member whose
 * setting is `external` is recorded on the carrier call the queue brought: once, as theirs.
 */
export function queueMemberScenarios(live: () => QueueLive): void {
  it("a colleague picks up Alice's ringing queue call through the API: Carol talks with the caller, one call", async () => {
    const { site, admin, did } = live();
    const { phones, carrier, callsight, pbx } = site;
    const alice = await phones["1001"]!.answer("ring-until-cancelled");
    const bob = await phones["1002"]!.answer("ring-until-cancelled");
    await phones["1003"]!.answer({ ringMs: 200 });
    await carrier.call(did);
    await admin.sees("Alice and Bob ringing for the queue call", (v) =>
      ["1001", "1002"].every((u) => v.person(u)?.presence === "ringing"),
    );
    const res = await callsight.api("POST", "/v1/operations/pickup", "1003", { target: "1001" });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    await admin.sees("Carol on the call with the outside caller", onCallWith("1003", CALLER));
    await admin.sees("Alice and Bob free", (v) =>
      ["1001", "1002"].every((u) => v.person(u)?.presence === "available"),
    );
    expect(admin.view?.people.filter((p) => p.calls?.length).map((p) => p.id)).toEqual(["1003"]);
    await pbx.hangupAll();
    for (const run of [alice, bob]) expect(await run.done).toBe(0);
  });

  it("a supervisor listens to the member who answered a queue call: the session is on Alice's call", async () => {
    const { site, admin, did } = live();
    const { phones, carrier, callsight, pbx } = site;
    await phones["1001"]!.answer({ ringMs: 300 });
    await phones["1002"]!.answer("ring-until-cancelled");
    await carrier.call(did);
    const call = await admin.sees("Alice on the queue call", onCallWith("1001", CALLER));
    await phones["1004"]!.answer({ ringMs: 200 });
    const res = await callsight.api("POST", "/v1/operations/listen", "1004", { target: "1001" });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const session = await admin.sees("a listen session on Alice", (v) =>
      v.view?.monitoring.find((m) => m.mode === "listen" && m.target === "1001"),
    );
    expect(session.by).toBe("1004");
    // Still one call between the caller and Alice: the supervisor's leg is not a party.
    expect(onCallWith("1001", CALLER)(admin)?.call).toBe(call.call);
    await pbx.hangupAll();
    await admin.sees("the session gone", (v) => v.view?.monitoring.length === 0);
  });

  it("Alice records `external`: the carrier call the queue brought her is recorded once, as hers", async () => {
    const { site, admin, did } = live();
    const { phones, carrier, callsight, pbx } = site;
    await withRecordingPolicy(callsight, "1001", "external", async () => {
      await phones["1001"]!.answer({ ringMs: 300 });
      await phones["1002"]!.answer("ring-until-cancelled");
      // A call of a few seconds, ended by the caller: the recording has audio to keep.
      await carrier.call(did, TALK_THEN_HANG_UP);
      // Recorded from her answer (the dialplan's hook), while the PBX cancels Bob's phone.
      const call = await admin.sees("Alice on the queue call, recorded, with the outside caller only", (v) =>
        v
          .person("1001")
          ?.calls?.find(
            (c) => c.state === "up" && c.recording && c.remote?.map((p) => p.number).join() === CALLER,
          ),
      );
      await admin.sees("Alice free", (v) => v.person("1001")?.presence === "available", 30_000);
      await pbx.hangupAll();
      const stored = await storedRecordingsOf(callsight, call.call!, "the queue call's recording stored");
      expect(stored).toHaveLength(1);
      expect(stored[0]).toMatchObject({ extension: "1001", requiredBy: ["1001"], direction: "inbound" });
    });
  });
}
