// The simulator speaks AMI as the captured Asterisk did: login, errors with the real messages,
// per-session filters, list actions in the EventList format answered from live state, and traffic
// replayed with fresh, non-colliding ids at a rate and concurrency.

import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { AmiSimulator, PLAIN_CALL_SCENARIOS } from "../../simulators/ami-simulator.js";
import { LiveModel } from "../../src/domain/live-model.js";
import { AsteriskAmiDriver } from "../../src/pbx/asterisk-ami/driver.js";
import type { AmiFrame } from "../../src/pbx/asterisk-ami/frame-parser.js";
import { AmiSession } from "../../src/pbx/asterisk-ami/session.js";
import { directory, silentLogger, waitFor } from "./helpers.js";

const sims: AmiSimulator[] = [];
const sessions: AmiSession[] = [];
afterEach(async () => {
  for (const s of sessions.splice(0)) await s.close();
  for (const s of sims.splice(0)) await s.stop();
});

async function sim(): Promise<AmiSimulator> {
  const s = new AmiSimulator({ commandTimeScale: 0.05 });
  await s.start({ username: "admin", secret: "pw" });
  sims.push(s);
  return s;
}

async function client(s: AmiSimulator, filters: string[] = [], events: AmiFrame[] = []): Promise<AmiSession> {
  const session = await AmiSession.connect(
    { host: "127.0.0.1", port: s.port, username: "admin", secret: "pw", filters, pingIntervalMs: 0 },
    { events: (f) => events.push(...f) },
  );
  sessions.push(session);
  return session;
}

