// A user's status through the API on each simulated PBX: the driver writes it where the PBX keeps it (the
// simulator records what it was asked and answers with the events the real PBX emits for it), and the
// board shows what the PBX reported back. An admin sets it for others, nobody else does; every attempt is
// audited; an end time sets the status back to available. Real sockets, a real Redis, the real API.

import { afterEach, describe, expect, it } from "vitest";
import { AmiSimulator } from "../../simulators/ami-simulator.js";
import { AsteriskAmiDriver } from "../../src/pbx/asterisk-ami/driver.js";
import { silentLogger, waitFor } from "../ami/helpers.js";
import { type Harness, StreamClient, startHarness } from "./harness.js";
import { CONFIG, type Pbx, SIMULATED_PBXES } from "./sim-pbx.js";

/** What each simulated PBX is asked for a status, and whether it reports the chosen presence back. */
const EXPECT: Record<string, { asked: (ext: string) => RegExp[]; presence: boolean }> = {
  "Asterisk AMI": {
    asked: (ext) => [
      new RegExp(`^setvar variable=PRESENCE_STATE\\(CustomPresence:${ext}\\) value=dnd,,[A-Za-z0-9+/=]+,e$`),
      new RegExp(`^setvar variable=DEVICE_STATE\\(Custom:DND${ext}\\) value=BUSY$`),
    ],
    presence: true,
  },
  // ARI has no presence events (only the AMI companion reports CustomPresence): DND comes back, away does not.
  "Asterisk ARI": {
    asked: (ext) => [
      new RegExp(
        `^POST /ari/asterisk/variable variable=PRESENCE_STATE%28CustomPresence%3A${ext}%29&value=dnd`,
      ),
      new RegExp(`^POST /ari/asterisk/variable variable=DEVICE_STATE%28Custom%3ADND${ext}%29&value=BUSY$`),
    ],
    presence: false,
  },
  "FreeSWITCH ESL": {
    asked: (ext) => [
      new RegExp(`^api db insert/callsight_dnd/${ext}/on$`),
      new RegExp(`^api db insert/callsight_status/${ext}/dnd$`),
      new RegExp(`^api db insert/callsight_status_note/${ext}/In%20a%20meeting%2C%20back%20soon$`),
      new RegExp(
        `^sendevent CUSTOM Event-Subclass=callsight::dnd callsight-extension=${ext} callsight-dnd=on$`,
      ),
      new RegExp(`^sendevent PRESENCE_IN proto=sip from=${ext}@[^ ]+ .*rpid=dnd .*callsight-status=dnd`),
    ],
    presence: true,
  },
};

