// Why the driver does not use ari-client at run time, measured on the test server (which ari-client
// can use: it serves the swagger 1.1 api-docs ari-client loads at connect). See the README paragraph
// "Why not ari-client".

import { spawn } from "node:child_process";
import ari from "ari-client";
import { afterEach, describe, expect, it } from "vitest";
import { AriServer } from "../../simulators/ari-server.js";
import { type Harness, harness, waitFor } from "./helpers.js";

const servers: AriServer[] = [];
const harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
  for (const s of servers.splice(0)) await s.stop();
});

async function server(username = "callsight", secret = "callsight"): Promise<AriServer> {
  const s = new AriServer({ username, secret, commandTimeScale: 0.05 });
  await s.start();
  servers.push(s);
  return s;
}

/** Starts the probe process; resolves with its output and exit code once it exits. */
function probe(s: AriServer): {
  ready: Promise<void>;
  exit: Promise<{ code: number | null; stdout: string; stderr: string }>;
} {
  const child = spawn(
    process.execPath,
    ["test/ari/fixtures/ari-client-probe.cjs", s.baseUrl, "callsight", "callsight"],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stdout = "";
  let stderr = "";
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    onReady = resolve;
  });
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString();
    if (stdout.includes("ready\n")) onReady();
  });
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const timer = setTimeout(() => child.kill(), 8000);
  const exit = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
  return { ready, exit };
}

describe("ari-client 2.2.0 against the test server", () => {
  it("connects: the resource listing twice (once without credentials), then one document per resource", async () => {
    const s = await server();
    const client = await ari.connect(s.baseUrl, "callsight", "callsight");
    const docs = s.requestLog.filter((r) => r.path.startsWith("/ari/api-docs/"));
    expect(docs.slice(0, 2).map((d) => d.path)).toEqual([
      "/ari/api-docs/resources.json",
      "/ari/api-docs/resources.json",
    ]);
    // 2 + 8 here (the subset the server lists); Asterisk lists 11 resources: 13 requests at every connect,
    // the first one unauthenticated (a 401 in Asterisk's log each time).
    expect(docs).toHaveLength(10);
    expect(s.stats().authFailures).toBe(1);
    expect(await client.channels.list()).toEqual([]);
  });

  it("registers its credentials process-wide: a second PBX's connect replaces the first one's", async () => {
    const a = await server("alice", "secret-a");
    const b = await server("bob", "secret-b");
    const clientA = await ari.connect(a.baseUrl, "alice", "secret-a");
    expect(await clientA.channels.list()).toEqual([]);
    await ari.connect(b.baseUrl, "bob", "secret-b");
    const before = a.stats().authFailures;
    // PBX a now receives bob's credentials (swagger-client's global `authorizations`).
    await expect(clientA.channels.list()).rejects.toThrow(/Authentication required/);
    expect(a.stats().authFailures).toBe(before + 1);
  });

  it("Callsight's driver keeps each PBX's own credentials", async () => {
    const a = await server("alice", "secret-a");
    const b = await server("bob", "secret-b");
    const ha = await harness({ server: a, driver: { username: "alice", secret: "secret-a" } });
    harnesses.push(ha);
    const hb = await harness({ server: b, driver: { pbx: "pbx", username: "bob", secret: "secret-b" } });
    harnesses.push(hb);
    const call = a.startCall("01-internal-answered", { pauseAt: "ringing", timeScale: 0.02 });
    await waitFor(() => call.paused && ha.model.presenceOf("u1002") === "ringing", "ringing on a");
    const ringing = call.channels().find((c) => c.name.startsWith("PJSIP/1002"))!;
    expect(await ha.driver.pickup({ pickerEndpoint: "PJSIP/1003", targetLeg: ringing.id })).toMatchObject({
      status: "accepted",
    });
    expect(a.stats().authFailures + b.stats().authFailures).toBe(0);
  });

  it("dies on an event type its api-docs do not list, and on a malformed message", async () => {
    const s = await server();
    const unknown = probe(s);
    await unknown.ready;
    s.emitEvent({
      type: "ChannelCreated",
      channel: { id: "1.1", name: "PJSIP/1001-00000001", state: "Ring" },
    });
    s.emitEvent({ type: "ChannelToneDetected", channel: { id: "1.1", name: "PJSIP/1001-00000001" } });
    const died = await unknown.exit;
    expect(died.stdout).toContain("event ChannelCreated");
    expect(died.code).not.toBe(0);
    expect(died.stderr).toMatch(/TypeError: Cannot read properties of undefined \(reading 'properties'\)/);

    const malformed = probe(s);
    await malformed.ready;
    s.injectRaw("{not json");
    const died2 = await malformed.exit;
    expect(died2.code).not.toBe(0);
    expect(died2.stderr).toMatch(/SyntaxError/);
  });

  it("keeps per-channel listeners after the channel is gone", async () => {
    const s = await server();
    const client = await ari.connect(s.baseUrl, "callsight", "callsight");
    await client.start("leak", true);
    const channel = client.Channel("9.9");
    channel.on("ChannelDestroyed", () => undefined);
    s.emitEvent({ type: "ChannelDestroyed", cause: 16, channel: { id: "9.9", name: "PJSIP/1001-00000009" } });
    await new Promise((r) => setTimeout(r, 50));
    const listeners = (client as unknown as { _instanceListeners: Record<string, unknown[]> })
      ._instanceListeners;
    expect(listeners.ChannelDestroyed).toHaveLength(1);
    expect((client as unknown as NodeJS.EventEmitter).listenerCount("ChannelDestroyed-9.9")).toBe(1);
    client.stop();
  });
});
