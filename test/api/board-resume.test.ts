// Resuming the stream after a settings or role change (issue 14): a real API, a real Redis, changes made
// through the admin API. The resume must not replay deltas computed under rules that no longer hold; it
// gets a fresh snapshot instead.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PbxEvent } from "../../src/domain/events.js";
import { type Harness, StreamClient, startHarness } from "./harness.js";

/** An inbound call from `caller` to extension `ext` on PBX main, answered (call `callId`). */
function inboundCall(callId: string, ext: string, caller: string): PbxEvent[] {
  const at = Date.now();
  return [
    {
      type: "leg.created",
      pbx: "main",
      at,
      leg: `${callId}-E`,
      callId,
      channel: `PJSIP/carrier-${callId}`,
      endpoint: "PJSIP/carrier",
      side: "external",
      number: caller,
      name: "Jane Customer",
      outgoing: false,
    },
    {
      type: "leg.created",
      pbx: "main",
      at: at + 1,
      leg: `${callId}-I`,
      callId,
      channel: `PJSIP/${ext}-${callId}`,
      endpoint: `PJSIP/${ext}`,
      side: "internal",
      number: ext,
      outgoing: true,
    },
    { type: "leg.ringing", pbx: "main", at: at + 2, leg: `${callId}-I` },
    { type: "leg.answered", pbx: "main", at: at + 3, leg: `${callId}-I` },
    { type: "leg.answered", pbx: "main", at: at + 3, leg: `${callId}-E` },
    { type: "leg.bridged", pbx: "main", at: at + 4, leg: `${callId}-E`, bridge: `${callId}-B`, callId },
    { type: "leg.bridged", pbx: "main", at: at + 4, leg: `${callId}-I`, bridge: `${callId}-B`, callId },
  ];
}

describe("stream resume after a settings or role change", () => {
  let h: Harness;
  let ws: string;

  beforeAll(async () => {
    h = await startHarness();
    ws = h.base.replace("http", "ws");
  });
  afterAll(async () => {
    await h.close();
  });

  /** Opens a stream, takes its snapshot and goes away; returns where the client was. */
  async function awayAfterSnapshot(token: string): Promise<{ session: string; seq: number }> {
    const client = new StreamClient(`${ws}/v1/stream?access_token=${token}`);
    const snapshot = await client.next((m) => m.type === "snapshot");
    await client.close();
    return { session: snapshot.session, seq: snapshot.seq };
  }

  /** Comes back with the session and seq it had; returns the first message the server sends. */
  async function resume(token: string, at: { session: string; seq: number }): Promise<any> {
    const client = new StreamClient(
      `${ws}/v1/stream?access_token=${token}&session=${at.session}&seq=${at.seq}`,
    );
    const first = await client.next(() => true);
    await client.close();
    return first;
  }

  it("Bob away; Alice takes a call and turns showMyCalls off: Bob's resume is a fresh snapshot without the caller", async () => {
    const admin = await h.token("admin");
    const bob = await h.token("1002");
    const away = await awayAfterSnapshot(bob);
    // While Bob is away, Alice (showMyCalls on) takes a call: Bob's session logs it, with the number.
    h.callsight.apply(inboundCall("R1", "1001", "+15557654321"));
    h.api.hub.flush();
    expect((await h.request("PATCH", "/v1/admin/users/1001", admin, { showMyCalls: false })).status).toBe(
      200,
    );
    const board = await h.request("GET", "/v1/board", bob);
    expect(board.body.people.find((p: { id: string }) => p.id === "1001").calls).toEqual([
      { state: "up", since: expect.any(Number) },
    ]);
    const first = await resume(bob, away);
    expect(first.type).toBe("snapshot");
    expect(JSON.stringify(first)).not.toContain("+15557654321");
    expect(JSON.stringify(first)).not.toContain("Jane Customer");
  });

  it("an admin demoted to agent resumes with a fresh snapshot, not the deltas computed while admin", async () => {
    const admin = await h.token("admin");
    const away = await awayAfterSnapshot(admin);
    // Bob (showMyCalls off) takes a call: only an admin sees the caller.
    h.callsight.apply(inboundCall("R2", "1002", "+15550001111"));
    h.api.hub.flush();
    expect((await h.request("PATCH", "/v1/admin/users/admin", admin, { role: "agent" })).status).toBe(200);
    const first = await resume(admin, away);
    expect(first.type).toBe("snapshot");
    expect(JSON.stringify(first)).not.toContain("+15550001111");
  });
});
