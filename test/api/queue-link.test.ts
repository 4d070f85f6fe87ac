// The DND link on a simulated Asterisk (AMI), through the real runtime service (runtime/queue-presence-link.ts):
// Sales has pauseQueuesOnDnd; Alice's DND pauses her in queue 400 (QueuePause, reason DND) and leaving it
// unpauses her; a break taken by hand stays; the commands are audited as Callsight's; a restarted Callsight
// still undoes the pause it made before. Real sockets and Redis.

import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { AmiSimulator } from "../../simulators/ami-simulator.js";
import { AsteriskAmiDriver } from "../../src/pbx/asterisk-ami/driver.js";
import { QueuePresenceLink } from "../../src/runtime/queue-presence-link.js";
import { AuditLog } from "../../src/stores/audit-log.js";
import { silentLogger, waitFor } from "../ami/helpers.js";
import { type Harness, startHarness } from "./harness.js";
import { CONFIG } from "./sim-pbx.js";

const LINKED_CONFIG = CONFIG.replace(
  "  - id: sales\n    name: Sales\n",
  '  - id: sales\n    name: Sales\n    queues: [{ name: "400" }]\n    pauseQueuesOnDnd: true\n',
);

describe("DND pauses Sales's people in Sales's queues (AMI simulator)", () => {
  let sim: AmiSimulator | undefined;
  const running: { h: Harness; link: QueuePresenceLink }[] = [];

  afterEach(async () => {
    for (const r of running.splice(0)) {
      r.link.stop();
      await r.h.close();
    }
    await sim?.stop();
  });

  async function start(prefix?: string) {
    const driver = new AsteriskAmiDriver({
      pbx: "main",
      host: "127.0.0.1",
      port: sim!.port,
      username: "callsight",
      secret: "callsight",
      backoff: { initialMs: 20, maxMs: 200 },
      logger: silentLogger(),
    });
    const h = await startHarness({ drivers: [driver], config: LINKED_CONFIG, ...(prefix ? { prefix } : {}) });
    const link = new QueuePresenceLink({
      callsight: h.callsight,
      redis: h.redis,
      prefix: h.prefix,
      audit: new AuditLog(h.redis, h.prefix),
      logger: pino({ level: "silent" }),
      acts: () => true,
    });
    await link.start();
    running.push({ h, link });
    await waitFor(() => driver.status().connected, "AMI connected");
    return { h, driver };
  }

  const alice = (h: Harness) =>
    h.callsight.model.queueState("main", "400")?.agents.find((a) => a.extension === "1001");
  const pauses = () =>
    sim!.actionLog
      .filter((a) => a.action === "queuepause")
      .map((a) =>
        [
          a.action,
          ...Object.entries(a.headers)
            .filter(([k]) => k !== "action" && k !== "actionid")
            .map(([k, v]) => `${k}=${v}`),
        ].join(" "),
      );

  it("pauses on DND with the reason DND, unpauses on leaving it, leaves a break by hand alone; audited", async () => {
    sim = new AmiSimulator({ commandTimeScale: 0.05 });
    await sim.start();
    sim.addQueueMember("400", "1001", "Alice Sales");
    const { h, driver } = await start();
    await waitFor(() => alice(h)?.loggedIn, "Alice a member");
    expect(pauses()).toEqual([]);

    sim.setDnd("1001", true);
    await waitFor(() => alice(h)?.paused, "Alice paused by her DND");
    expect(alice(h)?.pauseReason).toBe("DND");
    sim.setDnd("1001", false);
    await waitFor(() => alice(h)?.paused === false, "Alice unpaused");
    expect(pauses()).toEqual([
      "queuepause queue=400 interface=Local/1001@from-queue/n paused=true reason=DND",
      "queuepause queue=400 interface=Local/1001@from-queue/n paused=false",
    ]);

    // A break by hand: DND on and off again changes nothing.
    const token = await h.token("1001");
    expect(
      (await h.request("PUT", "/v1/queues/400/agents/me", token, { paused: true, reason: "Lunch" })).status,
    ).toBe(202);
    await waitFor(() => alice(h)?.pauseReason === "Lunch", "Alice at lunch");
    sim.setDnd("1001", true);
    await waitFor(() => h.callsight.model.dndOf("1001", "main"), "Alice in DND");
    sim.setDnd("1001", false);
    await waitFor(() => h.callsight.model.dndOf("1001", "main") === false, "Alice out of DND");
    // The link reconciles in the turn after each change (setImmediate); anything it asked the PBX went out on
    // the AMI session before this Ping, which the simulator answers in order.
    await new Promise((r) => setImmediate(r));
    await driver.ping();
    expect(alice(h)).toMatchObject({ paused: true, pauseReason: "Lunch" });
    expect(pauses()).toHaveLength(3);

    const admin = await h.token("admin");
    const entries = (await h.request("GET", "/v1/audit?action=queuePause&order=oldest", admin)).body.entries;
    expect(
      entries.map((e: { actor: string; outcome: string; detail: { paused: boolean; by?: string } }) =>
        [e.actor, e.outcome, e.detail.paused, e.detail.by ?? "api"].join(" "),
      ),
    ).toEqual([
      "callsight accepted true dnd-link",
      "callsight accepted false dnd-link",
      "1001 accepted true api",
    ]);
  });

  it("a Callsight restarted while the person left DND undoes the pause it made before", async () => {
    sim = new AmiSimulator({ commandTimeScale: 0.05 });
    await sim.start();
    sim.addQueueMember("400", "1001", "Alice Sales");
    const first = await start();
    sim.setDnd("1001", true);
    await waitFor(() => alice(first.h)?.paused, "Alice paused by her DND");
    const prefix = first.h.prefix;
    const r = running.splice(0)[0]!;
    r.link.stop();
    await r.h.callsight.stop();
    await r.h.api.close();
    // While Callsight is away: Alice leaves DND; nobody unpauses her.
    sim.setDnd("1001", false);
    const second = await start(prefix);
    await waitFor(() => alice(second.h)?.paused === false, "Alice unpaused after the restart");
    r.h.redis.disconnect();
  });
});
