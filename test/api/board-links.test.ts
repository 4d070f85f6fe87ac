// The board says whether it is live: before the PBX first answers everyone is offline and the link is
// `connecting`; after a lost connection the last known calls stay, marked by the link being `down`. Every
// viewer is told (in the snapshot and by a `links` delta), and a link names no user.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PbxEvent } from "../../src/domain/events.js";
import { readTrace } from "../../src/replay/formats.js";
import { idleDriver, snapshotOf } from "../support/idle-driver.js";
import { type Harness, StreamClient, startHarness } from "./harness.js";

const connection = (state: "up" | "down", at: number): PbxEvent => ({
  type: "pbx.connection",
  pbx: "main",
  at,
  state,
});

describe("PBX link state on the board and the stream", () => {
  let h: Harness;
  const inbound = readTrace("test/fixtures/asterisk/05-inbound-answered.ami.txt", "ami", {
    pbx: "main",
  }).events;
  const callUp = inbound.slice(0, inbound.findIndex((e) => e.type === "leg.bridged") + 1);

  beforeAll(async () => {
    h = await startHarness({ drivers: [idleDriver("main")] });
  });
  afterAll(async () => {
    await h.close();
  });

  it("connecting, up, down: in the snapshot and as deltas to every viewer, the last calls kept", async () => {
    const alice = await h.token("1001");
    const board = await h.request("GET", "/v1/board", alice);
    expect(board.body.links).toEqual([{ pbx: "main", state: "connecting" }]);
    // Nothing is known yet: nobody shows available.
    expect(board.body.people.map((p: { presence: string }) => p.presence)).toEqual(
      board.body.people.map(() => "offline"),
    );

    const ws = h.base.replace("http", "ws");
    const aliceStream = new StreamClient(`${ws}/v1/stream?access_token=${alice}`);
    // Frank sees nobody but himself (presence off): he is told about the link all the same.
    const frankStream = new StreamClient(`${ws}/v1/stream?access_token=${await h.token("1006")}`);
    const first = await aliceStream.next((m) => m.type === "snapshot");
    expect(first.view.links).toEqual([{ pbx: "main", state: "connecting" }]);
    await frankStream.next((m) => m.type === "snapshot");

    const t0 = Date.now();
    h.callsight.apply([snapshotOf(t0, ["1001", "1002", "1006"]), connection("up", t0 + 1)]);
    const linkUp = (m: any) =>
      m.type === "delta" && m.deltas.some((d: any) => d.op === "links" && d.links[0]?.state === "up");
    const upDelta = await aliceStream.next(linkUp);
    expect(upDelta.deltas.find((d: any) => d.op === "links").links).toEqual([
      { pbx: "main", state: "up", since: t0 },
    ]);
    expect(upDelta.deltas).toContainEqual({
      op: "person",
      person: expect.objectContaining({ id: "1002", presence: "available" }),
    });
    await frankStream.next(linkUp);

    h.callsight.apply(callUp);
    await aliceStream.next(
      (m) =>
        m.type === "delta" &&
        m.deltas.some(
          (d: any) => d.op === "person" && d.person.id === "1002" && d.person.presence === "on-call",
        ),
    );

    const lostAt = Date.now();
    h.callsight.apply([connection("down", lostAt)]);
    const linkDown = (m: any) =>
      m.type === "delta" && m.deltas.some((d: any) => d.op === "links" && d.links[0]?.state === "down");
    const downDelta = await aliceStream.next(linkDown);
    expect(downDelta.deltas).toEqual([
      { op: "links", links: [{ pbx: "main", state: "down", since: lostAt }] },
    ]);
    const frankDown = await frankStream.next(linkDown);
    // All Frank gets is the link: no word of Bob's call.
    expect(frankDown.deltas).toEqual(downDelta.deltas);
    expect(JSON.stringify(frankStream.messages)).not.toContain("1002");

    // The board still shows the last known call, and says it may be stale.
    const stale = await h.request("GET", "/v1/board", alice);
    expect(stale.body.links).toEqual([{ pbx: "main", state: "down", since: lostAt }]);
    expect(stale.body.people.find((p: { id: string }) => p.id === "1002").presence).toBe("on-call");

    // A viewer connecting while the link is down gets it in the snapshot.
    const late = new StreamClient(`${ws}/v1/stream?access_token=${await h.token("1005")}`);
    expect((await late.next((m) => m.type === "snapshot")).view.links).toEqual([
      { pbx: "main", state: "down", since: lostAt },
    ]);
    await Promise.all([aliceStream.close(), frankStream.close(), late.close()]);
  });
});
