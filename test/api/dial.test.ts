// Click-to-call through the API on each simulated PBX: POST /v1/operations/call rings the caller's phone
// first and, once it answers, dials the target as the caller's extension. The simulator sees the
// originate, creates the caller's leg and then the target's, and the model shows one call between the
// two; the switches, outside numbers and bad input are refused with the field named; every attempt is
// audited. Real sockets to the simulators, a real Redis, the real API.

import { afterEach, describe, expect, it } from "vitest";
import { AmiSimulator } from "../../simulators/ami-simulator.js";
import { AriServer } from "../../simulators/ari-server.js";
import { EslSimulator } from "../../simulators/esl-simulator.js";
import type { PbxEvent } from "../../src/domain/events.js";
import { AsteriskAmiDriver } from "../../src/pbx/asterisk-ami/driver.js";
import { AsteriskAriDriver } from "../../src/pbx/asterisk-ari/driver.js";
import type { PbxDriver } from "../../src/pbx/driver.js";
import { FreeswitchEslDriver } from "../../src/pbx/freeswitch-esl/driver.js";
import { silentLogger, waitFor } from "../ami/helpers.js";
import { type Harness, startHarness } from "./harness.js";
import { CONFIG } from "./sim-pbx.js";

interface DialPbx {
  driver: PbxDriver;
  /** The originates the simulated PBX received, as text. */
  originates(): string[];
  stop(): Promise<void>;
}

const backoff = { initialMs: 20, maxMs: 200 };

async function ami(): Promise<DialPbx> {
  const sim = new AmiSimulator({ commandTimeScale: 0.05 });
  const { port } = await sim.start({ port: 0, username: "callsight", secret: "s3cret" });
  const driver = new AsteriskAmiDriver({
    pbx: "main",
    host: "127.0.0.1",
    port,
    username: "callsight",
    secret: "s3cret",
    backoff,
    logger: silentLogger(),
  });
  return {
    driver,
    originates: () =>
      sim.actionLog
        .filter((a) => a.action === "originate")
        .map((a) =>
          Object.entries(a.headers)
            .map(([k, v]) => `${k}: ${v}`)
            .join("\n"),
        ),
    stop: () => sim.stop(),
  };
}

async function ari(): Promise<DialPbx> {
  const sim = new AriServer({ commandTimeScale: 0.05 });
  await sim.start();
  const driver = new AsteriskAriDriver({
    pbx: "main",
    host: "127.0.0.1",
    port: sim.port,
    username: "callsight",
    secret: "callsight",
    backoff,
    originateTimeoutSec: 5,
    logger: silentLogger(),
  });
  return {
    driver,
    originates: () =>
      sim.requestLog
        .filter((r) => r.method === "POST" && r.path.endsWith("/channels"))
        .map((r) => JSON.stringify(r)),
    stop: () => sim.stop(),
  };
}

async function esl(): Promise<DialPbx> {
  const sim = new EslSimulator({ commandTimeScale: 0.05 });
  const { port } = await sim.start({ password: "pw" });
  const driver = new FreeswitchEslDriver({
    pbx: "main",
    host: "127.0.0.1",
    port,
    secret: "pw",
    backoff,
    logger: silentLogger(),
  });
  return {
    driver,
    originates: () => sim.commandLog.filter((c) => /originate /.test(c.command)).map((c) => c.command),
    stop: () => sim.stop(),
  };
}

const PBXES: [string, () => Promise<DialPbx>, RegExp][] = [
  ["Asterisk AMI", ami, /Channel: PJSIP\/1002[\s\S]*Context: from-internal[\s\S]*Exten: 1001/i],
  ["Asterisk ARI", ari, /"endpoint":"PJSIP\/1002".*"extension":"1001".*"context":"from-internal"/],
  [
    "FreeSWITCH ESL",
    esl,
    /originate \{.*origination_caller_id_number=1002.*\}user\/1002 1001 XML from-internal/,
  ],
];

