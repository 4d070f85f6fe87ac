// AmiSession against a scriptable fake AMI server on a real socket: login, correlation, timeouts,
// list actions, fail-fast on disconnect without replay, keep-alive.

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AmiFrame } from "../../src/pbx/asterisk-ami/frame-parser.js";
import { AmiActionError, AmiSession, CONNECTION_LOST } from "../../src/pbx/asterisk-ami/session.js";
import { type FakeAmi, fakeAmi, frame, silentLogger, sleep, waitFor } from "./helpers.js";

let fake: FakeAmi;
beforeEach(async () => {
  fake = await fakeAmi();
});
afterEach(async () => {
  await fake.close();
});

function connect(extra: Partial<Parameters<typeof AmiSession.connect>[0]> = {}, events: AmiFrame[] = []) {
  return AmiSession.connect(
    {
      host: "127.0.0.1",
      port: fake.port,
      username: "callsight",
      secret: "s3cret",
      pingIntervalMs: 0,
      logger: silentLogger(),
      ...extra,
    },
    { events: (frames) => events.push(...frames) },
  );
}

describe("AmiSession login", () => {
  it("logs in with Events (not Event) and sends the filters", async () => {
    const session = await connect({ filters: ["Event: Newchannel", "!Event: VarSet"] });
    const login = fake.actions[0];
    expect(login).toMatchObject({ Action: "Login", Username: "callsight", Secret: "s3cret", Events: "on" });
    expect(login).not.toHaveProperty("Event");
    expect(fake.actions.slice(1).map((a) => [a.Action, a.Operation, a.Filter])).toEqual([
      ["Filter", "Add", "Event: Newchannel"],
      ["Filter", "Add", "!Event: VarSet"],
    ]);
    expect(session.banner).toBe("Asterisk Call Manager/13.0.0");
    await session.close();
  });

  it("rejects a refused login with the PBX's message", async () => {
    fake.handler = (a) =>
      a.Action === "Login"
        ? frame({ Response: "Error", ActionID: a.ActionID ?? "", Message: "Authentication failed" })
        : undefined;
    await expect(connect()).rejects.toThrow("AMI login failed: Authentication failed");
  });

  it("reports refused filters and stays usable", async () => {
    fake.handler = (a) =>
      a.Action === "Filter"
        ? frame({ Response: "Error", ActionID: a.ActionID ?? "", Message: "Permission denied" })
        : frame({ Response: "Success", ActionID: a.ActionID ?? "" });
    const session = await connect({ filters: ["Event: Hangup"] });
    expect(session.filterErrors).toEqual([{ filter: "Event: Hangup", message: "Permission denied" }]);
    await expect(session.action("Ping")).resolves.toMatchObject({ Response: "Success" });
    await session.close();
  });
});

