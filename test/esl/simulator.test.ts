// The ESL simulator as a FreeSWITCH stand-in: many re-id'd calls at once, `event plain`, the api
// replies it builds from its live state, the db, bgapi jobs, and the real error texts.

import { afterEach, describe, expect, it } from "vitest";
import { EslSimulator } from "../../simulators/esl-simulator.js";
import { LiveModel } from "../../src/domain/live-model.js";
import { EslConnection } from "../../src/pbx/freeswitch-esl/connection.js";
import { ESL_EVENTS } from "../../src/pbx/freeswitch-esl/driver.js";
import type { EslEvent } from "../../src/pbx/freeswitch-esl/frame-parser.js";
import { buildEslSnapshot } from "../../src/pbx/freeswitch-esl/resync.js";
import { EslTranslator } from "../../src/pbx/freeswitch-esl/translate.js";
import { directory, waitFor } from "../ami/helpers.js";

const open: { sim: EslSimulator; conns: EslConnection[] }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    for (const c of o.conns) c.destroy();
    await o.sim.stop();
  }
});

async function setup(events: readonly string[] = ESL_EVENTS) {
  const sim = new EslSimulator({ commandTimeScale: 0.05 });
  const { port } = await sim.start();
  const received: EslEvent[] = [];
  const conn = await EslConnection.connect(
    { host: "127.0.0.1", port, password: "ClueCon", events, pingIntervalMs: 0 },
    { events: (batch) => received.push(...batch) },
  );
  open.push({ sim, conns: [conn] });
  return { sim, conn, received, port };
}

describe("EslSimulator", () => {
  it("replays many calls at once with fresh uuids; the model sees every one start and end", async () => {
    const { sim, received } = await setup();
    const traffic = sim.startTraffic({ rate: 200, concurrency: 25, total: 36, timeScale: 0.02 });
    await traffic.done;
    await waitFor(() => sim.liveChannels().length === 0, "all channels gone", 5000);
    await waitFor(() => received.filter((e) => e["Event-Name"] === "CHANNEL_HANGUP").length >= 72, "hangups");
    const translator = new EslTranslator("fs");
    const model = new LiveModel(directory("fs"));
    const ended = new Set<string>();
    for (const e of received) {
      for (const n of translator.translate(e)) {
        for (const c of model.apply(n)) if (c.kind === "call-ended") ended.add(c.call.id);
      }
    }
    expect(ended.size).toBe(36);
    expect(model.activeCalls()).toEqual([]);
    const creates = received.filter((e) => e["Event-Name"] === "CHANNEL_CREATE").map((e) => e["Unique-ID"]);
    expect(new Set(creates).size).toBe(creates.length);
    // Only what was subscribed arrives.
    const names = new Set(received.map((e) => String(e["Event-Name"])));
    for (const n of names) expect(ESL_EVENTS).toContain(n);
  }, 15_000); // above the 5 s + 3 s waits for the calls to end

  it("show channels/calls as json, uuid_getvar, db, valet_info and unknown commands, from its live state", async () => {
    const { sim, conn } = await setup();
    const call = sim.startCall("10c", { pauseAt: "answered", timeScale: 0.02 });
    await waitFor(() => call.paused, "paused");
    const channels = await conn.api("show channels as json");
    const calls = await conn.api("show calls as json");
    const r = buildEslSnapshot({ pbx: "fs", at: 1, channels, calls });
    expect(r.snapshot.legs.map((l) => [l.number, l.side, l.state])).toEqual([
      ["1001", "internal", "up"],
      ["17778732492", "external", "up"],
    ]);
    expect(r.snapshot.legs[0]?.bridge).toBe(r.snapshot.legs[1]?.bridge);
    const leg = r.snapshot.legs[0]?.leg ?? "";
    expect(await conn.api(`uuid_getvar ${leg} hangup_after_bridge`)).toBe("true");
    expect(await conn.api(`uuid_getvar ${leg} nothing_like_it`)).toBe("_undef_");
    expect(await conn.api("db insert/callsight_recording/1001/all")).toBe("+OK");
    expect(await conn.api("db select/callsight_recording/1001")).toBe("all");
    expect(sim.db.get("callsight_recording/1001")).toBe("all");
    expect(await conn.api("valet_info")).toBe('<lots>\n  <lot name="default">\n  </lot>\n</lots>\n');
    expect(await conn.api("no_such_command")).toBe("-ERR no_such_command Command not found!\n");
    expect(await conn.api("uuid_transfer 00000000-0000-4000-8000-000000000000 5000 XML default")).toBe(
      "-ERR No such channel!\n",
    );
    call.resume();
    await call.done;
    expect(await conn.api("show channels as json")).toBe('{"row_count": 0}');
  });

  it("bgapi answers +OK Job-UUID at once and the originate's result comes as BACKGROUND_JOB", async () => {
    const { sim, conn } = await setup();
    const call = sim.startCall("04", { pauseAt: "answered", timeScale: 0.02 });
    await waitFor(() => call.paused, "paused");
    const target = call.channels().find((c) => c.direction === "inbound")?.uuid ?? "";
    const job = conn.bgapi(`originate {origination_caller_id_number=1004}user/1004 &eavesdrop(${target})`);
    expect(await job.accepted).toBe(`+OK Job-UUID: ${job.jobUuid}`);
    const result = await job.result;
    const spy = sim.liveChannels().find((c) => c.application === "eavesdrop" || c.name.includes("/1004@"));
    expect(result).toBe(`+OK ${spy?.uuid}\n`);
    // An originate to a phone that does not exist fails like FreeSWITCH's does.
    expect(await conn.bgapi("originate user/1999 &eavesdrop(x)").result).toBe("-ERR SUBSCRIBER_ABSENT\n");
  });

  it("speaks event plain too (url-encoded headers)", async () => {
    const { sim, conn, received } = await setup([]);
    expect(await conn.command("event plain CHANNEL_CREATE CHANNEL_HANGUP")).toBe(
      "+OK event listener enabled plain",
    );
    const call = sim.startCall("05", { timeScale: 0.02 });
    await call.done;
    await waitFor(() => received.filter((e) => e["Event-Name"] === "CHANNEL_HANGUP").length === 2, "hangups");
    const create = received.find((e) => e["Event-Name"] === "CHANNEL_CREATE");
    expect(create?.["Caller-Caller-ID-Name"]).toBe("WIRELESS CALLER");
    expect(create?.["Channel-Name"]).toBe("sofia/external/15551234567@127.0.0.1:5110");
  });
});
