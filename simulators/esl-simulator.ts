// A trace-driven FreeSWITCH event socket on 127.0.0.1 for tests, demos and load. It speaks inbound ESL
// as the captured FreeSWITCH did (auth/request, auth, `event json|plain`, api, bgapi + BACKGROUND_JOB,
// the real reply texts and the disconnect notice), replays the captured calls with fresh uuids,
// re-timed, many at once at a chosen rate, keeps the live channels so `show channels/calls as json`,
// `valet_info` and `uuid_getvar` tell the truth, answers the supervisor commands with the event
// sequences the real FreeSWITCH emitted for them (esl-commands.ts) and keeps `db insert` in a map.

import { randomUUID } from "node:crypto";
import net from "node:net";
import type { MonitoringMode } from "../src/domain/directory.js";
import { eavesdropMode } from "../src/pbx/freeswitch-esl/eavesdrop.js";
import type { EslEvent } from "../src/pbx/freeswitch-esl/frame-parser.js";
import { type EslCommandTemplates, loadEslCommandTemplates } from "./esl-commands.js";
import {
  EslRewriter,
  type EslScenario,
  type EslTraceEvent,
  EslTraceLibrary,
  eventName,
  serializeJsonEvent,
  serializePlainEvent,
  str,
} from "./esl-trace.js";
import {
  type Replay,
  ReplayEngine,
  type ReplayedCall,
  type TrafficHandle,
  type TrafficOptions,
} from "./replay-engine.js";

export interface EslSimulatorOptions {
  host?: string;
  port?: number;
  /** mod_event_socket's password. Default `ClueCon`. */
  password?: string;
  /** Directory with the `.esl.txt` traces (default: test/fixtures/freeswitch). */
  tracesDir?: string;
  /** Extensions with a phone (default 1001-1006): originates to others fail. */
  extensions?: string[];
  /** Extensions whose phone is registered from the start (default: every one of `extensions`). */
  registered?: string[];
  /** Speed of command event sequences and their tails (1 = as captured, 0.1 = ten times faster). */
  commandTimeScale?: number;
  /** Send a HEARTBEAT event every this many ms (0 = never, the default). */
  heartbeatMs?: number;
  domain?: string;
}

export interface EslCallOptions {
  /** Template extension -> extension, e.g. `{ "1001": "1004" }`. */
  extMap?: Record<string, string>;
  /** Stop the replay before this point (a named point of the scenario or an event index). */
  pauseAt?: "ringing" | "answered" | "parked" | number;
  /** 1 = as captured. */
  timeScale?: number;
}

export interface EslTrafficOptions extends TrafficOptions {
  /** Scenario names or prefixes (`05`); default: the plain call scenarios. */
  scenarios?: string[];
  timeScale?: number;
}

export type EslTrafficHandle = TrafficHandle;

export interface EslChannelView {
  uuid: string;
  name: string;
  direction: string;
  callstate: string;
  application: string;
  applicationData: string;
  callUuid: string;
  peer?: string;
  call?: number;
}

export type EslSimCall = ReplayedCall<EslChannelView>;

/** Scenarios a default traffic mix replays: plain calls, nothing that needs a command. */
export const PLAIN_ESL_SCENARIOS = [
  "01-internal-answered",
  "02-internal-cancelled",
  "04-outbound-answered",
  "05-inbound-answered",
  "06-hold-unhold",
  "11b-record-session-dialplan",
];

/** What identifies a channel: kept from its first event and laid over command templates played on it. */
const IDENTITY_KEYS = [
  "Channel-Name",
  "Call-Direction",
  "Presence-Call-Direction",
  "Channel-Presence-ID",
  "Caller-Direction",
  "Caller-Logical-Direction",
  "Caller-Username",
  "Caller-Caller-ID-Name",
  "Caller-Caller-ID-Number",
  "Caller-Orig-Caller-ID-Name",
  "Caller-Orig-Caller-ID-Number",
  "Caller-ANI",
  "Caller-Network-Addr",
  "Caller-Channel-Name",
  "Caller-Unique-ID",
  "Caller-Context",
  "variable_sofia_profile_name",
  "variable_sip_gateway_name",
  "variable_sip_from_user",
  "variable_sip_to_user",
  "variable_presence_id",
];

const OTHER_LEG_FROM: [string, string][] = [
  ["Other-Leg-Channel-Name", "Channel-Name"],
  ["Other-Leg-Direction", "Call-Direction"],
  ["Other-Leg-Caller-ID-Name", "Caller-Caller-ID-Name"],
  ["Other-Leg-Caller-ID-Number", "Caller-Caller-ID-Number"],
  ["Other-Leg-Orig-Caller-ID-Name", "Caller-Orig-Caller-ID-Name"],
  ["Other-Leg-Orig-Caller-ID-Number", "Caller-Orig-Caller-ID-Number"],
  ["Other-Leg-Username", "Caller-Username"],
  ["Other-Leg-ANI", "Caller-ANI"],
];

const CORE_UUID = "5c51b0c4-0e5f-4b4c-9d59-ca11516b7e00";

interface SimChannel {
  uuid: string;
  identity: Record<string, string>;
  last: EslEvent;
  vars: Record<string, string>;
  direction: string;
  callstate: string;
  callUuid: string;
  application: string;
  appData: string;
  dest: string;
  context: string;
  peer?: string;
  created: number;
  instance?: Instance;
}

interface Step {
  at: number;
  event: EslEvent;
  rw: EslRewriter;
  /** Lay the live channels' identity over the event (command templates played on existing calls). */
  overlay: boolean;
}

interface Instance extends Replay<Step> {
  /** An originate waiting for its result: settled at the template's BACKGROUND_JOB or the new leg's answer. */
  job?: { leg: string; resolve(body: string): void };
}

interface SpySession {
  spy: string;
  target: string;
  stop: Step[];
  stopped: boolean;
}

interface Session {
  socket: net.Socket;
  buffer: string;
  authed: boolean;
  format?: "json" | "plain";
  all: boolean;
  names: Set<string>;
  customAll: boolean;
  subclasses: Set<string>;
  queue: Promise<void>;
  out: string[];
  scheduled: boolean;
}

