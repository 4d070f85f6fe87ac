// Standing guard (issue 14, item 2): an operation's refusal is no oracle. On a whole server (AMI simulator
// replaying real calls, Redis, HTTP), for random settings and a random viewer, every operation is asked
// about targets that ring, talk, parked a call, are idle or do not exist, and about calls by id:
// - a refusal about a target is the same (status and body, the name aside) as about an idle twin with the
//   same settings, whenever the viewer's board does not show the target's calls;
// - a refusal about a call the viewer's board does not show is the same as about a call that does not exist;
// - an unknown user is refused like a user the viewer may not act on (non-admins: 403, never 404 or 409);
// - no refusal contains a call id, number or name that the viewer's board does not show.
// The targets are twins: the same departments and settings, so the board rules treat them alike. An
// accepted operation must not change the calls the next run asks about, so the PBX side of an accepted
// command is a recorder (everything that decides the reply is the real server).

import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import fc from "fast-check";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AmiSimulator, type SimCall } from "../../simulators/ami-simulator.js";
import { type DirectoryDocument, parseConfig } from "../../src/config/load.js";
import type { CommandOutcome } from "../../src/pbx/driver.js";
import { type RunningServer, startServer } from "../../src/runtime/start.js";
import { waitFor } from "../ami/helpers.js";
import { tempDir } from "../recording/helpers.js";
import { testRedis } from "../support/redis.js";

const VIEWERS = ["v1", "v2", "v3"] as const;
const RINGING = "t-ringing";
const TALKING = "t-talking";
const PARKER = "t-parker";
const IDLE = "t-idle";
const GHOST = "t-ghost";
const GHOST_CALL = "1795999999.999";

const CONFIG = `
monitoringRoles: [supervisor, admin]
auth: { failureLimit: 100000 }
pbx:
  - id: main
    driver: ami
    host: 127.0.0.1
    username: callsight
    secret: change-me
    trunks: [carrier]
departments:
  - { id: d1, name: One }
  - { id: d2, name: Two }
users:
  - { id: v1, name: Viewer One, extension: "1001", departments: [d1] }
  - { id: v2, name: Viewer Two, extension: "1002", departments: [d2] }
  - { id: v3, name: Viewer Three, extension: "1003", departments: [d1, d2] }
  - { id: ${RINGING}, name: Target Ringing, extension: "1004", departments: [d1] }
  - { id: ${TALKING}, name: Target Talking, extension: "1005", departments: [d1] }
  - { id: ${PARKER}, name: Target Parker, extension: "1006", departments: [d1] }
  - { id: ${IDLE}, name: Target Idle, extension: "1007", departments: [d1] }
`;

const ON_TARGET = ["pickup", "send-to-ivr", "listen", "whisper", "barge", "record-start", "record-stop"];
const ON_CALL = ["parked-pickup", "record-start", "record-stop"];
const OPERATION_SWITCHES = ["pickup", "parkedPickup", "sendToIvr", "listen", "whisper", "barge"] as const;

interface Profile {
  departments: string[];
  role: "agent" | "supervisor" | "admin";
  showMyCalls: boolean;
  presence: boolean;
  calls: boolean;
  sharePresence: boolean;
  operations: Record<(typeof OPERATION_SWITCHES)[number], boolean>;
  pickupDelegates: string[];
}

const profileArb = (roles: Profile["role"][]): fc.Arbitrary<Profile> =>
  fc.record({
    departments: fc.subarray(["d1", "d2"], { minLength: 1 }),
    role: fc.constantFrom(...roles),
    showMyCalls: fc.boolean(),
    presence: fc.boolean(),
    calls: fc.boolean(),
    sharePresence: fc.boolean(),
    operations: fc.record(
      Object.fromEntries(OPERATION_SWITCHES.map((op) => [op, fc.boolean()])) as Record<
        (typeof OPERATION_SWITCHES)[number],
        fc.Arbitrary<boolean>
      >,
    ),
    pickupDelegates: fc.subarray([...VIEWERS]),
  });

