// Board streams against viewers that misbehave: one that stops reading (its TCP window fills, then the
// server's send buffer) while calls keep coming, big or malformed frames from a client. Real server, real
// Redis, real ws clients; calls are captured Asterisk traces applied to the model. Waits are bounded by
// the bytes sent, not by time.

import type { Socket } from "node:net";
import net from "node:net";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WebSocket as ServerSocket } from "ws";
import { CLOSE_TOO_SLOW } from "../../src/api/board/viewer-socket.js";
import type { PbxEvent } from "../../src/domain/events.js";
import { readTrace } from "../../src/replay/formats.js";
import { type Harness, StreamClient, startHarness } from "./harness.js";

const BOUND = 32 * 1024;
/** Traffic any test here may push before it gives up (the kernel alone buffers a few MB per socket). */
const MAX_TRAFFIC_BYTES = 96 * 1024 * 1024;

const inbound = readTrace("test/fixtures/asterisk/05-inbound-answered.ami.txt", "ami", {
  pbx: "main",
}).events;
const split = inbound.findIndex((e: PbxEvent) => e.type === "leg.bridged") + 1;
const callUp = inbound.slice(0, split);
const callEnd = inbound.slice(split);
const burst = readTrace("test/fixtures/asterisk/14-burst-50-inbound.ami.txt", "ami", { pbx: "main" }).events;
/** Where the burst is replayed from next (it starts over at its end). */
let at = 0;

/** The underlying TCP socket of a ws client: paused, it stops reading and the server's buffer fills. */
const tcp = (client: StreamClient): Socket => (client.socket as unknown as { _socket: Socket })._socket;