export class EslSimulator {
  private server?: net.Server;
  private readonly sessions = new Set<Session>();
  private readonly library: EslTraceLibrary;
  private templatesCache?: EslCommandTemplates;
  private readonly channels = new Map<string, SimChannel>();
  private readonly parked = new Map<string, string>();
  private readonly registrations = new Map<string, { token: string; profile: string }>();
  private readonly spies = new Map<string, SpySession>();
  private readonly replays: ReplayEngine<Step, Instance>;
  private heartbeat?: NodeJS.Timeout;
  private eventSeq = 1000;
  private password: string;
  readonly extensions: string[];
  commandTimeScale: number;
  /** FreeSWITCH's db (mod_db): `realm/key` -> value. */
  readonly db = new Map<string, string>();
  /** The last 1,000 commands received (`api …`, `bgapi …`, `event …`), for assertions. */
  readonly commandLog: { at: number; command: string; headers: Record<string, string> }[] = [];
  /** When each `auth` arrived (ms), accepted or not. */
  readonly authTimes: number[] = [];
  /** First words of api/bgapi commands received but never answered: a FreeSWITCH that hangs. */
  readonly holdCommands = new Set<string>();
  private readonly stats_ = { eventsEmitted: 0, eventsSent: 0, bytesSent: 0 };

  constructor(private readonly options: EslSimulatorOptions = {}) {
    this.library = new EslTraceLibrary(options.tracesDir);
    this.password = options.password ?? "ClueCon";
    this.extensions = options.extensions ?? ["1001", "1002", "1003", "1004", "1005", "1006"];
    this.commandTimeScale = options.commandTimeScale ?? 1;
    for (const ext of options.registered ?? this.extensions)
      this.registrations.set(ext, { token: `${randomUUID()}@127.0.0.1`, profile: "internal" });
    this.replays = new ReplayEngine<Step, Instance>({
      commandTimeScale: () => this.commandTimeScale,
      deliver: (step, inst) => this.deliver(step, inst),
    });
  }

  get port(): number {
    const addr = this.server?.address();
    return addr && typeof addr === "object" ? addr.port : 0;
  }

