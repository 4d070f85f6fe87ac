// Every way the API says no: each refusal reason of the operations endpoints with its HTTP status (on
// real calls replayed by the AMI simulator through a full server), bad input naming the field on every
// operation path, 401 and 403 on every endpoint family, and every refused operation in the audit log.
// A refusal tells the viewer nothing their board does not show (issue 14, item 2): rights are checked
// before calls, an unknown user is refused like a user one may not act on, and a call one does not see is
// an unknown call. test/api/refusal-oracle.property.test.ts checks that over random settings.

import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { AmiSimulator, type SimCall } from "../../simulators/ami-simulator.js";
import { parseConfig } from "../../src/config/load.js";
import { type RunningServer, startServer } from "../../src/runtime/start.js";
import { waitFor } from "../ami/helpers.js";
import { tempDir } from "../recording/helpers.js";
import { testRedis } from "../support/redis.js";

// Sales: Alice, Bob, Carol. Support: Dave, Erin, Frank. Each user is there for a refusal:
// - Alice (agent) has Dave as pickup delegate: Dave may pick up her calls from Support, Erin may not.
// - Bob has parked pickup off.
// - Carol is an agent with the listen switch on (her role still may not monitor) and send to IVR off.
// - Dave is the Support supervisor (listen, whisper, barge).
// - Erin is a Support agent with pickup and parked pickup on: Sales' calls are not hers to take.
// - Frank is a Support supervisor who may listen only, and may not pick up.
const DIRECTORY = `
monitoringRoles: [supervisor, admin]
# The 401 tests below fail authentication on purpose, many times from one address.
auth: { failureLimit: 100000 }
pbx:
  - id: main
    driver: ami
    host: 127.0.0.1
    username: callsight
    secret: change-me
    trunks: [carrier]
    ivr: { context: ivr, exten: s }
departments:
  - { id: sales, name: Sales }
  - { id: support, name: Support }
users:
  - id: "1001"
    name: Alice Sales
    extension: "1001"
    departments: [sales]
    pickupDelegates: ["1004"]
  - id: "1002"
    name: Bob Sales
    extension: "1002"
    departments: [sales]
    operations: { parkedPickup: false }
  - id: "1003"
    name: Carol Sales
    extension: "1003"
    departments: [sales]
    operations: { listen: true, sendToIvr: false }
  - id: "1004"
    name: Dave Support
    extension: "1004"
    departments: [support]
    role: supervisor
    operations: { listen: true, whisper: true, barge: true }
  - id: "1005"
    name: Erin Support
    extension: "1005"
    departments: [support]
  - id: "1006"
    name: Frank Support
    extension: "1006"
    departments: [support]
    role: supervisor
    operations: { pickup: false, listen: true }
  - id: admin
    name: Ada Admin
    extension: "1099"
    departments: [sales, support]
    role: admin
    operations: { listen: true, whisper: true, barge: true }
`;

const OPERATION_PATHS = [
  "pickup",
  "parked-pickup",
  "send-to-ivr",
  "listen",
  "whisper",
  "barge",
  "record-start",
  "record-stop",
] as const;

/** The audit log's name of each operation path. */
const ACTION: Record<(typeof OPERATION_PATHS)[number], string> = {
  pickup: "pickup",
  "parked-pickup": "parkedPickup",
  "send-to-ivr": "sendToIvr",
  listen: "listen",
  whisper: "whisper",
  barge: "barge",
  "record-start": "recordStart",
  "record-stop": "recordStop",
};

interface Refusal {
  actor: string;
  action: string;
  target: string;
  reason: string;
}