describe("board streams and misbehaving viewers", () => {
  let h: Harness;
  const logLines: string[] = [];

  beforeAll(async () => {
    const logger = pino({ level: "info" }, { write: (line: string) => void logLines.push(line) });
    h = await startHarness({ logger, viewerBufferBytes: BOUND });
  });
  afterAll(async () => {
    await h.close();
  });

  const ws = () => h.base.replace("http", "ws");
  const serverSockets = () => [...h.api.app.websocketServer.clients] as ServerSocket[];

  async function metric(event: string): Promise<number> {
    const text = (await h.request("GET", "/metrics")).text;
    const line = text
      .split("\n")
      .find((l) => l.startsWith(`callsight_board_slow_viewers_total{event="${event}"}`));
    return line ? Number(line.split(" ").pop()) : 0;
  }

  /** An admin viewer that reads everything, recording the largest message it was sent. */
  async function reader(): Promise<{ client: StreamClient; bytes: () => number; largest: () => number }> {
    const client = new StreamClient(`${ws()}/v1/stream?access_token=${await h.token("admin")}`);
    let bytes = 0;
    let largest = 0;
    client.socket.on("message", (data: Buffer) => {
      bytes += data.length;
      largest = Math.max(largest, data.length);
    });
    await client.next((m) => m.type === "snapshot");
    return { client, bytes: () => bytes, largest: () => largest };
  }

  /**
   * Calls come and go — a captured burst of 50 inbound calls, applied 20 events at a time, each followed by a
   * flush — until `done` (checked after each round of 10 flushes; at least one round). A reading admin
   * viewer (`watch`) gets every message; after each round, no viewer's socket may hold more than the bound
   * plus one message.
   */
  async function traffic(
    watch: { bytes: () => number; largest: () => number },
    done: () => boolean,
  ): Promise<void> {
    const start = watch.bytes();
    do {
      for (let i = 0; i < 10; i++) {
        h.callsight.apply(burst.slice(at, at + 20));
        at = at + 20 >= burst.length ? 0 : at + 20;
        h.api.hub.flush();
      }
      await new Promise((resolve) => setImmediate(resolve));
      for (const s of serverSockets()) expect(s.bufferedAmount).toBeLessThanOrEqual(BOUND + watch.largest());
      if (watch.bytes() - start > MAX_TRAFFIC_BYTES)
        throw new Error("traffic limit reached before the condition");
    } while (!done());
  }

  async function neverReading(): Promise<{ client: StreamClient; snapshot: any; server: ServerSocket }> {
    const before = new Set(serverSockets());
    const client = new StreamClient(`${ws()}/v1/stream?access_token=${await h.token("admin")}`);
    const snapshot = await client.next((m) => m.type === "snapshot");
    tcp(client).pause();
    const server = serverSockets().find((s) => !before.has(s));
    if (!server) throw new Error("no server socket for the new viewer");
    return { client, snapshot, server };
  }

  it("a viewer that stops reading is held to the bound, others stay live, and it is closed with 4008", async () => {
    const watch = await reader();
    const slow = await neverReading();
    const behindBefore = await metric("behind");

    // Until its socket passes the bound; the next message finds it behind and is not queued, nor any after.
    await traffic(watch, () => slow.server.bufferedAmount > BOUND);
    await traffic(watch, () => true);
    expect(await metric("behind")).toBe(behindBefore + 1);
    const held = slow.server.bufferedAmount;
    const seen = watch.bytes();
    await traffic(watch, () => watch.bytes() - seen > 4 * BOUND);
    expect(slow.server.bufferedAmount).toBeLessThanOrEqual(held);

    // The reading viewer is not held up by the slow one.
    const last = watch.client.messages.filter((m) => m.type === "delta").at(-1).seq;
    h.callsight.apply(callUp);
    await watch.client.next((m) => m.type === "delta" && m.seq > last);
    h.callsight.apply(callEnd);

    // Still behind at two heartbeats: closed with the code, behind what it has not read yet.
    const disconnected = await metric("disconnected");
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      slow.client.socket.once("close", (code, reason) => resolve({ code, reason: String(reason) })),
    );
    h.api.hub.heartbeat();
    h.api.hub.heartbeat();
    expect(await metric("disconnected")).toBe(disconnected + 1);
    tcp(slow.client).resume();
    expect(await closed).toEqual({ code: CLOSE_TOO_SLOW, reason: "too slow: send buffer full" });
    expect(CLOSE_TOO_SLOW).toBe(4008);
    await watch.client.close();
  }, 60_000);

  it("a viewer that catches up gets a fresh snapshot of its session, then deltas again", async () => {
    const watch = await reader();
    const slow = await neverReading();
    const resnapshots = await metric("resnapshot");
    await traffic(watch, () => slow.server.bufferedAmount > BOUND);
    await traffic(watch, () => true); // the next message finds it behind

    tcp(slow.client).resume();
    const isResnapshot = (m: any) => m.type === "snapshot" && m.seq > 0;
    await traffic(watch, () => slow.client.messages.some(isResnapshot));
    const resnapshot = slow.client.messages.find(isResnapshot);
    expect(resnapshot.session).toBe(slow.snapshot.session);
    expect(await metric("resnapshot")).toBe(resnapshots + 1);
    // Deltas were skipped while it was behind (the snapshot holds them) …
    const before = slow.client.messages.slice(0, slow.client.messages.indexOf(resnapshot));
    const seqs = before.filter((m) => m.type === "delta").map((m) => m.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    expect(resnapshot.seq).toBeGreaterThan(seqs.length + 1);
    // … and the stream goes on from the snapshot's sequence number.
    h.callsight.apply(callUp);
    const next = await slow.client.next((m) => m.type === "delta" && m.seq > resnapshot.seq);
    expect(next.seq).toBe(resnapshot.seq + 1);
    h.callsight.apply(callEnd);
    await slow.client.close();
    await watch.client.close();
  }, 60_000);

  it("a frame bigger than the stream needs ends the connection (1009) once its header is read", async () => {
    const token = await h.token("1001");
    const client = new StreamClient(`${ws()}/v1/stream?access_token=${token}`);
    await client.next((m) => m.type === "snapshot");
    // Control frames (what a browser sends) are fine.
    const pong = new Promise((resolve) => client.socket.once("pong", resolve));
    client.socket.ping(Buffer.alloc(125));
    await pong;

    // A frame announcing 90 MB, of which only the header is sent.
    const closed = new Promise<number>((resolve) => client.socket.once("close", (code) => resolve(code)));
    const header = Buffer.alloc(14);
    header[0] = 0x82; // final, binary
    header[1] = 0x80 | 127; // masked, 64-bit length
    header.writeBigUInt64BE(BigInt(90 * 1024 * 1024), 2);
    tcp(client).write(header);
    expect(await closed).toBe(1009);
  });

  it("a burst of bad frames is logged once per connection, at warn, without a stack", async () => {
    const token = await h.token("1001");
    const from = logLines.length;
    for (let i = 0; i < 2; i++) {
      const socket = net.connect(Number(new URL(h.base).port), "127.0.0.1");
      let upgraded = false;
      socket.on("data", (d) => {
        if (upgraded || !String(d).startsWith("HTTP/1.1 101")) return;
        upgraded = true;
        // 50 unmasked frames: a client must mask every frame.
        const frame = Buffer.from([0x81, 0x05, ...Buffer.from("hello")]);
        socket.write(Buffer.concat(Array.from({ length: 50 }, () => frame)));
      });
      socket.write(
        `GET /v1/stream?access_token=${token} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n` +
          "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
      );
      await new Promise((resolve) => socket.on("close", resolve));
      expect(upgraded).toBe(true);
    }
    const lines = logLines.slice(from).map((l) => JSON.parse(l));
    expect(lines.filter((l) => l.level >= 50)).toEqual([]);
    const warnings = lines.filter((l) => l.level === 40);
    expect(warnings).toHaveLength(2);
    for (const w of warnings) {
      expect(w.msg).toBe("board stream error: connection closed");
      expect(w.viewer).toBe("1001");
      expect(JSON.stringify(w)).not.toContain("stack");
    }
  });
});
