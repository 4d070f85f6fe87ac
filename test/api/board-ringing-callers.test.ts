// Who is calling, before I pick up (rule P in docs/design.md), who parked a call, and department names: on a
// whole API (real Redis), through GET /v1/board and the /v1/stream WebSocket, including a resume.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, StreamClient, startHarness } from "./harness.js";
import { answer, CALLER, CALLER_NAME, hangUp, park, ring, ringingConfig } from "./ringing-calls.js";

describe("who is calling, before I pick up", () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ config: ringingConfig() });
  });
  afterAll(async () => {
    await h?.close();
  });

  const board = async (user: string) => h.request("GET", "/v1/board", await h.token(user));
  const callsOf = (body: any, person: string) =>
    body.people.find((p: { id: string }) => p.id === person)?.calls;

  it("GET /v1/board: the caller for a viewer who may pick up; nothing for one who may not", async () => {
    h.callsight.apply(ring("r1", "3001"));
    const paula = await board("3002");
    expect(callsOf(paula.body, "3001")).toEqual([
      {
        state: "ringing",
        since: expect.any(Number),
        callers: [{ number: CALLER, name: CALLER_NAME, external: true }],
      },
    ]);
    const nick = await board("3003");
    expect(nick.body.people.find((p: { id: string }) => p.id === "3001").presence).toBe("ringing");
    expect(callsOf(nick.body, "3001")).toBeUndefined();
    expect(nick.text).not.toContain(CALLER);
    expect(nick.text).not.toContain(CALLER_NAME);
    h.callsight.apply(answer("r1"));
    const after = await board("3002");
    expect(callsOf(after.body, "3001")).toBeUndefined();
    expect(after.text).not.toContain(CALLER);
    h.callsight.apply(hangUp("r1"));
  });

  it("with the callee's showMyCalls off only the callee and admins learn who calls", async () => {
    h.callsight.apply(ring("r2", "3004"));
    for (const user of ["3001", "3002", "3003", "3005"])
      expect((await board(user)).text, user).not.toContain(CALLER);
    expect((await board("3004")).text).toContain(CALLER);
    expect((await board("admin")).text).toContain(CALLER);
    h.callsight.apply(hangUp("r2"));
  });

  it("the stream brings the caller with the ringing and takes it away with the answer, also across a resume", async () => {
    const token = await h.token("3002");
    const url = h.base.replace("http", "ws");
    const first = new StreamClient(`${url}/v1/stream?access_token=${token}`);
    const snapshot = await first.next((m) => m.type === "snapshot");
    h.callsight.apply(ring("r3", "3001"));
    const ringing = await first.next(
      (m) =>
        m.type === "delta" &&
        m.deltas.some((d: any) => d.op === "person" && d.person.id === "3001" && d.person.calls),
    );
    const tile = ringing.deltas.find((d: any) => d.op === "person" && d.person.id === "3001").person;
    expect(tile.calls[0].callers).toEqual([{ number: CALLER, name: CALLER_NAME, external: true }]);
    await first.close();
    h.callsight.apply(answer("r3"));
    const again = new StreamClient(
      `${url}/v1/stream?access_token=${token}&session=${snapshot.session}&seq=${ringing.seq}`,
    );
    const missed = await again.next((m) => m.type === "delta");
    expect(again.messages.some((m) => m.type === "snapshot")).toBe(false);
    const answered = missed.deltas.find((d: any) => d.op === "person" && d.person.id === "3001")?.person;
    expect(answered.presence).toBe("on-call");
    expect(answered.calls).toBeUndefined();
    expect(JSON.stringify(missed)).not.toContain(CALLER);
    await again.close();
    h.callsight.apply(hangUp("r3"));
  });

  it("a parked call says who parked it and since when; the board names its departments", async () => {
    h.callsight.apply([...ring("r4", "3001"), ...answer("r4")]);
    const events = park("r4", "701");
    h.callsight.apply(events);
    const paula = await board("3002");
    expect(paula.body.parked).toEqual([
      expect.objectContaining({
        space: "701",
        since: events[0]!.at,
        by: { user: "3001", name: "Cora Callee" },
      }),
    ]);
    // The departments of everyone on Paula's board: sales, and support (Ada Admin's other department).
    expect(paula.body.departments).toEqual([
      { id: "sales", name: "Sales Team" },
      { id: "support", name: "Customer Support" },
    ]);
    h.callsight.apply(hangUp("r4"));
  });
});
