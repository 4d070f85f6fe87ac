// Capture tool (issue 17), FreeSWITCH side: starts a real FreeSWITCH (../shared/pbx build) in a
// temporary folder with ./freeswitch/freeswitch.xml (mod_callcenter queue sales@default, agents 1001 and
// 1002 as user/<ext>), records the raw ESL byte stream of a session that sent `event json ALL` and the
// api commands of a second (control) session, plays the phones and the carrier with sipp (the live
// suite's scenarios), and writes test/fixtures/queues/freeswitch/<scenario>.{esl.txt,control.txt,md}.
// Run: node test/live/capture/run.mjs freeswitch [scenario…]   (see README.md)

import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { extractPbx } from "../support/pbx-builds.js";
import { freePort, freeUdpRange, type Spawned, spawnLogged, stopAll, until } from "../support/processes.js";
import { SippEndpoint } from "../support/sipp.js";
import { startTimeline } from "./capture-common.js";

const run = promisify(execFile);
const HERE = new URL("./freeswitch/", import.meta.url).pathname;
const FIXTURES = new URL("../../fixtures/queues/freeswitch/", import.meta.url).pathname;
const PHONES = ["1001", "1002", "1003", "1004", "1005", "1006"];
const NAMES: Record<string, string> = {
  "1001": "Alice Sales",
  "1002": "Bob Sales",
  "1003": "Carol Sales",
  "1004": "Dave Support",
  "1005": "Erin Support",
  "1006": "Frank Support",
};
const DOMAIN = "capture.callsight.test";
const PASSWORD = "capture-esl-secret";
const CARRIER_NUMBER = "15551234567";
const CARRIER_NAME = "WIRELESS CALLER";
const QUEUE_DID = "15559990400";
const FOLLOWME_DID = "15559991001";
const RING_GROUP_DID = "15559990600";
const RING_GROUP_SEQUENCE_DID = "15559990601";
const MOBILE_NUMBER = "15557654321";
const MOBILE_NAME = "MOBILE";

class CaptureFreeSwitch {
  process?: Spawned;
  ports = {
    sip: 0,
    external: 0,
    esl: 0,
    carrier: 0,
    carrierOut: 0,
    phones: {} as Record<string, number>,
    rtpStart: 0,
  };
  constructor(
    readonly dir: string,
    readonly root: string,
    readonly work: string,
  ) {}

  static async create(dir: string): Promise<CaptureFreeSwitch> {
    const fs = new CaptureFreeSwitch(
      dir,
      join(await extractPbx("freeswitch", dir), "freeswitch"),
      join(dir, "fs"),
    );
    for (const p of PHONES) fs.ports.phones[p] = await freePort();
    fs.ports.sip = await freePort();
    fs.ports.external = await freePort();
    fs.ports.esl = await freePort();
    fs.ports.carrier = await freePort();
    fs.ports.carrierOut = await freePort();
    fs.ports.rtpStart = await freeUdpRange(200);
    for (const d of ["conf", "log", "run", "db", "rec", "storage", "cache", "sounds"])
      await mkdir(join(fs.work, d), { recursive: true });
    const config = (await readFile(join(HERE, "freeswitch.xml"), "utf8"))
      .replaceAll("@DOMAIN@", DOMAIN)
      .replaceAll("@SIP_PORT@", String(fs.ports.sip))
      .replaceAll("@EXT_PORT@", String(fs.ports.external))
      .replaceAll("@ESL_PORT@", String(fs.ports.esl))
      .replaceAll("@ESL_PASSWORD@", PASSWORD)
      .replaceAll("@CARRIER@", String(fs.ports.carrier))
      .replaceAll("@CARRIER_OUT@", String(fs.ports.carrierOut))
      .replaceAll("@RTP_START@", String(fs.ports.rtpStart))
      .replaceAll("@RTP_END@", String(fs.ports.rtpStart + 198))
      .replace(/@PHONE_(\d+)@/g, (_, ext: string) => String(fs.ports.phones[ext]));
    const left = /@[A-Z_0-9]+@/.exec(config);
    if (left) throw new Error(`freeswitch.xml: placeholder ${left[0]} not filled in`);
    await writeFile(join(fs.work, "conf", "freeswitch.xml"), config);
    return fs;
  }

  async start(): Promise<void> {
    const r = this.root;
    const w = this.work;
    this.process = await spawnLogged(
      "freeswitch",
      join(r, "bin/freeswitch"),
      [
        "-nonat",
        "-nc",
        "-nf",
        "-base",
        r,
        "-conf",
        join(w, "conf"),
        "-log",
        join(w, "log"),
        "-run",
        join(w, "run"),
        "-db",
        join(w, "db"),
        "-mod",
        join(r, "lib/freeswitch/mod"),
        "-recordings",
        join(w, "rec"),
        "-storage",
        join(w, "storage"),
        "-cache",
        join(w, "cache"),
        "-temp",
        join(w, "cache"),
        "-sounds",
        join(w, "sounds"),
      ],
      { dir: this.dir },
    );
    await until(
      async () => {
        if (this.process?.child.exitCode !== null)
          throw new Error(`freeswitch exited: ${(await this.process?.log())?.slice(-2000)}`);
        return (await this.api("status").catch(() => "")).includes("is ready");
      },
      "FreeSWITCH ready",
      60_000,
      250,
    );
  }

  async api(command: string): Promise<string> {
    const { stdout } = await run(
      join(this.root, "bin/fs_cli"),
      ["-H", "127.0.0.1", "-P", String(this.ports.esl), "-p", PASSWORD, "-x", command],
      { timeout: 20_000 },
    );
    return stdout;
  }

  async channelCount(): Promise<number> {
    const out = await this.api("show channels as json");
    return (JSON.parse(out.trim() || "{}") as { row_count?: number }).row_count ?? 0;
  }

  async stop(): Promise<void> {
    if (!this.process) return;
    if (this.process.child.exitCode === null) await this.api("fsctl shutdown").catch(() => undefined);
    await this.process.stop(8000);
  }
}

/** An ESL session: every byte received is kept; frames are parsed (headers, then a Content-Length body). */
class EslSession {
  readonly chunks: Buffer[] = [];
  private socket!: Socket;
  private buf = Buffer.alloc(0);
  private replies: Array<(frame: { headers: Record<string, string>; body: string; raw: string }) => void> =
    [];
  transcript: string[] = [];

  static async open(port: number, events?: string): Promise<EslSession> {
    const s = new EslSession();
    s.socket = connect(port, "127.0.0.1");
    s.socket.on("data", (d: Buffer) => s.onData(d));
    await new Promise<void>((resolve, reject) => {
      s.socket.once("connect", () => resolve());
      s.socket.once("error", reject);
    });
    await s.command(`auth ${PASSWORD}`, false);
    if (events) await s.command(`event ${events}`, false);
    return s;
  }

