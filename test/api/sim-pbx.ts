// Each simulated PBX with a real driver named `main`, for API tests over the sample directory.

import { readFileSync } from "node:fs";
import { AmiSimulator } from "../../simulators/ami-simulator.js";
import { AriServer } from "../../simulators/ari-server.js";
import { EslSimulator } from "../../simulators/esl-simulator.js";
import { AsteriskAmiDriver } from "../../src/pbx/asterisk-ami/driver.js";
import { AsteriskAriDriver } from "../../src/pbx/asterisk-ari/driver.js";
import type { PbxDriver } from "../../src/pbx/driver.js";
import { FreeswitchEslDriver } from "../../src/pbx/freeswitch-esl/driver.js";
import { silentLogger } from "../ami/helpers.js";

export interface Pbx {
  driver: PbxDriver;
  /** Starts the inbound call 05 answered by Bob (1002), paused while they talk. */
  call(): { resume(): void; done: Promise<unknown> };
  /** What the simulated PBX was asked so far, one line each (AMI actions, ARI requests, ESL commands). */
  asked(): string[];
  /**
   * The PBX reports `extension` as a logged-in member of the Sales queue (`queue`), as the real one does:
   * AMI QueueMemberAdded, ESL agent-offering. ARI reports no queue events (only its AMI companion would).
   */
  queueMember?(extension: string): void;
  /** The Sales queue's name on this PBX. */
  queue: string;
  stop(): Promise<void>;
}

const backoff = { initialMs: 20, maxMs: 200 };

/** The sample directory, with Dave (supervisor, 1004) covering Sales too: Bob (1002) is in his scope. */
export const CONFIG = readFileSync("callsight.example.yaml", "utf8").replace(
  "departments: [support]\n    role: supervisor",
  "departments: [support, sales]\n    role: supervisor",
);

export async function ami(): Promise<Pbx> {
  const sim = new AmiSimulator({ commandTimeScale: 0.05 });
  const { port } = await sim.start({ port: 0, username: "callsight", secret: "s3cret" });
  const driver = new AsteriskAmiDriver({
    pbx: "main",
    host: "127.0.0.1",
    port,
    username: "callsight",
    secret: "s3cret",
    backoff,
    logger: silentLogger(),
  });
  return {
    driver,
    call: () => sim.startCall("05", { pauseAt: "answered", timeScale: 0.05 }),
    queue: "400",
    queueMember: (ext) =>
      sim.emitEvent([
        ["Event", "QueueMemberAdded"],
        ["Queue", "400"],
        ["MemberName", `Member ${ext}`],
        ["Interface", `Local/${ext}@from-queue/n`],
        ["StateInterface", `hint:${ext}@ext-local`],
        ["Membership", "dynamic"],
        ["Paused", "0"],
        ["PausedReason", ""],
      ]),
    asked: () =>
      sim.actionLog.map(
        (a) =>
          `${a.action}${Object.entries(a.headers)
            .filter(([k]) => k !== "action" && k !== "actionid")
            .map(([k, v]) => ` ${k}=${v}`)
            .join("")}`,
      ),
    stop: () => sim.stop(),
  };
}

export async function ari(): Promise<Pbx> {
  const sim = new AriServer({ commandTimeScale: 0.05 });
  await sim.start();
  const driver = new AsteriskAriDriver({
    pbx: "main",
    host: "127.0.0.1",
    port: sim.port,
    username: "callsight",
    secret: "callsight",
    backoff,
    originateTimeoutSec: 5,
    logger: silentLogger(),
  });
  return {
    driver,
    call: () => sim.startCall("05-inbound-answered", { pauseAt: "answered", timeScale: 0.05 }),
    queue: "400",
    asked: () => sim.requestLog.map((r) => `${r.method} ${r.path} ${new URLSearchParams(r.query)}`),
    stop: () => sim.stop(),
  };
}

export async function esl(): Promise<Pbx> {
  const sim = new EslSimulator({ commandTimeScale: 0.05 });
  const { port } = await sim.start({ password: "pw" });
  const driver = new FreeswitchEslDriver({
    pbx: "main",
    host: "127.0.0.1",
    port,
    secret: "pw",
    backoff,
    logger: silentLogger(),
  });
  return {
    driver,
    call: () => sim.startCall("05", { pauseAt: "answered", timeScale: 0.05 }),
    queue: "sales@default",
    queueMember: (ext) =>
      sim.emitEvent({
        "Event-Name": "CUSTOM",
        "Event-Subclass": "callcenter::info",
        "CC-Queue": "sales@default",
        "CC-Action": "agent-offering",
        "CC-Agent": `${ext}@default`,
      }),
    asked: () =>
      sim.commandLog.map(
        (c) =>
          `${c.command}${Object.entries(c.headers)
            .map(([k, v]) => ` ${k}=${v}`)
            .join("")}`,
      ),
    stop: () => sim.stop(),
  };
}

/** Every simulated PBX, by name. */
export const SIMULATED_PBXES: [string, () => Promise<Pbx>][] = [
  ["Asterisk AMI", ami],
  ["Asterisk ARI", ari],
  ["FreeSWITCH ESL", esl],
];