describe.each(SIMULATED_PBXES)("a user's status on %s, through the API", (name, make) => {
  let h: Harness | undefined;
  let pbx: Pbx | undefined;
  const streams: StreamClient[] = [];

  afterEach(async () => {
    for (const s of streams.splice(0)) await s.close();
    await h?.close();
    await pbx?.stop();
  });

  async function start(): Promise<Harness> {
    pbx = await make();
    h = await startHarness({ drivers: [pbx.driver], config: CONFIG });
    await waitFor(() => pbx!.driver.status().connected, "the PBX connected");
    await waitFor(() => h!.callsight.resynced("main") !== undefined, "the model resynced");
    return h;
  }

  async function stream(user: string): Promise<StreamClient> {
    const token = await h!.token(user);
    const client = new StreamClient(`${h!.base.replace("http", "ws")}/v1/stream?access_token=${token}`);
    streams.push(client);
    await client.next((m) => m.type === "snapshot");
    return client;
  }

  const expected = EXPECT[name]!;

  it("set by the user: the PBX gets it, reports it back, and the board shows it to colleagues (rule 1)", async () => {
    const h = await start();
    const model = h.callsight.model;
    const alice = await stream("1001");
    const bob = await h.token("1002");

    const set = await h.request("PUT", "/v1/status", bob, { status: "dnd", note: "In a meeting, back soon" });
    expect(set).toMatchObject({ status: 202, body: { status: "accepted", user: "1002" } });
    const asked = pbx!.asked();
    for (const line of expected.asked("1002"))
      expect(
        asked.some((a) => line.test(a)),
        `${line} in\n${asked.join("\n")}`,
      ).toBe(true);

    // The board shows it because the PBX reported it: the presence delta and the status message.
    await waitFor(() => model.presenceOf("1002") === "dnd", "Bob dnd from the PBX's event");
    // The DND and the note may come in two reports (FreeSWITCH: callsight::dnd, then the PRESENCE_IN).
    const note = expected.presence ? "In a meeting, back soon" : undefined;
    await alice.next(
      (m) =>
        m.type === "status" &&
        m.people.some((p: any) => p.user === "1002" && p.status === "dnd" && p.note === note),
    );
    const listed = await h.request("GET", "/v1/status", await h.token("1001"));
    expect(listed.status).toBe(200);
    expect(listed.body.people.find((p: any) => p.user === "1002")).toMatchObject({ status: "dnd" });

    const away = await h.request("PUT", "/v1/status", bob, { status: "away", note: "Lunch" });
    expect(away.status).toBe(202);
    if (expected.presence) {
      await waitFor(() => model.presenceOf("1002") === "away", "Bob away");
      await alice.next(
        (m) => m.type === "status" && m.people.some((p: any) => p.user === "1002" && p.note === "Lunch"),
      );
    } else {
      // Without the AMI companion ARI reports only the DND lamp going off.
      await waitFor(() => model.presenceOf("1002") === "available", "Bob's DND off");
    }
    expect((await h.request("PUT", "/v1/status", bob, { status: "available" })).status).toBe(202);
    await waitFor(() => model.presenceOf("1002") === "available", "Bob available");
  });

  it("an admin sets it for others; nobody else may (403, whoever they name); every attempt audited", async () => {
    const h = await start();
    const model = h.callsight.model;
    const alice = await stream("1001");
    const admin = await h.token("admin");
    const aliceToken = await h.token("1001");

    // Carol shares her presence with nobody but admins: her colleagues get nothing of it.
    const carol = await h.request("PUT", "/v1/users/1003/status", admin, { status: "dnd", note: "Training" });
    expect(carol).toMatchObject({ status: 202, body: { status: "accepted", user: "1003" } });
    await waitFor(() => model.presenceOf("1003") === "dnd", "Carol dnd");
    const adminView = await h.request("GET", "/v1/status", admin);
    expect(adminView.body.people.find((p: any) => p.user === "1003")).toMatchObject({ status: "dnd" });
    expect(
      (await h.request("GET", "/v1/status", aliceToken)).body.people.map((p: any) => p.user),
    ).not.toContain("1003");
    expect(
      alice.messages.some((m) => m.type === "status" && m.people.some((p: any) => p.user === "1003")),
    ).toBe(false);

    const forBob = await h.request("PUT", "/v1/users/1002/status", aliceToken, { status: "away" });
    expect(forBob).toMatchObject({ status: 403, body: { status: "refused", reason: "not-allowed" } });
    const forNobody = await h.request("PUT", "/v1/users/nobody/status", aliceToken, { status: "away" });
    expect(forNobody).toMatchObject({ status: 403, body: { reason: "not-allowed" } });
    expect((await h.request("PUT", "/v1/users/nobody/status", admin, { status: "away" })).status).toBe(404);
    // Her own, by either route.
    expect((await h.request("PUT", "/v1/users/1001/status", aliceToken, { status: "dnd" })).status).toBe(202);
    await waitFor(() => model.presenceOf("1001") === "dnd", "Alice dnd");

    const entries = (await h.request("GET", "/v1/audit?action=setStatus", admin)).body.entries;
    expect(entries.map((e: any) => [e.actor, e.target, e.outcome, e.detail?.status])).toEqual(
      expect.arrayContaining([
        ["admin", "1003", "accepted", "dnd"],
        ["1001", "1002", "refused", "away"],
        ["1001", "nobody", "refused", "away"],
        ["admin", "nobody", "refused", "away"],
        ["1001", "1001", "accepted", "dnd"],
      ]),
    );
    expect(entries.find((e: any) => e.target === "1003").detail.note).toBe("Training");
    await h.request("PUT", "/v1/users/1003/status", admin, { status: "available" });
    await h.request("PUT", "/v1/status", aliceToken, { status: "available" });
  });

  it("an end time: shown with the status, then the PBX is set back to available when it passes", async () => {
    const h = await start();
    const model = h.callsight.model;
    const alice = await stream("1001");
    const bob = await h.token("1002");
    const until = Date.now() + 700;

    const set = await h.request("PUT", "/v1/status", bob, { status: "dnd", until });
    expect(set.status).toBe(202);
    await waitFor(() => model.presenceOf("1002") === "dnd", "Bob dnd");
    await alice.next(
      (m) => m.type === "status" && m.people.some((p: any) => p.user === "1002" && p.until === until),
    );
    // No sleeping: the PBX's own event says when it went back.
    await waitFor(() => model.presenceOf("1002") === "available", "Bob available again", 10_000);
    await alice.next(
      (m) =>
        m.type === "status" &&
        m.people.some((p: any) => p.user === "1002" && p.status === "available" && p.until === undefined),
      5000,
    );
    // The revert is audited as Callsight's (written just after the PBX took it).
    const admin = await h.token("admin");
    let reverted: any;
    for (let i = 0; i < 100 && !reverted; i++) {
      const entries = (await h.request("GET", "/v1/audit?action=setStatus&actor=callsight", admin)).body
        .entries;
      reverted = entries.find((e: any) => e.target === "1002" && e.outcome === "accepted");
      if (!reverted) await new Promise((r) => setTimeout(r, 20));
    }
    expect(reverted.detail).toMatchObject({
      status: "available",
      because: "until",
      until,
      set: "dnd",
      by: "1002",
    });
  });
});