  private onData(d: Buffer): void {
    this.chunks.push(d);
    this.buf = Buffer.concat([this.buf, d]);
    for (;;) {
      const end = this.buf.indexOf("\n\n");
      if (end < 0) return;
      const head = this.buf.subarray(0, end).toString("utf8");
      const headers: Record<string, string> = {};
      for (const line of head.split("\n")) {
        const i = line.indexOf(": ");
        if (i > 0) headers[line.slice(0, i)] = line.slice(i + 2);
      }
      const len = Number(headers["Content-Length"] ?? 0);
      if (this.buf.length < end + 2 + len) return;
      const body = this.buf.subarray(end + 2, end + 2 + len).toString("utf8");
      const raw = this.buf.subarray(0, end + 2 + len).toString("utf8");
      this.buf = this.buf.subarray(end + 2 + len);
      const type = headers["Content-Type"];
      if (type === "auth/request") continue;
      if (type === "command/reply" || type === "api/response") this.replies.shift()?.({ headers, body, raw });
    }
  }

  async command(text: string, record = true): Promise<string> {
    const reply = new Promise<{ headers: Record<string, string>; body: string; raw: string }>((r) =>
      this.replies.push(r),
    );
    if (record) this.transcript.push(`>>> ${text}\n\n`);
    this.socket.write(`${text}\n\n`);
    const frame = await Promise.race([reply, new Promise<null>((r) => setTimeout(() => r(null), 15_000))]);
    if (!frame) {
      if (record) this.transcript.push("<<< (no reply within 15 s)\n\n");
      return "";
    }
    if (record) this.transcript.push(`<<< ${frame.raw}\n\n`);
    return frame.body || frame.headers["Reply-Text"] || "";
  }

  api(command: string): Promise<string> {
    return this.command(`api ${command}`);
  }