describe("refusals, bad input, 401 and 403", () => {
  let sim: AmiSimulator;
  let server: RunningServer;
  let tmp: { dir: string; remove(): Promise<void> };
  const tokens = new Map<string, string>();
  /** Every refusal the tests below saw, to be found in the audit log at the end. */
  const refusals: Refusal[] = [];
  /** Every response that said "refused" (expected or not): each must be one audit entry. */
  let refusedResponses = 0;

  async function token(user: string): Promise<string> {
    let t = tokens.get(user);
    if (!t) {
      t = await server.tokens.create(user);
      tokens.set(user, t);
    }
    return t;
  }

  async function request(method: string, path: string, bearer: string | undefined, body?: unknown) {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        ...(bearer !== undefined ? { authorization: `Bearer ${bearer}` } : {}),
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
      },
      ...(body !== undefined ? { body: typeof body === "string" ? body : JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    let parsed: any;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.status, body: parsed, text };
  }

  async function as(user: string, method: string, path: string, body?: unknown) {
    return request(method, path, await token(user), body);
  }

  /** POSTs an operation and expects a refusal with this reason and status; remembers it for the audit check. */
  async function refused(
    user: string,
    path: (typeof OPERATION_PATHS)[number],
    body: { target?: string; call?: string },
    reason: string,
    status: number,
  ): Promise<void> {
    const r = await as(user, "POST", `/v1/operations/${path}`, body);
    if (r.body?.status === "refused") refusedResponses++;
    expect({ user, path, body, status: r.status, reason: r.body?.reason }).toEqual({
      user,
      path,
      body,
      status,
      reason,
    });
    expect(r.body.status).toBe("refused");
    expect(typeof r.body.message).toBe("string");
    expect(r.body.message.length).toBeGreaterThan(0);
    refusals.push({
      actor: user,
      action: ACTION[path],
      target: body.target ?? `call:${body.call}`,
      reason,
    });
  }

  async function originates(): Promise<number> {
    return sim.actionLog.filter((a) => a.action === "originate").length;
  }

  /** The id of `user`'s current call, as their own board shows it. */
  async function callOf(user: string): Promise<string> {
    const board = await as(user, "GET", "/v1/board");
    const me = board.body.people.find((p: { id: string }) => p.id === user);
    const id = me?.calls?.[0]?.call;
    expect(id, `${user}'s call`).toEqual(expect.any(String));
    return id as string;
  }

  /** The limit of a hook that calls finish(): above its 5 s wait per user. */
  const FINISH_MS = 20_000;

  async function finish(call: SimCall, ...users: string[]): Promise<void> {
    call.resume();
    await call.done;
    for (const u of users) {
      await waitFor(() => server.callsight.model.presenceOf(u) === "available", `${u} available`, 5000);
    }
  }

  beforeAll(async () => {
    tmp = await tempDir("refusals");
    sim = new AmiSimulator({ commandTimeScale: 0.05 });
    const { port } = await sim.start({ port: 0, username: "callsight", secret: "s3cret" });
    const { url, prefix, redis } = await testRedis();
    redis.disconnect();
    const config = parseConfig(DIRECTORY, "refusals.yaml", {
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
    });
    await waitFor(() => server.callsight.drivers[0]?.status().connected, "AMI connected", 10_000);
  }, 30_000);

  afterAll(async () => {
    await server?.stop();
    await sim?.stop();
    await tmp?.remove();
  });

  // ---- 401 / 403 ----------------------------------------------------------------------------------

  const EVERY_ENDPOINT: [string, string, unknown?][] = [
    ["GET", "/v1/me"],
    ["GET", "/v1/board"],
    ...OPERATION_PATHS.map((p): [string, string, unknown] => [
      "POST",
      `/v1/operations/${p}`,
      { target: "1002" },
    ]),
    ["GET", "/v1/admin/directory"],
    ["GET", "/v1/admin/users"],
    ["GET", "/v1/admin/users/1002"],
    ["POST", "/v1/admin/users", { id: "zoe", name: "Zoe", extension: "1010", departments: ["sales"] }],
    ["PATCH", "/v1/admin/users/1002", { showMyCalls: false }],
    ["DELETE", "/v1/admin/users/1003"],
    ["GET", "/v1/admin/departments"],
    ["POST", "/v1/admin/departments", { id: "billing", name: "Billing" }],
    ["PATCH", "/v1/admin/departments/sales", { name: "Sales & Co" }],
    ["DELETE", "/v1/admin/departments/support"],
    ["POST", "/v1/admin/tokens", { user: "1001" }],
    ["GET", "/v1/admin/tokens"],
    ["DELETE", "/v1/admin/tokens/0123456789abcdef"],
    ["GET", "/v1/audit"],
    ["GET", "/v1/recordings"],
    ["GET", "/v1/recordings/failed"],
  ];

  it("401 with a Bearer challenge on every endpoint family without a token or with an unknown one", async () => {
    const versionBefore = (await as("admin", "GET", "/v1/admin/directory")).body.version;
    for (const [method, path, body] of EVERY_ENDPOINT) {
      for (const bearer of [undefined, "cs_unknown", ""]) {
        const r = await request(method, path, bearer, body);
        expect({ method, path, bearer, status: r.status }).toEqual({ method, path, bearer, status: 401 });
        expect(r.body.error).toBe("unauthorized");
      }
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: { authorization: "Bearer cs_nope" },
      });
      expect(res.headers.get("www-authenticate")).toBe("Bearer");
    }
    // Nothing happened: no directory change, no operation reached the PBX or the audit log.
    expect((await as("admin", "GET", "/v1/admin/directory")).body.version).toBe(versionBefore);
    expect(sim.actionLog.filter((a) => a.action === "originate" || a.action === "redirect")).toEqual([]);
    expect((await as("admin", "GET", "/v1/audit")).body.entries).toEqual([]);
  });

  it("401 on the stream (/v1/stream) without a token or with an unknown one; a valid token streams", async () => {
    const ws = server.url.replace("http", "ws");
    for (const query of ["", "?access_token=cs_wrong", "?access_token="]) {
      const socket = new WebSocket(`${ws}/v1/stream${query}`);
      const status = await new Promise<number>((resolve, reject) => {
        socket.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
        socket.on("open", () => reject(new Error(`stream${query} opened`)));
        socket.on("error", () => undefined);
      });
      expect({ query, status }).toEqual({ query, status: 401 });
      socket.terminate();
    }
    const ok = new WebSocket(`${ws}/v1/stream?access_token=${await token("1001")}`);
    const first = await new Promise<any>((resolve) =>
      ok.once("message", (d) => resolve(JSON.parse(String(d)))),
    );
    expect(first).toMatchObject({ type: "snapshot", view: { viewer: "1001" } });
    ok.close();
  });

  it("403 for non-admins on the admin-only families (/v1/admin/*, /v1/audit, /v1/recordings/failed)", async () => {
    const versionBefore = (await as("admin", "GET", "/v1/admin/directory")).body.version;
    const adminOnly = EVERY_ENDPOINT.filter(
      ([, path]) => path.startsWith("/v1/admin/") || path === "/v1/audit" || path === "/v1/recordings/failed",
    );
    expect(adminOnly.length).toBe(15);
    // An agent, and a supervisor (monitoring rights are not admin rights).
    for (const user of ["1001", "1004"]) {
      for (const [method, path, body] of adminOnly) {
        const r = await as(user, method, path, body);
        expect({ user, method, path, status: r.status }).toEqual({ user, method, path, status: 403 });
        expect(r.body).toEqual({ error: "forbidden", message: expect.any(String) });
      }
    }
    expect((await as("admin", "GET", "/v1/admin/directory")).body.version).toBe(versionBefore);
    expect(server.callsight.directory.users.has("1003")).toBe(true);
    expect(server.callsight.directory.users.get("1002")?.settings.showMyCalls).toBe(true);
    // The same requests are fine for everyone on the families that are not admin-only, and for an admin.
    expect((await as("1001", "GET", "/v1/board")).status).toBe(200);
    expect((await as("1001", "GET", "/v1/recordings")).status).toBe(200);
    expect((await as("admin", "GET", "/v1/audit")).status).toBe(200);
    expect((await as("admin", "GET", "/v1/recordings/failed")).status).toBe(200);
  });

  it("401 once the token's user is deleted", async () => {
    expect(
      (
        await as("admin", "POST", "/v1/admin/users", {
          id: "temp",
          name: "Temp Sales",
          extension: "1010",
          departments: ["sales"],
        })
      ).status,
    ).toBe(201);
    const temp = await token("temp");
    expect((await request("GET", "/v1/board", temp)).status).toBe(200);
    expect((await as("admin", "DELETE", "/v1/admin/users/temp")).status).toBe(204);
    for (const [method, path, body] of [
      ["GET", "/v1/board"],
      ["POST", "/v1/operations/pickup", { target: "1002" }],
    ] as const) {
      expect((await request(method, path, temp, body)).status).toBe(401);
    }
  });

  // ---- bad input --------------------------------------------------------------------------------

  it("400 naming the field on every operation path, before anything is tried or audited", async () => {
    const auditBefore = (await as("admin", "GET", "/v1/audit")).body.entries.length;
    const required: Record<(typeof OPERATION_PATHS)[number], string> = {
      pickup: "target",
      "parked-pickup": "call",
      "send-to-ivr": "target",
      listen: "target",
      whisper: "target",
      barge: "target",
      "record-start": "call",
      "record-stop": "call",
    };
    for (const path of OPERATION_PATHS) {
      const url = `/v1/operations/${path}`;
      const cases: [unknown, string, string?][] = [
        [{}, required[path]],
        [{ target: 1002 }, "target"],
        [{ target: "" }, "target"],
        [{ call: 42 }, "call"],
        [{ call: "" }, "call"],
        [{ target: "1002", call: "x", pbx: 7 }, "pbx"],
        [{ target: "1002", leg: false }, "leg"],
        [{ target: "1002", call: "x", tagret: "1002" }, "(body)", "tagret"],
      ];
      for (const [body, field, mention] of cases) {
        const r = await as("admin", "POST", url, body);
        expect({ path, body, status: r.status }).toEqual({ path, body, status: 400 });
        expect(r.body.error).toBe("invalid-request");
        expect(r.body.problems.map((p: { field: string }) => p.field)).toContain(field);
        expect(r.body.message).toContain(mention ?? field);
      }
      // Not JSON, and not an object.
      const notJson = await as("admin", "POST", url, "{target:");
      expect({ path, status: notJson.status }).toEqual({ path, status: 400 });
      const notObject = await as("admin", "POST", url, ["1002"]);
      expect({ path, status: notObject.status }).toEqual({ path, status: 400 });
    }
    expect((await as("admin", "POST", "/v1/operations/teleport", { target: "1002" })).status).toBe(404);
    expect(sim.actionLog.filter((a) => a.action === "originate" || a.action === "redirect")).toEqual([]);
    expect((await as("admin", "GET", "/v1/audit")).body.entries.length).toBe(auditBefore);
  });

  // ---- refusals without a call ----------------------------------------------------------------------

  it("unknown-target (admins) and unknown-call: 404; an unknown user is refused like one the viewer may not act on", async () => {
    // Admins see everyone: they are told there is no such user.
    for (const path of ["pickup", "send-to-ivr", "listen", "whisper", "barge", "record-start"] as const) {
      await refused("admin", path, { target: "nobody" }, "unknown-target", 404);
    }
    // Anyone else gets what a real user outside their reach gets (it was a 404 here and a 403 for Bob,
    // which told Dave and Alice who exists): the same reason, the same message with the name they gave.
    await refused("1004", "listen", { target: "ghost" }, "not-in-department", 403);
    await refused("1001", "pickup", { target: "ghost" }, "not-a-pickup-delegate", 403);
    await refused("1005", "send-to-ivr", { target: "ghost" }, "not-in-department", 403);
    for (const [user, path] of [
      ["1004", "listen"],
      ["1001", "pickup"],
      ["1005", "send-to-ivr"],
    ] as const) {
      const ghost = await as(user, "POST", `/v1/operations/${path}`, { target: "ghost" });
      const real = await as(user, "POST", `/v1/operations/${path}`, {
        target: user === "1001" ? "1005" : "1002",
      });
      refusedResponses += 2;
      refusals.push({ actor: user, action: ACTION[path], target: "ghost", reason: ghost.body.reason });
      expect({
        status: ghost.status,
        ...ghost.body,
        message: ghost.body.message.replace("ghost", "<t>"),
      }).toEqual({
        status: real.status,
        ...real.body,
        message: real.body.message.replace(/^(1005|1002)/, "<t>"),
      });
    }
    await refused("1001", "parked-pickup", { call: "1795373429.404" }, "unknown-call", 404);
    await refused("admin", "parked-pickup", { call: "nope" }, "unknown-call", 404);
    await refused("1001", "record-start", { call: "nope" }, "unknown-call", 404);
    await refused("1001", "record-stop", { call: "nope" }, "unknown-call", 404);
    // Recording someone else's call needs a monitoring role: Alice (an agent) is refused that before any
    // call is looked at. (This was "unknown-call", 404 while Bob was idle and a 403 while he was on a call.)
    await refused("1001", "record-start", { target: "1002" }, "role-may-not-monitor", 403);
    // The admin may: Bob simply has no call (409, like every other "the target has no call").
    await refused("admin", "record-stop", { target: "1002" }, "no-call", 409);
  });

  it("operation-disabled and role-may-not-monitor: 403, whatever the call", async () => {
    await refused("1006", "pickup", { target: "1005" }, "operation-disabled", 403);
    await refused("1006", "whisper", { target: "1005" }, "operation-disabled", 403);
    await refused("1006", "barge", { target: "1005" }, "operation-disabled", 403);
    await refused("1003", "send-to-ivr", { target: "1002" }, "operation-disabled", 403);
    await refused("1003", "whisper", { target: "1002" }, "operation-disabled", 403);
    await refused("1001", "listen", { target: "1002" }, "operation-disabled", 403);
    await refused("1005", "barge", { target: "1006" }, "operation-disabled", 403);
    // Carol has the listen switch, but her role (agent) may not monitor.
    await refused("1003", "listen", { target: "1002" }, "role-may-not-monitor", 403);
  });

  it("no-call: 409 when the target has no call", async () => {
    await refused("1004", "listen", { target: "1005" }, "no-call", 409);
    await refused("1004", "whisper", { target: "1005" }, "no-call", 409);
    await refused("1004", "barge", { target: "1006" }, "no-call", 409);
    await refused("1001", "pickup", { target: "1002" }, "no-call", 409);
    await refused("1004", "pickup", { target: "1001" }, "no-call", 409);
    await refused("1001", "send-to-ivr", { target: "1002" }, "no-call", 409);
    await refused("1001", "send-to-ivr", { target: "1001" }, "no-call", 409);
    await refused("admin", "listen", { target: "1002" }, "no-call", 409);
  });

  // ---- refusals on live calls ----------------------------------------------------------------------

  describe("Alice's phone rings (an outside call)", () => {
    let ringing: SimCall;
    beforeAll(async () => {
      ringing = sim.startCall("05", { pauseAt: "ringing", extMap: { "1002": "1001" }, timeScale: 0.05 });
      await waitFor(() => server.callsight.model.presenceOf("1001") === "ringing", "Alice ringing");
    });
    afterAll(async () => {
      await finish(ringing, "1001", "1004");
    }, FINISH_MS);

    it("not-a-pickup-delegate (403) for Support without the delegation; not-in-department (403); call-not-answered (409)", async () => {
      const before = await originates();
      await refused("1005", "pickup", { target: "1001" }, "not-a-pickup-delegate", 403);
      await refused("1006", "pickup", { target: "1001" }, "operation-disabled", 403);
      await refused("1004", "listen", { target: "1001" }, "not-in-department", 403);
      await refused("1006", "listen", { target: "1001" }, "not-in-department", 403);
      await refused("admin", "listen", { target: "1001" }, "call-not-answered", 409);
      await refused("admin", "barge", { target: "1001" }, "call-not-answered", 409);
      // A ringing call is not one to send to the IVR yet (it is not "on" a call).
      await refused("1002", "send-to-ivr", { target: "1001" }, "no-call", 409);
      expect(await originates()).toBe(before);
    });

    it("the pickup delegate from another department may (the refusals above are about the delegation)", async () => {
      const r = await as("1004", "POST", "/v1/operations/pickup", { target: "1001" });
      expect(r.status).toBe(202);
      const originate = sim.actionLog.filter((a) => a.action === "originate").at(-1);
      expect(originate?.headers).toMatchObject({ application: "PickupChan", channel: "PJSIP/1004" });
      await waitFor(
        () =>
          server.callsight.model
            .activeCalls()
            .some((c) => c.legs.some((l) => l.user === "1004" && l.state === "up")),
        "Dave on the call",
      );
    });
  });

  describe("Erin's phone rings", () => {
    let ringing: SimCall;
    beforeAll(async () => {
      ringing = sim.startCall("05", { pauseAt: "ringing", extMap: { "1002": "1005" }, timeScale: 0.05 });
      await waitFor(() => server.callsight.model.presenceOf("1005") === "ringing", "Erin ringing");
    });
    afterAll(async () => {
      await finish(ringing, "1005");
    }, FINISH_MS);

    it("call-not-answered (409) for her own supervisor; not-a-pickup-delegate (403) for Sales", async () => {
      await refused("1004", "listen", { target: "1005" }, "call-not-answered", 409);
      await refused("1004", "whisper", { target: "1005" }, "call-not-answered", 409);
      await refused("1004", "barge", { target: "1005" }, "call-not-answered", 409);
      await refused("1006", "listen", { target: "1005" }, "call-not-answered", 409);
      await refused("1001", "pickup", { target: "1005" }, "not-a-pickup-delegate", 403);
      await refused("1003", "pickup", { target: "1005" }, "not-a-pickup-delegate", 403);
    });
  });

  describe("Bob is on an answered outside call", () => {
    let answered: SimCall;
    let call: string;
    beforeAll(async () => {
      answered = sim.startCall("05", { pauseAt: "answered", timeScale: 0.05 });
      await waitFor(() => server.callsight.model.presenceOf("1002") === "on-call", "Bob on a call");
      call = await callOf("1002");
    });
    afterAll(async () => {
      await finish(answered, "1002");
    }, FINISH_MS);

    it("not-in-department (403) for Support; role-may-not-monitor (403); call-not-parked (409)", async () => {
      const before = await originates();
      await refused("1004", "listen", { target: "1002" }, "not-in-department", 403);
      await refused("1004", "whisper", { target: "1002" }, "not-in-department", 403);
      await refused("1004", "barge", { target: "1002" }, "not-in-department", 403);
      await refused("1005", "send-to-ivr", { target: "1002" }, "not-in-department", 403);
      // Dave does not see Sales' calls: Bob's call id is, to him, no call at all (a 403 told him it exists).
      await refused("1004", "record-start", { call }, "unknown-call", 404);
      await refused("1004", "record-stop", { target: "1002" }, "not-in-department", 403);
      await refused("1003", "listen", { target: "1002" }, "role-may-not-monitor", 403);
      await refused("1003", "record-start", { call }, "role-may-not-monitor", 403);
      await refused("1001", "record-start", { target: "1002" }, "role-may-not-monitor", 403);
      // Alice sees Bob's call: she is told it is not parked.
      await refused("1001", "parked-pickup", { call }, "call-not-parked", 409);
      await refused("admin", "parked-pickup", { call }, "call-not-parked", 409);
      await refused("1003", "send-to-ivr", { target: "1002" }, "operation-disabled", 403);
      expect(await originates()).toBe(before);
    });

    it("call-not-ringing (409) for a pickup of a call that is already answered", async () => {
      // Bob has a call, it is just not ringing: "no-call" ("1002 has no call") would be wrong.
      await refused("1001", "pickup", { target: "1002" }, "call-not-ringing", 409);
      await refused("admin", "pickup", { target: "1002" }, "call-not-ringing", 409);
    });
  });

  describe("Bob parked an outside call", () => {
    let parked: SimCall;
    let call: string;
    beforeAll(async () => {
      parked = sim.startCall("08", { pauseAt: "parked", timeScale: 0.05 });
      const view = await waitFor(
        () => server.callsight.model.activeCalls().find((c) => c.parked),
        "a parked call",
        5000,
      );
      call = view.id;
    });
    afterAll(async () => {
      parked.resume();
      await parked.done;
    });

    it("unknown-call (404) for Support, who is not offered it; operation-disabled (403) for Bob himself", async () => {
      const before = await originates();
      // Support does not see the call (not on their board): refused like a call that does not exist,
      // not with a 403 that confirms it is there.
      await refused("1005", "parked-pickup", { call }, "unknown-call", 404);
      await refused("1004", "parked-pickup", { call }, "unknown-call", 404);
      await refused("1002", "parked-pickup", { call }, "operation-disabled", 403);
      expect(await originates()).toBe(before);
      // Support is not offered the call either; Alice (Sales) is, and may.
      expect((await as("1005", "GET", "/v1/board")).body.parked).toEqual([]);
      expect((await as("1001", "GET", "/v1/board")).body.parked).toEqual([expect.objectContaining({ call })]);
    });
  });

  // ---- the audit log ---------------------------------------------------------------------------

  it("every refusal above is in the audit log, with actor, action, target and reason", async () => {
    const reasons = [...new Set(refusals.map((r) => r.reason))];
    for (const reason of [
      "operation-disabled",
      "role-may-not-monitor",
      "not-in-department",
      "not-a-pickup-delegate",
      "call-not-answered",
      "call-not-parked",
      "no-call",
      "unknown-target",
      "unknown-call",
    ]) {
      expect(reasons, `a refusal with ${reason} was seen`).toContain(reason);
    }
    const log = await as("admin", "GET", "/v1/audit?outcome=refused&limit=10000");
    expect(log.status).toBe(200);
    const entries = log.body.entries as Refusal[];
    for (const r of refusals) {
      expect(entries, JSON.stringify(r)).toContainEqual(
        expect.objectContaining({ ...r, outcome: "refused" }),
      );
    }
    // One entry per refused request, no more.
    expect(entries).toHaveLength(refusedResponses);
    // And filtered by actor, through the query API.
    const byActor = await as("admin", "GET", "/v1/audit?outcome=refused&actor=1003");
    expect(byActor.body.entries.length).toBeGreaterThan(0);
    expect(byActor.body.entries.every((e: Refusal) => e.actor === "1003")).toBe(true);
    for (const r of refusals.filter((x) => x.actor === "1003")) {
      expect(byActor.body.entries).toContainEqual(expect.objectContaining(r));
    }
  });
});