describe("a status the PBX had before Callsight started", () => {
  let h: Harness | undefined;
  let sim: AmiSimulator | undefined;
  afterEach(async () => {
    await h?.close();
    await sim?.stop();
  });

  it("is shown from the first snapshot, note and all (the status book follows the model from the start)", async () => {
    sim = new AmiSimulator();
    const { port } = await sim.start({ port: 0, username: "callsight", secret: "s3cret" });
    sim.setPresence("1002", "away", "", "Back at 2, promised");
    const driver = new AsteriskAmiDriver({
      pbx: "main",
      host: "127.0.0.1",
      port,
      username: "callsight",
      secret: "s3cret",
      logger: silentLogger(),
    });
    h = await startHarness({ drivers: [driver], config: CONFIG });
    await waitFor(() => h!.callsight.model.presenceOf("1002") === "away", "Bob away from the snapshot");
    const listed = await h.request("GET", "/v1/status", await h.token("1001"));
    expect(listed.body.people.find((p: any) => p.user === "1002")).toEqual({
      user: "1002",
      status: "away",
      note: "Back at 2, promised",
    });
  });
});

describe("the status request is checked before anything reaches the PBX", () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
  });

  it("400 naming the field", async () => {
    h = await startHarness({ config: CONFIG });
    const bob = await h.token("1002");
    const bad = async (body: unknown) => {
      const res = await h!.request("PUT", "/v1/status", bob, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      return res.body.problems.map((p: any) => p.field);
    };
    expect(await bad({ status: "busy" })).toEqual(["status"]);
    expect(await bad({})).toEqual(["status"]);
    expect(await bad({ status: "away", note: "x".repeat(101) })).toEqual(["note"]);
    expect(await bad({ status: "away", note: "two\nlines" })).toEqual(["note"]);
    expect(await bad({ status: "away", until: Date.now() - 1000 })).toEqual(["until"]);
    expect(await bad({ status: "away", until: "2020-01-01T10:00:00Z" })).toEqual(["until"]);
    expect(await bad({ status: "away", until: "tomorrow" })).toEqual(["until"]);
    expect(await bad({ status: "available", until: Date.now() + 60_000 })).toEqual(["until"]);
    expect(await bad({ status: "away", colour: "red" })).toEqual(["(body)"]);
    // No PBX: the request is fine, the PBX cannot be reached (nothing was audited as accepted).
    const iso = new Date(Date.now() + 3600_000).toISOString();
    expect((await h.request("PUT", "/v1/status", bob, { status: "away", until: iso })).status).toBe(502);
  });
});
