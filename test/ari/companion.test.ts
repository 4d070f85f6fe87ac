// The ARI driver with its AMI companion link (the AmiSimulator playing the AMI side of the same PBX):
// the companion adds exactly what ARI lacks (parked calls, presence, ChanSpy, MixMonitor, Redirect,
// DBPut), and no fact is reported by both links.

import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it, vi } from "vitest";
import { AmiSimulator } from "../../simulators/ami-simulator.js";
import { get } from "../../simulators/ami-trace.js";
import { AriServer } from "../../simulators/ari-server.js";
import { COMPANION_FILTERS } from "../../src/pbx/asterisk-ari/companion-facts.js";
import { readTrace } from "../../src/replay/formats.js";
import {
  amiOnly,
  capturingLogger,
  type Harness,
  harness,
  replayInStep,
  replayOnBoth,
  summarize,
  waitFor,
} from "./helpers.js";

let h: Harness | undefined;
let ami: AmiSimulator | undefined;
afterEach(async () => {
  await h?.close();
  await ami?.stop();
  h = undefined;
  ami = undefined;
});

async function withCompanion(
  logger = capturingLogger().logger,
  companionHoldMs = 500,
): Promise<{ h: Harness; ami: AmiSimulator }> {
  ami = new AmiSimulator({ commandTimeScale: 0.05 });
  await ami.start();
  h = await harness({
    logger,
    driver: {
      companion: { port: ami.port, username: "callsight", secret: "callsight" },
      companionHoldMs,
    },
  });
  await waitFor(() => h!.driver.companionStatus()?.connected, "companion connected");
  return { h, ami };
}