describe("AmiSession actions", () => {
  it("correlates answers by ActionID even out of order; ids are prefix + counter", async () => {
    const held: Record<string, string>[] = [];
    fake.handler = (a, socket) => {
      if (a.Action === "Login") return frame({ Response: "Success", ActionID: a.ActionID ?? "" });
      held.push(a);
      if (held.length === 2) {
        for (const h of [...held].reverse()) {
          socket.write(
            frame({ Response: "Success", ActionID: h.ActionID ?? "", Message: `answer to ${h.Action}` }),
          );
        }
      }
      return undefined;
    };
    const session = await connect();
    const [a, b] = await Promise.all([session.action("CoreStatus"), session.action("Ping")]);
    expect(a.Message).toBe("answer to CoreStatus");
    expect(b.Message).toBe("answer to Ping");
    const ids = fake.actions.map((x) => x.ActionID ?? "");
    expect(new Set(ids).size).toBe(ids.length);
    const prefix = ids[0]?.replace(/\d+$/, "");
    for (const [i, id] of ids.entries()) expect(id).toBe(`${prefix}${i + 1}`);
    await session.close();
  });

  it("rejects a failed action with the PBX's Message", async () => {
    fake.handler = (a) =>
      a.Action === "Redirect"
        ? frame({ Response: "Error", ActionID: a.ActionID ?? "", Message: "Channel does not exist: PJSIP/9" })
        : frame({ Response: "Success", ActionID: a.ActionID ?? "" });
    const session = await connect();
    const err = await session.action("Redirect", { Channel: "PJSIP/9" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AmiActionError);
    expect((err as AmiActionError).message).toBe("Channel does not exist: PJSIP/9");
    await session.close();
  });

  it("times out an unanswered action and drops its late answer", async () => {
    const events: AmiFrame[] = [];
    let late: (() => void) | undefined;
    fake.handler = (a, socket) => {
      if (a.Action === "Login") return frame({ Response: "Success", ActionID: a.ActionID ?? "" });
      if (a.Action === "CoreShowChannels") {
        late = () => {
          socket.write(frame({ Response: "Success", ActionID: a.ActionID ?? "", EventList: "start" }));
          socket.write(frame({ Event: "CoreShowChannel", ActionID: a.ActionID ?? "", Channel: "PJSIP/1-1" }));
          socket.write(frame({ Event: "Newchannel", Channel: "PJSIP/2-2", Uniqueid: "2.2" }));
        };
      }
      return undefined;
    };
    const session = await connect({}, events);
    const started = Date.now();
    await expect(session.list("CoreShowChannels", {}, { timeoutMs: 100 })).rejects.toThrow(
      /timed out after 100 ms/,
    );
    expect(Date.now() - started).toBeLessThan(1000);
    late?.();
    await waitFor(() => events.length > 0, "the live event after the late answer");
    expect(events.map((e) => e.Event)).toEqual(["Newchannel"]);
    await session.close();
  });

  it("collects list items until the Complete event; live events in between stay events", async () => {
    const events: AmiFrame[] = [];
    fake.handler = (a) => {
      const id = a.ActionID ?? "";
      if (a.Action !== "DeviceStateList") return frame({ Response: "Success", ActionID: id });
      return [
        frame({
          Response: "Success",
          ActionID: id,
          EventList: "start",
          Message: "Device State Changes will follow",
        }),
        frame({ Event: "DeviceStateChange", ActionID: id, Device: "PJSIP/1001", State: "NOT_INUSE" }),
        frame({ Event: "Newchannel", Channel: "PJSIP/1002-00000001", Uniqueid: "5.5" }),
        frame({ Event: "DeviceStateChange", ActionID: id, Device: "PJSIP/1006", State: "UNAVAILABLE" }),
        frame({ Event: "DeviceStateListComplete", ActionID: id, EventList: "Complete", ListItems: "2" }),
      ].join("");
    };
    const session = await connect({}, events);
    const result = await session.list("DeviceStateList");
    expect(result.items.map((i) => i.Device)).toEqual(["PJSIP/1001", "PJSIP/1006"]);
    expect(result.complete?.ListItems).toBe("2");
    expect(events.map((e) => e.Event)).toEqual(["Newchannel"]);
    await session.close();
  });

  it("passes an OriginateResponse carrying our ActionID after the response as an event", async () => {
    const events: AmiFrame[] = [];
    fake.handler = (a, socket) => {
      const id = a.ActionID ?? "";
      if (a.Action !== "Originate") return frame({ Response: "Success", ActionID: id });
      setTimeout(
        () => socket.write(frame({ Event: "OriginateResponse", ActionID: id, Response: "Success" })),
        20,
      );
      return frame({ Response: "Success", ActionID: id, Message: "Originate successfully queued" });
    };
    const session = await connect({}, events);
    await expect(session.action("Originate", { Channel: "PJSIP/1004" })).resolves.toMatchObject({
      Message: "Originate successfully queued",
    });
    await waitFor(() => events.length === 1, "OriginateResponse");
    expect(events[0]?.Event).toBe("OriginateResponse");
    await session.close();
  });

  it("refuses header injection without sending anything", async () => {
    const session = await connect();
    const before = fake.actions.length;
    await expect(session.action("Redirect", { Channel: "PJSIP/1\r\nAction: Hangup" })).rejects.toThrow(
      /line break/,
    );
    await sleep(30);
    expect(fake.actions.length).toBe(before);
    await session.close();
  });
});

describe("AmiSession disconnects", () => {
  it("fails every pending action at once and replays nothing on the next session", async () => {
    fake.handler = (a) =>
      a.Action === "Login" ? frame({ Response: "Success", ActionID: a.ActionID ?? "" }) : undefined;
    let closedWith: Error | undefined;
    const session = await AmiSession.connect(
      {
        host: "127.0.0.1",
        port: fake.port,
        username: "u",
        secret: "s",
        pingIntervalMs: 0,
        actionTimeoutMs: 10_000,
      },
      { events: () => undefined, closed: (e) => (closedWith = e) },
    );
    const spy = session.action("Originate", {
      Channel: "PJSIP/1004",
      Application: "ChanSpy",
      Data: "PJSIP/1001,qBE",
    });
    const list = session.list("CoreShowChannels");
    await waitFor(() => fake.actions.length === 3, "both actions at the server");
    const started = Date.now();
    fake.connections[0]?.destroy();
    await expect(spy).rejects.toThrow(CONNECTION_LOST);
    await expect(list).rejects.toThrow(CONNECTION_LOST);
    expect(Date.now() - started).toBeLessThan(500);
    expect(closedWith).toBeDefined();
    expect(session.closed).toBe(true);
    await expect(session.action("Ping")).rejects.toThrow(CONNECTION_LOST);

    const next = await connect();
    await sleep(50);
    const onSecond = fake.actions.filter((a) => a.conn === "2").map((a) => a.Action);
    expect(onSecond).toEqual(["Login"]);
    await next.close();
  });

  it("closes the socket when a Ping gets no Pong", async () => {
    fake.handler = (a) =>
      a.Action === "Ping" ? undefined : frame({ Response: "Success", ActionID: a.ActionID ?? "" });
    let closedWith: Error | undefined;
    const session = await AmiSession.connect(
      {
        host: "127.0.0.1",
        port: fake.port,
        username: "u",
        secret: "s",
        pingIntervalMs: 50,
        pongTimeoutMs: 80,
      },
      { events: () => undefined, closed: (e) => (closedWith = e) },
    );
    await waitFor(() => session.closed, "keep-alive to close the session", 2000);
    expect(closedWith?.message).toMatch(/keep-alive failed/);
    expect(fake.actions.some((a) => a.Action === "Ping")).toBe(true);
  });

  it("keeps a session whose Pings are answered", async () => {
    // A pong timeout well above a scheduling stall; a new Ping goes out only once the last was answered.
    const session = await connect({ pingIntervalMs: 30, pongTimeoutMs: 1000 });
    await waitFor(
      () => session.closed || fake.actions.filter((a) => a.Action === "Ping").length >= 3,
      "three Pings at the server",
    );
    expect(session.closed).toBe(false);
    expect(fake.actions.filter((a) => a.Action === "Ping").length).toBeGreaterThanOrEqual(3);
    await session.close();
  });
});

describe("AmiSession connect failures", () => {
  it("reports a refused TCP connection", async () => {
    const port = fake.port;
    await fake.close();
    await expect(
      AmiSession.connect(
        { host: "127.0.0.1", port, username: "u", secret: "s" },
        { events: () => undefined },
      ),
    ).rejects.toThrow(/ECONNREFUSED/);
  });

  it("times out a server that is not AMI", async () => {
    const net = await import("node:net");
    const server = net.createServer((s) => s.write("SSH-2.0-OpenSSH_9.6\r\n"));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const addr = server.address();
    const port = typeof addr === "object" && addr ? addr.port : 0;
    await expect(
      AmiSession.connect(
        { host: "127.0.0.1", port, username: "u", secret: "s", connectTimeoutMs: 150 },
        { events: () => undefined },
      ),
    ).rejects.toThrow(/no `Asterisk Call Manager\/` banner within 150 ms/);
    await new Promise<void>((r) => server.close(() => r()));
  });
});
