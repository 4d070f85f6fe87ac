// Logging in to a queue and out of it through the API on each simulated PBX (rule OQ, README "Queues and ring
// groups"): oneself, a supervisor for their queue's members, nobody else; never twice; the PBX is asked as it
// expects (AMI QueueAdd with the FreePBX member template and QueueRemove; mod_callcenter's agent status after
// finding the extension's agent) and the panel shows the change once the PBX reports it back. ARI alone has no
// queue actions. Every attempt is audited. Real sockets, Redis and API.

import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../ami/helpers.js";
import { type Harness, startHarness } from "./harness.js";
import { CONFIG, type Pbx, SIMULATED_PBXES } from "./sim-pbx.js";

const QUEUES_CONFIG = CONFIG.replace(
  "  - id: sales\n    name: Sales\n",
  '  - id: sales\n    name: Sales\n    queues: [{ name: "400" }, { name: "sales@default" }]\n',
);

const ASKED: Record<string, { login: RegExp[]; logout: RegExp }> = {
  "Asterisk AMI": {
    login: [
      /^queueadd queue=400 interface=Local\/1002@from-queue\/n stateinterface=hint:1002@ext-local membername=Bob Sales paused=false$/,
    ],
    logout: /^queueremove queue=400 interface=Local\/1002@from-queue\/n$/,
  },
  "FreeSWITCH ESL": {
    login: [
      /^api callcenter_config queue list agents sales@default$/,
      /^api callcenter_config agent set status 1002@default 'Available'$/,
    ],
    logout: /^api callcenter_config agent set status 1002@default 'Logged Out'$/,
  },
};

describe.each(SIMULATED_PBXES)("logging in to a queue on %s, through the API", (name, make) => {
  let h: Harness | undefined;
  let pbx: Pbx | undefined;

  afterEach(async () => {
    await h?.close();
    await pbx?.stop();
  });

  it("oneself and a supervisor may, a colleague may not; not twice; audited", async () => {
    pbx = await make();
    h = await startHarness({ drivers: [pbx.driver], config: QUEUES_CONFIG });
    await waitFor(() => pbx!.driver.status().connected, "the PBX connected");
    const [bob, carol, dave, admin] = (await Promise.all(
      ["1002", "1003", "1004", "admin"].map((u) => h!.token(u)),
    )) as [string, string, string, string];
    const q = encodeURIComponent(pbx.queue);
    const put = (token: string, user: string, body: unknown) =>
      h!.request("PUT", `/v1/queues/${q}/agents/${user}`, token, body);
    const bobOnPanel = async () =>
      (await h!.request("GET", "/v1/queues", admin)).body.queues
        .find((p: { queue: string }) => p.queue === pbx!.queue)
        ?.agents.find((a: { user?: string }) => a.user === "1002");

    // Bad input names the field.
    const both = await put(bob, "me", { loggedIn: true, paused: false });
    expect(both.status).toBe(400);
    expect(both.text).toContain("loggedIn");
    const reasonAlone = await put(bob, "me", { loggedIn: true, reason: "Lunch" });
    expect(reasonAlone.status).toBe(400);
    expect(reasonAlone.text).toContain("reason");

    // Logging out a user the PBX does not list: refused before the PBX is asked.
    const early = await put(bob, "me", { loggedIn: false });
    expect(early.status).toBe(409);
    expect(early.body.reason).toBe("not-a-member");

    const login = await put(bob, "me", { loggedIn: true });
    const expected = ASKED[name];
    if (!expected) {
      // ARI has no queue actions; without an AMI companion it says so.
      expect(login.status).toBe(409);
      expect(login.body.reason).toBe("needs-ami-companion");
      return;
    }
    expect(login.status).toBe(202);
    expect(login.body).toMatchObject({ status: "accepted", user: "1002", queue: pbx.queue, pbx: "main" });
    for (const line of expected.login) expect(pbx.asked().some((l) => line.test(l))).toBe(true);
    await waitFor(async () => (await bobOnPanel())?.loggedIn === true, "Bob logged in on the panel");
    const shown = await bobOnPanel();
    expect(shown?.paused).toBe(false);

    // Not twice: the PBX lists him already.
    const again = await put(bob, "me", { loggedIn: true });
    expect(again.status).toBe(409);
    expect(again.body.reason).toBe("already-logged-in");

    // A colleague may not log him out; the supervisor of his queue may.
    expect((await put(carol, "1002", { loggedIn: false })).status).toBe(403);
    const out = await put(dave, "1002", { loggedIn: false });
    expect(out.status).toBe(202);
    expect(pbx.asked().some((l) => expected.logout.test(l))).toBe(true);
    await waitFor(async () => (await bobOnPanel())?.loggedIn !== true, "Bob logged out on the panel");

    const entries = (await h.request("GET", "/v1/audit?action=queueLogin&order=oldest", admin)).body.entries;
    expect(
      entries.map(
        (e: { actor: string; target: string; outcome: string; detail: { loggedIn: boolean } }) =>
          `${e.actor} ${e.target} ${e.detail.loggedIn ? "in" : "out"} ${e.outcome}`,
      ),
    ).toEqual([
      "1002 1002 out refused",
      "1002 1002 in accepted",
      "1002 1002 in refused",
      "1003 1002 out refused",
      "1004 1002 out accepted",
    ]);
  });
});