describe("ARI + AMI companion", () => {
  it("logs in with filters that keep only what ARI lacks, and reports no degraded feature", async () => {
    const { logger, records } = capturingLogger();
    const { h, ami } = await withCompanion(logger);
    const filters = ami.actionLog
      .filter((a) => a.action.toLowerCase() === "filter")
      .map((a) => a.headers.filter);
    expect(filters).toEqual([...COMPANION_FILTERS]);
    expect(h.driver.degradedFeatures()).toEqual([]);
    expect(records.some((r) => String(r.msg).startsWith("ARI without an AMI companion"))).toBe(false);
    expect(h.driver.companionStatus()).toMatchObject({ driver: "asterisk-ami-companion", connected: true });
  });

  for (const scenario of [
    "05-inbound-answered",
    "08-park-and-retrieve",
    "10a-chanspy-listen",
    "10b-chanspy-whisper",
    "10c-chanspy-barge",
    "11a-mixmonitor-ami",
    "13-presence-dnd",
  ]) {
    it(`${scenario}: both links together give the AMI model, each fact once`, async () => {
      // The links are merged by PBX time and nothing waits for the hold time here (a loaded machine
      // delays the sockets, which must not reorder anything): a long hold keeps a late link from being
      // given up on.
      const { h, ami } = await withCompanion(undefined, 10_000);
      const start = h.changes.length;
      const initial = Object.fromEntries([...h.model.allPresence()].map(([u, p]) => [u, p as string]));
      await replayInStep(h.sim, ami, scenario);
      // The PBX's clock moves on (ARI reports a global variable): companion facts later than ARI's last
      // event need a later ARI time to go out (or the hold time).
      h.sim.emitEvent({ type: "ChannelVarset", variable: "CALLSIGHT_TEST_CLOCK", value: "1" });
      const want = amiOnly(scenario);
      // Companion facts may still wait for their legs' announcement: poll for the model rather than
      // sleeping a fixed time.
      await vi.waitFor(
        () => {
          const live = summarize(h.changes.slice(start), initial);
          expect(live.calls).toEqual(want.calls);
          for (const [user, line] of Object.entries(want.timeline)) {
            expect(live.timeline[user] ?? [initial[user]], `presence of ${user}`).toEqual(line);
          }
          expect(live.states).toEqual(want.states);
        },
        { timeout: 5000, interval: 25 },
      );
      // Facts of one kind come from one link only.
      const count = (type: string) => h.events.filter((e) => e.type === type).length;
      const amiRead = readTrace(`test/fixtures/asterisk/${scenario}.ami.txt`, "ami", { pbx: "pbx" }).events;
      const inTrace = (type: string) => amiRead.filter((e) => e.type === type).length;
      for (const type of [
        "call.parked",
        "call.unparked",
        "monitoring.started",
        "monitoring.stopped",
        "recording.started",
        "recording.stopped",
      ]) {
        expect(count(type), type).toBe(inTrace(type));
      }
      expect(count("presence.dnd"), "presence.dnd").toBe(inTrace("presence.dnd"));
      expect(count("leg.created")).toBe(inTrace("leg.created"));
    }, 20_000);
  }

  it("sends a dialplan call to the IVR with the companion's Redirect", async () => {
    const { h, ami } = await withCompanion();
    const { call, mirrored } = replayOnBoth(h.sim, ami, "05-inbound-answered", {
      pauseAt: "answered",
      until: (f) => get(f, "Event") === "BridgeLeave",
    });
    await waitFor(() => call.paused && h.model.activeCalls()[0]?.state === "up", "answered");
    const trunk = call.channels().find((c) => c.name.startsWith("PJSIP/carrier"))!;
    await waitFor(
      () => ami.liveChannels().some((c) => c.uniqueid === trunk.id),
      "AMI side knows the channel",
    );
    const outcome = await h.driver.sendToIvr({ leg: trunk.id, context: "ivr", exten: "s" });
    expect(outcome).toEqual({ status: "accepted", detail: "Redirect successful" });
    const redirect = ami.actionLog.find((a) => a.action.toLowerCase() === "redirect");
    expect(redirect?.headers).toMatchObject({ channel: trunk.name, context: "ivr", exten: "s" });
    call.resume();
    await mirrored;
  });

  it("writes the recording policy to AstDB with the companion's DBPut", async () => {
    const { h, ami } = await withCompanion();
    const outcome = await h.driver.publishRecordingPolicy({
      extensions: { "1001": "all", "1002": "external" },
      beepSeconds: 15,
    });
    expect(outcome).toMatchObject({ status: "accepted" });
    expect(ami.astdb.get("callsight/recording/1001")).toBe("all");
    expect(ami.astdb.get("callsight/recording/1002")).toBe("external");
    expect(ami.astdb.get("callsight/config/recording_options")).toBe("B(15)");
  });

  it("keeps the companion's parked calls and presence across an ARI reconnect", async () => {
    const { h, ami } = await withCompanion();
    ami.setPresence("1003", "away", "lunch", "back at 2");
    await waitFor(() => h.model.presenceOf("u1003") === "away", "1003 away");
    const { call } = replayOnBoth(h.sim, ami, "08-park-and-retrieve", {
      pauseAt: "parked",
      until: (f) => get(f, "Event") === "Newchannel" && get(f, "Exten") === "701",
    });
    await waitFor(() => call.paused && call.channels().length > 0, "parked on ARI");
    await waitFor(() => h.model.activeCalls()[0]?.state === "parked", "parked in the model");
    h.sim.dropConnections();
    await waitFor(() => !h.driver.status().connected, "ARI down");
    await waitFor(() => h.driver.status().connected, "ARI back");
    const snapshot = [...h.events].reverse().find((e) => e.type === "pbx.snapshot");
    expect(snapshot?.type === "pbx.snapshot" && snapshot.parked).toEqual([
      { leg: call.rewrite("1795373473.96"), lot: "default", space: "701" },
    ]);
    expect(h.model.activeCalls()[0]?.state).toBe("parked");
    expect(h.model.presenceOf("u1003")).toBe("away");
  });

  it("after an ARI reconnect the queues are the PBX's now, including what changed while ARI was away", async () => {
    const { h, ami } = await withCompanion();
    ami.addQueueMember("400", "1001", "Alice Sales");
    await waitFor(() => h.model.queueState("pbx", "400")?.agents.length === 1, "Alice a member");
    h.sim.dropConnections();
    await waitFor(() => !h.driver.status().connected, "ARI down");
    // While ARI is away the companion's facts have no ARI session to go with: Bob joins, Alice pauses.
    ami.addQueueMember("400", "1002", "Bob Sales");
    ami.emitEvent([
      ["Event", "QueueMemberPause"],
      ["Queue", "400"],
      ["MemberName", "Alice Sales"],
      ["Interface", "Local/1001@from-queue/n"],
      ["StateInterface", "hint:1001@ext-local"],
      ["Paused", "1"],
      ["PausedReason", "Lunch"],
    ]);
    await waitFor(() => h.driver.status().connected, "ARI back");
    await waitFor(() => h.model.queueState("pbx", "400")?.agents.length === 2, "Bob a member");
    const agents = h.model.queueState("pbx", "400")?.agents ?? [];
    expect(agents.map((a) => [a.extension, a.paused, a.pauseReason])).toEqual([
      ["1001", true, "Lunch"],
      ["1002", false, undefined],
    ]);
  });

  it("a companion that comes up while ARI builds its snapshot: its queues reach the model (seen live)", async () => {
    ami = new AmiSimulator({ commandTimeScale: 0.05 });
    await ami.start();
    ami.addQueueMember("400", "1001", "Alice Sales");
    const sim = new AriServer({ commandTimeScale: 0.05 });
    await sim.start();
    const release = sim.holdChannelList();
    h = await harness({
      server: sim,
      start: false,
      driver: { companion: { port: ami.port, username: "callsight", secret: "callsight" } },
    });
    h.driver.start();
    const local = h;
    await waitFor(
      () => sim.requestLog.some((r) => r.method === "GET" && r.path === "/ari/channels"),
      "ARI resync under way",
    );
    await waitFor(() => local.driver.companionStatus()?.connected, "companion connected");
    // The companion's own resync reported the queue while ARI was not up: nobody to give it to yet.
    expect(local.driver.status().connected).toBe(false);
    release();
    await waitFor(() => local.driver.status().connected, "ARI connected");
    await waitFor(() => local.model.queueState("pbx", "400")?.agents.length === 1, "Alice a member");
    expect(local.model.queueState("pbx", "400")?.agents[0]).toMatchObject({
      extension: "1001",
      loggedIn: true,
    });
  });

  it("without timestampevents says so once and merges the links in arrival order", async () => {
    const { logger, records } = capturingLogger();
    const { h, ami } = await withCompanion(logger);
    const presence = (ext: string, status: string): [string, string][] => [
      ["Event", "PresenceStateChange"],
      ["Privilege", "call,all"],
      ["Presentity", `CustomPresence:${ext}`],
      ["Status", status],
      ["Subtype", ""],
      ["Message", ""],
    ];
    ami.emitEvent(presence("1003", "away"));
    await waitFor(() => h.model.presenceOf("u1003") === "away", "1003 away");
    ami.emitEvent(presence("1003", "dnd"));
    await waitFor(() => h.model.presenceOf("u1003") === "dnd", "1003 dnd");
    const said = records.filter((r) => String(r.msg).startsWith("AMI companion events carry no Timestamp"));
    expect(said).toHaveLength(1);
    // ARI events wait for nothing then: a DND lamp goes straight through.
    h.sim.setDnd("1002", true);
    await waitFor(() => h.model.presenceOf("u1002") === "dnd", "1002 dnd");
  });

  it("answers clearly while the companion link is down", async () => {
    const { h, ami } = await withCompanion();
    const call = h.sim.startCall("05-inbound-answered", { pauseAt: "answered", timeScale: 0.05 });
    await waitFor(() => call.paused, "answered");
    const trunk = call.channels().find((c) => c.name.startsWith("PJSIP/carrier"))!;
    await waitFor(() => h.model.leg("pbx", trunk.id) !== undefined, "known");
    await ami.stop();
    await waitFor(() => !h.driver.companionStatus()?.connected, "companion down");
    expect(await h.driver.sendToIvr({ leg: trunk.id, context: "ivr", exten: "s" })).toEqual({
      status: "failed",
      message: "the AMI companion link is not connected: cannot Redirect the call",
    });
    expect(h.driver.status().connected).toBe(true);
    expect(JSON.parse(readFileSync("package.json", "utf8")).name).toBe("callsight");
  });
});
