// Capture tool (issue 17): starts a real Asterisk (../shared/pbx build) in a temporary folder with the
// FreePBX-style ring-group and queue configuration of ./asterisk/, records the raw AMI byte stream
// (Events: on), the ARI WebSocket (subscribeAll) and a control AMI session (Events: off), plays the
// phones and the carrier with sipp (the live suite's scenarios), and writes
// test/fixtures/queues/asterisk/<scenario>.{ami.txt,ari.jsonl,control.txt,md}.
// Run: node test/live/capture/run.mjs asterisk [scenario…]   (see README.md)

import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import WebSocket from "ws";
import { extractPbx } from "../support/pbx-builds.js";
import { freePort, freeUdpRange, type Spawned, spawnLogged, stopAll, until } from "../support/processes.js";
import { SippEndpoint } from "../support/sipp.js";
import { startTimeline } from "./capture-common.js";

const run = promisify(execFile);
const HERE = new URL("./asterisk/", import.meta.url).pathname;
const FIXTURES = new URL("../../fixtures/queues/asterisk/", import.meta.url).pathname;
const PHONES = ["1001", "1002", "1003", "1004", "1005"];
const NAMES: Record<string, string> = {
  "1001": "Alice Sales",
  "1002": "Bob Sales",
  "1003": "Carol Sales",
  "1004": "Dave Support",
  "1005": "Erin Support",
};
const CRLF = "\r\n";
const CARRIER_NUMBER = "15551234567";
const CARRIER_NAME = "WIRELESS CALLER";
/** The external number that follow-me and call forward dial over the carrier (a sipp UAS there). */
const MOBILE_NUMBER = "15557654321";
const MOBILE_NAME = "MOBILE";

// ---------------------------------------------------------------- Asterisk

class CaptureAsterisk {
  process?: Spawned;
  ports = { sip: 0, ami: 0, http: 0, carrier: 0, carrierOut: 0, phones: {} as Record<string, number> };
  constructor(
    readonly dir: string,
    readonly root: string,
  ) {}

  static async create(dir: string): Promise<CaptureAsterisk> {
    const pbx = new CaptureAsterisk(dir, join(await extractPbx("asterisk", dir), "asterisk"));
    for (const p of PHONES) pbx.ports.phones[p] = await freePort();
    pbx.ports.sip = await freePort();
    pbx.ports.ami = await freePort();
    pbx.ports.http = await freePort();
    pbx.ports.carrier = await freePort();
    pbx.ports.carrierOut = await freePort();
    await pbx.configure();
    return pbx;
  }

  private async configure(): Promise<void> {
    const r = this.root;
    for (const d of [
      "etc/asterisk",
      "var/run/asterisk",
      "var/log/asterisk",
      "var/spool/asterisk",
      "var/cache/asterisk",
    ])
      await mkdir(join(r, d), { recursive: true });
    const etc = join(r, "etc/asterisk");
    const rtp = await freeUdpRange(200);
    const fill = (text: string) =>
      text
        .replaceAll("@SIP_PORT@", String(this.ports.sip))
        .replaceAll("@AMI_PORT@", String(this.ports.ami))
        .replaceAll("@HTTP_PORT@", String(this.ports.http))
        .replaceAll("@CARRIER@", String(this.ports.carrier))
        .replaceAll("@CARRIER_OUT@", String(this.ports.carrierOut))
        .replaceAll("@RTP_START@", String(rtp))
        .replaceAll("@RTP_END@", String(rtp + 199))
        .replace(/@PHONE_(\d+)@/g, (_, ext: string) => String(this.ports.phones[ext] ?? 1));
    for (const f of ["extensions.conf", "pjsip.conf", "queues.conf"])
      await writeFile(join(etc, f), fill(await readFile(join(HERE, f), "utf8")));
    const rest = fill(await readFile(join(HERE, "rest.conf"), "utf8"));
    for (const part of rest.split(/^;;; /m).slice(1)) {
      const name = part.slice(0, part.indexOf("\n")).trim();
      await writeFile(join(etc, name), part.slice(part.indexOf("\n") + 1));
    }
    await writeFile(
      join(etc, "asterisk.conf"),
      `[directories]
astetcdir => ${r}/etc/asterisk
astmoddir => ${r}/lib/asterisk/modules
astvarlibdir => ${r}/var/lib/asterisk
astdbdir => ${r}/var/lib/asterisk
astkeydir => ${r}/var/lib/asterisk
astdatadir => ${r}/var/lib/asterisk
astagidir => ${r}/var/lib/asterisk/agi-bin
astspooldir => ${r}/var/spool/asterisk
astrundir => ${r}/var/run/asterisk
astlogdir => ${r}/var/log/asterisk
astcachedir => ${r}/var/cache/asterisk
astsbindir => ${r}/sbin
[options]
verbose = 3
defaultlanguage = en
`,
    );
  }

  private get command(): [string, string[], NodeJS.ProcessEnv] {
    return [
      join(this.root, "sbin/asterisk"),
      ["-C", join(this.root, "etc/asterisk/asterisk.conf")],
      { LD_LIBRARY_PATH: join(this.root, "lib") },
    ];
  }

  async start(): Promise<void> {
    const [bin, args, env] = this.command;
    this.process = await spawnLogged("asterisk", bin, [...args, "-f", "-n", "-g"], { dir: this.dir, env });
    await until(
      async () => {
        if (this.process?.child.exitCode !== null)
          throw new Error(`asterisk exited: ${(await this.process?.log())?.slice(-2000)}`);
        if (!existsSync(join(this.root, "var/run/asterisk/asterisk.ctl"))) return false;
        return (await this.cli("core waitfullybooted")).includes("fully booted");
      },
      "Asterisk fully booted",
      30_000,
      200,
    );
  }

  async cli(command: string): Promise<string> {
    const [bin, args, env] = this.command;
    const { stdout } = await run(bin, [...args, "-rx", command], {
      env: { ...process.env, ...env },
      timeout: 20_000,
    });
    return stdout;
  }

  async channels(): Promise<string[]> {
    return (await this.cli("core show channels concise"))
      .split("\n")
      .filter((l) => l.includes("!"))
      .map((l) => l.split("!")[0] ?? "");
  }

  async stop(): Promise<void> {
    if (!this.process) return;
    if (this.process.child.exitCode === null) await this.cli("core stop now").catch(() => undefined);
    await this.process.stop(5000);
  }
}

// ---------------------------------------------------------------- recorders

/** An AMI session whose every received byte is kept. */
class AmiSession {
  readonly chunks: Buffer[] = [];
  private socket!: Socket;
  private text = "";
  private waiters: Array<{
    id: string;
    until: (block: string) => boolean;
    resolve: (b: string[]) => void;
    got: string[];
  }> = [];
  sent: string[] = [];
  /** The control transcript: actions sent and raw responses, interleaved. */
  transcript: string[] = [];
  private seq = 0;