  async close(): Promise<void> {
    this.socket.end("exit\n\n");
    await new Promise((r) => setTimeout(r, 200));
    this.socket.destroy();
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

interface Ctx {
  fs: CaptureFreeSwitch;
  phones: Record<string, SippEndpoint>;
  carrier: SippEndpoint;
  /** The called mobile 15557654321, on the gateway's address (the carrier's outbound side). */
  mobile: SippEndpoint;
  control: EslSession;
  log: (line: string) => void;
  sleep: (ms: number, why?: string) => Promise<void>;
}

type EslEvent = Record<string, string>;

interface Scenario {
  name: string;
  title: string;
  done: string[];
  expected: string[];
  checks: Array<[string, (events: EslEvent[]) => boolean]>;
  run: (c: Ctx) => Promise<void>;
}

const cc = (e: EslEvent, action: string) =>
  e["Event-Subclass"] === "callcenter::info" && e["CC-Action"] === action;

async function agentsReady(c: Ctx): Promise<void> {
  // Config-loaded agents keep their state across calls; make both Available + Waiting before a call.
  for (const a of ["1001@default", "1002@default"]) {
    await c.control.api(`callcenter_config agent set status ${a} Available`);
    await c.control.api(`callcenter_config agent set state ${a} Waiting`);
  }
  await c.control.api("callcenter_config queue list agents sales@default");
}

const created = (e: EslEvent) => e["Event-Name"] === "CHANNEL_CREATE";

/** A channel named `prefix…` hung up with `cause`. */
function hungUp(events: EslEvent[], prefix: string, cause: string): boolean {
  return events.some(
    (x) =>
      x["Event-Name"] === "CHANNEL_HANGUP" &&
      (x["Channel-Name"] ?? "").startsWith(prefix) &&
      x["Hangup-Cause"] === cause,
  );
}

interface ChannelRow {
  uuid: string;
  name: string;
  direction: string;
  callstate: string;
  dest: string;
}

/** `show channels as json` on the control session (so it is in the .control.txt). */
async function channels(c: Ctx): Promise<ChannelRow[]> {
  const out = await c.control.api("show channels as json");
  try {
    return (JSON.parse(out.trim() || "{}") as { rows?: ChannelRow[] }).rows ?? [];
  } catch {
    return [];
  }
}

/** The uuid of `ext`'s answered phone leg (a queue agent's leg, FreeSWITCH -> phone). */
async function agentLeg(c: Ctx, ext: string): Promise<string> {
  const row = (await channels(c)).find(
    (r) =>
      r.name.startsWith(`sofia/internal/${ext}@`) && r.direction === "outbound" && r.callstate === "ACTIVE",
  );
  if (!row) throw new Error(`no answered leg of ${ext}`);
  return row.uuid;
}

const SCENARIOS: Scenario[] = [
  {
    name: "30-callcenter-answered",
    title:
      "Carrier call to mod_callcenter queue sales@default (ring-all, agents user/1001 and user/1002); 1001 answers",
    done: [
      "Control session: agents 1001@default and 1002@default set `Available` / `Waiting`; `callcenter_config queue list agents sales@default`.",
      "sipp UAS 1001 rings 4 s, then answers; sipp UAS 1002 rings until cancelled.",
      `sipp UAC "carrier" (${CARRIER_NAME} <${CARRIER_NUMBER}>) calls DID ${QUEUE_DID} on the external profile: \`answer\`, \`callcenter sales@default\`; the caller's sipp hangs up (BYE) 8 s after the queue answered it, i.e. ~4 s after the agent answered.`,
      "Control session: `callcenter_config queue list members sales@default` and `… list agents` while the call waits.",
    ],
    expected: [
      "One inbound external call from 15551234567 on DID 15559990400 enters the Sales queue sales@default and waits (answered by FreeSWITCH, hearing the queue's music): a waiting queue call, not a talking one.",
      "Both agents are offered the call at once (ring-all): their phones 1001 and 1002 ring through originated `user/<ext>` legs.",
      "1001 answers after ~4 s: the member is bridged to agent 1001 (waited ~4 s); 1002's offer is withdrawn (not a missed call of Bob's own).",
      "~4 s of talk; the carrier hangs up; the agent goes to wrap-up and then back to Waiting; all idle.",
    ],
    checks: [
      ["callcenter::info member-queue-start", (e) => e.some((x) => cc(x, "member-queue-start"))],
      ["callcenter::info agent-offering x2", (e) => e.filter((x) => cc(x, "agent-offering")).length >= 2],
      [
        "callcenter::info bridge-agent-start for 1001@default",
        (e) => e.some((x) => cc(x, "bridge-agent-start") && x["CC-Agent"] === "1001@default"),
      ],
      ["callcenter::info member-queue-end", (e) => e.some((x) => cc(x, "member-queue-end"))],
    ],
    async run(c) {
      await agentsReady(c);
      await c.phones["1001"]!.answer({ ringMs: 4000 });
      await c.phones["1002"]!.answer("ring-until-cancelled");
      await c.sleep(500);
      c.log(`carrier calls ${QUEUE_DID}`);
      const call = await c.carrier.call(QUEUE_DID, [{ pauseMs: 8000 }, { hangup: true }]);
      await c.sleep(2000, "agents ringing");
      c.log("control: list members / agents (call waiting)");
      await c.control.api("callcenter_config queue list members sales@default");
      await c.control.api("callcenter_config queue list agents sales@default");
      c.log(`carrier sipp rc=${await call.done}`);
      for (const p of ["1001", "1002"]) await c.phones[p]!.finish(5000);
    },
  },
  {
    name: "31-callcenter-abandoned",
    title:
      "Carrier call to queue sales@default; the agents ring, nobody answers, the caller hangs up after 6 s (abandoned)",
    done: [
      "Control session: agents set `Available` / `Waiting`.",
      "sipp UAS 1001 and 1002 ring until cancelled.",
      `sipp UAC "carrier" calls DID ${QUEUE_DID} (answered by the queue), waits 6 s, hangs up (BYE).`,
      "Control session: `callcenter_config queue list members sales@default` while waiting and after the call; agents listed after the call.",
    ],
    expected: [
      "An inbound external call from 15551234567 waits in sales@default; both agents' phones ring (ring-all).",
      "Nobody answers; after ~6 s the caller hangs up: an ABANDONED queue call (waited ~6 s), not a missed call of a particular agent, and not answered even though the caller's leg was answered by the queue.",
      "The agents' ringing legs are cancelled; both phones return to idle; the agents go back to Waiting; the queue is empty.",
    ],
    checks: [
      ["callcenter::info member-queue-start", (e) => e.some((x) => cc(x, "member-queue-start"))],
      [
        "callcenter::info member-queue-end with CC-Cause Cancel",
        (e) => e.some((x) => cc(x, "member-queue-end") && x["CC-Cause"] === "Cancel"),
      ],
      ["no bridge-agent-start", (e) => !e.some((x) => cc(x, "bridge-agent-start"))],
    ],
    async run(c) {
      await agentsReady(c);
      await c.phones["1001"]!.answer("ring-until-cancelled");
      await c.phones["1002"]!.answer("ring-until-cancelled");
      await c.sleep(500);
      c.log(`carrier calls ${QUEUE_DID}`);
      const call = await c.carrier.call(QUEUE_DID, [{ pauseMs: 6000 }, { hangup: true }]);
      await c.sleep(3000, "waiting in the queue");
      c.log("control: list members (call waiting)");
      await c.control.api("callcenter_config queue list members sales@default");
      c.log(`carrier sipp rc=${await call.done}`);
      for (const p of ["1001", "1002"]) await c.phones[p]!.finish(5000);
      await c.sleep(1000);
      await c.control.api("callcenter_config queue list members sales@default");
      await c.control.api("callcenter_config queue list agents sales@default");
    },
  },
  {
    name: "32-callcenter-agent-status",
    title:
      "mod_callcenter agent management via callcenter_config: status and state changes, agent 1003 added to and removed from the queue",
    done: [
      "No calls. Control session (api commands), ~1 s apart:",
      "`callcenter_config queue list agents sales@default`;",
      "`agent set status 1001@default 'On Break'`; `agent set status 1001@default Available`;",
      "`agent set status 1002@default 'Available (On Demand)'`; `agent set state 1002@default Idle`; `agent set state 1002@default Waiting`;",
      "`agent add 1003@default callback`; `agent set contact 1003@default [call_timeout=20]user/1003@capture.callsight.test`; `tier add sales@default 1003@default 1 1`; `agent set status 1003@default Available`; `queue list agents`;",
      "`agent set status 1003@default 'Logged Out'`; `tier del sales@default 1003@default`; `agent del 1003@default`; `queue list agents`, `queue list tiers`;",
      "errors: `agent set status 1009@default Available` (no such agent), `agent set status 1001@default Lunch` (invalid status), `agent set state 1001@default Sleeping` (invalid state);",
      "`agent set status 1002@default Available` (back to normal).",
    ],
    expected: [
      "Alice (1001) goes on break (not available for queue calls though still an agent of sales@default), then is available again.",
      "Bob (1002) becomes available on demand, his state moves Idle -> Waiting (ready for a call).",
      "Carol (1003) is created as an agent, joins sales@default as a tier, logs in (Available), then logs out (Logged Out), leaves the queue and is deleted: she is no longer an agent.",
      "The three invalid commands are refused (-ERR) and change nothing.",
      "No call and no channel at any point.",
    ],
    checks: [
      [
        "agent-status-change 1001@default On Break",
        (e) =>
          e.some(
            (x) =>
              cc(x, "agent-status-change") &&
              x["CC-Agent"] === "1001@default" &&
              x["CC-Agent-Status"] === "On Break",
          ),
      ],
      [
        "agent-state-change 1002@default Idle",
        (e) =>
          e.some(
            (x) =>
              cc(x, "agent-state-change") &&
              x["CC-Agent"] === "1002@default" &&
              x["CC-Agent-State"] === "Idle",
          ),
      ],
      [
        "agent-status-change 1003@default Logged Out",
        (e) =>
          e.some(
            (x) =>
              cc(x, "agent-status-change") &&
              x["CC-Agent"] === "1003@default" &&
              x["CC-Agent-Status"] === "Logged Out",
          ),
      ],
    ],
    async run(c) {
      const step = async (cmd: string) => {
        c.log(`control: ${cmd}`);
        await c.control.api(`callcenter_config ${cmd}`);
        await c.sleep(1000);
      };
      await step("queue list agents sales@default");
      await step("agent set status 1001@default 'On Break'");
      await step("agent set status 1001@default Available");
      await step("agent set status 1002@default 'Available (On Demand)'");
      await step("agent set state 1002@default Idle");
      await step("agent set state 1002@default Waiting");
      await step("agent add 1003@default callback");
      await step(`agent set contact 1003@default [call_timeout=20]user/1003@${DOMAIN}`);
      await step("tier add sales@default 1003@default 1 1");
      await step("agent set status 1003@default Available");
      await step("queue list agents sales@default");
      await step("agent set status 1003@default 'Logged Out'");
      await step("tier del sales@default 1003@default");
      await step("agent del 1003@default");
      await step("queue list agents sales@default");
      await step("queue list tiers sales@default");
      await step("agent set status 1009@default Available");
      await step("agent set status 1001@default Lunch");
      await step("agent set state 1001@default Sleeping");
      await step("agent set status 1002@default Available");
    },
  },
  {
    name: "33-followme-external",
    title:
      "Carrier call to 1001's DID; FusionPBX follow-me rings 1001's phone and the mobile 15557654321 (loopback -> gateway carrier) at once; the mobile answers",
    done: [
      `sipp UAS 1001 rings until cancelled; sipp UAS "mobile" (${MOBILE_NUMBER}, on the gateway's address) rings 3 s, then answers.`,
      `sipp UAC "carrier" (${CARRIER_NAME} <${CARRIER_NUMBER}>) calls DID ${FOLLOWME_DID} (1001's direct DID) on the external profile; it hangs up 4 s after the answer.`,
      "Dialplan (public `did-followme-1001`): `ignore_early_media=true`, `bridge [leg_timeout=20,presence_id=1001@…]user/1001@…,[leg_timeout=20,presence_id=1001@…]loopback/15557654321/default` (FusionPBX's follow-me dial string, both destinations at once); `loopback/15557654321/default` runs the default context's `outbound` extension: `bridge sofia/gateway/carrier/15557654321`.",
      "Control session: `show channels as json` while both ring (~1.5 s) and while the mobile talks (~5 s).",
    ],
    expected: [
      "One call: an inbound external call from 15551234567 on 1001's DID 15559991001. It is 1001's call (their follow-me), not a call of its own per leg.",
      "1001's phone rings, and at the same time 1001's follow-me number 15557654321 is called over the carrier gateway (an outbound leg of the same call, not a second call).",
      "The mobile answers after ~3 s: 1001 answered the call on their follow-me number. The call is 15551234567 <-> 1001 (on the mobile), bridged by the PBX; 1001's desk phone stops ringing (cancelled: answered by 1001 themself, not missed, not talked on the desk phone). In the history 1001 talked.",
      "The loopback channels (loopback/15557654321-a, -b) are plumbing, never parties; the gateway leg to 15557654321 is 1001's leg (their follow-me dialled it): it shows as 1001, not as a party of its own, and the follow-me number is 1001's own, shown to nobody (not on the board, not in the history).",
      "~4 s of talk; the carrier hangs up; everything idle. 1001's presence: ringing (desk phone and mobile), then on a call while they talk on the mobile — colleagues must not take 1001 for free then — then available.",
    ],
    checks: [
      [
        "a loopback/15557654321 channel",
        (e) => e.some((x) => created(x) && (x["Channel-Name"] ?? "").startsWith(`loopback/${MOBILE_NUMBER}`)),
      ],
      [
        "the gateway leg (sip_gateway_name carrier) answered",
        (e) =>
          e.some((x) => x["Event-Name"] === "CHANNEL_ANSWER" && x.variable_sip_gateway_name === "carrier"),
      ],
      [
        "1001's phone leg rang and lost the race (LOSE_RACE)",
        (e) => hungUp(e, "sofia/internal/1001@", "LOSE_RACE"),
      ],
    ],
    async run(c) {
      await c.phones["1001"]!.answer("ring-until-cancelled");
      await c.mobile.answer({ ringMs: 3000 });
      await c.sleep(500);
      c.log(`carrier calls ${FOLLOWME_DID}`);
      const call = await c.carrier.call(FOLLOWME_DID, [{ pauseMs: 4000 }, { hangup: true }]);
      await c.sleep(1500, "1001 and the mobile ringing");
      c.log("control: show channels (ringing)");
      await channels(c);
      await c.sleep(3500, "the mobile answered");
      c.log("control: show channels (talking)");
      await channels(c);
      c.log(`carrier sipp rc=${await call.done}`);
      await c.phones["1001"]!.finish(5000);
      await c.mobile.finish(5000);
    },
  },
  {
    name: "34-forward-external",
    title:
      "1001 calls 1002; 1002 has call forward all to 15557654321 (FusionPBX forward_all, loopback -> gateway carrier); the outside party answers",
    done: [
      `Control session: \`db insert/forward_all/1002/${MOBILE_NUMBER}\` (1002's forward_all_enabled / forward_all_destination, as FusionPBX's call forward page or *72 sets them).`,
      `sipp UAS "mobile" (${MOBILE_NUMBER}, the gateway's address) rings 2 s, then answers. 1002's phone has no sipp (it must not ring).`,
      "sipp UAC 1001 (Alice Sales) calls 1002; it hangs up 4 s after the answer.",
      "Dialplan (default `call-forward-all`, before `local`): `${db(select/forward_all/1002)}` is set -> `bridge [presence_id=1002@…]loopback/15557654321/default` -> `outbound` -> `bridge sofia/gateway/carrier/15557654321`.",
      "Control session: `show channels as json` while the forwarded call talks; `db delete/forward_all/1002` after the call.",
    ],
    expected: [
      "One call: 1001's outgoing internal call to 1002. 1002 has call forward all to an external number, so 1002's phone never rings.",
      "The call is forwarded out over the carrier gateway: it is 1002's forwarded call (on 1002's tile, 1002 a party of it), answered at 1002's forward number after ~2 s: 1001 <-> 1002 (at 15557654321), an internal call (1001 talks with 1002) though it leaves over the gateway. In the history 1001 is the caller and 1002 talked.",
      "The loopback channels (loopback/15557654321-a/-b) are plumbing, not parties; the gateway leg to 15557654321 is 1002's leg (their forward dialled it), never a party of its own; the forward number is 1002's, shown to nobody.",
      "~4 s of talk; 1001 hangs up; everything idle. 1001: on a call, then available; 1002: ringing while the forward number rings, on a call while it talks, then available (FusionPBX itself lights 1002's lamp for it: it dials the loopback with 1002's presence_id). Without 1002 in the directory the forward number is just the outside party of 1001's call.",
    ],
    checks: [
      [
        "no sofia/internal/1002 channel",
        (e) => !e.some((x) => created(x) && (x["Channel-Name"] ?? "").startsWith("sofia/internal/1002@")),
      ],
      [
        "a loopback/15557654321 channel",
        (e) => e.some((x) => created(x) && (x["Channel-Name"] ?? "").startsWith(`loopback/${MOBILE_NUMBER}`)),
      ],
      [
        "the gateway leg (sip_gateway_name carrier) answered",
        (e) =>
          e.some((x) => x["Event-Name"] === "CHANNEL_ANSWER" && x.variable_sip_gateway_name === "carrier"),
      ],
    ],
    async run(c) {
      c.log(`control: db insert/forward_all/1002/${MOBILE_NUMBER}`);
      await c.control.api(`db insert/forward_all/1002/${MOBILE_NUMBER}`);
      await c.mobile.answer({ ringMs: 2000 });
      await c.sleep(500);
      c.log("1001 calls 1002");
      const call = await c.phones["1001"]!.call("1002", [{ pauseMs: 4000 }, { hangup: true }]);
      await c.sleep(4000, "forwarded call answered");
      c.log("control: show channels (talking)");
      await channels(c);
      c.log(`1001 sipp rc=${await call.done}`);
      await c.mobile.finish(5000);
      await until(async () => (await c.fs.channelCount()) === 0, "no channels left", 30_000, 250);
      c.log("control: db delete/forward_all/1002");
      await c.control.api("db delete/forward_all/1002");
    },
  },
  {
    name: "35-callcenter-transfer-out",
    title:
      "Carrier call to queue sales@default; agent 1001 answers and blind-transfers it to 1003 by SIP REFER from the phone; 1003 answers",
    done: [
      "Control session: agents 1001@default and 1002@default set `Available` / `Waiting`.",
      "sipp UAS 1002 rings until cancelled; sipp UAS 1001 rings 2 s, answers, talks 3 s, then sends a REFER (Refer-To: sip:1003@<FreeSWITCH internal profile>) in the dialog (the phone's own blind transfer, UAS-side REFER), answers the NOTIFYs and hangs up (BYE) after the final one; sipp UAS 1003 rings 2 s, then answers.",
      `sipp UAC "carrier" calls DID ${QUEUE_DID} (\`answer\`, \`set force_transfer_context=default\`, \`callcenter sales@default\`); it hangs up 13 s after the queue answered it (~5 s after 1003 answered).`,
      "FreeSWITCH transfers the agent's bridged partner — the caller — to `1003` (context default, from `force_transfer_context`), whose `local` extension bridges `user/1003`.",
      "Control session: `show channels as json` after 1003 answered.",
    ],
    expected: [
      "One call: the inbound external call from 15551234567 waits in sales@default, both agents (1001, 1002) ring; 1001 answers after ~2 s (1002's ringing is cancelled: taken by a colleague).",
      "After a few seconds of talk 1001 blind-transfers the caller to 1003 with the phone's own transfer (REFER): 1001 leaves the call, 1003 rings and answers. Still the same call (not a new one): the caller ends the call talking with 1003.",
      "Parties: the caller, 1001 (talked, then transferred away), 1002 (rang, taken by a colleague), 1003 (rang, talked). A blind transfer by 1001 to 1003.",
      "The caller hangs up a few seconds after 1003 answered; everything idle.",
    ],
    checks: [
      [
        "callcenter::info bridge-agent-start for 1001@default",
        (e) => e.some((x) => cc(x, "bridge-agent-start") && x["CC-Agent"] === "1001@default"),
      ],
      [
        "the caller's leg blind-transferred to 1003 (Caller-Transfer-Source …:bl_xfer:1003)",
        (e) => e.some((x) => /:bl_xfer:1003(\/|$)/.test(x["Caller-Transfer-Source"] ?? "")),
      ],
      [
        "1003's phone leg answered",
        (e) =>
          e.some(
            (x) =>
              x["Event-Name"] === "CHANNEL_ANSWER" &&
              (x["Channel-Name"] ?? "").startsWith("sofia/internal/1003@"),
          ),
      ],
    ],
    async run(c) {
      await agentsReady(c);
      await c.phones["1002"]!.answer("ring-until-cancelled");
      await c.phones["1001"]!.answerThenRefer({ ringMs: 2000, talkMs: 3000, target: "1003" });
      await c.phones["1003"]!.answer({ ringMs: 2000 });
      await c.sleep(500);
      c.log(`carrier calls ${QUEUE_DID}`);
      const call = await c.carrier.call(QUEUE_DID, [{ pauseMs: 13000 }, { hangup: true }]);
      await c.sleep(9000, "1001 answered and transferred, 1003 answered");
      c.log("control: show channels (caller with 1003)");
      await channels(c);
      c.log(`carrier sipp rc=${await call.done}`);
      for (const p of ["1001", "1002", "1003"]) await c.phones[p]!.finish(5000);
    },
  },
  {
    name: "36-callcenter-pickup",
    title:
      "Carrier call to queue sales@default; while 1001 and 1002 ring, 1003 picks up 1001's ringing call (FusionPBX **1001: intercept of the queue caller)",
    done: [
      "Control session: agents set `Available` / `Waiting`.",
      "sipp UAS 1001 and 1002 ring until cancelled.",
      `sipp UAC "carrier" calls DID ${QUEUE_DID}; it hangs up 10 s after the queue answered it.`,
      "~3 s later the control session does what FusionPBX's intercept.lua does for `**1001`: `show channels as json` finds 1001's ringing leg, `uuid_getvar <leg> cc_member_session_uuid` its parent (the waiting caller's channel), `hash insert/intercept/1001/<caller uuid>`.",
      "sipp UAC 1003 (Carol Sales, not an agent of sales@default) dials `**1001`: `answer`, `intercept ${hash(select/intercept/1001)}`; 1003 waits for the PBX's BYE.",
      "Control session: `show channels as json` after the pickup; `hash delete/intercept/1001` after the call.",
    ],
    expected: [
      "One call: the inbound external call from 15551234567 waits in sales@default; both agents (1001, 1002) ring.",
      "1003 picks up the call ringing on 1001's phone (~3 s): the caller is connected to 1003 — the call is 15551234567 <-> 1003 (1003 talked), not a new call of 1003's (1003's **1001 dial is how 1003 joined this call). A pickup by 1003 of 1001's ringing call.",
      "1001 and 1002 stop ringing: neither talked, neither missed it personally (it was taken by a colleague). 1001's phone never went on-call.",
      "The caller hangs up after ~7 s with 1003; everything idle.",
    ],
    checks: [
      [
        "1003 ran intercept",
        (e) =>
          e.some(
            (x) =>
              x["Event-Name"] === "CHANNEL_EXECUTE" &&
              x.Application === "intercept" &&
              (x["Channel-Name"] ?? "").startsWith("sofia/internal/1003@"),
          ),
      ],
      ["callcenter::info member-queue-start", (e) => e.some((x) => cc(x, "member-queue-start"))],
      ["no bridge-agent-start", (e) => !e.some((x) => cc(x, "bridge-agent-start"))],
    ],
    async run(c) {
      await agentsReady(c);
      await c.phones["1001"]!.answer("ring-until-cancelled");
      await c.phones["1002"]!.answer("ring-until-cancelled");
      await c.sleep(500);
      c.log(`carrier calls ${QUEUE_DID}`);
      const call = await c.carrier.call(QUEUE_DID, [{ pauseMs: 10000 }, { hangup: true }]);
      await c.sleep(3000, "agents ringing");
      c.log("control: find 1001's ringing leg and its queue caller (intercept.lua's lookup)");
      const ringing = (await channels(c)).find(
        (r) => r.name.startsWith("sofia/internal/1001@") && r.direction === "outbound",
      );
      if (!ringing) throw new Error("no ringing leg of 1001");
      const parent = (await c.control.api(`uuid_getvar ${ringing.uuid} cc_member_session_uuid`)).trim();
      if (!/^[0-9a-f-]{36}$/.test(parent)) throw new Error(`no cc_member_session_uuid: ${parent}`);
      await c.control.api(`hash insert/intercept/1001/${parent}`);
      c.log("1003 dials **1001 (intercept)");
      const picker = await c.phones["1003"]!.call("**1001", []);
      await c.sleep(2000, "picked up");
      c.log("control: show channels (caller with 1003)");
      await channels(c);
      c.log(`carrier sipp rc=${await call.done}`);
      c.log(`1003 sipp rc=${await picker.done}`);
      for (const p of ["1001", "1002", "1003"]) await c.phones[p]!.finish(5000);
      await c.control.api("hash delete/intercept/1001");
    },
  },
  {
    name: "37-callcenter-eavesdrop",
    title:
      "Carrier call to queue sales@default answered by 1001; supervisor 1004 listens in with eavesdrop on 1001's agent leg (FusionPBX *33 + 1001)",
    done: [
      "Control session: agents set `Available` / `Waiting`.",
      "sipp UAS 1002 rings until cancelled; sipp UAS 1001 rings 2 s, then answers.",
      `sipp UAC "carrier" calls DID ${QUEUE_DID}; it hangs up 10 s after the queue answered it (~8 s after 1001 answered).`,
      "~4 s after the call started the control session finds 1001's answered agent leg (`show channels as json`) and leaves its uuid in `hash insert/spymap/1001/<uuid>` (FusionPBX's spymap); sipp UAC 1004 (Dave Support) dials `*331001`: `answer`, `eavesdrop ${hash(select/spymap/1001)}` — listening to 1001's real phone leg. eavesdrop ends when that leg hangs up, and 1004 gets the BYE.",
      "Control session: `show channels as json` while 1004 listens; `hash delete/spymap/1001` after the call.",
    ],
    expected: [
      "One queue call: 15551234567 waits in sales@default, 1001 and 1002 ring, 1001 answers (~2 s); 1002 taken by a colleague.",
      "Supervisor 1004 listens to 1001's call (~4 s after it began): 1004 is a silent listener on 1001's call (a monitoring session by 1004 on 1001, mode listen), not a party that talks with the caller and not a second call with the caller, nor a call 1004 missed.",
      "The caller is connected to 1001 the whole time; the caller hangs up, eavesdrop ends, 1004 is hung up; everything idle.",
    ],
    checks: [
      [
        "1004 ran eavesdrop",
        (e) =>
          e.some(
            (x) =>
              x["Event-Name"] === "CHANNEL_EXECUTE" &&
              x.Application === "eavesdrop" &&
              (x["Channel-Name"] ?? "").startsWith("sofia/internal/1004@"),
          ),
      ],
      [
        "callcenter::info bridge-agent-start for 1001@default",
        (e) => e.some((x) => cc(x, "bridge-agent-start") && x["CC-Agent"] === "1001@default"),
      ],
    ],
    async run(c) {
      await agentsReady(c);
      await c.phones["1001"]!.answer({ ringMs: 2000 });
      await c.phones["1002"]!.answer("ring-until-cancelled");
      await c.sleep(500);
      c.log(`carrier calls ${QUEUE_DID}`);
      const call = await c.carrier.call(QUEUE_DID, [{ pauseMs: 10000 }, { hangup: true }]);
      await c.sleep(4000, "1001 answered");
      c.log("control: find 1001's agent leg (spymap)");
      const agent = await agentLeg(c, "1001");
      await c.control.api(`hash insert/spymap/1001/${agent}`);
      c.log("1004 dials *331001 (eavesdrop)");
      const spy = await c.phones["1004"]!.call("*331001", []);
      await c.sleep(2000, "1004 listening");
      c.log("control: show channels (1004 listening)");
      await channels(c);
      c.log(`carrier sipp rc=${await call.done}`);
      c.log(`1004 sipp rc=${await spy.done}`);
      for (const p of ["1001", "1002"]) await c.phones[p]!.finish(5000);
      await c.control.api("hash delete/spymap/1001");
    },
  },
  {
    name: "38-callcenter-recorded",
    title:
      "Carrier call to queue sales@default answered by 1001; the control session records 1001's agent leg with uuid_record, stopped after 3 s",
    done: [
      "Control session: agents set `Available` / `Waiting`.",
      "sipp UAS 1002 rings until cancelled; sipp UAS 1001 rings 2 s, then answers.",
      `sipp UAC "carrier" calls DID ${QUEUE_DID}; it hangs up 8 s after the queue answered it (~6 s after 1001 answered).`,
      "~3.5 s after the call started, the control session finds 1001's agent leg (`show channels as json`) and sends `uuid_record <leg> start <recordings>/sales-1001-capture.wav` (what a record button does); 3 s later `uuid_record <leg> stop <same file>` (the button again), ~2 s before the caller hangs up.",
    ],
    expected: [
      "One queue call: 15551234567 waits in sales@default, 1001 and 1002 ring, 1001 answers (~2 s); 1002 taken by a colleague.",
      "1001's call (with the caller) is recorded for ~3 s, from ~1.5 s after the answer: the recording belongs to this one call (1001's talk with 15551234567), on 1001's leg, not to a call of its own; it is stopped while the call goes on (the call is then no longer being recorded), and the call stays marked as recorded in history.",
      "~6 s of talk in all; the caller hangs up; everything idle.",
    ],
    checks: [
      [
        "RECORD_START on 1001's leg",
        (e) =>
          e.some(
            (x) =>
              x["Event-Name"] === "RECORD_START" &&
              (x["Channel-Name"] ?? "").startsWith("sofia/internal/1001@"),
          ),
      ],
      ["RECORD_STOP", (e) => e.some((x) => x["Event-Name"] === "RECORD_STOP")],
      [
        "callcenter::info bridge-agent-start for 1001@default",
        (e) => e.some((x) => cc(x, "bridge-agent-start") && x["CC-Agent"] === "1001@default"),
      ],
    ],
    async run(c) {
      await agentsReady(c);
      await c.phones["1001"]!.answer({ ringMs: 2000 });
      await c.phones["1002"]!.answer("ring-until-cancelled");
      await c.sleep(500);
      c.log(`carrier calls ${QUEUE_DID}`);
      const call = await c.carrier.call(QUEUE_DID, [{ pauseMs: 8000 }, { hangup: true }]);
      await c.sleep(3500, "1001 answered");
      c.log("control: find 1001's agent leg, uuid_record start");
      const agent = await agentLeg(c, "1001");
      const file = join(c.fs.work, "rec", "sales-1001-capture.wav");
      await c.control.api(`uuid_record ${agent} start ${file}`);
      await c.sleep(3000, "recording");
      c.log("control: uuid_record stop");
      await c.control.api(`uuid_record ${agent} stop ${file}`);
      c.log(`carrier sipp rc=${await call.done}`);
      for (const p of ["1001", "1002"]) await c.phones[p]!.finish(5000);
    },
  },
  {
    name: "39-ringgroup-simultaneous",
    title: "Carrier call to a FusionPBX ring group (simultaneous: 1001, 1002, 1003 at once); 1002 answers",
    done: [
      "sipp UAS 1001 and 1003 ring until cancelled; sipp UAS 1002 rings 2 s, then answers.",
      `sipp UAC "carrier" (${CARRIER_NAME} <${CARRIER_NUMBER}>) calls DID ${RING_GROUP_DID}; it hangs up 4 s after the answer.`,
      "Dialplan (public `did-ring-group-simultaneous`, as FusionPBX's ring_groups.lua builds it): `ring_group_uuid` set, `bridge {ignore_early_media=true}[leg_timeout=20,presence_id=1001@…]user/1001@…,[…]user/1002@…,[…]user/1003@…` (comma: all at once).",
      "Control session: `show channels as json` while the three ring (~1 s).",
    ],
    expected: [
      "One inbound external call from 15551234567 on DID 15559990600 to the ring group: 1001, 1002 and 1003 ring at once, each through its own `user/<ext>` leg of the same call.",
      "1002 answers after ~2 s: the call is 15551234567 <-> 1002; 1001's and 1003's ringing stops (taken by a colleague: not a call either of them missed).",
      "~4 s of talk; the carrier hangs up; everything idle. Presence: 1001 and 1003 ringing then available; 1002 ringing, on a call, available.",
    ],
    checks: [
      [
        "three phone legs created for the group",
        (e) =>
          ["1001", "1002", "1003"].every((x) =>
            e.some((y) => created(y) && (y["Channel-Name"] ?? "").startsWith(`sofia/internal/${x}@`)),
          ),
      ],
      ["1001's leg lost the race (LOSE_RACE)", (e) => hungUp(e, "sofia/internal/1001@", "LOSE_RACE")],
      ["1003's leg lost the race (LOSE_RACE)", (e) => hungUp(e, "sofia/internal/1003@", "LOSE_RACE")],
    ],
    async run(c) {
      await c.phones["1001"]!.answer("ring-until-cancelled");
      await c.phones["1002"]!.answer({ ringMs: 2000 });
      await c.phones["1003"]!.answer("ring-until-cancelled");
      await c.sleep(500);
      c.log(`carrier calls ${RING_GROUP_DID}`);
      const call = await c.carrier.call(RING_GROUP_DID, [{ pauseMs: 4000 }, { hangup: true }]);
      await c.sleep(1000, "three phones ringing");
      c.log("control: show channels (ringing)");
      await channels(c);
      c.log(`carrier sipp rc=${await call.done}`);
      for (const p of ["1001", "1002", "1003"]) await c.phones[p]!.finish(5000);
    },
  },
  {
    name: "40-ringgroup-sequence",
    title:
      "Carrier call to a FusionPBX ring group (sequence: 1001, then 1002, then 1003, 6 s each); 1001 does not answer, 1002 answers",
    done: [
      "sipp UAS 1001 rings until cancelled (no answer); sipp UAS 1002 rings 2 s, then answers. 1003 has no sipp (never reached).",
      `sipp UAC "carrier" (${CARRIER_NAME} <${CARRIER_NUMBER}>) calls DID ${RING_GROUP_SEQUENCE_DID}; it hangs up 4 s after the answer.`,
      "Dialplan (public `did-ring-group-sequence`, as FusionPBX's ring_groups.lua builds it): `bridge {ignore_early_media=true}[leg_timeout=6,…]user/1001@…|[leg_timeout=6,…]user/1002@…|[leg_timeout=6,…]user/1003@…` (pipe: one after the other).",
      "Control session: `show channels as json` while 1001 rings (~2 s).",
    ],
    expected: [
      "One inbound external call from 15551234567 on DID 15559990601 to the hunt group: first 1001 rings alone for 6 s and does not answer, then 1002 rings alone and answers after ~2 s. One call throughout, though each member is a leg of its own, created in turn.",
      "1001 was tried and did not answer: for the group a member that rang; the call was answered by 1002, so not a call 1001 missed.",
      "~4 s of talk 15551234567 <-> 1002; the carrier hangs up; all idle. 1003 never rings.",
    ],
    checks: [
      [
        "1001's leg created",
        (e) => e.some((x) => created(x) && (x["Channel-Name"] ?? "").startsWith("sofia/internal/1001@")),
      ],
      [
        "1002's leg created",
        (e) => e.some((x) => created(x) && (x["Channel-Name"] ?? "").startsWith("sofia/internal/1002@")),
      ],
      [
        "no leg to 1003",
        (e) => !e.some((x) => created(x) && (x["Channel-Name"] ?? "").startsWith("sofia/internal/1003@")),
      ],
    ],
    async run(c) {
      await c.phones["1001"]!.answer("ring-until-cancelled");
      await c.phones["1002"]!.answer({ ringMs: 2000 });
      await c.sleep(500);
      c.log(`carrier calls ${RING_GROUP_SEQUENCE_DID}`);
      const call = await c.carrier.call(RING_GROUP_SEQUENCE_DID, [{ pauseMs: 4000 }, { hangup: true }]);
      await c.sleep(2000, "1001 ringing alone");
      c.log("control: show channels (1001 ringing)");
      await channels(c);
      c.log(`carrier sipp rc=${await call.done}`);
      for (const p of ["1001", "1002"]) await c.phones[p]!.finish(5000);
    },
  },
];

function parseEsl(bytes: Buffer): EslEvent[] {
  const out: EslEvent[] = [];
  let buf = bytes;
  for (;;) {
    const end = buf.indexOf("\n\n");
    if (end < 0) break;
    const headers: Record<string, string> = {};
    for (const line of buf.subarray(0, end).toString("utf8").split("\n")) {
      const i = line.indexOf(": ");
      if (i > 0) headers[line.slice(0, i)] = line.slice(i + 2);
    }
    const len = Number(headers["Content-Length"] ?? 0);
    const body = buf.subarray(end + 2, end + 2 + len).toString("utf8");
    buf = buf.subarray(end + 2 + len);
    if (headers["Content-Type"] === "text/event-json") {
      try {
        out.push(JSON.parse(body) as EslEvent);
      } catch {
        /* not an event */
      }
    }
  }
  return out;
}

const KEYS = [
  "Unique-ID",
  "Channel-Name",
  "Call-Direction",
  "Answer-State",
  "Channel-Call-State",
  "Caller-Caller-ID-Number",
  "Caller-Destination-Number",
  "Other-Leg-Unique-ID",
  "Application",
  "Application-Data",
  "Hangup-Cause",
  "CC-Action",
  "CC-Queue",
  "CC-Agent",
  "CC-Agent-Status",
  "CC-Agent-State",
  "CC-Member-UUID",
  "CC-Member-Session-UUID",
  "CC-Member-CID-Number",
  "CC-Count",
  "CC-Selection",
  "CC-Cause",
  "CC-Hangup-Cause",
  "CC-Agent-UUID",
  "CC-Agent-Called-Time",
  "CC-Agent-Answered-Time",
  "CC-Member-Joined-Time",
  "CC-Member-Leaving-Time",
];
const SKIP = new Set([
  "HEARTBEAT",
  "RE_SCHEDULE",
  "API",
  "CODEC",
  "CHANNEL_STATE",
  "PRESENCE_IN",
  "MESSAGE_QUERY",
  "CALL_UPDATE",
  "RECV_RTCP_MESSAGE",
  "SEND_RTCP_MESSAGE",
]);

function summarize(events: EslEvent[]) {
  const name = (e: EslEvent) =>
    e["Event-Name"] === "CUSTOM" ? `CUSTOM ${e["Event-Subclass"]}` : (e["Event-Name"] ?? "?");
  const t0 = Number(events.find((e) => !SKIP.has(e["Event-Name"] ?? ""))?.["Event-Date-Timestamp"] ?? 0);
  const key = events
    .filter((e) => !SKIP.has(e["Event-Name"] ?? ""))
    .map((e) => {
      const t = ((Number(e["Event-Date-Timestamp"]) - t0) / 1e6).toFixed(3).padStart(7);
      const fields = KEYS.filter((k) => e[k] !== undefined && e[k] !== "")
        .map(
          (k) =>
            `${k === "Unique-ID" ? "UUID" : k}=${k.endsWith("UUID") || k === "Unique-ID" ? e[k]!.slice(0, 8) : e[k]}`,
        )
        .join(" ");
      return `+${t} ${name(e).padEnd(28)} ${fields}`;
    });
  const m = new Map<string, number>();
  for (const e of events) m.set(name(e), (m.get(name(e)) ?? 0) + 1);
  const counts = [...m]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([n, c]) => `${n} ${c}`)
    .join(", ");
  const channels = events
    .filter((e) => e["Event-Name"] === "CHANNEL_CREATE")
    .map((e) => {
      const h = events.find(
        (x) => x["Event-Name"] === "CHANNEL_HANGUP_COMPLETE" && x["Unique-ID"] === e["Unique-ID"],
      );
      return `| ${e["Channel-Name"]} | ${e["Unique-ID"]} | ${e["Call-Direction"]} | ${e["Caller-Caller-ID-Name"] ?? ""} <${e["Caller-Caller-ID-Number"] ?? ""}> | ${e["Caller-Destination-Number"] ?? ""} | ${h?.["Hangup-Cause"] ?? "(none)"} |`;
    });
  return { key, counts, channels };
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const list = wanted.length ? SCENARIOS.filter((s) => wanted.some((w) => s.name.startsWith(w))) : SCENARIOS;
  if (!list.length) throw new Error(`no scenario matches ${wanted.join(" ")}`);
  const dir = await mkdtemp(join(tmpdir(), "capture-freeswitch-"));
  const fs = await CaptureFreeSwitch.create(dir);
  try {
    await fs.start();
    const phones: Record<string, SippEndpoint> = {};
    for (const p of PHONES)
      phones[p] = new SippEndpoint(p, NAMES[p] ?? p, fs.ports.phones[p] ?? 0, dir, () => fs.ports.sip);
    const carrier = new SippEndpoint(
      CARRIER_NUMBER,
      CARRIER_NAME,
      fs.ports.carrier,
      dir,
      () => fs.ports.external,
    );
    const mobile = new SippEndpoint(
      MOBILE_NUMBER,
      MOBILE_NAME,
      fs.ports.carrierOut,
      dir,
      () => fs.ports.external,
    );
    await new Promise((r) => setTimeout(r, 1500));
    for (const s of list) {
      console.log(`== ${s.name}`);
      const { lines: timeline, log, sleep } = startTimeline();
      const esl = await EslSession.open(fs.ports.esl, "json ALL");
      const control = await EslSession.open(fs.ports.esl);
      log("capture running (ESL event json ALL; control session: api commands)");
      const c: Ctx = {
        fs,
        phones,
        carrier,
        mobile,
        control,
        log,
        sleep,
      };
      let error: unknown;
      try {
        await s.run(c);
        await until(async () => (await fs.channelCount()) === 0, "no channels left", 30_000, 250);
      } catch (err) {
        error = err;
        log(`ERROR ${(err as Error).message}`);
      }
      await c.sleep(2000, "trailing events");
      log("stopping capture");
      await esl.close();
      await control.close();
      const bytes = esl.bytes();
      const events = parseEsl(bytes);
      const sum = summarize(events);
      await writeFile(join(FIXTURES, `${s.name}.esl.txt`), bytes);
      await writeFile(join(FIXTURES, `${s.name}.control.txt`), control.transcript.join(""));
      const checks = s.checks.map(([what, f]) => `- [${f(events) ? "x" : " "}] ${what}`);
      const md = `# ${s.name}: ${s.title}

Files: \`${s.name}.esl.txt\` (raw ESL byte stream of a session that sent \`auth\` and \`event json ALL\`; frames use \`\\n\` line ends and Content-Length bodies), \`${s.name}.control.txt\` (the api commands sent on a second ESL session and the raw replies). Captured on FreeSWITCH 1.11.2 (../shared/pbx build) with \`node test/live/capture/run.mjs freeswitch ${s.name}\`; configuration \`test/live/capture/freeswitch/freeswitch.xml\` (queue \`sales@default\`, strategy ring-all; callback agents \`1001@default\`, \`1002@default\` with contact \`[call_timeout=20]user/<ext>@${DOMAIN}\`; DID ${QUEUE_DID} -> \`answer\`, \`callcenter sales@default\`; FusionPBX-style follow-me DID ${FOLLOWME_DID}, call forward all from mod_db \`forward_all/<ext>\`, \`**<ext>\` intercept and \`*33<ext>\` eavesdrop on uuids left in mod_hash, external numbers through \`loopback/<number>/default\` and the gateway \`carrier\`).

## What was done

${s.done.map((d, i) => `${i + 1}. ${d}`).join("\n")}

## Expected outcome

${s.expected.map((d) => `- ${d}`).join("\n")}

## Observed in this capture (checked by hand against the .esl.txt)

OBSERVED-PLACEHOLDER

## Timeline (capture tool log)

\`\`\`
${timeline.join("\n")}
\`\`\`

## Channels (CHANNEL_CREATE -> CHANNEL_HANGUP_COMPLETE)

| Channel-Name | Unique-ID | Call-Direction | Caller ID | Destination | Hangup-Cause |
|---|---|---|---|---|---|
${sum.channels.join("\n")}

## Key events in order (subset: no HEARTBEAT, RE_SCHEDULE, API, CODEC, CHANNEL_STATE, CALL_UPDATE, PRESENCE_IN, MESSAGE_QUERY; UUIDs shortened)

\`\`\`
${sum.key.join("\n")}
\`\`\`

## Event counts (${events.length} events, ${bytes.length} bytes)

${sum.counts}

## Automatic checks against the capture

${checks.join("\n")}
`;
      await writeFile(join(FIXTURES, `${s.name}.md`), md);
      console.log(`   ${events.length} ESL events (${bytes.length} bytes); checks:\n${checks.join("\n")}`);
      if (error) console.log(`   scenario error: ${(error as Error).message}`);
      for (const p of Object.values(phones)) await p.stop();
      await carrier.stop();
      await mobile.stop();
      await new Promise((r) => setTimeout(r, 1000));
    }
  } finally {
    await fs.stop().catch(() => undefined);
    await stopAll();
    if (!process.env.CAPTURE_KEEP) await rm(dir, { recursive: true, force: true });
    else console.log(`kept ${dir}`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