function rawExchange(port: number, bytes: string, until: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    let got = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no ${until} in ${JSON.stringify(got)}`));
    }, 2000);
    socket.on("data", (c) => {
      got += c.toString();
      if (until.test(got)) {
        clearTimeout(timer);
        socket.destroy();
        resolve(got);
      }
    });
    socket.write(bytes);
  });
}

describe("AmiSimulator protocol", () => {
  it("greets with the banner and refuses actions before login", async () => {
    const s = await sim();
    const got = await rawExchange(
      s.port,
      "Action: CoreShowChannels\r\nActionID: x1\r\n\r\n",
      /Permission denied/,
    );
    expect(got).toMatch(/^Asterisk Call Manager\/13\.0\.0\r\n/);
    expect(got).toContain("Response: Error\r\nActionID: x1\r\nMessage: Permission denied\r\n\r\n");
  });

  it("refuses a wrong secret with Authentication failed", async () => {
    const s = await sim();
    await expect(
      AmiSession.connect(
        { host: "127.0.0.1", port: s.port, username: "admin", secret: "nope" },
        { events: () => undefined },
      ),
    ).rejects.toThrow("AMI login failed: Authentication failed");
  });

  it("answers Ping, Events and unknown actions like Asterisk", async () => {
    const s = await sim();
    const c = await client(s);
    expect(await c.action("Ping")).toMatchObject({ Response: "Success", Ping: "Pong" });
    expect(await c.action("Events", { EventMask: "on" })).toMatchObject({
      Response: "Success",
      Events: "On",
    });
    await expect(c.action("NoSuchAction")).rejects.toThrow(
      "Invalid/unknown command: NoSuchAction. Use Action: ListCommands to show available commands.",
    );
  });

  it("applies Filter per session: !Event: VarSet here, everything on the other session", async () => {
    const s = await sim();
    const filtered: AmiFrame[] = [];
    const all: AmiFrame[] = [];
    await client(s, ["!Event: VarSet"], filtered);
    await client(s, [], all);
    await s.startCall("01", { timeScale: 0.02 }).done;
    await waitFor(
      () => all.some((f) => f.Event === "Hangup") && filtered.some((f) => f.Event === "Hangup"),
      "both",
    );
    await new Promise((r) => setTimeout(r, 30));
    expect(filtered.some((f) => f.Event === "VarSet")).toBe(false);
    expect(all.filter((f) => f.Event === "VarSet").length).toBeGreaterThan(20);
    const calls = (frames: AmiFrame[]) => frames.filter((f) => f.Event !== "VarSet").map((f) => f.Event);
    expect(calls(filtered)).toEqual(calls(all));
  });

  it("whitelist filters keep only the listed events (and what a regex on the text matches)", async () => {
    const s = await sim();
    const got: AmiFrame[] = [];
    await client(s, ["Event: Newchannel", "Event: Hangup", "!Event: HangupRequest"], got);
    await s.startCall("01", { timeScale: 0.02 }).done;
    await waitFor(() => got.filter((f) => f.Event === "Hangup").length === 2, "hangups");
    expect(new Set(got.map((f) => f.Event))).toEqual(new Set(["FullyBooted", "Newchannel", "Hangup"]));
  });

  it("answers the list actions from live state in the EventList format", async () => {
    const s = await sim();
    s.setPresence("1004", "away", "meeting", "In a meeting");
    s.setDnd("1005", true);
    const call = s.startCall("08", { pauseAt: "parked", timeScale: 0.02 });
    await waitFor(() => call.paused, "parked");
    const c = await client(s);
    const channels = await c.list("CoreShowChannels");
    expect(channels.response).toMatchObject({
      Response: "Success",
      EventList: "start",
      Message: "Channels will follow",
    });
    expect(channels.complete).toMatchObject({
      Event: "CoreShowChannelsComplete",
      EventList: "Complete",
      ListItems: "1",
    });
    expect(channels.items.map((i) => i.Channel)).toEqual(s.liveChannels().map((l) => l.name));
    expect(channels.items[0]).toMatchObject({ ChannelStateDesc: "Up", CallerIDNum: "15551234567" });
    expect(Object.keys(channels.items[0] ?? {})).toEqual([
      "Event",
      "ActionID",
      "Channel",
      "ChannelState",
      "ChannelStateDesc",
      "CallerIDNum",
      "CallerIDName",
      "ConnectedLineNum",
      "ConnectedLineName",
      "Language",
      "AccountCode",
      "Context",
      "Exten",
      "Priority",
      "Uniqueid",
      "Linkedid",
      "Application",
      "ApplicationData",
      "Duration",
      "BridgeId",
    ]);
    const parked = await c.list("ParkedCalls");
    expect(parked.items).toHaveLength(1);
    expect(parked.items[0]).toMatchObject({
      Parkinglot: "default",
      ParkingSpace: "701",
      ParkeeCallerIDNum: "15551234567",
    });
    expect(parked.complete).toMatchObject({ Event: "ParkedCallsComplete", ListItems: "1", Total: "1" });
    const devices = await c.list("DeviceStateList");
    expect(devices.items).toContainEqual(
      expect.objectContaining({ Device: "Custom:DND1005", State: "BUSY" }),
    );
    expect(devices.items).toContainEqual(
      expect.objectContaining({ Device: "park:701@parkedcalls", State: "INUSE" }),
    );
    const presence = await c.list("PresenceStateList");
    expect(presence.items).toEqual([
      expect.objectContaining({ Presentity: "CustomPresence:1004", Status: "away", Message: "In a meeting" }),
    ]);
    const ext = await c.list("ExtensionStateList");
    expect(ext.items.map((i) => i.Exten)).toEqual(["1001", "1002", "1003", "1004", "1005", "1006"]);
  });

  it("gives concurrent parked replays different spaces", async () => {
    const s = await sim();
    const a = s.startCall("08", { pauseAt: "parked", timeScale: 0.02 });
    const b = s.startCall("08", { pauseAt: "parked", timeScale: 0.02 });
    await waitFor(() => a.paused && b.paused, "both parked");
    expect(
      s
        .parkedCalls()
        .map((p) => p.space)
        .sort(),
    ).toEqual(["701", "702"]);
  });
});

describe("AmiSimulator traffic", () => {
  it("replays many calls at a rate and concurrency with fresh, non-colliding ids; all reach a model", async () => {
    const s = await sim();
    const frames: AmiFrame[] = [];
    await client(s, [], frames);
    const driver = new AsteriskAmiDriver({
      pbx: "ast1",
      host: "127.0.0.1",
      port: s.port,
      username: "admin",
      secret: "pw",
      logger: silentLogger(),
    });
    const model = new LiveModel(directory("ast1"));
    let ended = 0;
    driver.onEvents((batch) => {
      for (const e of batch) for (const c of model.apply(e)) if (c.kind === "call-ended") ended++;
    });
    driver.start();
    await waitFor(() => driver.status().connected, "driver up");
    let maxLive = 0;
    const traffic = s.startTraffic({
      rate: 200,
      concurrency: 12,
      total: 48,
      timeScale: 0.01,
      scenarios: PLAIN_CALL_SCENARIOS,
      extMap: (i) => (i % 2 === 0 ? { "1001": "1005", "1002": "1006" } : undefined),
    });
    const sampler = setInterval(() => {
      maxLive = Math.max(maxLive, traffic.started - traffic.completed);
    }, 2);
    await traffic.done;
    clearInterval(sampler);
    expect(traffic.completed).toBe(48);
    expect(maxLive).toBeLessThanOrEqual(12);
    expect(maxLive).toBeGreaterThan(1);
    await waitFor(() => model.activeCalls().length === 0, "every call ended in the model", 5000);
    expect(s.liveChannels()).toEqual([]);
    expect(ended).toBeGreaterThanOrEqual(48);
    const uids = frames.filter((f) => f.Event === "Newchannel").map((f) => f.Uniqueid);
    const names = frames.filter((f) => f.Event === "Newchannel").map((f) => f.Channel);
    expect(new Set(uids).size).toBe(uids.length);
    expect(new Set(names).size).toBe(names.length);
    const bridges = new Set(frames.filter((f) => f.Event === "BridgeCreate").map((f) => f.BridgeUniqueid));
    expect(bridges.size).toBe(frames.filter((f) => f.Event === "BridgeCreate").length);
    expect(names.some((n) => n?.startsWith("PJSIP/1005-"))).toBe(true);
    for (const u of ["u1001", "u1002", "u1005", "u1006"]) expect(model.presenceOf(u)).toBe("available");
    await driver.stop();
  }, 15_000); // above the 5 s wait for the calls to end
});
