// /readyz and /metrics over HTTP: readiness follows the PBX connection and the model's resync and Redis;
// the metrics carry events in by type, board messages out, the model's size, operation outcomes.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../ami/helpers.js";
import { ScriptedDriver } from "../cluster/helpers.js";
import { type Harness, StreamClient, startHarness } from "./harness.js";

describe("ops endpoints", () => {
  let h: Harness;
  const driver = new ScriptedDriver("main");

  beforeAll(async () => {
    h = await startHarness({ drivers: [driver] });
  });
  afterAll(async () => {
    await h?.close();
  });

  const readyz = () => h.request("GET", "/readyz");

  it("is ready once the PBX is connected and the model resynced; says why not otherwise", async () => {
    await waitFor(async () => (await readyz()).status === 200, "ready");
    expect((await readyz()).body).toMatchObject({
      status: "ready",
      pbx: [{ pbx: "main", connected: true, resyncedAt: expect.any(Number) }],
      redis: "ok",
      problems: [],
    });
    await driver.stop();
    const down = await readyz();
    expect(down.status).toBe(503);
    expect(down.body.problems).toEqual(["pbx main: not connected"]);
    // /healthz only says the process serves.
    expect((await h.request("GET", "/healthz")).status).toBe(200);
    driver.start();
    await waitFor(async () => (await readyz()).status === 200, "ready again");
  });

  it("counts events in by type, messages out, the model's size and operation outcomes", async () => {
    const alice = await h.token("1001");
    const stream = new StreamClient(`${h.base.replace("http", "ws")}/v1/stream?access_token=${alice}`);
    await stream.next((m) => m.type === "snapshot");
    const refused = await h.request("POST", "/v1/operations/listen", alice, { target: "1002" });
    expect(refused.status).toBe(403);
    const text = (await h.request("GET", "/metrics")).text;
    expect(text).toMatch(/callsight_pbx_events_total\{pbx="main",type="pbx\.snapshot"\} [1-9]/);
    expect(text).toMatch(/callsight_operations_total\{operation="listen",outcome="refused"\} 1/);
    expect(text).toMatch(/callsight_board_messages_sent\{type="snapshot"\} [1-9]/);
    expect(text).toMatch(/callsight_model_size\{kind="legs"\} 0/);
    expect(text).toMatch(/callsight_viewers_connected 1/);
    expect(text).toMatch(/callsight_pbx_reconnects\{pbx="main"\} 0/);
    expect(text).toMatch(/callsight_pbx_malformed_frames\{pbx="main"\} 0/);
    await stream.close();
  });

  it("are in the OpenAPI document, without a token", async () => {
    const doc = (await h.request("GET", "/openapi.json")).body;
    for (const path of ["/healthz", "/readyz", "/metrics"]) expect(doc.paths[path].get.security).toEqual([]);
  });

  it("is not ready when Redis does not answer", async () => {
    h.redis.disconnect();
    const res = await readyz();
    expect(res.status).toBe(503);
    expect(res.body.problems).toEqual([expect.stringMatching(/^redis: /)]);
  });
});