  async start(opts: { port?: number; password?: string } = {}): Promise<{ port: number }> {
    if (opts.password !== undefined) this.password = opts.password;
    const server = net.createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(opts.port ?? this.options.port ?? 0, this.options.host ?? "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
    const every = this.options.heartbeatMs ?? 0;
    if (every > 0) {
      this.heartbeat = setInterval(
        () => this.emit({ "Event-Name": "HEARTBEAT", "Event-Info": "System Ready" }),
        every,
      );
      this.heartbeat.unref();
    }
    return { port: this.port };
  }

  async stop(): Promise<void> {
    this.replays.stopAll();
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.dropConnections();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Closes every client connection at once (the server keeps listening). */
  dropConnections(): void {
    for (const s of this.sessions) s.socket.destroy();
    this.sessions.clear();
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  stats(): { sessions: number; eventsEmitted: number; eventsSent: number; bytesSent: number } {
    return { sessions: this.sessions.size, ...this.stats_ };
  }

  liveChannels(): EslChannelView[] {
    return [...this.channels.values()].map((c) => this.view(c));
  }

  parkedCalls(): { leg: string; lot: string; space: string }[] {
    return [...this.parked].map(([key, leg]) => {
      const [lot = "", space = ""] = key.split("/");
      return { leg, lot, space };
    });
  }

  /** Writes raw bytes to every authenticated client (malformed input tests). */
  injectRaw(data: string | Buffer): void {
    for (const s of this.sessions) {
      if (!s.authed) continue;
      this.flush(s);
      s.socket.write(data);
    }
  }

  /** Emits an event as if FreeSWITCH had produced it. */
  emitEvent(event: EslEvent): void {
    this.emit({ ...event });
  }

  /** A phone registers (sofia::register) or unregisters (sofia::unregister). */
  register(ext: string, registered: boolean, profile = "internal"): void {
    const domain = this.options.domain ?? "127.0.0.1";
    const existing = this.registrations.get(ext);
    const token = existing?.token ?? `${randomUUID()}@127.0.0.1`;
    if (registered) this.registrations.set(ext, { token, profile });
    else this.registrations.delete(ext);
    this.emit({
      "Event-Subclass": registered ? "sofia::register" : "sofia::unregister",
      "Event-Name": "CUSTOM",
      "profile-name": profile,
      "from-user": ext,
      "from-host": domain,
      contact: `"${ext}" <sip:${ext}@127.0.0.1:5${ext.slice(1)}>`,
      "call-id": token,
      rpid: "unknown",
      status: registered ? "Registered(UDP)" : "Unregistered",
      expires: registered ? "3600" : "0",
      "to-user": ext,
      "to-host": domain,
      "network-ip": "127.0.0.1",
      "network-port": `5${ext.slice(1)}`,
      username: ext,
      realm: domain,
      "user-agent": "sipp",
    });
  }

  /** A phone publishes its presence (PRESENCE_IN, proto sip). */
  setPresence(ext: string, rpid: string, status: string): void {
    const domain = this.options.domain ?? "127.0.0.1";
    this.emit({
      "Event-Name": "PRESENCE_IN",
      proto: "sip",
      login: `sip:${ext}@${domain}`,
      from: `${ext}@${domain}`,
      rpid,
      status,
      event_type: "presence",
      alt_event_type: "dialog",
      event_count: "1",
    });
  }

  // ---- replayed calls --------------------------------------------------------------------------

  scenarioNames(): string[] {
    return [...this.library.names];
  }

  private templates(): EslCommandTemplates {
    this.templatesCache ??= loadEslCommandTemplates(this.library);
    return this.templatesCache;
  }

  /** Replays one captured call with fresh uuids. */
  startCall(scenario: string, opts: EslCallOptions = {}): EslSimCall {
    const s = this.library.scenario(scenario);
    const rw = this.rewriter();
    for (const [from, to] of Object.entries(opts.extMap ?? {})) rw.ext(from, to);
    const steps = s.events.map((e) => ({ at: e.t * 1000, event: e.event, rw, overlay: false }));
    const inst = this.replays.create(s.name, steps, opts.timeScale ?? 1);
    if (opts.pauseAt !== undefined) inst.pauseAt = eslPausePoint(s, opts.pauseAt);
    this.replays.play(inst);
    return this.replays.handle(inst, (u) => {
      const c = this.channels.get(u);
      return c && this.view(c);
    });
  }

  /** Replays many calls at `rate` calls/s with at most `concurrency` at once. */
  startTraffic(opts: EslTrafficOptions): EslTrafficHandle {
    const names = (opts.scenarios ?? PLAIN_ESL_SCENARIOS).map((n) => this.library.resolve(n));
    return this.replays.startTraffic(opts, (index) =>
      this.startCall(names[index % names.length] as string, { timeScale: opts.timeScale ?? 1 }),
    );
  }

  /** Hangs a channel up as FreeSWITCH would (uuid_kill): a spy leg ends its eavesdrop, a call leg its call. */
  hangup(uuid: string, cause = "NORMAL_CLEARING"): boolean {
    const spy = this.spies.get(uuid);
    if (spy) {
      this.stopSpy(spy);
      return true;
    }
    const ch = this.channels.get(uuid);
    if (!ch) return false;
    const inst = ch.instance;
    const victims = new Set(inst ? [...inst.channels].filter((u) => this.channels.has(u)) : [uuid]);
    if (ch.peer && this.channels.has(ch.peer)) victims.add(ch.peer);
    const events = this.hangupEvents([...victims], cause);
    if (inst) this.replays.replaceTail(inst, events, false);
    else this.replays.playNow(events);
    return true;
  }

  private rewriter(): EslRewriter {
    const rw = new EslRewriter();
    rw.keep.add(CORE_UUID);
    return rw;
  }

  private deliver(step: Step, inst: Instance): void {
    const event = step.rw.rewrite(step.event);
    if (eventName(event) === "BACKGROUND_JOB") {
      // The capture's own job result marks when the originate's result was reported.
      if (inst.job) this.settleJob(inst);
      return;
    }
    if (step.overlay) this.overlay(event);
    this.emit(event, inst);
    if (inst.job && eventName(event) === "CHANNEL_ANSWER" && str(event, "Unique-ID") === inst.job.leg) {
      this.settleJob(inst);
    }
  }

  private settleJob(inst: Instance): void {
    const job = inst.job;
    if (!job) return;
    inst.job = undefined;
    job.resolve(`+OK ${job.leg}\n`);
  }

  /** Template events -> steps: role uuids bound to live channels, everything else fresh. */
  private steps(events: readonly EslTraceEvent[], rw: EslRewriter, offsetMs = 0, overlay = true): Step[] {
    const t0 = events[0]?.t ?? 0;
    return events.map((e) => ({ at: offsetMs + (e.t - t0) * 1000, event: e.event, rw, overlay }));
  }

  private hangupEvents(victims: string[], cause: string): Step[] {
    const rw = this.rewriter();
    rw.keepUnmapped = true;
    const out: EslTraceEvent[] = [];
    let t = 0;
    const add = (event: EslEvent) => {
      out.push({ event, t });
      t += 0.002;
    };
    const done = new Set<string>();
    for (const uuid of victims) {
      const ch = this.channels.get(uuid);
      if (!ch) continue;
      const base = { ...ch.last, ...ch.identity, "Answer-State": "hangup", "Hangup-Cause": cause };
      add({
        ...base,
        "Event-Name": "CHANNEL_HANGUP",
        "Channel-State": "CS_HANGUP",
        "Channel-Call-State": ch.callstate,
      });
      add({
        ...base,
        "Event-Name": "CHANNEL_CALLSTATE",
        "Channel-Call-State": "HANGUP",
        "Original-Channel-Call-State": ch.callstate,
      });
      if (ch.peer && !done.has(ch.peer)) {
        add({
          ...base,
          "Event-Name": "CHANNEL_UNBRIDGE",
          "Bridge-A-Unique-ID": uuid,
          "Bridge-B-Unique-ID": ch.peer,
          "Other-Leg-Unique-ID": ch.peer,
        });
      }
      done.add(uuid);
    }
    for (const uuid of victims) {
      const ch = this.channels.get(uuid);
      if (!ch) continue;
      const base = { ...ch.last, ...ch.identity, "Answer-State": "hangup", "Hangup-Cause": cause };
      add({ ...base, "Event-Name": "CHANNEL_HANGUP_COMPLETE", "Channel-Call-State": "HANGUP" });
      add({
        ...base,
        "Event-Name": "CHANNEL_DESTROY",
        "Channel-State": "CS_DESTROY",
        "Channel-Call-State": "HANGUP",
      });
    }
    return this.steps(out, rw, 0, false);
  }

  // ---- commands ---------------------------------------------------------------------------------

  /** Runs an api command (also what bgapi runs) and resolves with its reply body. */
  run(commandLine: string): Promise<string> {
    const args = splitArgs(commandLine.trim());
    const cmd = (args[0] ?? "").toLowerCase();
    switch (cmd) {
      case "status":
        return Promise.resolve(
          "UP 0 years, 0 days, 0 hours, 1 minute, 0 seconds, 0 milliseconds, 0 microseconds\n" +
            `FreeSWITCH (Version 1.11.3-dev  64bit) is ready\n${this.channels.size} session(s) since startup\n`,
        );
      case "show":
        return Promise.resolve(this.show(args.slice(1).join(" ")));
      case "sofia":
        return Promise.resolve(this.sofiaStatus());
      case "valet_info":
        return Promise.resolve(this.valetInfo());
      case "uuid_getvar": {
        const ch = this.channels.get(args[1] ?? "");
        if (!ch) return Promise.resolve("-ERR No such channel!\n");
        return Promise.resolve(ch.vars[args[2] ?? ""] ?? "_undef_");
      }
      case "uuid_kill":
        return Promise.resolve(
          this.hangup(args[1] ?? "", args[2] ?? "NORMAL_CLEARING") ? "+OK\n" : "-ERR No such channel!\n",
        );
      case "uuid_transfer":
        return Promise.resolve(this.transfer(args.slice(1)));
      case "uuid_record":
        return Promise.resolve(this.record(args.slice(1)));
      case "uuid_hold":
        return Promise.resolve(this.hold(args.slice(1)));
      case "originate":
        return this.originate(commandLine.trim().slice("originate".length).trim());
      case "db":
        return Promise.resolve(this.dbCommand(args.slice(1).join(" ")));
      case "hupall":
        for (const uuid of [...this.channels.keys()]) this.hangup(uuid, args[1] ?? "MANAGER_REQUEST");
        return Promise.resolve("+OK hangup all channels\n");
      default:
        return Promise.resolve(`-ERR ${args[0] ?? ""} Command not found!\n`);
    }
  }

  private show(what: string): string {
    const w = what.trim().toLowerCase();
    let rows: Record<string, string>[];
    if (w === "channels as json") rows = [...this.channels.values()].map((c) => this.channelRow(c));
    else if (w === "calls as json" || w === "bridged_calls as json")
      rows = this.callRows(w.startsWith("bridged"));
    else if (w === "registrations as json") rows = this.registrationRows();
    else return `-USAGE: show ${what}\n`;
    return rows.length === 0 ? '{"row_count": 0}' : JSON.stringify({ row_count: rows.length, rows });
  }

  private channelRow(c: SimChannel): Record<string, string> {
    const id = c.identity;
    const cidName = id["Caller-Caller-ID-Name"] ?? "";
    const cidNum = id["Caller-Caller-ID-Number"] ?? "";
    return {
      uuid: c.uuid,
      direction: c.direction,
      created: new Date(c.created * 1000).toISOString().replace("T", " ").slice(0, 19),
      created_epoch: String(c.created),
      name: id["Channel-Name"] ?? "",
      state: "CS_EXECUTE",
      cid_name: cidName,
      cid_num: cidNum,
      ip_addr: "127.0.0.1",
      dest: c.dest,
      application: c.application,
      application_data: c.appData,
      dialplan: "XML",
      context: c.context,
      read_codec: "PCMA",
      read_rate: "8000",
      read_bit_rate: "64000",
      write_codec: "PCMA",
      write_rate: "8000",
      write_bit_rate: "64000",
      secure: "",
      hostname: "sim",
      presence_id: id["Channel-Presence-ID"] ?? "",
      presence_data: "",
      accountcode: "",
      callstate: c.callstate,
      callee_name: "",
      callee_num: "",
      callee_direction: "",
      call_uuid: c.callUuid,
      sent_callee_name: "",
      sent_callee_num: "",
      initial_cid_name: cidName,
      initial_cid_num: cidNum,
      initial_ip_addr: "127.0.0.1",
      initial_dest: c.dest,
      initial_dialplan: "XML",
      initial_context: c.context,
    };
  }

  /** FreeSWITCH's basic_calls: each A-leg joined with the legs whose call_uuid names it. */
  private callRows(bridgedOnly: boolean): Record<string, string>[] {
    const rows: Record<string, string>[] = [];
    for (const a of this.channels.values()) {
      if (a.callUuid && a.callUuid !== a.uuid) continue;
      const bs = [...this.channels.values()].filter((b) => b !== a && b.callUuid === a.uuid);
      const base = this.channelRow(a);
      if (bs.length === 0 && !bridgedOnly) rows.push({ ...base, b_uuid: "" });
      for (const b of bs) {
        const br = this.channelRow(b);
        const row: Record<string, string> = { ...base };
        for (const [k, v] of Object.entries(br)) row[`b_${k}`] = v;
        rows.push(row);
      }
    }
    return rows;
  }

  private registrationRows(): Record<string, string>[] {
    const domain = this.options.domain ?? "127.0.0.1";
    return [...this.registrations].map(([ext, r]) => ({
      reg_user: ext,
      realm: domain,
      token: r.token,
      url: `sofia/${r.profile}/sip:${ext}@127.0.0.1:5${ext.slice(1)}`,
      expires: String(Math.floor(Date.now() / 1000) + 3600),
      network_ip: "127.0.0.1",
      network_port: `5${ext.slice(1)}`,
      network_proto: "udp",
      hostname: "sim",
      metadata: "",
    }));
  }

  private sofiaStatus(): string {
    return (
      "                     Name\t   Type\t                                      Data\tState\n" +
      "=================================================================================================\n" +
      "                 external\tprofile\t              sip:mod_sofia@127.0.0.1:5086\tRUNNING (0)\n" +
      "        external::carrier\tgateway\t             sip:FreeSWITCH@127.0.0.1:5110\tNOREG\n" +
      "                 internal\tprofile\t              sip:mod_sofia@127.0.0.1:5085\tRUNNING (0)\n" +
      "=================================================================================================\n" +
      "2 profiles 0 aliases\n"
    );
  }

  private valetInfo(): string {
    const lots = new Map<string, [string, string][]>();
    for (const [key, leg] of this.parked) {
      const [lot = "", space = ""] = key.split("/");
      lots.set(lot, [...(lots.get(lot) ?? []), [space, leg]]);
    }
    if (!lots.has("default")) lots.set("default", []);
    let out = "<lots>\n";
    for (const [lot, slots] of lots) {
      out += `  <lot name="${lot}">\n`;
      for (const [space, leg] of slots) out += `    <extension uuid="${leg}">${space}</extension>\n`;
      out += "  </lot>\n";
    }
    return `${out}</lots>\n`;
  }

  private dbCommand(arg: string): string {
    const [op = "", realm = "", key = "", ...rest] = arg.split("/");
    const k = `${realm}/${key}`;
    switch (op) {
      case "insert":
        if (!realm || !key) return "-ERR db insert/<realm>/<key>/<value>\n";
        this.db.set(k, rest.join("/"));
        return "+OK";
      case "delete":
        this.db.delete(k);
        return "+OK";
      case "select":
        return this.db.get(k) ?? "";
      case "exists":
        return this.db.has(k) ? "true" : "false";
      case "list": {
        const keys = [...this.db.keys()].filter((x) => x.startsWith(`${realm}/`));
        // FreeSWITCH's event socket answers an api that wrote nothing (an empty realm) with this.
        return keys.map((x) => x.slice(realm.length + 1)).join(",") || "-ERR no reply\n";
      }
      default:
        return "-ERR db [insert|delete|select|exists|list]/<realm>/<key>[/<value>]\n";
    }
  }

  private transfer(args: string[]): string {
    const uuid = args[0] ?? "";
    const rest = args.slice(1).filter((a) => !a.startsWith("-"));
    const [exten, dialplan, context] = rest;
    const ch = this.channels.get(uuid);
    if (!ch || !exten) return "-ERR No such channel!\n";
    if (dialplan === "inline" && exten.startsWith("bridge:")) return this.transferToPhone(ch, exten.slice(7));
    const t = this.templates().transfer;
    const rw = this.rewriter();
    rw.ids.set(t.transferred, uuid);
    if (ch.peer) rw.ids.set(t.peer, ch.peer);
    rw.values.set(`:bl_xfer:${t.exten}/${t.context}/`, `:bl_xfer:${exten}/${context ?? t.context}/`);
    const part = this.steps(t.part, rw).filter((s) => ch.peer || str(s.event, "Unique-ID") !== t.peer);
    const tail = this.steps(t.tail, rw, (t.part[t.part.length - 1]?.t ?? 0) * 1000 + 1000);
    const inst = ch.instance;
    if (inst) this.replays.replaceTail(inst, part, false, tail);
    else this.replays.playNow([...part, ...tail]);
    return "+OK\n";
  }

  /**
   * `uuid_transfer <leg> 'bridge:<phone>' inline` (take over): the phone rings and is bridged with the
   * transferred leg; its partner's leg ends. Played from trace 09's intercept, which has the same shape:
   * a new phone joins one party of a call and the other party's leg goes away.
   */
  private transferToPhone(ch: SimChannel, dial: string): string {
    const ext = /^(?:user|sofia\/[^/]+)\/(?:sip:)?([^@/]+)/.exec(dial)?.[1];
    if (!ext || !this.extensions.includes(ext)) return "-ERR SUBSCRIBER_ABSENT\n";
    const t = this.templates().intercept;
    const rw = this.newLegRewriter(t.pickerExt, ext);
    rw.ids.set(t.caller, ch.uuid);
    if (ch.peer) rw.ids.set(t.ringing, ch.peer);
    const part = this.steps(t.part, rw).filter((st) => ch.peer || str(st.event, "Unique-ID") !== t.ringing);
    const tail = this.steps(t.tail, rw, (t.part[t.part.length - 1]?.t ?? 0) * 1000 + 500);
    if (ch.instance) this.replays.replaceTail(ch.instance, part, false, tail);
    else this.replays.playNow([...part, ...tail]);
    return "+OK\n";
  }

  private record(args: string[]): string {
    const [uuid = "", action = "", file = ""] = args;
    const ch = this.channels.get(uuid);
    if (!ch) return "-ERR Cannot locate session!\n";
    const t = this.templates().record;
    const rw = this.rewriter();
    rw.ids.set(t.leg, uuid);
    if (file && file !== "all") rw.values.set(t.file, file);
    if (action === "start") this.replays.playNow(this.steps(t.start, rw));
    else if (action === "stop") this.replays.playNow(this.steps(t.stop, rw));
    else return "-USAGE: <uuid> [start|stop|mask|unmask] <path> [<limit>]\n";
    return "+OK Success\n";
  }

  private hold(args: string[]): string {
    const off = args[0] === "off";
    const uuid = (off || args[0] === "toggle" ? args[1] : args[0]) ?? "";
    if (!this.channels.has(uuid)) return "-ERR No such channel!\n";
    const t = this.templates().hold;
    const rw = this.rewriter();
    rw.ids.set(t.leg, uuid);
    this.replays.playNow(this.steps(off ? t.unhold : t.hold, rw));
    return "+OK Success\n";
  }

  private originate(spec: string): Promise<string> {
    const { vars, rest } = splitVariables(spec);
    const parts = splitArgs(rest);
    const dial = parts[0] ?? "";
    const app = parts[1] ?? "";
    const ext = /^(?:user|sofia\/[^/]+)\/(?:sip:)?([^@/]+)/.exec(dial)?.[1];
    if (!ext || !this.extensions.includes(ext)) return Promise.resolve("-ERR SUBSCRIBER_ABSENT\n");
    const m = /^&(\w+)\((.*)\)$/.exec(app);
    if (!m) return Promise.resolve("-ERR DESTINATION_OUT_OF_ORDER\n");
    const [, name, data = ""] = m;
    if (name === "eavesdrop") return this.eavesdrop(ext, data.trim(), vars);
    if (name === "intercept") return this.intercept(ext, data.trim());
    if (name === "valet_park") return this.retrieve(ext, data.trim());
    return Promise.resolve("-ERR DESTINATION_OUT_OF_ORDER\n");
  }

  private newLegRewriter(templateExt: string, ext: string): EslRewriter {
    const rw = this.rewriter();
    rw.ext(templateExt, ext);
    return rw;
  }

  private eavesdrop(ext: string, target: string, vars: Record<string, string>): Promise<string> {
    if (!this.channels.has(target)) return Promise.resolve("-ERR NO_ANSWER\n");
    const mode: MonitoringMode = eavesdropMode(vars.eavesdrop_whisper_aleg, vars.eavesdrop_whisper_bleg);
    const t = this.templates().spy[mode];
    const rw = this.newLegRewriter(t.spyExt, ext);
    rw.ids.set(t.target, target);
    const spy = rw.id(t.spy);
    const session: SpySession = { spy, target, stop: this.steps(t.stop, rw), stopped: false };
    this.spies.set(spy, session);
    return new Promise((resolve) => {
      const inst = this.replays.playNow(this.steps(t.start, rw));
      inst.job = { leg: spy, resolve };
    });
  }

  private stopSpy(s: SpySession): void {
    if (s.stopped) return;
    s.stopped = true;
    this.spies.delete(s.spy);
    this.replays.playNow(s.stop);
  }

  private intercept(ext: string, data: string): Promise<string> {
    let target = data;
    let bleg = false;
    if (target.startsWith("-bleg")) {
      bleg = true;
      target = target.slice(5).trim();
    }
    const ch = this.channels.get(target);
    if (!ch) return Promise.resolve("-ERR NO_ANSWER\n");
    // intercept answers the A-leg and hangs its ringing partner up; -bleg names the ringing leg itself.
    let caller = target;
    let ringing: string | undefined;
    if (bleg || ch.direction === "outbound") {
      ringing = target;
      caller = str(ch.last, "Other-Leg-Unique-ID") ?? ch.callUuid;
    } else {
      ringing = [...this.channels.values()].find((c) => c.uuid !== target && c.callUuid === target)?.uuid;
    }
    const callerCh = this.channels.get(caller);
    if (!callerCh) return Promise.resolve("-ERR NO_ANSWER\n");
    const t = this.templates().intercept;
    const rw = this.newLegRewriter(t.pickerExt, ext);
    rw.ids.set(t.caller, caller);
    if (ringing) rw.ids.set(t.ringing, ringing);
    const picker = rw.id(t.picker);
    const part = this.steps(t.part, rw).filter((s) => ringing || str(s.event, "Unique-ID") !== t.ringing);
    const tail = this.steps(t.tail, rw, (t.part[t.part.length - 1]?.t ?? 0) * 1000 + 500);
    return new Promise((resolve) => {
      const inst = callerCh.instance;
      if (inst) {
        this.replays.replaceTail(inst, part, false, tail);
        inst.job = { leg: picker, resolve };
      } else {
        const i = this.replays.playNow([...part, ...tail]);
        i.job = { leg: picker, resolve };
      }
    });
  }

  private retrieve(ext: string, data: string): Promise<string> {
    const [lot = "default", space = ""] = data.split(/\s+/);
    const parked = this.parked.get(`${lot}/${space}`);
    const ch = parked ? this.channels.get(parked) : undefined;
    // Real valet_park on an empty slot parks the caller; the simulator refuses instead.
    if (!parked || !ch) return Promise.resolve("-ERR NO_ANSWER\n");
    const t = this.templates().retrieve;
    const rw = this.newLegRewriter(t.retrieverExt, ext);
    rw.ids.set(t.parked, parked);
    if (space !== t.space) {
      rw.values.set(`${t.lot} ${t.space}`, `${lot} ${space}`);
      rw.values.set(`${t.space}@`, `${space}@`);
    }
    const retriever = rw.id(t.retriever);
    const slot = (s: Step): Step => {
      // Valet-Extension and the slot's presence are whole values: rewrite them after the uuids.
      const e = { ...s.event };
      if (e["Valet-Extension"] === t.space) e["Valet-Extension"] = space;
      if (e["Valet-Lot-Name"] === t.lot) e["Valet-Lot-Name"] = lot;
      if (e["unique-id"] === t.space) e["unique-id"] = space;
      if (e.login === t.space) e.login = space;
      return { ...s, event: e };
    };
    const part = this.steps(t.part, rw).map(slot);
    const tail = this.steps(t.tail, rw, (t.part[t.part.length - 1]?.t ?? 0) * 1000 + 500).map(slot);
    return new Promise((resolve) => {
      const inst = ch.instance;
      if (inst) {
        this.replays.replaceTail(inst, part, false, tail);
        inst.job = { leg: retriever, resolve };
      } else {
        const i = this.replays.playNow([...part, ...tail]);
        i.job = { leg: retriever, resolve };
      }
    });
  }

  // ---- the event stream ------------------------------------------------------------------------

  /** Live channels' identity laid over a template event played on them. */
  private overlay(event: EslEvent): void {
    const uuid = str(event, "Unique-ID");
    const ch = uuid ? this.channels.get(uuid) : undefined;
    if (ch)
      for (const k of IDENTITY_KEYS)
        if (k in event && ch.identity[k] !== undefined) event[k] = ch.identity[k];
    const other = str(event, "Other-Leg-Unique-ID");
    const och = other ? this.channels.get(other) : undefined;
    if (och) {
      for (const [to, from] of OTHER_LEG_FROM) {
        if (to in event && och.identity[from] !== undefined) event[to] = och.identity[from];
      }
    }
  }

  private emit(event: EslEvent, inst?: Instance): void {
    event["Core-UUID"] = CORE_UUID;
    event["Event-Date-Timestamp"] = String(Date.now() * 1000);
    event["Event-Sequence"] = String(++this.eventSeq);
    this.track(event, inst);
    this.stats_.eventsEmitted++;
    const name = eventName(event);
    const sub = name === "CUSTOM" ? (str(event, "Event-Subclass") ?? "") : "";
    let json: string | undefined;
    let plain: string | undefined;
    for (const s of this.sessions) {
      if (!s.authed || !s.format || !wants(s, name, sub)) continue;
      let text: string;
      if (s.format === "plain") {
        plain ??= serializePlainEvent(event);
        text = plain;
      } else {
        json ??= serializeJsonEvent(event);
        text = json;
      }
      this.stats_.eventsSent++;
      this.write(s, text);
    }
  }

  /** Keeps the live state `show channels`, `valet_info` and `uuid_getvar` answer from. */
  private track(event: EslEvent, inst?: Instance): void {
    const name = eventName(event);
    const uuid = str(event, "Unique-ID");
    if (name === "CUSTOM" && str(event, "Event-Subclass") === "valet_parking::info" && uuid) {
      const key = `${str(event, "Valet-Lot-Name") ?? "default"}/${str(event, "Valet-Extension") ?? ""}`;
      const action = str(event, "Action");
      if (action === "hold") this.parked.set(key, uuid);
      else if (this.parked.get(key) === uuid) this.parked.delete(key);
    }
    if (!uuid) return;
    let ch = this.channels.get(uuid);
    if (!ch) {
      if (name !== "CHANNEL_CREATE" && name !== "CHANNEL_OUTGOING") return;
      const identity: Record<string, string> = {};
      for (const k of IDENTITY_KEYS) {
        const v = str(event, k);
        if (v !== undefined) identity[k] = v;
      }
      ch = {
        uuid,
        identity,
        last: event,
        vars: {},
        direction: str(event, "Call-Direction") ?? "",
        callstate: str(event, "Channel-Call-State") ?? "DOWN",
        callUuid: "",
        application: "",
        appData: "",
        dest: str(event, "Caller-Destination-Number") ?? "",
        context: str(event, "Caller-Context") ?? "default",
        created: Math.floor(Date.now() / 1000),
      };
      this.channels.set(uuid, ch);
      if (inst && inst.scenario !== "command") {
        ch.instance = inst;
        inst.channels.add(uuid);
      }
    }
    for (const k in event) {
      if (k.startsWith("variable_")) ch.vars[k.slice(9)] = event[k] as string;
    }
    if (name === "CHANNEL_HANGUP_COMPLETE" || name === "CHANNEL_DESTROY") {
      this.channels.delete(uuid);
      for (const [key, leg] of this.parked) if (leg === uuid) this.parked.delete(key);
      return;
    }
    ch.last = event;
    const cs = str(event, "Channel-Call-State");
    if (cs && cs !== "HANGUP") ch.callstate = cs === "UNHELD" ? "ACTIVE" : cs;
    const callUuid = str(event, "Channel-Call-UUID");
    if (callUuid && name !== "CHANNEL_OUTGOING") ch.callUuid = callUuid;
    const dest = str(event, "Caller-Destination-Number");
    if (dest) ch.dest = dest;
    if (name === "CHANNEL_EXECUTE") {
      ch.application = str(event, "Application") ?? "";
      ch.appData = str(event, "Application-Data") ?? "";
    } else if (name === "CHANNEL_BRIDGE") {
      const a = str(event, "Bridge-A-Unique-ID") ?? uuid;
      const b = str(event, "Bridge-B-Unique-ID") ?? str(event, "Other-Leg-Unique-ID");
      const ca = this.channels.get(a);
      const cb = b ? this.channels.get(b) : undefined;
      if (ca && cb) {
        ca.peer = cb.uuid;
        cb.peer = ca.uuid;
        // A leg an originate created (interceptor, retriever) now belongs to the call it joined.
        const owner = ca.instance ?? cb.instance;
        for (const c of [ca, cb]) {
          if (!c.instance && owner) {
            c.instance = owner;
            owner.channels.add(c.uuid);
          }
        }
      }
    } else if (name === "CHANNEL_UNBRIDGE") {
      const a = str(event, "Bridge-A-Unique-ID") ?? uuid;
      const b = str(event, "Bridge-B-Unique-ID") ?? str(event, "Other-Leg-Unique-ID");
      for (const id of [a, b]) {
        const c = id ? this.channels.get(id) : undefined;
        if (c) c.peer = undefined;
      }
    } else if (name === "CHANNEL_HANGUP") {
      // eavesdrop ends with the leg it listens to; the originated spy leg then hangs up.
      for (const s of [...this.spies.values()]) if (s.target === uuid) this.stopSpy(s);
      if (ch.peer) {
        const peer = this.channels.get(ch.peer);
        if (peer?.peer === uuid) peer.peer = undefined;
      }
    }
  }

  private view(c: SimChannel): EslChannelView {
    const v: EslChannelView = {
      uuid: c.uuid,
      name: c.identity["Channel-Name"] ?? "",
      direction: c.direction,
      callstate: c.callstate,
      application: c.application,
      applicationData: c.appData,
      callUuid: c.callUuid,
    };
    if (c.peer) v.peer = c.peer;
    if (c.instance) v.call = c.instance.id;
    return v;
  }

  // ---- sessions ----------------------------------------------------------------------------------

  private accept(socket: net.Socket): void {
    const s: Session = {
      socket,
      buffer: "",
      authed: false,
      all: false,
      names: new Set(),
      customAll: false,
      subclasses: new Set(),
      queue: Promise.resolve(),
      out: [],
      scheduled: false,
    };
    this.sessions.add(s);
    socket.setNoDelay(true);
    socket.on("error", () => undefined);
    socket.on("close", () => this.sessions.delete(s));
    socket.on("data", (chunk: Buffer) => {
      s.buffer += chunk.toString("utf8");
      for (;;) {
        const end = s.buffer.indexOf("\n\n");
        if (end < 0) break;
        const block = s.buffer.slice(0, end);
        s.buffer = s.buffer.slice(end + 2);
        const lines = block.split("\n").map((l) => l.replace(/\r$/, ""));
        const command = (lines.shift() ?? "").trim();
        if (!command) continue;
        const headers: Record<string, string> = {};
        for (const line of lines) {
          const colon = line.indexOf(":");
          if (colon > 0) headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
        }
        this.commandLog.push({ at: Date.now(), command, headers });
        if (this.commandLog.length > 1000) this.commandLog.shift();
        s.queue = s.queue.then(() => this.onCommand(s, command, headers)).catch(() => undefined);
      }
    });
    this.write(s, "Content-Type: auth/request\n\n");
  }

  private async onCommand(s: Session, command: string, headers: Record<string, string>): Promise<void> {
    const space = command.indexOf(" ");
    const verb = (space < 0 ? command : command.slice(0, space)).toLowerCase();
    const arg = space < 0 ? "" : command.slice(space + 1);
    if (verb === "auth") {
      this.authTimes.push(Date.now());
      if (arg === this.password) {
        s.authed = true;
        this.reply(s, "+OK accepted");
      } else {
        this.reply(s, "-ERR invalid");
        this.disconnect(s);
      }
      return;
    }
    if (!s.authed) {
      this.reply(s, "-ERR invalid");
      this.disconnect(s);
      return;
    }
    switch (verb) {
      case "event": {
        const [format = "", ...names] = arg.split(/\s+/);
        if (format !== "json" && format !== "plain") {
          this.reply(s, `-ERR ${format} is not supported by the simulator`);
          return;
        }
        s.format = format;
        let custom = false;
        for (const n of names) {
          if (!n) continue;
          if (n.toUpperCase() === "ALL") s.all = true;
          else if (n === "CUSTOM") custom = true;
          else if (n.includes("::")) s.subclasses.add(n);
          else s.names.add(n);
        }
        if (custom && s.subclasses.size === 0) s.customAll = true;
        this.reply(s, `+OK event listener enabled ${format}`);
        return;
      }
      case "noevents":
        s.all = false;
        s.names.clear();
        s.subclasses.clear();
        s.customAll = false;
        this.reply(s, "+OK no longer listening for events");
        return;
      case "exit":
        this.reply(s, "+OK bye");
        this.disconnect(s);
        return;
      case "filter":
      case "nixevent":
      case "linger":
      case "nolinger":
      case "myevents":
      case "divert_events":
        this.reply(s, "+OK");
        return;
      case "api": {
        if (this.holdCommands.has(firstWord(arg))) return new Promise(() => undefined);
        const body = await this.run(arg);
        this.write(s, `Content-Type: api/response\nContent-Length: ${Buffer.byteLength(body)}\n\n${body}`);
        return;
      }
      case "bgapi": {
        if (this.holdCommands.has(firstWord(arg))) return new Promise(() => undefined);
        const job = headers["Job-UUID"] ?? randomUUID();
        this.write(s, `Content-Type: command/reply\nReply-Text: +OK Job-UUID: ${job}\nJob-UUID: ${job}\n\n`);
        void this.run(arg).then((body) => {
          const cmd = firstWord(arg);
          this.emit({
            "Event-Name": "BACKGROUND_JOB",
            "Job-UUID": job,
            "Job-Command": cmd,
            "Job-Command-Arg": arg.slice(cmd.length).trim(),
            "Content-Length": String(Buffer.byteLength(body)),
            _body: body,
          });
        });
        return;
      }
      default:
        this.reply(s, "-ERR command not found");
    }
  }

  private reply(s: Session, text: string): void {
    this.write(s, `Content-Type: command/reply\nReply-Text: ${text}\n\n`);
  }

  private disconnect(s: Session): void {
    const notice = "Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n";
    this.write(
      s,
      `Content-Type: text/disconnect-notice\nContent-Length: ${Buffer.byteLength(notice)}\n\n${notice}`,
    );
    this.flush(s);
    s.socket.end();
    this.sessions.delete(s);
  }

  private write(s: Session, text: string): void {
    s.out.push(text);
    this.stats_.bytesSent += text.length;
    if (s.scheduled) return;
    s.scheduled = true;
    setImmediate(() => this.flush(s));
  }

  private flush(s: Session): void {
    s.scheduled = false;
    if (s.out.length === 0) return;
    const text = s.out.join("");
    s.out = [];
    if (!s.socket.destroyed) s.socket.write(text);
  }
}

function wants(s: Session, name: string, sub: string): boolean {
  if (s.all) return true;
  if (name === "CUSTOM") return s.customAll || s.subclasses.has(sub);
  return s.names.has(name);
}

function firstWord(s: string): string {
  const t = s.trim();
  const i = t.indexOf(" ");
  return (i < 0 ? t : t.slice(0, i)).toLowerCase();
}

/** Splits on blanks, keeping `'…'` and `"…"` together (and dropping the quotes), as FreeSWITCH does. */
export function splitArgs(s: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quote: string | undefined;
  let any = false;
  for (const c of s) {
    if (quote) {
      if (c === quote) quote = undefined;
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      any = true;
    } else if (c === " " || c === "\t") {
      if (cur || any) out.push(cur);
      cur = "";
      any = false;
    } else {
      cur += c;
      any = true;
    }
  }
  if (cur || any) out.push(cur);
  return out;
}

/** `{a=b,c='d e'}rest` -> variables and the rest. */
export function splitVariables(spec: string): { vars: Record<string, string>; rest: string } {
  const vars: Record<string, string> = {};
  if (!spec.startsWith("{")) return { vars, rest: spec };
  let i = 1;
  let quote = false;
  let cur = "";
  const pairs: string[] = [];
  for (; i < spec.length; i++) {
    const c = spec[i] as string;
    if (c === "'") quote = !quote;
    else if (!quote && c === ",") {
      pairs.push(cur);
      cur = "";
    } else if (!quote && c === "}") break;
    else cur += c;
  }
  if (cur) pairs.push(cur);
  for (const p of pairs) {
    const eq = p.indexOf("=");
    if (eq > 0) vars[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return { vars, rest: spec.slice(i + 1) };
}

/** Where a scenario can be paused: as soon as a leg rings, once the call is bridged, once it is parked. */
export function eslPausePoint(
  s: EslScenario,
  at: "ringing" | "answered" | "parked" | number,
): number | undefined {
  if (typeof at === "number") return at;
  const ev = s.events;
  const idx = (pred: (e: EslEvent) => boolean): number => ev.findIndex((e) => pred(e.event));
  let i: number;
  if (at === "ringing") {
    i = idx(
      (e) =>
        eventName(e) === "CHANNEL_CALLSTATE" &&
        str(e, "Channel-Call-State") === "RINGING" &&
        str(e, "Call-Direction") === "outbound",
    );
    return i < 0 ? undefined : i + 1;
  }
  if (at === "answered") {
    i = idx((e) => eventName(e) === "CHANNEL_BRIDGE");
    if (i < 0) return undefined;
    i++;
    while (i < ev.length && eventName((ev[i] as EslTraceEvent).event) === "CALL_UPDATE") i++;
    return i;
  }
  i = idx((e) => eventName(e) === "CUSTOM" && str(e, "Action") === "hold");
  if (i < 0) return undefined;
  i++;
  while (i < ev.length) {
    const n = eventName((ev[i] as EslTraceEvent).event);
    if (n !== "PRESENCE_IN" && n !== "PLAYBACK_START") break;
    i++;
  }
  return i;
}
