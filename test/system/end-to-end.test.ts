// The whole server against the AMI simulator: real sockets, real Redis, the real recording worker on
// real files. Operations go through the HTTP API, the driver and the simulated Asterisk and come back
// as events; the recording policy reaches the PBX's AstDB; recordings end in the store.

import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AmiSimulator } from "../../simulators/ami-simulator.js";
import { parseConfig } from "../../src/config/load.js";
import type { PbxEvent } from "../../src/domain/events.js";
import { RecordingIndex } from "../../src/recording/recording-index.js";
import { RecordingStore } from "../../src/recording/recording-store.js";
import { RecordingWorker } from "../../src/recording/recording-worker.js";
import { type RunningServer, startServer } from "../../src/runtime/start.js";
import { waitFor } from "../ami/helpers.js";
import { tempDir, wavBytes } from "../recording/helpers.js";
import { testRedis } from "../support/redis.js";

describe("Callsight end to end on the AMI simulator", () => {
  let sim: AmiSimulator;
  let server: RunningServer;
  let worker: RecordingWorker;
  let tmp: { dir: string; remove(): Promise<void> };
  let base: string;
  const events: PbxEvent[] = [];
  const tokens = new Map<string, string>();

  async function token(user: string): Promise<string> {
    let t = tokens.get(user);
    if (!t) {
      t = await server.tokens.create(user);
      tokens.set(user, t);
    }
    return t;
  }

  async function call(method: string, path: string, user: string, body?: unknown) {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${await token(user)}`,
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json().catch(() => undefined)) as any };
  }

  beforeAll(async () => {
    tmp = await tempDir("e2e");
    sim = new AmiSimulator({ commandTimeScale: 0.05 });
    const { port } = await sim.start({ port: 0, username: "callsight", secret: "s3cret" });
    const { url, prefix, redis } = await testRedis();
    redis.disconnect();
    const config = parseConfig(readFileSync("callsight.example.yaml", "utf8"), "callsight.example.yaml", {
      CALLSIGHT_PBX_MAIN_PORT: String(port),
      CALLSIGHT_PBX_MAIN_USERNAME: "callsight",
      CALLSIGHT_PBX_MAIN_SECRET: "s3cret",
    });
    config.recording.directory = join(tmp.dir, "spool");
    config.recording.store = join(tmp.dir, "store");
    const logger = pino({ level: "silent" });
    server = await startServer({
      config,
      redisUrl: url,
      prefix,
      host: "127.0.0.1",
      port: 0,
      logger,
      outboxPath: join(tmp.dir, "outbox.jsonl"),
      recordingGraceMs: 300,
    });
    base = server.url;
    server.callsight.onModelChange((_c, e) => events.push(...e));
    // The PBX writes the audio where the recording events say; stand in for it as soon as they do.
    server.callsight.onModelChange((_c, batch) => {
      for (const e of batch) {
        if (e.type === "recording.started" && e.file) {
          void writeFile(join(config.recording.directory, basename(e.file)), wavBytes(800));
        }
      }
    });
    await import("node:fs/promises").then((fs) => fs.mkdir(config.recording.directory, { recursive: true }));
    worker = new RecordingWorker({
      redis: url,
      prefix,
      store: new RecordingStore(config.recording.store),
      index: new RecordingIndex(server.redis, prefix),
      settleMs: 100,
      pollMs: 20,
      logger,
    });
    await worker.start();
    await waitFor(() => server.callsight.drivers[0]?.status().connected, "AMI connected");
  }, 30_000);

  afterAll(async () => {
    await worker?.close();
    await server?.stop();
    await sim?.stop();
    await tmp?.remove();
  });

  it("writes every extension's recording policy to AstDB, and again when an admin changes it", async () => {
    // The driver writes key after key; the per-department consent options come last.
    await waitFor(
      () =>
        sim.astdb.get("callsight/recording/1004") === "all" &&
        sim.astdb.has("callsight/recording_options/1004"),
      "policy in AstDB",
    );
    expect(sim.astdb.get("callsight/recording/1001")).toBe("external");
    expect(sim.astdb.get("callsight/recording/1002")).toBe("off");
    // Consent: no beep by default, a beep every 15 s for Support (the department override).
    expect(sim.astdb.get("callsight/config/recording_options")).toBe("");
    expect(sim.astdb.get("callsight/recording_options/1004")).toBe("B(15)");
    expect(sim.astdb.has("callsight/recording_options/1001")).toBe(false);
    expect((await call("PATCH", "/v1/admin/users/1002", "admin", { recording: "external" })).status).toBe(
      200,
    );
    await waitFor(() => sim.astdb.get("callsight/recording/1002") === "external", "changed policy in AstDB");
  });

  it("a supervisor listens to an agent's call through the API; only those allowed see the session", async () => {
    const sim1 = sim.startCall("05", { pauseAt: "answered", extMap: { "1002": "1005" }, timeScale: 0.05 });
    await waitFor(() => server.callsight.model.presenceOf("1005") === "on-call", "Erin on a call");
    const refused = await call("POST", "/v1/operations/listen", "1001", { target: "1005" });
    expect(refused).toMatchObject({ status: 403, body: { reason: "operation-disabled" } });
    const accepted = await call("POST", "/v1/operations/listen", "1004", { target: "1005" });
    expect(accepted).toMatchObject({ status: 202, body: { status: "accepted" } });
    await waitFor(
      () =>
        server.callsight.model.activeCalls().some((c) => c.monitoring.some((m) => m.endedAt === undefined)),
      "Dave's monitoring session",
    );
    expect(server.callsight.model.presenceOf("1004")).toBe("on-call");
    const board = await call("GET", "/v1/board", "1004");
    expect(board.body.monitoring).toEqual([
      expect.objectContaining({ by: "1004", target: "1005", mode: "listen" }),
    ]);
    // The monitored agent never sees it.
    expect((await call("GET", "/v1/board", "1005")).body.monitoring).toEqual([]);
    // The 202 (Asterisk queued the Originate), then what became of it (Dave answered: joined).
    let audit = await call("GET", "/v1/audit?action=listen", "admin");
    for (let polls = 0; audit.body.entries.length < 3 && polls < 100; polls++) {
      await new Promise((r) => setTimeout(r, 20));
      audit = await call("GET", "/v1/audit?action=listen", "admin");
    }
    expect(audit.body.entries.map((e: any) => [e.actor, e.outcome])).toEqual([
      ["1001", "refused"],
      ["1004", "accepted"],
      ["1004", "accepted"],
    ]);
    expect(audit.body.entries[2].detail).toEqual({ operation: audit.body.entries[1].id, result: "joined" });
    const spy = sim.liveChannels().find((c) => c.application === "ChanSpy");
    sim.hangup(spy!.name);
    sim1.resume();
    await sim1.done;
    await waitFor(() => server.callsight.model.presenceOf("1005") === "available", "Erin free");
  });

  it("a colleague picks up a ringing call through the API", async () => {
    const ringing = sim.startCall("01", { pauseAt: "ringing", timeScale: 0.05 });
    await waitFor(() => server.callsight.model.presenceOf("1002") === "ringing", "Bob ringing");
    const r = await call("POST", "/v1/operations/pickup", "1003", { target: "1002" });
    expect(r.status).toBe(202);
    await waitFor(
      () =>
        server.callsight.model
          .activeCalls()
          .find((c) => c.legs.some((l) => l.user === "1003" && l.state === "up")),
      "Carol on Alice's call",
    );
    ringing.resume();
    await ringing.done;
    await waitFor(() => server.callsight.model.presenceOf("1003") === "available", "Carol free again");
  });

  it("sends the caller to the IVR through the API: the agent is free, the caller stays in the call", async () => {
    const inbound = sim.startCall("05", { pauseAt: "answered", extMap: { "1002": "1003" }, timeScale: 0.05 });
    await waitFor(() => server.callsight.model.presenceOf("1003") === "on-call", "Carol on a call");
    // Carol has send-to-IVR switched off in the sample directory; Alice (same department) may.
    expect((await call("POST", "/v1/operations/send-to-ivr", "1003", { target: "1003" })).body.reason).toBe(
      "operation-disabled",
    );
    const r = await call("POST", "/v1/operations/send-to-ivr", "1001", { target: "1003" });
    expect(r.status).toBe(202);
    const redirect = sim.actionLog.filter((a) => a.action === "redirect").at(-1);
    expect(redirect?.headers).toMatchObject({
      context: "ivr",
      exten: "s",
      channel: expect.stringMatching(/^PJSIP\/carrier-/),
    });
    await waitFor(() => server.callsight.model.presenceOf("1003") === "available", "Carol free");
    inbound.resume();
    await inbound.done;
  });

  it("picks up a parked call through the API; refuses one who may not", async () => {
    const parked = sim.startCall("08", { pauseAt: "parked", timeScale: 0.05 });
    const view = await waitFor(
      () => server.callsight.model.activeCalls().find((c) => c.parked),
      "a parked call",
    );
    // Erin has parked pickup off; Carol (Sales, the parker's department) may.
    expect((await call("POST", "/v1/operations/parked-pickup", "1005", { call: view.id })).body.reason).toBe(
      "operation-disabled",
    );
    const board = await call("GET", "/v1/board", "1003");
    expect(board.body.parked).toEqual([
      expect.objectContaining({ call: view.id, space: view.parked!.space }),
    ]);
    const r = await call("POST", "/v1/operations/parked-pickup", "1003", { call: view.id });
    expect(r.status).toBe(202);
    const originate = sim.actionLog.filter((a) => a.action === "originate").at(-1);
    expect(originate?.headers).toMatchObject({ application: "ParkedCall", channel: "PJSIP/1003" });
    parked.resume();
    await parked.done;
  });

  it("repairs a covered call that the PBX did not record, and the recording ends in the store", async () => {
    // 1002 is now `external`: an inbound call to 1002 must be recorded; the capture has no MixMonitor.
    const inbound = sim.startCall("05", { pauseAt: "answered", timeScale: 0.05 });
    const started = await waitFor(
      () => events.find((e) => e.type === "recording.started"),
      "Callsight started a recording",
      5000,
    );
    expect(started.type === "recording.started" && started.file).toMatch(/callsight|repair/);
    inbound.resume();
    await inbound.done;
    const audit = await call("GET", "/v1/audit?action=recording.repair-start", "admin");
    expect(audit.body.entries).toHaveLength(1);
    let listed: any[] = [];
    for (let i = 0; i < 200 && listed.length === 0; i++) {
      listed = (await call("GET", "/v1/recordings", "admin")).body.recordings ?? [];
      if (listed.length === 0) await new Promise((r) => setTimeout(r, 50));
    }
    expect(listed).toEqual([expect.objectContaining({ requiredBy: ["1002"], direction: "inbound" })]);
    // Bob sees his own recording; Alice does not.
    expect((await call("GET", "/v1/recordings", "1002")).body.recordings).toHaveLength(1);
    expect((await call("GET", "/v1/recordings", "1001")).body.recordings).toHaveLength(0);
  }, 20_000);
});