  static async open(port: number, events: "on" | "off", id: string): Promise<AmiSession> {
    const s = new AmiSession();
    s.socket = connect(port, "127.0.0.1");
    s.socket.on("data", (d: Buffer) => s.onData(d));
    await new Promise<void>((resolve, reject) => {
      s.socket.once("connect", () => resolve());
      s.socket.once("error", reject);
    });
    await until(() => s.text.includes(CRLF), "AMI banner", 5000, 20);
    const login = `Action: Login${CRLF}ActionID: ${id}${CRLF}Username: capture${CRLF}Secret: capture-secret${CRLF}Events: ${events}${CRLF}${CRLF}`;
    const reply = s.waitFor(id, () => true);
    s.socket.write(login);
    await reply;
    return s;
  }

  private onData(d: Buffer): void {
    this.chunks.push(d);
    this.text += d.toString("latin1");
    let i = this.text.indexOf(CRLF + CRLF);
    while (i >= 0) {
      const block = this.text.slice(0, i + 4);
      this.text = this.text.slice(i + 4);
      this.onBlock(block);
      i = this.text.indexOf(CRLF + CRLF);
    }
  }

  private onBlock(block: string): void {
    const id = /^ActionID: (.*)$/m.exec(block)?.[1]?.trim();
    for (const w of [...this.waiters]) {
      if (w.id !== id) continue;
      w.got.push(block);
      this.transcript.push(block);
      if (w.until(block)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(w.got);
      }
    }
  }

  private waitFor(id: string, done: (block: string) => boolean): Promise<string[]> {
    return new Promise((resolve) => this.waiters.push({ id, until: done, resolve, got: [] }));
  }

  /** Sends an action; resolves with the response blocks (a list action: up to its Complete event). */
  async action(name: string, fields: Record<string, string> = {}): Promise<string[]> {
    const id = `capture-${Date.now()}-${++this.seq}`;
    const lines = [
      `Action: ${name}`,
      `ActionID: ${id}`,
      ...Object.entries(fields).map(([k, v]) => `${k}: ${v}`),
    ];
    const text = lines.join(CRLF) + CRLF + CRLF;
    const done = this.waitFor(id, (b) => {
      if (/^EventList: start/m.test(b)) return false;
      if (/^Event: /m.test(b)) return /^EventList: Complete/m.test(b);
      // a list action answers "Response: Success" + "EventList: start" first; anything else ends it
      return true;
    });
    this.transcript.push(text);
    this.socket.write(text);
    return await Promise.race([
      done,
      new Promise<string[]>((r) => setTimeout(() => r(["(timeout)"]), 10_000)),
    ]);
  }

