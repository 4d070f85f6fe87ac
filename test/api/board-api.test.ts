import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PbxEvent } from "../../src/domain/events.js";
import { readTrace } from "../../src/replay/formats.js";
import { type Harness, StreamClient, startHarness } from "./harness.js";

function trace(name: string): PbxEvent[] {
  return readTrace(`test/fixtures/asterisk/${name}.ami.txt`, "ami", { pbx: "main" }).events;
}

/** The events of a capture up to (and including) the first event matching `until`. */
function until(events: PbxEvent[], pred: (e: PbxEvent) => boolean): [PbxEvent[], PbxEvent[]] {
  const i = events.findIndex(pred);
  return [events.slice(0, i + 1), events.slice(i + 1)];
}

describe("board API and stream", () => {
  let h: Harness;
  const inbound = trace("05-inbound-answered");
  const [callUp, callEnd] = until(inbound, (e) => e.type === "leg.bridged");

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it("401 without a token or with an unknown one, 403 for an agent on admin routes", async () => {
    expect((await h.request("GET", "/v1/board")).status).toBe(401);
    expect((await h.request("GET", "/v1/board", "cs_nope")).status).toBe(401);
    const alice = await h.token("1001");
    const r = await h.request("GET", "/v1/admin/users", alice);
    expect(r.status).toBe(403);
    expect(r.body.error).toBe("forbidden");
    expect((await h.request("GET", "/v1/me", alice)).body.id).toBe("1001");
  });

  it("a colleague sees that Bob is on a call but not with whom (Bob's showMyCalls is off)", async () => {
    h.callsight.apply(callUp);
    const alice = await h.token("1001");
    const r = await h.request("GET", "/v1/board", alice);
    expect(r.status).toBe(200);
    const bob = r.body.people.find((p: { id: string }) => p.id === "1002");
    expect(bob.presence).toBe("on-call");
    expect(bob.calls).toEqual([{ state: "up", since: expect.any(Number) }]);
    expect(r.text).not.toContain("15551234567");
    expect(r.text).not.toContain("WIRELESS");
    // Carol does not share her presence: Alice does not see her at all.
    expect(r.body.people.some((p: { id: string }) => p.id === "1003")).toBe(false);
    // Bob himself and an admin see the caller.
    const bobView = await h.request("GET", "/v1/board", await h.token("1002"));
    expect(bobView.text).toContain("15551234567");
    const adminView = await h.request("GET", "/v1/board", await h.token("admin"));
    expect(adminView.text).toContain("15551234567");
    h.callsight.apply(callEnd);
  });

  it("streams a snapshot then deltas; a settings change reaches viewers and removes what they may no longer see", async () => {
    const alice = await h.token("1001");
    const admin = await h.token("admin");
    const client = new StreamClient(`${h.base.replace("http", "ws")}/v1/stream?access_token=${alice}`);
    const snapshot = await client.next((m) => m.type === "snapshot");
    expect(snapshot.view.viewer).toBe("1001");

    h.callsight.apply(callUp);
    const onCall = await client.next(
      (m) =>
        m.type === "delta" &&
        m.deltas.some(
          (d: any) => d.op === "person" && d.person.id === "1002" && d.person.presence === "on-call",
        ),
    );
    expect(JSON.stringify(onCall)).not.toContain("15551234567");

    // Bob turns Show My Calls on: Alice now sees the number at once (within a second normally; the bound
    // leaves room for a slow machine).
    const started = Date.now();
    expect((await h.request("PATCH", "/v1/admin/users/1002", admin, { showMyCalls: true })).status).toBe(200);
    const detailed = await client.next(
      (m) => m.type === "delta" && JSON.stringify(m).includes("15551234567"),
      3000,
    );
    expect(Date.now() - started).toBeLessThan(3000);
    expect(detailed.seq).toBeGreaterThan(onCall.seq);

    // And off again: the details disappear from Alice's view.
    await h.request("PATCH", "/v1/admin/users/1002", admin, { showMyCalls: false });
    const hidden = await client.next(
      (m) =>
        m.type === "delta" &&
        m.seq > detailed.seq &&
        m.deltas.some((d: any) => d.op === "person" && d.person.id === "1002"),
    );
    expect(JSON.stringify(hidden)).not.toContain("15551234567");

    // Alice stops sharing... no: Bob stops sharing his presence; he vanishes from Alice's board.
    await h.request("PATCH", "/v1/admin/users/1002", admin, { sharePresence: false });
    await client.next(
      (m) => m.type === "delta" && m.deltas.some((d: any) => d.op === "person-removed" && d.id === "1002"),
    );
    await h.request("PATCH", "/v1/admin/users/1002", admin, { sharePresence: true });
    h.callsight.apply(callEnd);
    await client.close();
  }, 15_000); // several waits for messages of up to 2-3 s each

  it("resumes after a reconnect with only the missed deltas", async () => {
    const alice = await h.token("1001");
    const ws = h.base.replace("http", "ws");
    const first = new StreamClient(`${ws}/v1/stream?access_token=${alice}`);
    const snapshot = await first.next((m) => m.type === "snapshot");
    await first.close();

    h.callsight.apply(callUp); // happens while Alice is away
    h.api.hub.flush();
    const second = new StreamClient(
      `${ws}/v1/stream?access_token=${alice}&session=${snapshot.session}&seq=${snapshot.seq}`,
    );
    const missed = await second.next((m) => m.type === "delta");
    expect(second.messages.some((m) => m.type === "snapshot")).toBe(false);
    expect(missed.seq).toBe(snapshot.seq + 1);
    expect(missed.deltas.some((d: any) => d.op === "person" && d.person.id === "1002")).toBe(true);
    await second.close();

    // An unknown session falls back to a snapshot.
    const third = new StreamClient(
      `${ws}/v1/stream?access_token=${alice}&session=00000000-0000-4000-8000-000000000000&seq=3`,
    );
    await third.next((m) => m.type === "snapshot");
    await third.close();
    h.callsight.apply(callEnd);
  });

  it("refuses a WebSocket without a valid token", async () => {
    const client = new StreamClient(`${h.base.replace("http", "ws")}/v1/stream?access_token=cs_wrong`);
    const status = await new Promise<number>((resolve) =>
      client.socket.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0)),
    );
    expect(status).toBe(401);
  });

  it("serves the OpenAPI document, health and metrics", async () => {
    const doc = await h.request("GET", "/openapi.json");
    expect(doc.body.paths["/v1/operations/listen"].post.requestBody).toBeDefined();
    expect((await h.request("GET", "/healthz")).body.status).toBe("ok");
    expect((await h.request("GET", "/metrics")).text).toContain("callsight_viewers_connected");
  });
});