describe.each(PBXES)("click-to-call on %s, through the API", (_name, make, originate) => {
  let h: Harness | undefined;
  let pbx: DialPbx | undefined;

  afterEach(async () => {
    await h?.close();
    await pbx?.stop();
  });

  it("rings the caller's phone, then the colleague's: one call between the two; audited", async () => {
    pbx = await make();
    h = await startHarness({ drivers: [pbx.driver], config: CONFIG });
    const model = h.callsight.model;
    const seen: PbxEvent[] = [];
    pbx.driver.onEvents((events) => seen.push(...events));
    await waitFor(() => pbx!.driver.status().connected, "the PBX connected");
    // Bob (1002, his phone named after his extension) calls Alice (1001) from her tile.
    const bob = await h.token("1002");

    const res = await h.request("POST", "/v1/operations/call", bob, { to: "1001" });
    expect(res, res.text).toMatchObject({ status: 202, body: { status: "accepted" } });
    expect(pbx.originates().join("\n\n")).toMatch(originate);

    const call = await waitFor(
      () =>
        model
          .activeCalls()
          .find(
            (c) =>
              c.legs.some((l) => l.user === "1002" && l.state === "up") &&
              c.legs.some((l) => l.user === "1001" && l.state === "up"),
          ),
      "Bob talking with Alice",
    );
    expect(model.activeCalls().filter((c) => c.legs.some((l) => l.user === "1002"))).toEqual([call]);
    expect(call.legs).toHaveLength(2);
    expect(call.direction).toBe("internal");
    // Bob's leg came first and was answered before Alice's leg was created.
    const bobsLeg = call.legs.find((l) => l.user === "1002")!.leg;
    const alicesLeg = call.legs.find((l) => l.user === "1001")!.leg;
    const at = (pred: (e: PbxEvent) => boolean) => seen.findIndex(pred);
    const bobCreated = at((e) => e.type === "leg.created" && e.leg === bobsLeg);
    const bobAnswered = at((e) => e.type === "leg.answered" && e.leg === bobsLeg);
    const aliceCreated = at((e) => e.type === "leg.created" && e.leg === alicesLeg);
    expect(bobCreated).toBeGreaterThanOrEqual(0);
    expect(bobAnswered).toBeGreaterThan(bobCreated);
    expect(aliceCreated).toBeGreaterThan(bobAnswered);
    // Alice's phone was called as Bob: his extension on her tile.
    const board = await h.request("GET", "/v1/board", await h.token("1001"));
    const alicesCall = board.body.people.find((p: any) => p.id === "1001").calls[0];
    expect(alicesCall.remote.map((r: any) => r.number)).toEqual(["1002"]);

    const admin = await h.token("admin");
    const audit = await h.request("GET", "/v1/audit?action=dial", admin);
    expect(audit.body.entries).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ actor: "1002", target: "1001", outcome: "accepted" }),
      ]),
    );
    // Where the driver can tell (AMI's OriginateResponse, ESL's job result), Bob's phone "joined" later.
    if (res.body.operation) {
      // Waited for as it arrives (its time depends on the machine's load; the bound only ends a failure).
      let later: any;
      const deadline = Date.now() + 20_000;
      while (!later && Date.now() < deadline) {
        const entries = (await h.request("GET", "/v1/audit?action=dial", admin)).body.entries;
        later = entries.find((e: any) => e.detail?.operation === res.body.operation);
        if (!later) await new Promise((r) => setTimeout(r, 30));
      }
      expect(later).toMatchObject({ actor: "1002", outcome: "accepted", detail: { result: "joined" } });
    }
  });

  it("refuses what may not be dialled, naming the field; an outside number once dialExternal is on", async () => {
    pbx = await make();
    h = await startHarness({ drivers: [pbx.driver], config: CONFIG });
    await waitFor(() => pbx!.driver.status().connected, "the PBX connected");
    const bob = await h.token("1002");
    const admin = await h.token("admin");
    const call = (body: unknown) => h!.request("POST", "/v1/operations/call", bob, body);

    expect(await call({})).toMatchObject({
      status: 400,
      body: { problems: [{ field: "to", message: "required for call" }] },
    });
    expect(await call({ to: "  " })).toMatchObject({ status: 400, body: { problems: [{ field: "to" }] } });
    const malformed = await call({ to: "+49 (30) 12+34" });
    expect(malformed).toMatchObject({ status: 400, body: { reason: "invalid-target" } });
    expect(malformed.body.message).toMatch(/^to: /);
    expect(await call({ to: "1002" })).toMatchObject({ status: 400, body: { reason: "invalid-target" } });
    // A user id that does not exist (one Bob does not see gets the same answer: test/domain/dial-right.test.ts).
    const unknown = await call({ to: "nobody" });
    expect(unknown).toMatchObject({ status: 404, body: { reason: "unknown-target" } });
    expect(unknown.body.message).toMatch(/^to: /);
    const outside = await call({ to: "+1 777 873-2492" });
    expect(outside).toMatchObject({ status: 403, body: { reason: "external-not-allowed" } });
    expect(outside.body.message).toMatch(/^to: \+17778732492 is an outside number/);
    // The switch off: refused before anything about `to`.
    const patch = (operations: Record<string, boolean>) =>
      h!.request("PATCH", "/v1/admin/users/1002", admin, { operations });
    expect((await patch({ dial: false })).status).toBe(200);
    expect(await call({ to: "1001" })).toMatchObject({ status: 403, body: { reason: "operation-disabled" } });
    expect((await patch({ dial: true, dialExternal: true })).status).toBe(200);
    // Nothing reached the PBX so far.
    expect(pbx.originates()).toEqual([]);

    expect(await call({ to: "+1 777 873-2492" })).toMatchObject({ status: 202 });
    const model = h.callsight.model;
    const out = await waitFor(
      () =>
        model
          .activeCalls()
          .find(
            (c) =>
              c.legs.some((l) => l.user === "1002" && l.state === "up") &&
              c.legs.some((l) => l.external && l.state === "up"),
          ),
      "Bob on an outbound call",
    );
    expect(out.direction).toBe("outbound");
    expect(out.parties.find((p) => p.external)?.number).toBe("+17778732492");
    const audit = await h.request("GET", "/v1/audit?action=dial&actor=1002", admin);
    const outcomes = audit.body.entries.map((e: any) => [e.outcome, e.reason ?? ""]);
    expect(outcomes).toEqual(
      expect.arrayContaining([
        ["refused", "invalid-target"],
        ["refused", "unknown-target"],
        ["refused", "external-not-allowed"],
        ["refused", "operation-disabled"],
        ["accepted", ""],
      ]),
    );
  });
});