  async close(): Promise<void> {
    this.socket.end(`Action: Logoff${CRLF}ActionID: capture-logoff${CRLF}${CRLF}`);
    await new Promise((r) => setTimeout(r, 200));
    this.socket.destroy();
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

class AriRecorder {
  readonly lines: string[] = [];
  private ws!: WebSocket;
  static async open(port: number): Promise<AriRecorder> {
    const r = new AriRecorder();
    r.ws = new WebSocket(
      `ws://127.0.0.1:${port}/ari/events?app=capture&subscribeAll=true&api_key=${encodeURIComponent("capture:capture-secret")}`,
    );
    r.ws.on("message", (data) => r.lines.push(data.toString()));
    await new Promise<void>((resolve, reject) => {
      r.ws.once("open", () => resolve());
      r.ws.once("error", reject);
    });
    return r;
  }
  async close(): Promise<void> {
    this.ws.close();
    await new Promise((r) => setTimeout(r, 100));
  }
}

// ---------------------------------------------------------------- scenarios

interface Ctx {
  pbx: CaptureAsterisk;
  phones: Record<string, SippEndpoint>;
  carrier: SippEndpoint;
  /** The external number 15557654321 on the carrier's outbound address (follow-me, forward). */
  mobile: SippEndpoint;
  control: AmiSession;
  log: (line: string) => void;
  sleep: (ms: number, why?: string) => Promise<void>;
}

interface Scenario {
  name: string;
  title: string;
  done: string[];
  expected: string[];
  checks: Array<[string, (events: AmiEvent[]) => boolean]>;
  run: (c: Ctx) => Promise<void>;
}

const DID = { ringall: "15559990600", hunt: "15559990601", queue: "15559990400", followme: "15559991001" };

async function waitIdle(c: Ctx, ms = 30_000): Promise<void> {
  await until(async () => (await c.pbx.channels()).length === 0, "no channels left", ms, 250);
}

/** The first channel named `prefix…` in a CoreShowChannels answer. */
function channelIn(blocks: string[], prefix: string): string | undefined {
  for (const b of blocks) {
    const name = /^Channel: (.*)$/m.exec(b)?.[1]?.trim();
    if (name?.startsWith(prefix)) return name;
  }
  return undefined;
}

const has = (events: AmiEvent[], name: string, f: (e: AmiEvent) => boolean = () => true) =>
  events.some((e) => e.Event === name && f(e));

const SCENARIOS: Scenario[] = [
  {
    name: "30-ringgroup-ringall",
    title: "Carrier call to ring group 600 (ringall 1001, 1002, 1003, FreePBX Local channels); 1002 answers",
    done: [
      "sipp UAS 1001 and 1003 ring until cancelled; sipp UAS 1002 rings 3 s, then answers.",
      `sipp UAC "carrier" (${CARRIER_NAME} <${CARRIER_NUMBER}>) calls DID ${DID.ringall}; hangs up 4 s after the answer.`,
      "Control session: `CoreShowChannels` while the three phones ring (~1.5 s) and while 1002 talks (~4.5 s).",
      "Dialplan: `[from-pstn] 15559990600` -> `Goto(ext-group,600,1)` -> `Dial(Local/1001@from-ring-group/n&Local/1002@from-ring-group/n&Local/1003@from-ring-group/n,20,tTr)`; each Local ;2 half goes `from-ring-group` -> `ext-local` -> `Dial(PJSIP/<ext>,60,tT)`.",
    ],
    expected: [
      "One inbound external call from 15551234567 on DID 15559990600 to ring group 600 (the Sales ring group): 1001, 1002 and 1003 ring at the same time, all three are one call offered to three phones.",
      "1002 answers after ~3 s: the call is 15551234567 <-> 1002. The other two phones stop ringing (cancelled: answered elsewhere, not missed by them personally — a ring-group call that was answered by a colleague).",
      "The Local channels (Local/100x@from-ring-group-*;1/;2) are plumbing of the PBX, not parties: a board must show the carrier caller connected to 1002, not to a Local channel.",
      "The carrier hangs up after ~4 s of talk; everything goes idle.",
    ],
    checks: [
      [
        "DialBegin to three Local/…@from-ring-group channels",
        (e) =>
          e.filter(
            (x) => x.Event === "DialBegin" && /^Local\/100[123]@from-ring-group/.test(x.DestChannel ?? ""),
          ).length === 3,
      ],
      [
        "DialEnd ANSWER for PJSIP/1002",
        (e) =>
          has(
            e,
            "DialEnd",
            (x) => x.DestChannel?.startsWith("PJSIP/1002-") === true && x.DialStatus === "ANSWER",
          ),
      ],
      [
        "PJSIP/1001 and PJSIP/1003 legs hung up",
        (e) =>
          has(e, "Hangup", (x) => x.Channel?.startsWith("PJSIP/1001-") === true) &&
          has(e, "Hangup", (x) => x.Channel?.startsWith("PJSIP/1003-") === true),
      ],
    ],
    async run(c) {
      await c.phones["1001"]!.answer("ring-until-cancelled");
      await c.phones["1002"]!.answer({ ringMs: 3000 });
      await c.phones["1003"]!.answer("ring-until-cancelled");
      await c.sleep(500);
      c.log(`carrier calls ${DID.ringall}`);
      const call = await c.carrier.call(DID.ringall, [{ pauseMs: 4000 }, { hangup: true }]);
      await c.sleep(1500, "three phones ringing");
      c.log("control: CoreShowChannels (ringing)");
      await c.control.action("CoreShowChannels");
      await c.sleep(3000, "1002 answered");
      c.log("control: CoreShowChannels (talking)");
      await c.control.action("CoreShowChannels");
      c.log(`carrier sipp rc=${await call.done}`);
      for (const p of ["1001", "1002", "1003"]) await c.phones[p]!.finish(5000);
    },
  },
  {
    name: "31-ringgroup-hunt",
    title:
      "Carrier call to ring group 601 (hunt 1001 -> 1002 -> 1003, 6 s each); 1001 does not answer, 1002 answers",
    done: [
      "sipp UAS 1001 rings until cancelled (no answer); sipp UAS 1002 rings 2 s, then answers. 1003 is never reached.",
      `sipp UAC "carrier" calls DID ${DID.hunt}; hangs up 4 s after the answer.`,
      "Control session: `CoreShowChannels` while 1001 rings (~2 s).",
      "Dialplan: `[ext-group] 601`: `Dial(Local/1001@from-ring-group/n,6,tTr)`, then `Dial(Local/1002@from-ring-group/n,6,tTr)`, then 1003 — one Dial per member, in order.",
    ],
    expected: [
      "One inbound external call from 15551234567 on DID 15559990601 to the hunt group 601: first 1001 rings alone for 6 s and does not answer (its ringing ends with no answer: for the group it is a member that was tried), then 1002 rings alone and answers after ~2 s.",
      "It is ONE call throughout (same caller channel, same Linkedid) even though each member is a separate Dial with its own Local channel pair.",
      "Talk 15551234567 <-> 1002 for ~4 s; the carrier hangs up; all idle. 1003 never rings.",
    ],
    checks: [
      [
        "DialEnd NOANSWER for Local/1001@from-ring-group",
        (e) =>
          has(
            e,
            "DialEnd",
            (x) =>
              (x.DestChannel ?? "").startsWith("Local/1001@from-ring-group") && x.DialStatus === "NOANSWER",
          ),
      ],
      [
        "DialEnd ANSWER for Local/1002@from-ring-group",
        (e) =>
          has(
            e,
            "DialEnd",
            (x) =>
              (x.DestChannel ?? "").startsWith("Local/1002@from-ring-group") && x.DialStatus === "ANSWER",
          ),
      ],
      [
        "no PJSIP/1003 channel",
        (e) => !has(e, "Newchannel", (x) => x.Channel?.startsWith("PJSIP/1003-") === true),
      ],
    ],
    async run(c) {
      await c.phones["1001"]!.answer("ring-until-cancelled");
      await c.phones["1002"]!.answer({ ringMs: 2000 });
      await c.sleep(500);
      c.log(`carrier calls ${DID.hunt}`);
      const call = await c.carrier.call(DID.hunt, [{ pauseMs: 4000 }, { hangup: true }]);
      await c.sleep(2000, "1001 ringing");
      c.log("control: CoreShowChannels (1001 ringing)");
      await c.control.action("CoreShowChannels");
      c.log(`carrier sipp rc=${await call.done}`);
      for (const p of ["1001", "1002"]) await c.phones[p]!.finish(5000);
    },
  },
  {
    name: "32-queue-answered",
    title:
      "Carrier call to queue 400 (members Local/1001@from-queue/n, Local/1002@from-queue/n, ringall); 1001 answers",
    done: [
      "Control session: `QueueStatus Queue=400` before the call.",
      "sipp UAS 1001 rings 4 s, then answers; sipp UAS 1002 rings until cancelled.",
      `sipp UAC "carrier" calls DID ${DID.queue}; \`Answer()\` + \`Queue(400,t,,,120)\` — the caller waits (music on hold) while the members ring; the caller's sipp hangs up (BYE) 8 s after the queue answered it, i.e. ~4 s after 1001 answered.`,
      "Control session: `QueueStatus Queue=400` and `CoreShowChannels` while the call waits (members ringing), `QueueSummary` and `QueueStatus` again after the call.",
    ],
    expected: [
      "One inbound external call from 15551234567 on DID 15559990400 enters the Sales queue 400 and waits there (position 1): the caller is answered by the PBX (the queue), so the carrier leg is Up while no agent has answered yet — a waiting call, not a talking one.",
      "Both members (1001 Alice, 1002 Bob) ring at the same time (ringall) through Local/<ext>@from-queue/n channels; their state comes from the hints (state interface hint:<ext>@ext-local).",
      "1001 answers after ~4 s: the call leaves the queue (waited ~4 s) and is connected 15551234567 <-> 1001; 1002 stops ringing (not a missed call of Bob's own: the queue call was taken by a colleague).",
      "~4 s of talk; the carrier hangs up; the agent's call completes (talk time ~4 s); all idle; 1001 counts one call taken.",
    ],
    checks: [
      ["QueueCallerJoin Queue=400", (e) => has(e, "QueueCallerJoin", (x) => x.Queue === "400")],
      ["AgentCalled for both members", (e) => e.filter((x) => x.Event === "AgentCalled").length >= 2],
      ["AgentConnect by Alice Sales", (e) => has(e, "AgentConnect", (x) => x.MemberName === "Alice Sales")],
      ["AgentComplete", (e) => has(e, "AgentComplete")],
    ],
    async run(c) {
      await c.control.action("QueueStatus", { Queue: "400" });
      await c.phones["1001"]!.answer({ ringMs: 4000 });
      await c.phones["1002"]!.answer("ring-until-cancelled");
      await c.sleep(500);
      c.log(`carrier calls ${DID.queue}`);
      const call = await c.carrier.call(DID.queue, [{ pauseMs: 8000 }, { hangup: true }]);
      await c.sleep(2000, "members ringing");
      c.log("control: QueueStatus, CoreShowChannels (call waiting)");
      await c.control.action("QueueStatus", { Queue: "400" });
      await c.control.action("CoreShowChannels");
      c.log(`carrier sipp rc=${await call.done}`);
      for (const p of ["1001", "1002"]) await c.phones[p]!.finish(5000);
      await waitIdle(c);
      await c.control.action("QueueSummary", { Queue: "400" });
      await c.control.action("QueueStatus", { Queue: "400" });
    },
  },
  {
    name: "33-queue-abandoned",
    title:
      "Carrier call to queue 400; the members ring, nobody answers, the caller hangs up after 6 s (abandoned)",
    done: [
      "sipp UAS 1001 and 1002 ring until cancelled.",
      `sipp UAC "carrier" calls DID ${DID.queue} (answered by the queue), waits 6 s, hangs up (BYE).`,
      "Control session: `QueueStatus Queue=400` while waiting and after the call.",
    ],
    expected: [
      "An inbound external call from 15551234567 waits in queue 400 (position 1); both agents' phones ring (ringall through Local/…@from-queue/n).",
      "Nobody answers; after ~6 s of waiting the caller hangs up: an ABANDONED queue call (waited ~6 s, original position 1), not a missed call of a particular agent, and not an answered call even though the caller's leg was Up (answered by the queue itself).",
      "The members' ringing legs are cancelled; both phones return to idle; the queue is empty again.",
    ],
    checks: [
      ["QueueCallerJoin Queue=400", (e) => has(e, "QueueCallerJoin", (x) => x.Queue === "400")],
      ["QueueCallerAbandon Queue=400", (e) => has(e, "QueueCallerAbandon", (x) => x.Queue === "400")],
      ["no AgentConnect", (e) => !has(e, "AgentConnect")],
    ],
    async run(c) {
      await c.phones["1001"]!.answer("ring-until-cancelled");
      await c.phones["1002"]!.answer("ring-until-cancelled");
      await c.sleep(500);
      c.log(`carrier calls ${DID.queue}`);
      const call = await c.carrier.call(DID.queue, [{ pauseMs: 6000 }, { hangup: true }]);
      await c.sleep(3000, "waiting in the queue");
      c.log("control: QueueStatus (call waiting)");
      await c.control.action("QueueStatus", { Queue: "400" });
      c.log(`carrier sipp rc=${await call.done}`);
      for (const p of ["1001", "1002"]) await c.phones[p]!.finish(5000);
      await waitIdle(c);
      await c.control.action("QueueStatus", { Queue: "400" });
    },
  },
  {
    name: "34-queue-pause",
    title:
      "Queue 400 agent management by AMI: 1001 paused with a reason and unpaused; 1003 logged in (QueueAdd) and out (QueueRemove)",
    done: [
      "No calls. Control session (Events: off), in order, ~1 s apart:",
      "`QueueStatus Queue=400`;",
      "`QueuePause Queue=400 Interface=Local/1001@from-queue/n Paused=true Reason=Lunch`; `QueueStatus`;",
      "`QueuePause Queue=400 Interface=Local/1001@from-queue/n Paused=false`;",
      "`QueueAdd Queue=400 Interface=Local/1003@from-queue/n MemberName=Carol Sales StateInterface=hint:1003@ext-local Penalty=0 Paused=false`; `QueueStatus`;",
      "`QueuePause Queue=400 Interface=Local/1003@from-queue/n Paused=true Reason=Break` (pausing a dynamic member);",
      "`QueueRemove Queue=400 Interface=Local/1003@from-queue/n`; `QueueStatus`;",
      "errors: `QueuePause` of an interface that is not a member, `QueueRemove` of a static member (Local/1002@from-queue/n), `QueueAdd` of a member already there (Local/1001@from-queue/n).",
    ],
    expected: [
      'Alice (1001) becomes paused in queue 400 with reason "Lunch" (she stays a member, logged in but not available for queue calls), then unpaused (available again, reason gone).',
      'Carol (1003) logs into queue 400 as a dynamic member named "Carol Sales" with state from hint 1003; she is then paused (reason "Break") and logs out: she is no longer a member of the queue.',
      "The three invalid requests are refused with errors and change nothing (a board must not show a change for them).",
      "No call and no channel at any point.",
    ],
    checks: [
      [
        "QueueMemberPause Paused=1 PausedReason=Lunch",
        (e) =>
          has(
            e,
            "QueueMemberPause",
            (x) => x.Paused === "1" && (x.PausedReason === "Lunch" || x.Reason === "Lunch"),
          ),
      ],
      [
        "QueueMemberPause Paused=0 for Alice",
        (e) => has(e, "QueueMemberPause", (x) => x.Paused === "0" && x.MemberName === "Alice Sales"),
      ],
      [
        "QueueMemberAdded Carol Sales",
        (e) => has(e, "QueueMemberAdded", (x) => x.MemberName === "Carol Sales"),
      ],
      [
        "QueueMemberRemoved Carol Sales",
        (e) => has(e, "QueueMemberRemoved", (x) => x.MemberName === "Carol Sales"),
      ],
    ],
    async run(c) {
      const step = async (what: string, name: string, fields: Record<string, string>) => {
        c.log(`control: ${what}`);
        await c.control.action(name, fields);
        await c.sleep(1000);
      };
      const q = { Queue: "400" };
      await step("QueueStatus", "QueueStatus", q);
      await step("pause 1001 (Lunch)", "QueuePause", {
        ...q,
        Interface: "Local/1001@from-queue/n",
        Paused: "true",
        Reason: "Lunch",
      });
      await step("QueueStatus", "QueueStatus", q);
      await step("unpause 1001", "QueuePause", {
        ...q,
        Interface: "Local/1001@from-queue/n",
        Paused: "false",
      });
      await step("add 1003", "QueueAdd", {
        ...q,
        Interface: "Local/1003@from-queue/n",
        MemberName: "Carol Sales",
        StateInterface: "hint:1003@ext-local",
        Penalty: "0",
        Paused: "false",
      });
      await step("QueueStatus", "QueueStatus", q);
      await step("pause 1003 (Break)", "QueuePause", {
        ...q,
        Interface: "Local/1003@from-queue/n",
        Paused: "true",
        Reason: "Break",
      });
      await step("remove 1003", "QueueRemove", { ...q, Interface: "Local/1003@from-queue/n" });
      await step("QueueStatus", "QueueStatus", q);
      await step("error: pause a non-member", "QueuePause", {
        ...q,
        Interface: "Local/1005@from-queue/n",
        Paused: "true",
      });
      await step("error: remove a static member", "QueueRemove", {
        ...q,
        Interface: "Local/1002@from-queue/n",
      });
      await step("error: add an existing member", "QueueAdd", { ...q, Interface: "Local/1001@from-queue/n" });
    },
  },
  {
    name: "35-followme-external",
    title:
      "Carrier call to 1001's DID; 1001's follow-me rings 1001's phone and the mobile 15557654321 over the carrier (FreePBX findmefollow); the mobile answers",
    done: [
      `sipp UAS 1001 rings until cancelled; sipp UAS "mobile" (${MOBILE_NUMBER}, on the carrier's outbound address) rings 3 s, then answers.`,
      `sipp UAC "carrier" (${CARRIER_NAME} <${CARRIER_NUMBER}>) calls DID ${DID.followme} (1001's direct DID); it hangs up 4 s after the answer.`,
      "Dialplan: `[from-pstn] 15559991001` -> `Goto(ext-findmefollow,FM1001,1)` -> `Dial(Local/FMPR-1001@from-internal/n&Local/15557654321@from-internal/n,20,tTr)`; `FMPR-1001` dials `PJSIP/1001`; `15557654321` takes the outbound route `[outbound-allroutes]` -> `Dial(PJSIP/15557654321@carrier,300,T)`.",
      "Control session: `CoreShowChannels` while both ring (~1.5 s) and while the mobile talks (~5 s).",
    ],
    expected: [
      "One call: an inbound external call from 15551234567 on 1001's DID 15559991001. It is 1001's call (their follow-me), not a call of its own per leg.",
      "1001's phone rings, and at the same time 1001's follow-me number 15557654321 is called over the carrier trunk (an outbound leg of the same call, not a second call).",
      "The mobile answers after ~3 s: 1001 answered the call on their follow-me number. The call is 15551234567 <-> 1001 (on the mobile), bridged by the PBX; 1001's desk phone stops ringing (cancelled: answered by 1001 themself, not missed, not talked on the desk phone). In the history 1001 talked.",
      "The Local channels (Local/FMPR-1001@from-internal-…, Local/15557654321@from-internal-…) are plumbing, never parties; the trunk leg to 15557654321 is 1001's leg (their follow-me dialled it): it shows as 1001, not as a party of its own, and the follow-me number is 1001's own, shown to nobody (not on the board, not in the history).",
      "~4 s of talk; the carrier hangs up; everything idle. 1001's presence: ringing (desk phone and mobile), then on a call while they talk on the mobile — colleagues must not take 1001 for free then — then available.",
    ],
    checks: [
      [
        "DialBegin to Local/FMPR-1001 and Local/15557654321",
        (e) =>
          has(e, "DialBegin", (x) => (x.DestChannel ?? "").startsWith("Local/FMPR-1001@from-internal")) &&
          has(e, "DialBegin", (x) =>
            (x.DestChannel ?? "").startsWith(`Local/${MOBILE_NUMBER}@from-internal`),
          ),
      ],
      [
        "an outbound PJSIP/carrier leg answered",
        (e) =>
          has(
            e,
            "DialEnd",
            (x) => (x.DestChannel ?? "").startsWith("PJSIP/carrier-") && x.DialStatus === "ANSWER",
          ),
      ],
      [
        "PJSIP/1001 rang and was cancelled",
        (e) => has(e, "Hangup", (x) => x.Channel?.startsWith("PJSIP/1001-") === true),
      ],
    ],
    async run(c) {
      await c.phones["1001"]!.answer("ring-until-cancelled");
      await c.mobile.answer({ ringMs: 3000 });
      await c.sleep(500);
      c.log(`carrier calls ${DID.followme}`);
      const call = await c.carrier.call(DID.followme, [{ pauseMs: 4000 }, { hangup: true }]);
      await c.sleep(1500, "1001 and the mobile ringing");
      c.log("control: CoreShowChannels (ringing)");
      await c.control.action("CoreShowChannels");
      await c.sleep(3500, "the mobile answered");
      c.log("control: CoreShowChannels (talking)");
      await c.control.action("CoreShowChannels");
      c.log(`carrier sipp rc=${await call.done}`);
      await c.phones["1001"]!.finish(5000);
      await c.mobile.finish(5000);
    },
  },
  {
    name: "36-forward-external",
    title:
      "1001 calls 1002; 1002 has call forward unconditional to 15557654321 (FreePBX AstDB CF/1002); forwarded over the carrier, the outside party answers",
    done: [
      `Control session: \`DBPut Family=CF Key=1002 Val=${MOBILE_NUMBER}\` (what FreePBX's *72 / the UCP writes).`,
      `sipp UAS "mobile" (${MOBILE_NUMBER}, the carrier's outbound address) rings 2 s, then answers. 1002's phone has no sipp (it must not ring).`,
      "sipp UAC 1001 (Alice Sales) calls 1002; it hangs up 4 s after the answer.",
      "Dialplan: `[ext-local] 1002` sees `DB(CF/1002)` -> `Dial(Local/15557654321@from-internal/n,60,tT)` -> `[outbound-allroutes]` -> `Dial(PJSIP/15557654321@carrier,300,T)`.",
      "Control session: `CoreShowChannels` while the forwarded call talks, `DBDel Family=CF Key=1002` after the call.",
    ],
    expected: [
      "One call: 1001's outgoing internal call to 1002. 1002 has call forward unconditional to an external number, so 1002's phone never rings.",
      "The call is forwarded out over the carrier trunk: it is 1002's forwarded call (on 1002's tile, 1002 a party of it), answered at 1002's forward number after ~2 s: 1001 <-> 1002 (at 15557654321), an internal call (1001 talks with 1002) though it leaves over the trunk. In the history 1001 is the caller and 1002 talked.",
      "The Local channel (Local/15557654321@from-internal-…;1/;2) is plumbing, not a party; the trunk leg to 15557654321 is 1002's leg (their forward dialled it), never a party of its own; the forward number is 1002's, shown to nobody.",
      "~4 s of talk; 1001 hangs up; everything idle. 1001: on a call, then available; 1002: ringing while the forward number rings, on a call while it talks, then available. Without 1002 in the directory the forward number is just the outside party of 1001's call.",
    ],
    checks: [
      [
        "no PJSIP/1002 channel",
        (e) => !has(e, "Newchannel", (x) => x.Channel?.startsWith("PJSIP/1002-") === true),
      ],
      [
        "DialBegin to Local/15557654321@from-internal",
        (e) =>
          has(e, "DialBegin", (x) =>
            (x.DestChannel ?? "").startsWith(`Local/${MOBILE_NUMBER}@from-internal`),
          ),
      ],
      [
        "outbound PJSIP/carrier leg answered",
        (e) =>
          has(
            e,
            "DialEnd",
            (x) => (x.DestChannel ?? "").startsWith("PJSIP/carrier-") && x.DialStatus === "ANSWER",
          ),
      ],
    ],
    async run(c) {
      c.log(`control: DBPut CF/1002 = ${MOBILE_NUMBER}`);
      await c.control.action("DBPut", { Family: "CF", Key: "1002", Val: MOBILE_NUMBER });
      await c.mobile.answer({ ringMs: 2000 });
      await c.sleep(500);
      c.log("1001 calls 1002");
      const call = await c.phones["1001"]!.call("1002", [{ pauseMs: 4000 }, { hangup: true }]);
      await c.sleep(4000, "forwarded call answered");
      c.log("control: CoreShowChannels (talking)");
      await c.control.action("CoreShowChannels");
      c.log(`1001 sipp rc=${await call.done}`);
      await c.mobile.finish(5000);
      await waitIdle(c);
      c.log("control: DBDel CF/1002");
      await c.control.action("DBDel", { Family: "CF", Key: "1002" });
    },
  },
  {
    name: "37-queue-transfer-out",
    title:
      "Carrier call to queue 400; 1001 answers and blind-transfers it to 1003 by SIP REFER from the phone; 1003 answers",
    done: [
      "sipp UAS 1002 rings until cancelled; sipp UAS 1001 rings 2 s, answers, talks 3 s, then sends a REFER (Refer-To: sip:1003@pbx) in the dialog, answers the NOTIFYs and hangs up (BYE) after the final one; sipp UAS 1003 rings 2 s, then answers.",
      `sipp UAC "carrier" calls DID ${DID.queue} (\`Answer()\`, \`Queue(400,t,,,120)\`); it hangs up 13 s after the queue answered it (~5 s after 1003 answered).`,
      "Control session: `CoreShowChannels` after 1003 answered.",
    ],
    expected: [
      "One call: the inbound external call from 15551234567 waits in queue 400, both members (1001, 1002) ring; 1001 answers after ~2 s (1002's ringing is cancelled: taken by a colleague).",
      "After ~3 s of talk 1001 blind-transfers the caller to 1003 with the phone's own transfer (REFER): 1001 leaves the call, 1003 rings and answers. Still the same call (not a new one): the caller ends the call talking with 1003.",
      "Parties: the caller, 1001 (talked, then transferred away), 1002 (rang, taken by a colleague), 1003 (rang, talked). No Local channel is a party. The queue's agent leg (Local/1001@from-queue) stays up after the transfer: the PBX's plumbing carries the caller to 1003.",
      "The caller hangs up ~5 s after 1003 answered; everything idle.",
    ],
    checks: [
      ["AgentConnect by Alice Sales", (e) => has(e, "AgentConnect", (x) => x.MemberName === "Alice Sales")],
      ["BlindTransfer event", (e) => has(e, "BlindTransfer")],
      [
        "PJSIP/1003 answered",
        (e) =>
          has(
            e,
            "Newstate",
            (x) => x.Channel?.startsWith("PJSIP/1003-") === true && x.ChannelStateDesc === "Up",
          ),
      ],
    ],
    async run(c) {
      await c.phones["1002"]!.answer("ring-until-cancelled");
      await c.phones["1001"]!.answerThenRefer({ ringMs: 2000, talkMs: 3000, target: "1003" });
      await c.phones["1003"]!.answer({ ringMs: 2000 });
      await c.sleep(500);
      c.log(`carrier calls ${DID.queue}`);
      const call = await c.carrier.call(DID.queue, [{ pauseMs: 13000 }, { hangup: true }]);
      await c.sleep(9000, "1001 answered and transferred, 1003 answered");
      c.log("control: CoreShowChannels (caller with 1003)");
      await c.control.action("CoreShowChannels");
      c.log(`carrier sipp rc=${await call.done}`);
      for (const p of ["1001", "1002", "1003"]) await c.phones[p]!.finish(5000);
    },
  },
  {
    name: "38-queue-pickup",
    title:
      "Carrier call to queue 400; while 1001 and 1002 ring, 1003 picks up 1001's ringing call with FreePBX directed pickup (**1001)",
    done: [
      "sipp UAS 1001 and 1002 ring until cancelled.",
      `sipp UAC "carrier" calls DID ${DID.queue}; it hangs up 10 s after the queue answered it.`,
      "~3 s later sipp UAC 1003 (Carol Sales, not a member of queue 400) dials `**1001`: `[app-pickup]` -> `Pickup(1001@ext-local&1001@from-internal&1001@PICKUPMARK)`; 1003 waits for the PBX's BYE.",
      "Control session: `CoreShowChannels` after the pickup.",
    ],
    expected: [
      "One call: the inbound external call from 15551234567 waits in queue 400; both members (1001, 1002) ring.",
      "1003 picks up the call ringing on 1001's phone (~3 s): the caller is connected to 1003 — the call is 15551234567 <-> 1003 (1003 talked), not a new call of 1003's (1003's **1001 dial is how 1003 joined this call). For the queue the member Alice (Local/1001@from-queue) \"answered\", but the person who talks is Carol (1003).",
      "1001 and 1002 stop ringing: neither talked, neither missed it personally (it was taken by a colleague). 1001's phone never went on-call.",
      "No Local channel is a party. The caller hangs up after ~7 s with 1003; everything idle.",
    ],
    checks: [
      ["Pickup event", (e) => has(e, "Pickup")],
      ["AgentConnect", (e) => has(e, "AgentConnect")],
      [
        "PJSIP/1003 channel",
        (e) => has(e, "Newchannel", (x) => x.Channel?.startsWith("PJSIP/1003-") === true),
      ],
    ],
    async run(c) {
      await c.phones["1001"]!.answer("ring-until-cancelled");
      await c.phones["1002"]!.answer("ring-until-cancelled");
      await c.sleep(500);
      c.log(`carrier calls ${DID.queue}`);
      const call = await c.carrier.call(DID.queue, [{ pauseMs: 10000 }, { hangup: true }]);
      await c.sleep(3000, "members ringing");
      c.log("1003 dials **1001 (directed pickup)");
      const picker = await c.phones["1003"]!.call("**1001", []);
      await c.sleep(2000, "picked up");
      c.log("control: CoreShowChannels (caller with 1003)");
      await c.control.action("CoreShowChannels");
      c.log(`carrier sipp rc=${await call.done}`);
      c.log(`1003 sipp rc=${await picker.done}`);
      for (const p of ["1001", "1002", "1003"]) await c.phones[p]!.finish(5000);
    },
  },
  {
    name: "39-queue-spy",
    title:
      "Carrier call to queue 400 answered by 1001; supervisor 1004 listens in with ChanSpy on 1001's phone channel (555 + 1001)",
    done: [
      "sipp UAS 1002 rings until cancelled; sipp UAS 1001 rings 2 s, then answers.",
      `sipp UAC "carrier" calls DID ${DID.queue}; it hangs up 10 s after the queue answered it (~8 s after 1001 answered).`,
      "~4 s after the call started, sipp UAC 1004 (Dave Support) dials `5551001`: `[app-chanspy]` -> `Answer()`, `ChanSpy(PJSIP/1001-,qE)` — spying on the real phone channel PJSIP/1001-…, not the queue's Local channel; ChanSpy ends when that channel hangs up and 1004 gets the BYE.",
      "Control session: `CoreShowChannels` while 1004 listens.",
    ],
    expected: [
      "One queue call: 15551234567 waits in queue 400, 1001 and 1002 ring, 1001 answers (~2 s); 1002 taken by a colleague.",
      "Supervisor 1004 listens to 1001's call (~4 s after it began): 1004 is a silent listener on 1001's call (not a party that talks with the caller, not a second call with the caller). 1004's own spy leg is a call to the PBX (an application) while listening.",
      "The caller is connected to 1001 the whole time; the caller hangs up, ChanSpy ends, 1004 is hung up; everything idle.",
    ],
    checks: [
      [
        "ChanSpyStart on PJSIP/1001",
        (e) => has(e, "ChanSpyStart", (x) => (x.SpyeeChannel ?? "").startsWith("PJSIP/1001-")),
      ],
      ["ChanSpyStop", (e) => has(e, "ChanSpyStop")],
      ["AgentConnect by Alice Sales", (e) => has(e, "AgentConnect", (x) => x.MemberName === "Alice Sales")],
    ],
    async run(c) {
      await c.phones["1001"]!.answer({ ringMs: 2000 });
      await c.phones["1002"]!.answer("ring-until-cancelled");
      await c.sleep(500);
      c.log(`carrier calls ${DID.queue}`);
      const call = await c.carrier.call(DID.queue, [{ pauseMs: 10000 }, { hangup: true }]);
      await c.sleep(4000, "1001 answered");
      c.log("1004 dials 5551001 (ChanSpy)");
      const spy = await c.phones["1004"]!.call("5551001", []);
      await c.sleep(2000, "1004 listening");
      c.log("control: CoreShowChannels (1004 listening)");
      await c.control.action("CoreShowChannels");
      c.log(`carrier sipp rc=${await call.done}`);
      c.log(`1004 sipp rc=${await spy.done}`);
      for (const p of ["1001", "1002"]) await c.phones[p]!.finish(5000);
    },
  },
  {
    name: "40-queue-recorded",
    title:
      "Carrier call to queue 400 answered by 1001; the call is recorded with MixMonitor on 1001's phone channel (AMI MixMonitor)",
    done: [
      "sipp UAS 1002 rings until cancelled; sipp UAS 1001 rings 2 s, then answers.",
      `sipp UAC "carrier" calls DID ${DID.queue}; it hangs up 8 s after the queue answered it (~6 s after 1001 answered).`,
      "~3.5 s after the call started, the control session finds 1001's phone channel (`CoreShowChannels`) and sends `MixMonitor Channel=PJSIP/1001-… File=queue400-1001-capture.wav` (what a record button does); 3 s later `StopMixMonitor Channel=PJSIP/1001-…` (the button again), ~2 s before the caller hangs up.",
    ],
    expected: [
      "One queue call: 15551234567 waits in queue 400, 1001 and 1002 ring, 1001 answers (~2 s); 1002 taken by a colleague.",
      "1001's call (with the caller) is recorded for ~3 s, from ~1.5 s after the answer: the recording belongs to this one call (1001's talk with 15551234567), not to a call of its own and not to a Local channel; it is stopped while the call goes on (the call is then no longer being recorded).",
      "~6 s of talk in all; the caller hangs up; everything idle.",
    ],
    checks: [
      [
        "MixMonitorStart on PJSIP/1001",
        (e) => has(e, "MixMonitorStart", (x) => x.Channel?.startsWith("PJSIP/1001-") === true),
      ],
      ["MixMonitorStop", (e) => has(e, "MixMonitorStop")],
      ["AgentConnect by Alice Sales", (e) => has(e, "AgentConnect", (x) => x.MemberName === "Alice Sales")],
    ],
    async run(c) {
      await c.phones["1001"]!.answer({ ringMs: 2000 });
      await c.phones["1002"]!.answer("ring-until-cancelled");
      await c.sleep(500);
      c.log(`carrier calls ${DID.queue}`);
      const call = await c.carrier.call(DID.queue, [{ pauseMs: 8000 }, { hangup: true }]);
      await c.sleep(3500, "1001 answered");
      c.log("control: CoreShowChannels, MixMonitor on 1001's channel");
      const channel = channelIn(await c.control.action("CoreShowChannels"), "PJSIP/1001-");
      if (!channel) throw new Error("no PJSIP/1001 channel to record");
      await c.control.action("MixMonitor", { Channel: channel, File: "queue400-1001-capture.wav" });
      await c.sleep(3000, "recording");
      c.log("control: StopMixMonitor on 1001's channel");
      await c.control.action("StopMixMonitor", { Channel: channel });
      c.log(`carrier sipp rc=${await call.done}`);
      for (const p of ["1001", "1002"]) await c.phones[p]!.finish(5000);
    },
  },
];

// ---------------------------------------------------------------- analysis for the .md

type AmiEvent = Record<string, string> & { Event: string };

function parseAmi(text: string): AmiEvent[] {
  const out: AmiEvent[] = [];
  for (const block of text.split("\r\n\r\n")) {
    const e: Record<string, string> = {};
    for (const line of block.split("\r\n")) {
      const i = line.indexOf(": ");
      if (i > 0 && !(line.slice(0, i) in e)) e[line.slice(0, i)] = line.slice(i + 2);
    }
    if (e.Event) out.push(e as AmiEvent);
  }
  return out;
}

const NOISE = new Set(["VarSet", "Newexten", "SuccessfulAuth", "FullyBooted", "RTCPSent", "RTCPReceived"]);
const KEYS = [
  "Channel",
  "ChannelStateDesc",
  "Exten",
  "Context",
  "CallerIDNum",
  "ConnectedLineNum",
  "ConnectedLineName",
  "DestChannel",
  "DestChannelStateDesc",
  "DialString",
  "DialStatus",
  "Queue",
  "Position",
  "Count",
  "OriginalPosition",
  "HoldTime",
  "TalkTime",
  "Reason",
  "MemberName",
  "Interface",
  "StateInterface",
  "Status",
  "Paused",
  "PausedReason",
  "InCall",
  "RingTime",
  "Cause",
  "Cause-txt",
  "BridgeUniqueid",
  "BridgeType",
  "LocalOneChannel",
  "LocalTwoChannel",
  "Device",
  "State",
  "Hint",
  "StatusText",
  "Source",
  "Destination",
  "DestinationChannel",
  "Disposition",
];

function summarize(events: AmiEvent[], ari: string[]) {
  const t0 = Number(events.find((e) => e.Timestamp && !NOISE.has(e.Event))?.Timestamp ?? 0);
  const key = events
    .filter((e) => !NOISE.has(e.Event))
    .map((e) => {
      const t = e.Timestamp ? (Number(e.Timestamp) - t0).toFixed(3).padStart(7) : "       ";
      const fields = KEYS.filter((k) => e[k] !== undefined && e[k] !== "")
        .map((k) => `${k}=${e[k]}`)
        .join(" ");
      return `+${t} ${e.Event.padEnd(22)} ${fields}`;
    });
  const count = (names: string[]) => {
    const m = new Map<string, number>();
    for (const n of names) m.set(n, (m.get(n) ?? 0) + 1);
    return [...m]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .map(([n, c]) => `${n} ${c}`)
      .join(", ");
  };
  const channels = events
    .filter((e) => e.Event === "Newchannel")
    .map((e) => {
      const h = events.find((x) => x.Event === "Hangup" && x.Uniqueid === e.Uniqueid);
      return `| ${e.Channel} | ${e.Uniqueid} | ${e.Linkedid} | ${e.CallerIDName ?? ""} <${e.CallerIDNum ?? ""}> | ${e.Exten}@${e.Context} | ${h ? `${h.Cause} (${h["Cause-txt"]})` : "(none)"} |`;
    });
  const ariTypes = ari.map((l) => {
    try {
      return (JSON.parse(l) as { type?: string }).type ?? "?";
    } catch {
      return "?";
    }
  });
  return { key, amiCounts: count(events.map((e) => e.Event)), ariCounts: count(ariTypes), channels };
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const list = wanted.length ? SCENARIOS.filter((s) => wanted.some((w) => s.name.startsWith(w))) : SCENARIOS;
  if (!list.length)
    throw new Error(
      `no scenario matches ${wanted.join(" ")}; known: ${SCENARIOS.map((s) => s.name).join(", ")}`,
    );
  const dir = await mkdtemp(join(tmpdir(), "capture-asterisk-"));
  const pbx = await CaptureAsterisk.create(dir);
  try {
    await pbx.start();
    const phones: Record<string, SippEndpoint> = {};
    for (const p of PHONES)
      phones[p] = new SippEndpoint(p, NAMES[p] ?? p, pbx.ports.phones[p] ?? 0, dir, () => pbx.ports.sip);
    const carrier = new SippEndpoint(
      CARRIER_NUMBER,
      CARRIER_NAME,
      pbx.ports.carrier,
      dir,
      () => pbx.ports.sip,
    );
    const mobile = new SippEndpoint(
      MOBILE_NUMBER,
      MOBILE_NAME,
      pbx.ports.carrierOut,
      dir,
      () => pbx.ports.sip,
    );
    await new Promise((r) => setTimeout(r, 1000));
    for (const s of list) {
      console.log(`== ${s.name}`);
      const { lines: timeline, log, sleep } = startTimeline();
      const ami = await AmiSession.open(pbx.ports.ami, "on", "capture-login");
      const ari = await AriRecorder.open(pbx.ports.http);
      const control = await AmiSession.open(pbx.ports.ami, "off", "control-login");
      control.transcript.length = 0;
      log("captures running (AMI events on, ARI subscribeAll, control AMI events off)");
      const c: Ctx = {
        pbx,
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
        await waitIdle(c);
      } catch (err) {
        error = err;
        log(`ERROR ${(err as Error).message}`);
      }
      await c.sleep(2000, "trailing events");
      log("stopping captures");
      await ami.close();
      await ari.close();
      await control.close();
      const amiBytes = ami.bytes();
      const events = parseAmi(amiBytes.toString("latin1"));
      const sum = summarize(events, ari.lines);
      await writeFile(join(FIXTURES, `${s.name}.ami.txt`), amiBytes);
      await writeFile(join(FIXTURES, `${s.name}.ari.jsonl`), ari.lines.map((l) => `${l}\n`).join(""));
      await writeFile(
        join(FIXTURES, `${s.name}.control.txt`),
        `# control AMI session (Events: off): actions sent by the capture tool and the raw responses, interleaved${CRLF}${control.transcript.join("")}`,
      );
      const checks = s.checks.map(([what, f]) => `- [${f(events) ? "x" : " "}] ${what}`);
      const hangups = events
        .filter((e) => e.Event === "Newchannel")
        .every((n) => events.some((h) => h.Event === "Hangup" && h.Uniqueid === n.Uniqueid));
      const md = `# ${s.name}: ${s.title}

Files: \`${s.name}.ami.txt\` (raw AMI byte stream, CRLF kept, login \`capture\`, \`Events: on\`), \`${s.name}.ari.jsonl\` (ARI websocket \`/ari/events?app=capture&subscribeAll=true\`, one JSON event per line), \`${s.name}.control.txt\` (raw actions/responses of the capture tool's control AMI session, \`Events: off\`). Captured on Asterisk 22.10.1 (../shared/pbx build) with \`node test/live/capture/run.mjs asterisk ${s.name}\`; configuration in \`test/live/capture/asterisk/\` (FreePBX-style contexts: \`from-internal\`, \`ext-local\`, \`ext-group\`, \`from-ring-group\`, \`ext-queues\`, \`from-queue\`, \`from-pstn\`; queue 400 in \`queues.conf\`).

## What was done

${s.done.map((d, i) => `${i + 1}. ${d}`).join("\n")}

## Expected outcome

${s.expected.map((d) => `- ${d}`).join("\n")}

## Observed in this capture (checked by hand against the .ami.txt / .ari.jsonl)

OBSERVED-PLACEHOLDER

## Timeline (capture tool log)

\`\`\`
${timeline.join("\n")}
\`\`\`

## Channels seen in the AMI stream (Newchannel -> Hangup)

| Channel | Uniqueid | Linkedid | CallerID at creation | Exten@Context at creation | Hangup cause |
|---|---|---|---|---|---|
${sum.channels.join("\n")}

## Key AMI events in order (subset: no VarSet/Newexten; full stream in the .ami.txt)

\`\`\`
${sum.key.join("\n")}
\`\`\`

## AMI event counts (${events.length} events, ${amiBytes.length} bytes)

${sum.amiCounts}

## ARI event counts (${ari.lines.length} events)

${sum.ariCounts || "(none)"}

## Automatic checks against the capture

- [${hangups ? "x" : " "}] every Newchannel has a matching Hangup
${checks.join("\n")}
`;
      await writeFile(join(FIXTURES, `${s.name}.md`), md);
      console.log(
        `   ${events.length} AMI events (${amiBytes.length} bytes), ${ari.lines.length} ARI events; checks:\n${checks.join("\n")}`,
      );
      if (error) console.log(`   scenario error: ${(error as Error).message}`);
      for (const p of Object.values(phones)) await p.stop();
      await carrier.stop();
      await mobile.stop();
      await new Promise((r) => setTimeout(r, 1000));
    }
  } finally {
    await pbx.stop().catch(() => undefined);
    await stopAll();
    if (!process.env.CAPTURE_KEEP) await rm(dir, { recursive: true, force: true });
    else console.log(`kept ${dir}`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
