// A PBX driver on its protocol simulator, feeding a LiveModel: the common part of the AMI and ESL driver
// tests. Harnesses are stopped after each test.

import { afterEach } from "vitest";
import type { ReplayedCall } from "../../simulators/replay-engine.js";
import type { PbxEvent } from "../../src/domain/events.js";
import { type CallView, LiveModel, type ModelChange } from "../../src/domain/live-model.js";
import type { PbxDriver } from "../../src/pbx/driver.js";
import { directory, waitFor } from "../ami/helpers.js";

type PausePoint = "ringing" | "answered" | "parked";

interface Simulator {
  stop(): Promise<void>;
  /** The channels the simulated PBX has now (AMI: `uniqueid`, ESL: `uuid`). */
  liveChannels(): ({ uniqueid: string } | { uuid: string })[];
  startCall(
    scenario: string,
    options: { pauseAt: PausePoint; timeScale: number; extMap: Record<string, string> },
  ): ReplayedCall<unknown>;
}

export interface DriverHarness<S extends Simulator, D extends PbxDriver> {
  pbx: string;
  sim: S;
  driver: D;
  model: LiveModel;
  events: PbxEvent[];
  changes: ModelChange[];
}

const running: DriverHarness<Simulator, PbxDriver>[] = [];
afterEach(async () => {
  for (const h of running.splice(0)) {
    await h.driver.stop();
    await h.sim.stop();
  }
});

/** Feeds the driver's events into a model of the test directory; starts it and waits for it unless `start` is false. */
export async function driverHarness<S extends Simulator, D extends PbxDriver>(
  pbx: string,
  sim: S,
  driver: D,
  start = true,
): Promise<DriverHarness<S, D>> {
  const model = new LiveModel(directory(pbx));
  const h: DriverHarness<S, D> = { pbx, sim, driver, model, events: [], changes: [] };
  driver.onEvents((batch) => {
    for (const e of batch) {
      h.events.push(e);
      h.changes.push(...model.apply(e));
    }
  });
  running.push(h);
  if (start) {
    driver.start();
    await waitFor(() => driver.status().connected, "driver connected");
  }
  return h;
}

export function callOf(h: DriverHarness<Simulator, PbxDriver>, user: string): CallView | undefined {
  const leg = h.model.legsOfUser(user)[0];
  return leg ? h.model.callOfLeg(h.pbx, leg.id) : undefined;
}

export function legOf(h: DriverHarness<Simulator, PbxDriver>, user: string): string {
  const leg = h.model.legsOfUser(user)[0];
  if (!leg) throw new Error(`no leg for ${user}`);
  return leg.id;
}

/** Starts a captured call and waits until it is paused at `pauseAt`. */
export async function pausedCall<S extends Simulator>(
  h: DriverHarness<S, PbxDriver>,
  scenario: string,
  pauseAt: PausePoint,
  extMap: Record<string, string> = {},
): Promise<ReturnType<S["startCall"]>> {
  const call = h.sim.startCall(scenario, { pauseAt, timeScale: 0.02, extMap }) as ReturnType<S["startCall"]>;
  await waitFor(() => call.paused, `${scenario} paused at ${pauseAt}`);
  // The simulator has sent everything up to the pause; a connected driver may not have delivered it yet.
  // Wait until the model holds the PBX's channels (those that are legs: not Local plumbing) in the state
  // the pause point means, so that a test reading the model right away reads the paused call.
  if (h.driver.status().connected) {
    await waitFor(() => {
      const legs = new Map(h.model.activeCalls().flatMap((c) => c.legs.map((l) => [l.leg, c] as const)));
      const ids = h.sim
        .liveChannels()
        .filter((c) => !("name" in c) || !String(c.name).startsWith("Local/"))
        .map((c) => ("uniqueid" in c ? c.uniqueid : c.uuid));
      if (!ids.every((id) => legs.has(id))) return false;
      const calls = [...new Set(legs.values())];
      if (pauseAt === "answered") return calls.some((c) => c.state === "up" || c.answered);
      if (pauseAt === "parked") return calls.some((c) => c.parked !== undefined);
      return calls.some((c) => c.legs.some((l) => l.state === "ringing"));
    }, `the model holding ${scenario} paused at ${pauseAt}`);
  }
  return call;
}
