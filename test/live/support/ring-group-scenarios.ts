// Ring groups on a real PBX (issue 17): every member's phone rings for one call (FreePBX ringall through
// Local/<ext>@from-ring-group/n; FusionPBX's simultaneous bridge), or one after the other (FreePBX hunt:
// consecutive Dials; FusionPBX's sequence bridge), and the recording policy applies to the member who answers.
// Asserted through the board, the history and the recordings, as a user sees them.

import { expect, it } from "vitest";
import { until } from "./processes.js";
import type { QueueLive } from "./queue-scenarios.js";
import { storedRecordingsOf, TALK_THEN_HANG_UP, withRecordingPolicy } from "./scenarios.js";

const CALLER = "15551234567";

/** Ring group 600 (Asterisk: FreePBX ringall through Local/<ext>@from-ring-group/n). */
export function ringGroupScenario(live: () => QueueLive & { ringGroupDid: string }): void {
  it("a ring group: three phones ring for one call, Bob answers, the others were not missed", async () => {
    const { site, admin, ringGroupDid } = live();
    const { phones, carrier, callsight, pbx } = site;
    const alice = await phones["1001"]!.answer("ring-until-cancelled");
    const bob = await phones["1002"]!.answer({ ringMs: 2000 });
    const carol = await phones["1003"]!.answer("ring-until-cancelled");
    await carrier.call(ringGroupDid);
    await admin.sees("three phones ringing", (v) =>
      ["1001", "1002", "1003"].every((u) => v.person(u)?.presence === "ringing"),
    );
    await admin.sees("Bob on the call, with the outside caller only", (v) =>
      v
        .person("1002")
        ?.calls?.some(
          (c) =>
            c.state === "up" && c.direction === "inbound" && c.remote?.map((p) => p.number).join() === CALLER,
        ),
    );
    await admin.sees("Alice and Carol available", (v) =>
      ["1001", "1003"].every((u) => v.person(u)?.presence === "available"),
    );
    // One call only: nobody else is on a call.
    expect(admin.view?.people.filter((p) => p.calls?.length).map((p) => p.id)).toEqual(["1002"]);
    await pbx.hangupAll();
    for (const run of [alice, bob, carol]) expect(await run.done).toBe(0);
    const row = await until(async () => {
      const { body } = await callsight.api("GET", "/v1/history?user=1003&limit=5", "admin");
      return body.history?.find((r: { parties: { user?: string }[] }) =>
        ["1001", "1002", "1003"].every((u) => r.parties.some((p) => p.user === u)),
      );
    }, "the ring-group call in the history");
    const outcome = (u: string) => row.parties.find((p: { user?: string }) => p.user === u);
    expect(outcome("1002")).toMatchObject({ talked: true });
    expect(outcome("1001")).toMatchObject({ answeredElsewhere: true });
    expect(outcome("1003")).toMatchObject({ answeredElsewhere: true });
  });
}

/** The recording policy on a ring-group call: it applies to the member who answered, and to them only. */
export function ringGroupRecordingScenario(live: () => QueueLive & { ringGroupDid: string }): void {
  it("Bob records `external`: the ring-group call he answers is recorded once, as his; Alice (`all`), who only rang, is not charged", async () => {
    const { site, admin, ringGroupDid } = live();
    const { phones, carrier, callsight, pbx } = site;
    await withRecordingPolicy(callsight, "1002", "external", () =>
      withRecordingPolicy(callsight, "1001", "all", async () => {
        const alice = await phones["1001"]!.answer("ring-until-cancelled");
        await phones["1002"]!.answer({ ringMs: 500 });
        const carol = await phones["1003"]!.answer("ring-until-cancelled");
        await carrier.call(ringGroupDid, TALK_THEN_HANG_UP);
        // Recorded from his answer (the dialplan's hook), while the PBX cancels the others' phones.
        await admin.sees("Bob on the ring-group call, recorded", (v) =>
          v.person("1002")?.calls?.find((c) => c.state === "up" && c.recording),
        );
        const call = await admin.sees("Bob recorded, with the outside caller only", (v) =>
          v
            .person("1002")
            ?.calls?.find(
              (c) => c.state === "up" && c.recording && c.remote?.map((p) => p.number).join() === CALLER,
            ),
        );
        await admin.sees("Alice and Carol available", (v) =>
          ["1001", "1003"].every((u) => v.person(u)?.presence === "available"),
        );
        for (const run of [alice, carol]) expect(await run.done).toBe(0);
        await admin.sees("Bob free", (v) => v.person("1002")?.presence === "available", 30_000);
        await pbx.hangupAll();
        const stored = await storedRecordingsOf(
          callsight,
          call.call!,
          "the ring-group call's recording stored",
        );
        expect(stored).toHaveLength(1);
        expect(stored[0]).toMatchObject({ extension: "1002", requiredBy: ["1002"], direction: "inbound" });
      }),
    );
  });
}

/** Ring group 601, hunting (Asterisk: FreePBX consecutive Dials; FreeSWITCH: FusionPBX sequence), 4 s each. */
export function huntGroupScenario(live: () => QueueLive & { huntGroupDid: string }): void {
  it("a hunt group: Alice rings alone and does not answer, then Bob rings and answers; one call, Carol never rang", async () => {
    const { site, admin, huntGroupDid } = live();
    const { phones, carrier, callsight, pbx } = site;
    const carolBefore = admin.history.get("1003")?.length ?? 0;
    const alice = await phones["1001"]!.answer("ring-until-cancelled");
    const bob = await phones["1002"]!.answer({ ringMs: 1000 });
    await carrier.call(huntGroupDid);
    await admin.sees(
      "Alice ringing alone",
      (v) => v.person("1001")?.presence === "ringing" && v.person("1002")?.presence === "available",
    );
    const call = await admin.sees("Bob on the call, with the outside caller only", (v) =>
      v
        .person("1002")
        ?.calls?.find(
          (c) =>
            c.state === "up" && c.direction === "inbound" && c.remote?.map((p) => p.number).join() === CALLER,
        ),
    );
    await admin.sees("Alice available again", (v) => v.person("1001")?.presence === "available");
    expect(admin.view?.people.filter((p) => p.calls?.length).map((p) => p.id)).toEqual(["1002"]);
    await pbx.hangupAll();
    for (const run of [alice, bob]) expect(await run.done).toBe(0);
    // The group stopped at Bob: Carol's phone never rang.
    expect(
      (admin.history.get("1003") ?? []).slice(carolBefore).every((p) => p.presence === "available"),
    ).toBe(true);
    const row = await until(async () => {
      const { body } = await callsight.api("GET", "/v1/history?user=1002&limit=5", "admin");
      return body.history?.find((r: { call: string }) => r.call === call.call);
    }, "the hunt-group call in the history");
    const outcome = (u: string) => row.parties.find((p: { user?: string }) => p.user === u);
    expect(outcome("1002")).toMatchObject({ talked: true });
    // Alice was tried: the group's call was answered (by Bob), so not a call she missed.
    expect(outcome("1001")).toMatchObject({ answeredElsewhere: true });
    expect(outcome("1001")?.missed).toBeUndefined();
    expect(outcome("1003")).toBeUndefined();
  });
}
