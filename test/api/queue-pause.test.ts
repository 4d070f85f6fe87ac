// Pausing a queue member through the API on each simulated PBX (rule OQ, README "Queues and ring groups"):
// oneself, a supervisor for their queue's members, nobody else; only a member the PBX reports logged in; the
// PBX is asked as it expects (AMI QueuePause with the reason, mod_callcenter's agent status) and the panel
// shows the pause once the PBX reports it back. Every attempt is audited. Real sockets, Redis and API.

import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../ami/helpers.js";
import { type Harness, startHarness } from "./harness.js";
import { CONFIG, type Pbx, SIMULATED_PBXES } from "./sim-pbx.js";

/** The sample directory with Sales owning the Sales queue of every simulated PBX. */
const QUEUES_CONFIG = CONFIG.replace(
  "  - id: sales\n    name: Sales\n",
  '  - id: sales\n    name: Sales\n    queues: [{ name: "400" }, { name: "sales@default" }]\n',
);

const ASKED: Record<string, { pause: RegExp; unpause: RegExp; reason?: string }> = {
  "Asterisk AMI": {
    pause: /^queuepause queue=400 interface=Local\/1001@from-queue\/n paused=true reason=Lunch$/,
    unpause: /^queuepause queue=400 interface=Local\/1001@from-queue\/n paused=false$/,
    reason: "Lunch",
  },
  // FreeSWITCH keeps no reason: its agent status is the pause.
  "FreeSWITCH ESL": {
    pause: /^api callcenter_config agent set status 1001@default 'On Break'$/,
    unpause: /^api callcenter_config agent set status 1001@default 'Available'$/,
    reason: "On Break",
  },
};

describe.each(SIMULATED_PBXES)("pausing a queue member on %s, through the API", (name, make) => {
  let h: Harness | undefined;
  let pbx: Pbx | undefined;

  afterEach(async () => {
    await h?.close();
    await pbx?.stop();
  });

  it("oneself and a supervisor may, a colleague may not; only a logged-in member; audited", async () => {
    pbx = await make();
    h = await startHarness({ drivers: [pbx.driver], config: QUEUES_CONFIG });
    await waitFor(() => pbx!.driver.status().connected, "the PBX connected");
    const [alice, bob, dave, erin, admin] = (await Promise.all(
      ["1001", "1002", "1004", "1005", "admin"].map((u) => h!.token(u)),
    )) as [string, string, string, string, string];
    const q = encodeURIComponent(pbx.queue);
    const put = (token: string, user: string, body: unknown) =>
      h!.request("PUT", `/v1/queues/${q}/agents/${user}`, token, body);
    const aliceOnPanel = async () =>
      (await h!.request("GET", "/v1/queues", dave)).body.queues
        .find((p: { queue: string }) => p.queue === pbx!.queue)
        ?.agents.find((a: { user?: string }) => a.user === "1001");

    // Bad input names the field; a department without the queue does not know it.
    const bad = await put(alice, "me", { paused: "yes" });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain("paused");
    expect((await put(erin, "me", { paused: true })).status).toBe(404);

    // Not a member as far as the PBX said: refused before the PBX is asked.
    const early = await put(alice, "me", { paused: true, reason: "Lunch" });
    expect(early.status).toBe(409);
    expect(early.body.reason).toBe("not-a-member");
    if (!pbx.queueMember) return; // ARI alone reports no queue members (its AMI companion does).

    pbx.queueMember("1001");
    await waitFor(async () => (await aliceOnPanel())?.loggedIn === true, "Alice a member on the panel");
    const expected = ASKED[name]!;

    const paused = await put(alice, "me", { paused: true, reason: "Lunch" });
    expect(paused.status).toBe(202);
    expect(paused.body).toMatchObject({ status: "accepted", user: "1001", queue: pbx.queue, pbx: "main" });
    expect(pbx.asked().some((l) => expected.pause.test(l))).toBe(true);
    await waitFor(async () => (await aliceOnPanel())?.paused === true, "Alice paused on the panel");
    expect((await aliceOnPanel())?.pauseReason).toBe(expected.reason);

    // A colleague may not; the supervisor of her queue may.
    const byBob = await put(bob, "1001", { paused: false });
    expect(byBob.status).toBe(403);
    expect((await put(dave, "1001", { paused: false })).status).toBe(202);
    expect(pbx.asked().some((l) => expected.unpause.test(l))).toBe(true);
    await waitFor(async () => (await aliceOnPanel())?.paused === false, "Alice available again");

    const entries = (await h.request("GET", "/v1/audit?action=queuePause&order=oldest", admin)).body.entries;
    // The 400 reached no rule; every request that did is an entry.
    expect(entries.map((e: { actor: string; outcome: string }) => `${e.actor} ${e.outcome}`)).toEqual([
      "1005 refused",
      "1001 refused",
      "1001 accepted",
      "1002 refused",
      "1004 accepted",
    ]);
  });
});