/** Settings for the three viewers and the one profile the four targets share; which viewer asks. */
const caseArb = fc.record({
  viewers: fc.tuple(
    ...VIEWERS.map(() =>
      fc.oneof(
        { weight: 5, arbitrary: profileArb(["agent", "supervisor"]) },
        { weight: 1, arbitrary: profileArb(["admin"]) },
      ),
    ),
  ),
  targets: profileArb(["agent", "supervisor"]),
  viewer: fc.constantFrom(...VIEWERS),
});
type Case = typeof caseArb extends fc.Arbitrary<infer C> ? C : never;

interface Reply {
  status: number;
  body: any;
  text: string;
}

describe("operation refusals are no oracle", () => {
  let sim: AmiSimulator;
  let server: RunningServer;
  let tmp: { dir: string; remove(): Promise<void> };
  const calls: SimCall[] = [];
  const tokens = new Map<string, string>();
  const ids = { ringing: "", talking: "", parked: "" };
  /** Commands the server accepted and sent to the PBX (the recorder). */
  let commands = 0;

  async function post(user: string, path: string, body: unknown): Promise<Reply> {
    return call(user, "POST", path, body);
  }

  async function call(user: string, method: string, path: string, body?: unknown): Promise<Reply> {
    let token = tokens.get(user);
    if (!token) {
      token = await server.tokens.create(user);
      tokens.set(user, token);
    }
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: JSON.parse(text), text };
  }

  beforeAll(async () => {
    tmp = await tempDir("oracle");
    sim = new AmiSimulator({
      commandTimeScale: 0.05,
      extensions: ["1001", "1002", "1003", "1004", "1005", "1006", "1007"],
    });
    const { port } = await sim.start({ port: 0, username: "callsight", secret: "s3cret" });
    const { url, prefix, redis } = await testRedis();
    redis.disconnect();
    const config = parseConfig(CONFIG, "oracle.yaml", {
      CALLSIGHT_PBX_MAIN_PORT: String(port),
      CALLSIGHT_PBX_MAIN_USERNAME: "callsight",
      CALLSIGHT_PBX_MAIN_SECRET: "s3cret",
    });
    config.recording.directory = join(tmp.dir, "spool");
    config.recording.store = join(tmp.dir, "store");
    await mkdir(config.recording.directory, { recursive: true });
    server = await startServer({
      config,
      redisUrl: url,
      prefix,
      host: "127.0.0.1",
      port: 0,
      logger: pino({ level: "silent" }),
      outboxPath: join(tmp.dir, "outbox.jsonl"),
      recordingGraceMs: 60_000,
      cluster: false,
    });
    const driver = server.callsight.driver("main")!;
    await waitFor(() => driver.status().connected, "AMI connected", 10_000);
    const recorder = async (): Promise<CommandOutcome> => {
      commands++;
      return { status: "accepted" };
    };
    // Every command is data through one door: count them, carry none out.
    Object.assign(driver, { execute: recorder });
    const model = server.callsight.model;
    const callOf = (user: string) => model.activeCalls().find((c) => c.legs.some((l) => l.user === user))?.id;
    // An outside call ringing at t-ringing, one answered by t-talking, one parked by t-parker.
    calls.push(sim.startCall("05", { pauseAt: "ringing", extMap: { "1002": "1004" }, timeScale: 0.05 }));
    calls.push(sim.startCall("05", { pauseAt: "answered", extMap: { "1002": "1005" }, timeScale: 0.05 }));
    calls.push(sim.startCall("08", { pauseAt: "parked", extMap: { "1002": "1006" }, timeScale: 0.05 }));
    await waitFor(() => model.presenceOf(RINGING) === "ringing", "t-ringing rings", 5000);
    await waitFor(() => model.presenceOf(TALKING) === "on-call", "t-talking talks", 5000);
    const parked = await waitFor(() => model.activeCalls().find((c) => c.parked), "a parked call", 5000);
    await waitFor(() => model.presenceOf(PARKER) === "available", "t-parker left the parked call", 5000);
    ids.ringing = callOf(RINGING)!;
    ids.talking = callOf(TALKING)!;
    ids.parked = parked.id;
    expect(parked.parties.some((p) => p.user === PARKER)).toBe(true);
  }, 30_000);

  afterAll(async () => {
    for (const c of calls) c.resume();
    await Promise.all(calls.map((c) => c.done));
    await server?.stop();
    await sim?.stop();
    await tmp?.remove();
  }, 30_000);

  async function apply(c: Case): Promise<void> {
    const base = server.callsight.document;
    const profileOf = (id: string): Profile | undefined => {
      const i = VIEWERS.indexOf(id as (typeof VIEWERS)[number]);
      if (i >= 0) return { ...c.viewers[i]!, pickupDelegates: [] };
      return c.targets;
    };
    const document: DirectoryDocument = {
      ...base,
      users: base.users.map((u) => ({ ...u, ...profileOf(u.id), recording: "off" })),
    };
    await server.callsight.replaceDirectory(document);
  }

  /** The refusal with the name asked about replaced, to compare with another name's. */
  function norm(reply: Reply, name: string): unknown {
    return {
      status: reply.status,
      ...reply.body,
      message: String(reply.body?.message).replaceAll(name, "<asked>"),
    };
  }

  /** Every string that identifies an active call: ids, numbers and names of legs and parties. */
  function secrets(): Set<string> {
    const out = new Set<string>();
    for (const c of server.callsight.model.activeCalls()) {
      out.add(c.id);
      for (const p of [...c.legs, ...c.parties]) {
        if (p.number) out.add(p.number);
        if (p.name) out.add(p.name);
      }
    }
    return out;
  }

  /** Asks everything of the case's viewer and checks the properties; returns the replies for examples. */
  async function check(c: Case): Promise<Map<string, Reply>> {
    await apply(c);
    const viewer = c.viewer;
    const admin = c.viewers[VIEWERS.indexOf(viewer)]!.role === "admin";
    const board = await call(viewer, "GET", "/v1/board");
    expect(board.status).toBe(200);
    const seesCallsOf = (user: string) =>
      board.body.people.some((p: { id: string; calls?: unknown }) => p.id === user && p.calls !== undefined);
    const seenCalls = new Set<string>([
      ...board.body.people.flatMap((p: { calls?: { call?: string }[] }) =>
        (p.calls ?? []).map((x) => x.call),
      ),
      ...board.body.parked.map((p: { call: string }) => p.call),
      ...board.body.monitoring.map((m: { call: string }) => m.call),
    ]);
    const asks: [string, string, { target?: string; call?: string }][] = [
      ...ON_TARGET.flatMap((op) =>
        [RINGING, TALKING, PARKER, IDLE, GHOST].map((target): [string, string, { target: string }] => [
          `${op} ${target}`,
          op,
          { target },
        ]),
      ),
      ...ON_CALL.flatMap((op) =>
        [ids.ringing, ids.talking, ids.parked, GHOST_CALL].map((id): [string, string, { call: string }] => [
          `${op} call:${id}`,
          op,
          { call: id },
        ]),
      ),
    ];
    const replies = new Map<string, Reply>();
    const answered = await Promise.all(
      asks.map(([, op, body]) => post(viewer, `/v1/operations/${op}`, body)),
    );
    for (const [i, [key]] of asks.entries()) replies.set(key, answered[i]!);
    const refusal = (r: Reply) => r.body?.status === "refused";
    const hidden = [...secrets()].filter((s) => !board.text.includes(s));
    const where = (key: string) => `${viewer} ${key} with ${JSON.stringify(c)}`;

    for (const [key, , body] of asks) {
      const r = replies.get(key)!;
      expect([202, 403, 404, 409], where(key)).toContain(r.status);
      if (!refusal(r)) continue;
      expect(Object.keys(r.body).sort(), where(key)).toEqual(["message", "reason", "status"]);
      for (const s of hidden) {
        if (s === body.target || s === body.call) continue;
        expect(r.text, `${where(key)}: names ${s}`).not.toContain(s);
      }
    }
    for (const op of ON_TARGET) {
      const idle = replies.get(`${op} ${IDLE}`)!;
      for (const target of [RINGING, TALKING, PARKER]) {
        const r = replies.get(`${op} ${target}`)!;
        if (seesCallsOf(target) || !refusal(r)) continue;
        expect(norm(r, target), where(`${op} ${target} vs idle`)).toEqual(norm(idle, IDLE));
      }
      const ghost = replies.get(`${op} ${GHOST}`)!;
      expect(refusal(ghost), where(`${op} ${GHOST}`)).toBe(true);
      if (admin) {
        expect(ghost.status, where(`${op} ${GHOST}`)).toBe(404);
      } else {
        expect(ghost.status, where(`${op} ${GHOST}`)).toBe(403);
        // A target refused before their calls are looked at: the unknown name gets exactly that.
        if (idle.status === 403)
          expect(norm(ghost, GHOST), where(`${op} ${GHOST}`)).toEqual(norm(idle, IDLE));
      }
    }
    for (const op of ON_CALL) {
      const none = replies.get(`${op} call:${GHOST_CALL}`)!;
      // Only the viewer's own switch comes before the call (parked pickup); otherwise: no such call.
      expect(none.body.reason, where(`${op} call:${GHOST_CALL}`)).toBe(
        none.status === 403 && op === "parked-pickup" ? "operation-disabled" : "unknown-call",
      );
      for (const id of [ids.ringing, ids.talking, ids.parked]) {
        const r = replies.get(`${op} call:${id}`)!;
        if (seenCalls.has(id) || !refusal(r)) continue;
        expect(norm(r, id), where(`${op} call:${id} vs none`)).toEqual(norm(none, GHOST_CALL));
      }
    }
    return replies;
  }

  const DEFAULTS: Profile = {
    departments: ["d1"],
    role: "agent",
    showMyCalls: true,
    presence: true,
    calls: true,
    sharePresence: true,
    operations: {
      pickup: true,
      parkedPickup: true,
      sendToIvr: true,
      listen: true,
      whisper: true,
      barge: true,
    },
    pickupDelegates: [],
  };

  it("the issue's cases: someone outside the department learns nothing from the reply", async () => {
    // v2 is a Support-like agent, then supervisor, of d2; the targets are in d1 with every setting on.
    for (const role of ["agent", "supervisor"] as const) {
      const v2: Profile = { ...DEFAULTS, departments: ["d2"], role };
      const replies = await check({ viewers: [DEFAULTS, v2, DEFAULTS], targets: DEFAULTS, viewer: "v2" });
      const reply = (key: string) => {
        const r = replies.get(key)!;
        return { status: r.status, reason: r.body.reason };
      };
      // Recording someone's call by naming them: 404 "no call" when idle, 403 on a call, was the oracle.
      expect(reply(`record-start ${TALKING}`)).toEqual(reply(`record-start ${IDLE}`));
      expect(reply(`record-start ${IDLE}`).status).toBe(403);
      // Send to IVR looked at the call before the department.
      expect(reply(`send-to-ivr ${TALKING}`)).toEqual({ status: 403, reason: "not-in-department" });
      expect(reply(`send-to-ivr ${IDLE}`)).toEqual({ status: 403, reason: "not-in-department" });
      // Parked pickup looked the call up first: a parked call one is not offered is no call at all.
      expect(reply(`parked-pickup call:${ids.parked}`)).toEqual(reply(`parked-pickup call:${GHOST_CALL}`));
      expect(reply(`parked-pickup call:${ids.parked}`)).toEqual({ status: 404, reason: "unknown-call" });
      // Listen: an unknown user was a 404 and a real one a 403.
      expect(reply(`listen ${GHOST}`)).toEqual(reply(`listen ${IDLE}`));
      expect(reply(`listen ${GHOST}`).status).toBe(403);
      // And no refusal names a call it was not asked about: "call <id> is not in v2's scope" named it.
      for (const [key, r] of replies) {
        for (const id of [ids.ringing, ids.talking, ids.parked]) {
          if (!key.endsWith(`call:${id}`)) expect(r.text, key).not.toContain(id);
        }
      }
    }
  }, 30_000);

  it("for random settings and viewers, a refusal tells nothing the viewer's board does not show", async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => void (await check(c))),
      { numRuns: 40 },
    );
    // The runs did reach the PBX side: not everything was refused.
    expect(commands).toBeGreaterThan(0);
  }, 120_000);
});
