// A trace-driven AMI server on 127.0.0.1 for tests, demos and load. It speaks the protocol as the
// captured Asterisk did (banner, Login, Events, Filter, Ping, Logoff, list actions in the EventList
// format, errors with the real messages), replays the captured calls with fresh ids at a chosen rate,
// keeps the live channels so the list actions tell the truth, and answers the supervisor commands
// with the event sequences the real Asterisk emitted for them (see ami-commands.ts).

import net from "node:net";
import { StringDecoder } from "node:string_decoder";
import type { MonitoringMode } from "../src/domain/directory.js";
import { type CommandTemplates, loadCommandTemplates, mentions, type RoleChannel } from "./ami-commands.js";
import { AmiEventFilter } from "./ami-filter.js";
import {
  collectIds,
  type Fields,
  freshInstance,
  get,
  type IdAllocator,
  Rewriter,
  type Scenario,
  sequentialIds,
  serialize,
  set,
  type TraceEvent,
  TraceLibrary,
} from "./ami-trace.js";
import {
  type TrafficOptions as EngineTrafficOptions,
  type Replay,
  ReplayEngine,
  type ReplayedCall,
  type TrafficHandle,
} from "./replay-engine.js";

export interface AmiSimulatorOptions {
  host?: string;
  port?: number;
  username?: string;
  secret?: string;
  /** Directory with the `.ami.txt` traces (default: test/fixtures/asterisk). */
  tracesDir?: string;
  /** Extensions with a PJSIP endpoint (default 1001-1006). */
  extensions?: string[];
  /** Extensions whose device starts UNAVAILABLE. */
  unreachable?: string[];
  /** Display names per extension (default: the traces' names). */
  names?: Record<string, string>;
  /** Speed of command event sequences and their tails (1 = as captured, 0.1 = ten times faster). */
  commandTimeScale?: number;
  /** Answer `Ping` (turn off to test keep-alive failures). */
  answerPings?: boolean;
  version?: string;
}

export interface CallOptions {
  /** Template extension -> extension, e.g. `{ "1001": "1004" }`. */
  extMap?: Record<string, string>;
  /** Stop the replay before this point (a named point of the scenario or an event index). */
  pauseAt?: "ringing" | "answered" | "parked" | number;
  /** 1 = as captured. */
  timeScale?: number;
}

export interface TrafficOptions extends EngineTrafficOptions {
  /** Scenario names or prefixes (`05`); default: the plain call scenarios. */
  scenarios?: string[];
  timeScale?: number;
  /** Extension remap per started call (index = call number). */
  extMap?: (index: number) => Record<string, string> | undefined;
}

export type { TrafficHandle };

export interface LiveChannelView {
  name: string;
  uniqueid: string;
  linkedid: string;
  state: string;
  stateDesc: string;
  callerNum: string;
  callerName: string;
  bridge: string;
  application: string;
  applicationData: string;
  call?: number;
}

export type SimCall = ReplayedCall<LiveChannelView>;

export interface SimStats {
  sessions: number;
  eventsEmitted: number;
  eventsSent: number;
  eventsFiltered: number;
  bytesSent: number;
  actions: Record<string, number>;
}

/** The scenarios a default traffic mix replays: plain calls, nothing that needs a command. */
export const PLAIN_CALL_SCENARIOS = [
  "01-internal-answered",
  "02-internal-cancelled",
  "03-internal-busy",
  "04-outbound-answered",
  "05-inbound-answered",
  "06-hold-unhold",
  "11b-mixmonitor-dialplan",
  "15a-blind-transfer",
];

const DEFAULT_NAMES: Record<string, string> = {
  "1001": "Alice Sales",
  "1002": "Bob Sales",
  "1003": "Carol Sales",
  "1004": "Dave Support",
  "1005": "Erin Support",
  "1006": "Frank Support",
};

interface SimChannel {
  name: string;
  uid: string;
  linkedid: string;
  state: string;
  stateDesc: string;
  callerNum: string;
  callerName: string;
  connectedNum: string;
  connectedName: string;
  language: string;
  accountCode: string;
  context: string;
  exten: string;
  priority: string;
  application: string;
  appData: string;
  bridge: string;
  createdAt: number;
  instance?: Instance;
  /** MIXMONITOR_FILENAME, once a MixMonitor started on it (Asterisk leaves it set after a stop). */
  mixMonitorFile?: string;
}

interface ParkedEntry {
  parkee: string;
  lot: string;
  space: string;
  parkerDialString: string;
  timeout: number;
  since: number;
}

type Post = (fields: Fields) => Fields | undefined;

interface Step {
  at: number;
  fields: Fields;
  rw: Rewriter;
  post?: Post;
}

type Instance = Replay<Step>;

interface SpySession {
  spyUid: string;
  targetUid: string;
  data: string;
  exitWithTarget: boolean;
  stop: Step[];
  stopped: boolean;
  instance: Instance;
}

interface Session {
  socket: net.Socket;
  decoder: StringDecoder;
  buffer: string;
  loggedIn: boolean;
  events: boolean;
  filter: AmiEventFilter;
  out: string;
  scheduled: boolean;
}

const SNAPSHOT_KEYS = [
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
] as const;

export class AmiSimulator {
  private server?: net.Server;
  private readonly sessions = new Set<Session>();
  private readonly library: TraceLibrary;
  private commandsCache?: CommandTemplates;
  private readonly alloc: IdAllocator = sequentialIds(1);
  private readonly channels = new Map<string, SimChannel>();
  private readonly byName = new Map<string, string>();
  private readonly dialledBy = new Map<string, string>();
  private readonly parked = new Map<string, ParkedEntry>();
  private readonly devices = new Map<string, string>();
  private readonly extStates = new Map<string, { status: string; text: string }>();
  private readonly presence = new Map<string, { status: string; subtype: string; message: string }>();
  private readonly spies = new Map<string, SpySession>();
  private readonly reservedSpaces = new Set<string>();
  private readonly replays: ReplayEngine<Step>;
  private username: string;
  private secret: string;
  readonly extensions: string[];
  private readonly names: Record<string, string>;
  answerPings: boolean;
  commandTimeScale: number;
  /** The last 1,000 actions received (header names lowercased), for assertions. */
  readonly actionLog: { at: number; action: string; headers: Record<string, string> }[] = [];
  /** When each Login arrived (ms), accepted or not. */
  readonly loginTimes: number[] = [];
  /** Actions (lowercase names) received but neither answered nor carried out: a PBX that hangs. */
  readonly holdActions = new Set<string>();
  private readonly stats_: SimStats = {
    sessions: 0,
    eventsEmitted: 0,
    eventsSent: 0,
    eventsFiltered: 0,
    bytesSent: 0,
    actions: {},
  };

  constructor(private readonly options: AmiSimulatorOptions = {}) {
    this.library = new TraceLibrary(options.tracesDir);
    this.username = options.username ?? "callsight";
    this.secret = options.secret ?? "callsight";
    this.extensions = options.extensions ?? ["1001", "1002", "1003", "1004", "1005", "1006"];
    this.names = { ...DEFAULT_NAMES, ...options.names };
    this.answerPings = options.answerPings ?? true;
    this.commandTimeScale = options.commandTimeScale ?? 1;
    this.replays = new ReplayEngine<Step>({
      commandTimeScale: () => this.commandTimeScale,
      deliver: (step, replay) => {
        let fields: Fields | undefined = step.rw.rewrite(step.fields);
        if (step.post) fields = step.post(fields);
        if (fields) this.emit(fields, replay);
      },
    });
    const unreachable = new Set(options.unreachable ?? []);
    for (const ext of this.extensions) {
      this.devices.set(`PJSIP/${ext}`, unreachable.has(ext) ? "UNAVAILABLE" : "NOT_INUSE");
      this.extStates.set(
        ext,
        unreachable.has(ext) ? { status: "4", text: "Unavailable" } : { status: "0", text: "Idle" },
      );
    }
    this.devices.set("PJSIP/carrier", "NOT_INUSE");
  }

  get port(): number {
    const addr = this.server?.address();
    return addr && typeof addr === "object" ? addr.port : 0;
  }

  async start(opts: { port?: number; username?: string; secret?: string } = {}): Promise<{ port: number }> {
    if (opts.username !== undefined) this.username = opts.username;
    if (opts.secret !== undefined) this.secret = opts.secret;
    const server = net.createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(opts.port ?? this.options.port ?? 0, this.options.host ?? "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
    return { port: this.port };
  }

  async stop(): Promise<void> {
    this.replays.stopAll();
    this.dropConnections();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Closes every client connection at once (the server keeps listening). */
  /** The simulated AstDB (`family/key` -> value), written with DBPut / DBDel. */
  readonly astdb = new Map<string, string>();

  dropConnections(): void {
    for (const s of this.sessions) s.socket.destroy();
    this.sessions.clear();
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  stats(): SimStats {
    return { ...this.stats_, sessions: this.sessions.size, actions: { ...this.stats_.actions } };
  }

  liveChannels(): LiveChannelView[] {
    return [...this.channels.values()].map((c) => this.view(c));
  }

  parkedCalls(): { parkee: string; lot: string; space: string }[] {
    return [...this.parked.values()].map((p) => ({ parkee: p.parkee, lot: p.lot, space: p.space }));
  }

  /** Writes raw bytes to every logged-in client (malformed input tests). */
  injectRaw(data: string | Buffer): void {
    for (const s of this.sessions) {
      if (!s.loggedIn) continue;
      this.flush(s);
      s.socket.write(data);
    }
  }

  /** Emits a raw event (fields in order) as if the PBX had produced it. */
  emitEvent(fields: Fields): void {
    this.emit(fields.map(([k, v]) => [k, v] as [string, string]));
  }

  setPresence(ext: string, status: string, subtype = "", message = ""): void {
    this.emit([
      ["Event", "PresenceStateChange"],
      ["Privilege", "call,all"],
      ["Timestamp", ""],
      ["Presentity", `CustomPresence:${ext}`],
      ["Status", status],
      ["Subtype", subtype],
      ["Message", message],
    ]);
    this.emit([
      ["Event", "PresenceStatus"],
      ["Privilege", "call,all"],
      ["Timestamp", ""],
      ["Exten", ext],
      ["Context", "internal"],
      ["Hint", hintOf(ext)],
      ["Status", status],
      ["Subtype", subtype],
      ["Message", message],
    ]);
  }

  setDnd(ext: string, on: boolean): void {
    this.emit([
      ["Event", "DeviceStateChange"],
      ["Privilege", "call,all"],
      ["Timestamp", ""],
      ["Device", `Custom:DND${ext}`],
      ["State", on ? "BUSY" : "NOT_INUSE"],
    ]);
  }

  setReachable(ext: string, reachable: boolean): void {
    this.emit([
      ["Event", "PeerStatus"],
      ["Privilege", "system,all"],
      ["Timestamp", ""],
      ["ChannelType", "PJSIP"],
      ["Peer", `PJSIP/${ext}`],
      ["PeerStatus", reachable ? "Reachable" : "Unreachable"],
    ]);
    this.emit([
      ["Event", "DeviceStateChange"],
      ["Privilege", "call,all"],
      ["Timestamp", ""],
      ["Device", `PJSIP/${ext}`],
      ["State", reachable ? "NOT_INUSE" : "UNAVAILABLE"],
    ]);
  }

  // ---- replayed calls --------------------------------------------------------------------------

  scenarioNames(): string[] {
    return [...this.library.names];
  }

  /** Replays one captured call with fresh ids. */
  startCall(scenario: string, opts: CallOptions = {}): SimCall {
    const s = this.library.scenario(scenario);
    const rw = freshInstance(new Rewriter(), s.ids, this.alloc, opts.extMap ?? {});
    const spaces: string[] = [];
    for (const space of s.ids.parkingSpaces) {
      const next = this.freeSpace(space);
      spaces.push(next);
      this.reservedSpaces.add(next);
      if (next !== space) {
        rw.exact.set(space, next);
        rw.token(`park:${space}@parkedcalls`, `park:${next}@parkedcalls`);
      }
    }
    const steps = s.events.map((e) => ({ at: e.t * 1000, fields: e.fields, rw }));
    const inst = this.replays.create(s.name, steps, opts.timeScale ?? 1);
    if (spaces.length > 0) {
      inst.onFinish = () => {
        for (const sp of spaces) this.reservedSpaces.delete(sp);
      };
    }
    if (opts.pauseAt !== undefined) inst.pauseAt = pausePoint(s, opts.pauseAt);
    this.replays.play(inst);
    return this.replays.handle(inst, (uid) => {
      const c = this.channels.get(uid);
      return c && this.view(c);
    });
  }

  /** Replays many calls at `rate` calls/s with at most `concurrency` at once. */
  startTraffic(opts: TrafficOptions): TrafficHandle {
    const names = (opts.scenarios ?? PLAIN_CALL_SCENARIOS).map((n) => this.library.resolve(n));
    return this.replays.startTraffic(opts, (index) => {
      const extMap = opts.extMap?.(index);
      return this.startCall(names[index % names.length] as string, {
        ...(extMap ? { extMap } : {}),
        timeScale: opts.timeScale ?? 1,
      });
    });
  }

  /** Hangs a channel up as the PBX would (a spy leg ends its ChanSpy session). */
  hangup(channelName: string): boolean {
    const uid = this.byName.get(channelName);
    if (!uid) return false;
    const spy = this.spies.get(uid);
    if (spy) {
      this.stopSpy(spy);
      return true;
    }
    const ch = this.channels.get(uid);
    if (!ch) return false;
    const inst = ch.instance;
    const victims = inst ? [...inst.channels] : [uid];
    const peers = ch.bridge ? this.bridgeMembers(ch.bridge).filter((u) => !victims.includes(u)) : [];
    const steps = this.hangupSteps([...victims, ...peers]);
    if (inst) this.replays.replaceTail(inst, steps, false);
    else this.replays.playNow(steps);
    return true;
  }

  /** A parking space no live or replaying call uses (replays of a parking scenario must not collide). */
  private freeSpace(preferred: string): string {
    const taken = new Set([...this.parked.values()].map((p) => p.space));
    let n = Number.parseInt(preferred, 10);
    if (!Number.isFinite(n)) return preferred;
    while (taken.has(String(n)) || this.reservedSpaces.has(String(n))) n++;
    return String(n);
  }

  // ---- the event stream ------------------------------------------------------------------------

  private emit(fields: Fields, inst?: Instance): void {
    for (const f of fields) {
      if (f[0] === "Timestamp") {
        f[1] = (Date.now() / 1000).toFixed(6);
        break;
      }
    }
    this.track(fields, inst);
    this.stats_.eventsEmitted++;
    const text = serialize(fields);
    for (const s of this.sessions) {
      if (!s.loggedIn || !s.events) continue;
      if (!s.filter.empty && !s.filter.passes(text)) {
        this.stats_.eventsFiltered++;
        continue;
      }
      this.stats_.eventsSent++;
      this.write(s, text);
    }
    this.afterEmit(fields);
  }

  /** Keeps the live state the list actions answer from. */
  private track(fields: Fields, inst?: Instance): void {
    const event = get(fields, "Event");
    switch (event) {
      case "Newchannel": {
        const uid = get(fields, "Uniqueid");
        const name = get(fields, "Channel");
        if (!uid || !name) break;
        const ch: SimChannel = {
          name,
          uid,
          linkedid: uid,
          state: "",
          stateDesc: "",
          callerNum: "",
          callerName: "",
          connectedNum: "",
          connectedName: "",
          language: "en",
          accountCode: "",
          context: "",
          exten: "",
          priority: "1",
          application: "",
          appData: "",
          bridge: "",
          createdAt: Date.now(),
        };
        if (inst) {
          ch.instance = inst;
          inst.channels.add(uid);
        }
        this.channels.set(uid, ch);
        this.byName.set(name, uid);
        break;
      }
      case "Hangup": {
        const uid = get(fields, "Uniqueid");
        const ch = uid ? this.channels.get(uid) : undefined;
        if (!uid || !ch) break;
        this.channels.delete(uid);
        if (this.byName.get(ch.name) === uid) this.byName.delete(ch.name);
        ch.instance?.channels.delete(uid);
        this.dialledBy.delete(uid);
        this.parked.delete(uid);
        return;
      }
      case "VarSet": {
        const ch = this.channels.get(get(fields, "Uniqueid") ?? "");
        if (ch && get(fields, "Variable") === "MIXMONITOR_FILENAME") ch.mixMonitorFile = get(fields, "Value");
        break;
      }
      case "Newexten": {
        const ch = this.channels.get(get(fields, "Uniqueid") ?? "");
        if (ch) {
          ch.application = get(fields, "Application") ?? ch.application;
          ch.appData = get(fields, "AppData") ?? ch.appData;
        }
        break;
      }
      case "DialBegin": {
        const caller = get(fields, "Uniqueid");
        const callee = get(fields, "DestUniqueid");
        if (caller && callee) this.dialledBy.set(callee, caller);
        break;
      }
      case "BridgeEnter": {
        const ch = this.channels.get(get(fields, "Uniqueid") ?? "");
        if (ch) ch.bridge = get(fields, "BridgeUniqueid") ?? "";
        break;
      }
      case "BridgeLeave": {
        const ch = this.channels.get(get(fields, "Uniqueid") ?? "");
        if (ch && ch.bridge === get(fields, "BridgeUniqueid")) ch.bridge = "";
        break;
      }
      case "ParkedCall": {
        const parkee = get(fields, "ParkeeUniqueid");
        if (!parkee) break;
        this.parked.set(parkee, {
          parkee,
          lot: get(fields, "Parkinglot") ?? "default",
          space: get(fields, "ParkingSpace") ?? "",
          parkerDialString: get(fields, "ParkerDialString") ?? "",
          timeout: Number.parseInt(get(fields, "ParkingTimeout") ?? "45", 10) || 45,
          since: Date.now(),
        });
        break;
      }
      case "UnParkedCall":
      case "ParkedCallGiveUp":
      case "ParkedCallTimeOut":
        this.parked.delete(get(fields, "ParkeeUniqueid") ?? "");
        break;
      case "DeviceStateChange": {
        const device = get(fields, "Device");
        if (device) this.devices.set(device, get(fields, "State") ?? "UNKNOWN");
        return;
      }
      case "ExtensionStatus": {
        const exten = get(fields, "Exten");
        if (exten)
          this.extStates.set(exten, {
            status: get(fields, "Status") ?? "0",
            text: get(fields, "StatusText") ?? "",
          });
        return;
      }
      case "PresenceStateChange": {
        const p = get(fields, "Presentity");
        if (p) {
          this.presence.set(p, {
            status: get(fields, "Status") ?? "",
            subtype: get(fields, "Subtype") ?? "",
            message: get(fields, "Message") ?? "",
          });
        }
        return;
      }
      case "ChanSpyStart": {
        const spy = this.spies.get(get(fields, "SpyerUniqueid") ?? "");
        const ch = spy ? this.channels.get(spy.spyUid) : undefined;
        if (spy && ch) {
          ch.application = "ChanSpy";
          ch.appData = spy.data;
        }
        break;
      }
      default:
        break;
    }
    // Every channel snapshot in the frame updates that channel.
    for (const [k] of fields) {
      if (!k.endsWith("Uniqueid") || k.endsWith("BridgeUniqueid")) continue;
      const prefix = k.slice(0, -"Uniqueid".length);
      const ch = this.channels.get(get(fields, k) ?? "");
      if (!ch || get(fields, `${prefix}Channel`) === undefined) continue;
      this.updateSnapshot(ch, fields, prefix);
    }
  }

  private updateSnapshot(ch: SimChannel, fields: Fields, prefix: string): void {
    const v = (key: string): string | undefined => get(fields, `${prefix}${key}`);
    ch.state = v("ChannelState") ?? ch.state;
    ch.stateDesc = v("ChannelStateDesc") ?? ch.stateDesc;
    ch.callerNum = v("CallerIDNum") ?? ch.callerNum;
    ch.callerName = v("CallerIDName") ?? ch.callerName;
    ch.connectedNum = v("ConnectedLineNum") ?? ch.connectedNum;
    ch.connectedName = v("ConnectedLineName") ?? ch.connectedName;
    ch.language = v("Language") ?? ch.language;
    ch.accountCode = v("AccountCode") ?? ch.accountCode;
    ch.context = v("Context") ?? ch.context;
    ch.exten = v("Exten") ?? ch.exten;
    ch.priority = v("Priority") ?? ch.priority;
    ch.linkedid = v("Linkedid") ?? ch.linkedid;
  }

  private afterEmit(fields: Fields): void {
    if (get(fields, "Event") !== "Hangup") return;
    const uid = get(fields, "Uniqueid");
    for (const spy of this.spies.values()) {
      if (spy.targetUid === uid && spy.exitWithTarget) this.stopSpy(spy);
      else if (spy.spyUid === uid) this.spies.delete(spy.spyUid);
    }
  }

  private bridgeMembers(bridge: string): string[] {
    const out: string[] = [];
    for (const c of this.channels.values()) if (c.bridge === bridge) out.push(c.uid);
    return out;
  }

  private view(c: SimChannel): LiveChannelView {
    const v: LiveChannelView = {
      name: c.name,
      uniqueid: c.uid,
      linkedid: c.linkedid,
      state: c.state,
      stateDesc: c.stateDesc,
      callerNum: c.callerNum,
      callerName: c.callerName,
      bridge: c.bridge,
      application: c.application,
      applicationData: c.appData,
    };
    if (c.instance) v.call = c.instance.id;
    return v;
  }

  // ---- sessions and actions --------------------------------------------------------------------

  private accept(socket: net.Socket): void {
    socket.setNoDelay(true);
    const s: Session = {
      socket,
      decoder: new StringDecoder("utf8"),
      buffer: "",
      loggedIn: false,
      events: true,
      filter: new AmiEventFilter(),
      out: "",
      scheduled: false,
    };
    this.sessions.add(s);
    this.stats_.sessions++;
    socket.on("data", (chunk: Buffer) => this.onData(s, chunk));
    socket.on("error", () => undefined);
    socket.on("close", () => this.sessions.delete(s));
    socket.write(`Asterisk Call Manager/${this.options.version ?? "13.0.0"}\r\n`);
  }

  private onData(s: Session, chunk: Buffer): void {
    s.buffer += s.decoder.write(chunk);
    for (;;) {
      const end = s.buffer.indexOf("\r\n\r\n");
      if (end < 0) break;
      const block = s.buffer.slice(0, end);
      s.buffer = s.buffer.slice(end + 4);
      const headers = new Map<string, string>();
      for (const line of block.split("\r\n")) {
        const colon = line.indexOf(":");
        if (colon < 0) continue;
        const key = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        if (!headers.has(key)) headers.set(key, value);
      }
      if (headers.size > 0) this.onAction(s, headers);
    }
    if (s.buffer.length > 1_000_000) s.socket.destroy();
  }

  private respond(s: Session, id: string | undefined, fields: Fields): void {
    const out: Fields = [];
    const response = fields[0];
    if (response) out.push(response);
    if (id !== undefined) out.push(["ActionID", id]);
    for (const f of fields.slice(1)) out.push(f);
    this.write(s, serialize(out));
  }

  private error(s: Session, id: string | undefined, message: string): void {
    this.respond(s, id, [
      ["Response", "Error"],
      ["Message", message],
    ]);
  }

  private success(s: Session, id: string | undefined, message?: string): void {
    this.respond(
      s,
      id,
      message === undefined
        ? [["Response", "Success"]]
        : [
            ["Response", "Success"],
            ["Message", message],
          ],
    );
  }

  private onAction(s: Session, h: Map<string, string>): void {
    const action = (h.get("action") ?? "").toLowerCase();
    const id = h.get("actionid");
    this.stats_.actions[action] = (this.stats_.actions[action] ?? 0) + 1;
    this.actionLog.push({ at: Date.now(), action, headers: Object.fromEntries(h) });
    if (this.actionLog.length > 1000) this.actionLog.shift();
    if (action === "login") this.loginTimes.push(Date.now());
    if (this.holdActions.has(action)) return;
    if (!s.loggedIn && action !== "login" && action !== "logoff" && action !== "challenge") {
      this.error(s, id, "Permission denied");
      return;
    }
    switch (action) {
      case "login":
        this.login(s, id, h);
        return;
      case "logoff":
        this.respond(s, id, [
          ["Response", "Goodbye"],
          ["Message", "Thanks for all the fish."],
        ]);
        this.flush(s);
        s.socket.end();
        return;
      case "ping":
        if (!this.answerPings) return;
        this.respond(s, id, [
          ["Response", "Success"],
          ["Ping", "Pong"],
          ["Timestamp", (Date.now() / 1000).toFixed(6)],
        ]);
        return;
      case "events": {
        const mask = (h.get("eventmask") ?? "on").toLowerCase();
        s.events = mask !== "off";
        this.respond(s, id, [
          ["Response", "Success"],
          ["Events", s.events ? "On" : "Off"],
        ]);
        return;
      }
      case "filter":
        this.filterAction(s, id, h);
        return;
      case "coreshowchannels":
        this.coreShowChannels(s, id);
        return;
      case "status":
        this.status(s, id, h);
        return;
      case "extensionstatelist":
        this.extensionStateList(s, id);
        return;
      case "devicestatelist":
        this.deviceStateList(s, id);
        return;
      case "presencestatelist":
        this.presenceStateList(s, id);
        return;
      case "parkedcalls":
        this.parkedCallsList(s, id);
        return;
      case "originate":
        this.originate(s, id, h);
        return;
      case "redirect":
        this.redirect(s, id, h);
        return;
      case "mixmonitor":
        this.mixMonitor(s, id, h);
        return;
      case "stopmixmonitor":
        this.stopMixMonitor(s, id, h);
        return;
      case "dbput": {
        const family = h.get("family");
        const key = h.get("key");
        if (!family || !key) {
          this.error(s, id, "No family specified");
          return;
        }
        this.astdb.set(`${family}/${key}`, h.get("val") ?? "");
        this.success(s, id, "Updated database successfully");
        return;
      }
      case "dbdel": {
        const k = `${h.get("family") ?? ""}/${h.get("key") ?? ""}`;
        if (!this.astdb.delete(k)) {
          this.error(s, id, "Database entry not found");
          return;
        }
        this.success(s, id, "Key deleted successfully");
        return;
      }
      case "hangup": {
        const name = h.get("channel") ?? "";
        if (!this.hangup(name)) this.error(s, id, "No such channel");
        else this.success(s, id, "Channel Hungup");
        return;
      }
      default:
        this.error(
          s,
          id,
          `Invalid/unknown command: ${h.get("action") ?? ""}. Use Action: ListCommands to show available commands.`,
        );
    }
  }

  private login(s: Session, id: string | undefined, h: Map<string, string>): void {
    if (h.get("username") !== this.username || h.get("secret") !== this.secret) {
      this.error(s, id, "Authentication failed");
      return;
    }
    s.loggedIn = true;
    const mask = (h.get("events") ?? "on").toLowerCase();
    s.events = mask !== "off";
    this.success(s, id, "Authentication accepted");
    if (s.events) {
      this.write(
        s,
        serialize([
          ["Event", "FullyBooted"],
          ["Privilege", "system,all"],
          ["Uptime", "3087"],
          ["LastReload", "3087"],
          ["Status", "Fully Booted"],
        ]),
      );
    }
  }

  private filterAction(s: Session, id: string | undefined, h: Map<string, string>): void {
    const op = (h.get("operation") ?? "add").toLowerCase();
    const filter = h.get("filter");
    if (op !== "add") {
      this.error(s, id, "Unknown operation");
      return;
    }
    if (!filter) {
      this.error(s, id, "Filter Not Added");
      return;
    }
    try {
      s.filter.add(filter);
    } catch {
      this.error(s, id, "Filter Not Added");
      return;
    }
    this.success(s, id, "Success");
  }

  private list(
    s: Session,
    id: string | undefined,
    message: string,
    complete: string,
    items: Fields[],
    extra: Fields = [],
  ): void {
    this.respond(s, id, [
      ["Response", "Success"],
      ["EventList", "start"],
      ["Message", message],
    ]);
    for (const item of items) this.write(s, serialize(item));
    const done: Fields = [["Event", complete]];
    if (id !== undefined) done.push(["ActionID", id]);
    done.push(["EventList", "Complete"], ["ListItems", String(items.length)], ...extra);
    this.write(s, serialize(done));
  }

  private coreShowChannels(s: Session, id: string | undefined): void {
    const items: Fields[] = [];
    for (const c of this.channels.values()) {
      const f: Fields = [["Event", "CoreShowChannel"]];
      if (id !== undefined) f.push(["ActionID", id]);
      f.push(...this.snapshotFields(c, ""));
      f.push(
        ["Application", c.application],
        ["ApplicationData", c.appData],
        ["Duration", hms(Date.now() - c.createdAt)],
        ["BridgeId", c.bridge],
      );
      items.push(f);
    }
    this.list(s, id, "Channels will follow", "CoreShowChannelsComplete", items);
  }

  /** `Status` with `Variables: A,B` answers `Variable: A=<value>` per channel, `(null)` when unset. */
  private status(s: Session, id: string | undefined, h: Map<string, string>): void {
    const variables = (h.get("variables") ?? "")
      .split(",")
      .map((v) => v.trim())
      .filter(Boolean);
    const items: Fields[] = [];
    for (const c of this.channels.values()) {
      const f: Fields = [["Event", "Status"], ...this.snapshotFields(c, "")];
      f.push(["BridgeID", c.bridge], ["Application", c.application], ["Data", c.appData]);
      f.push(["Seconds", String(Math.floor((Date.now() - c.createdAt) / 1000))]);
      for (const v of variables)
        f.push([
          "Variable",
          `${v}=${v === "MIXMONITOR_FILENAME" ? (c.mixMonitorFile ?? "(null)") : "(null)"}`,
        ]);
      if (id !== undefined) f.push(["ActionID", id]);
      items.push(f);
    }
    this.list(s, id, "Channel status will follow", "StatusComplete", items);
  }

  private extensionStateList(s: Session, id: string | undefined): void {
    const items: Fields[] = [];
    for (const [ext, st] of this.extStates) {
      const f: Fields = [["Event", "ExtensionStatus"]];
      if (id !== undefined) f.push(["ActionID", id]);
      f.push(
        ["Exten", ext],
        ["Context", "internal"],
        ["Hint", hintOf(ext)],
        ["Status", st.status],
        ["StatusText", st.text],
      );
      items.push(f);
    }
    this.list(s, id, "Extension Statuses will follow", "ExtensionStateListComplete", items);
  }

  private deviceStateList(s: Session, id: string | undefined): void {
    const items: Fields[] = [];
    for (const [device, state] of this.devices) {
      const f: Fields = [["Event", "DeviceStateChange"]];
      if (id !== undefined) f.push(["ActionID", id]);
      f.push(["Device", device], ["State", state]);
      items.push(f);
    }
    this.list(s, id, "Device State Changes will follow", "DeviceStateListComplete", items);
  }

  private presenceStateList(s: Session, id: string | undefined): void {
    const items: Fields[] = [];
    for (const [presentity, p] of this.presence) {
      const f: Fields = [["Event", "PresenceStateChange"]];
      if (id !== undefined) f.push(["ActionID", id]);
      f.push(
        ["Presentity", presentity],
        ["Status", p.status],
        ["Subtype", p.subtype],
        ["Message", p.message],
      );
      items.push(f);
    }
    this.list(s, id, "Presence State Changes will follow", "PresenceStateListComplete", items);
  }

  private parkedCallsList(s: Session, id: string | undefined): void {
    const items: Fields[] = [];
    for (const p of this.parked.values()) {
      const c = this.channels.get(p.parkee);
      if (!c) continue;
      const elapsed = Math.floor((Date.now() - p.since) / 1000);
      const f: Fields = [["Event", "ParkedCall"], ...this.snapshotFields(c, "Parkee")];
      f.push(
        ["ParkerDialString", p.parkerDialString],
        ["Parkinglot", p.lot],
        ["ParkingSpace", p.space],
        ["ParkingTimeout", String(Math.max(0, p.timeout - elapsed))],
        ["ParkingDuration", String(elapsed)],
      );
      if (id !== undefined) f.push(["ActionID", id]);
      items.push(f);
    }
    this.list(s, id, "Parked calls will follow", "ParkedCallsComplete", items, [
      ["Total", String(items.length)],
    ]);
  }

  private snapshotFields(c: SimChannel, prefix: string): Fields {
    return [
      [`${prefix}Channel`, c.name],
      [`${prefix}ChannelState`, c.state],
      [`${prefix}ChannelStateDesc`, c.stateDesc],
      [`${prefix}CallerIDNum`, c.callerNum],
      [`${prefix}CallerIDName`, c.callerName],
      [`${prefix}ConnectedLineNum`, c.connectedNum],
      [`${prefix}ConnectedLineName`, c.connectedName],
      [`${prefix}Language`, c.language],
      [`${prefix}AccountCode`, c.accountCode],
      [`${prefix}Context`, c.context],
      [`${prefix}Exten`, c.exten],
      [`${prefix}Priority`, c.priority],
      [`${prefix}Uniqueid`, c.uid],
      [`${prefix}Linkedid`, c.linkedid],
    ];
  }

  private write(s: Session, text: string): void {
    s.out += text;
    this.stats_.bytesSent += text.length;
    if (s.scheduled) return;
    s.scheduled = true;
    setImmediate(() => this.flush(s));
  }

  private flush(s: Session): void {
    s.scheduled = false;
    if (s.out.length === 0) return;
    const out = s.out;
    s.out = "";
    if (!s.socket.destroyed) s.socket.write(out);
  }

  // ---- commands --------------------------------------------------------------------------------

  private get commands(): CommandTemplates {
    this.commandsCache ??= loadCommandTemplates(this.library);
    return this.commandsCache;
  }

  private findChannel(prefix: string, exclude?: string): SimChannel | undefined {
    const exact = this.byName.get(prefix);
    if (exact && exact !== exclude) return this.channels.get(exact);
    let fallback: SimChannel | undefined;
    for (const c of this.channels.values()) {
      if (c.uid === exclude || this.spies.has(c.uid) || !c.name.startsWith(prefix)) continue;
      if (c.bridge) return c;
      fallback ??= c;
    }
    return this.channels.get(prefix) ?? fallback;
  }

  private originate(s: Session, id: string | undefined, h: Map<string, string>): void {
    const channel = h.get("channel");
    if (!channel) {
      this.error(s, id, "Channel not specified");
      return;
    }
    const app = h.get("application") ?? "";
    const data = h.get("data") ?? "";
    if (!app) {
      this.error(s, id, "Originate with Exten is not simulated; use Application");
      return;
    }
    this.success(s, id, "Originate successfully queued");
    const ext = channel.startsWith("PJSIP/") ? channel.slice("PJSIP/".length) : "";
    const known = this.extensions.includes(ext) && this.devices.get(channel) !== "UNAVAILABLE";
    const started =
      known &&
      (app.toLowerCase() === "chanspy"
        ? this.startSpy(ext, data, h.get("callerid"), id)
        : app.toLowerCase() === "pickupchan"
          ? this.startPickup(ext, data, id)
          : app.toLowerCase() === "parkedcall"
            ? this.startRetrieve(ext, data, id)
            : app.toLowerCase() === "bridge"
              ? this.startTakeOver(ext, data, id)
              : false);
    if (!started) {
      this.emit([
        ["Event", "OriginateResponse"],
        ["Privilege", "call,all"],
        ["Timestamp", ""],
        ...(id !== undefined ? ([["ActionID", id]] as Fields) : []),
        ["Response", "Failure"],
        ["Channel", channel],
        ["Application", app],
        ["Data", data],
        ["Reason", "0"],
        ["Uniqueid", "<null>"],
        ["CallerIDNum", "<unknown>"],
        ["CallerIDName", "<unknown>"],
      ]);
    }
  }

  /** Substitutes the live snapshot of existing channels into every group that names them. */
  private liveSubstitution(real: ReadonlySet<string>): Post {
    return (fields) => {
      const event = get(fields, "Event");
      if (event === "ExtensionStatus" && !this.extensions.includes(get(fields, "Exten") ?? ""))
        return undefined;
      for (const [k, v] of fields) {
        if (!k.endsWith("Uniqueid") || k.endsWith("BridgeUniqueid") || !real.has(v)) continue;
        const prefix = k.slice(0, -"Uniqueid".length);
        const ch = this.channels.get(v);
        if (!ch || get(fields, `${prefix}Channel`) === undefined) continue;
        const own = prefix === "";
        const keep = new Set<string>();
        if (own && event === "Newstate") keep.add("ChannelState").add("ChannelStateDesc");
        if (own && event === "NewCallerid") keep.add("CallerIDNum").add("CallerIDName");
        if (own && event === "NewConnectedLine") keep.add("ConnectedLineNum").add("ConnectedLineName");
        if (own && event === "Newexten") keep.add("Context").add("Exten").add("Priority");
        const snap = this.snapshotFields(ch, prefix);
        for (let i = 0; i < SNAPSHOT_KEYS.length; i++) {
          const key = SNAPSHOT_KEYS[i] as string;
          if (keep.has(key)) continue;
          const [fk, fv] = snap[i] as [string, string];
          if (get(fields, fk) !== undefined) set(fields, fk, fv);
        }
      }
      return fields;
    };
  }

  private existingRole(rw: Rewriter, tpl: RoleChannel, real: SimChannel): void {
    rw.ids.set(tpl.uid, real.uid);
    rw.linked.set(tpl.linked, real.linkedid);
    rw.token(tpl.base, real.name);
    const endpoint = real.name.includes("-") ? real.name.slice(0, real.name.lastIndexOf("-")) : real.name;
    rw.token(tpl.endpoint, endpoint);
    if (tpl.callerNum && tpl.callerNum !== real.callerNum) rw.exact.set(tpl.callerNum, real.callerNum);
    if (tpl.callerName && tpl.callerName !== real.callerName) rw.exact.set(tpl.callerName, real.callerName);
  }

  /** A channel the command creates on `ext`; returns the extension remap for freshInstance. */
  private newRole(rw: Rewriter, tpl: RoleChannel, ext: string): Record<string, string> {
    const tplExt = tpl.endpoint.slice(tpl.endpoint.indexOf("/") + 1);
    const name = this.names[ext];
    const tplName = DEFAULT_NAMES[tplExt];
    if (name !== undefined) {
      if (tpl.callerName) rw.exact.set(tpl.callerName, name);
      if (tplName) rw.exact.set(tplName, name);
    }
    return { [tplExt]: ext };
  }

  private steps(events: readonly TraceEvent[], rw: Rewriter, post?: Post): Step[] {
    return events.map((e) => ({ at: e.t * 1000, fields: e.fields, rw, ...(post ? { post } : {}) }));
  }

  private compose(...posts: (Post | undefined)[]): Post {
    return (fields) => {
      let f: Fields | undefined = fields;
      for (const p of posts) {
        if (!f) return undefined;
        if (p) f = p(f);
      }
      return f;
    };
  }

  private startSpy(ext: string, data: string, callerId: string | undefined, id?: string): boolean {
    const comma = data.indexOf(",");
    const prefix = comma < 0 ? data : data.slice(0, comma);
    const opts = comma < 0 ? "" : data.slice(comma + 1);
    const mode: MonitoringMode = opts.includes("B") ? "barge" : /[wW]/.test(opts) ? "whisper" : "listen";
    const tpl = this.commands.spy[mode];
    const target = prefix ? this.findChannel(prefix) : undefined;
    const rw = new Rewriter();
    if (target) this.existingRole(rw, tpl.target, target);
    const extMap = this.newRole(rw, tpl.spy, ext);
    const cid = parseCallerId(callerId);
    rw.exact.set(tpl.callerIdNum, cid?.num ?? ext);
    rw.exact.set(tpl.callerIdName, cid?.name ?? this.names[ext] ?? "");
    const skip = new Set(target ? [tpl.target.uid, tpl.target.base, tpl.target.linked] : []);
    freshInstance(rw, collectIds([...tpl.start, ...tpl.stop]), this.alloc, extMap, skip);
    const spyUid = rw.ids.get(tpl.spy.uid) ?? "";
    const real = new Set(target ? [target.uid] : []);
    const fix: Post = (fields) => {
      if (get(fields, "Event") === "OriginateResponse") {
        set(fields, "Data", data);
        if (id !== undefined) fields.splice(3, 0, ["ActionID", id]);
      }
      if (!target && (get(fields, "Event") === "ChanSpyStart" || get(fields, "Event") === "ChanSpyStop"))
        return undefined;
      return fields;
    };
    const post = this.compose(this.liveSubstitution(real), fix);
    const session: SpySession = {
      spyUid,
      targetUid: target?.uid ?? "",
      data,
      exitWithTarget: opts.includes("E"),
      stop: this.steps(tpl.stop, rw, post),
      stopped: false,
      instance: undefined as unknown as Instance,
    };
    this.spies.set(spyUid, session);
    session.instance = this.replays.playNow(this.steps(tpl.start, rw, post), () => {
      if (!target) this.stopSpy(session);
    });
    return true;
  }

  private stopSpy(spy: SpySession): void {
    if (spy.stopped) return;
    spy.stopped = true;
    if (spy.instance.timer) clearTimeout(spy.instance.timer);
    this.replays.finish(spy.instance);
    this.replays.playNow(spy.stop, () => this.spies.delete(spy.spyUid));
  }

  private startPickup(ext: string, data: string, id?: string): boolean {
    const target = this.findChannel(data.split("&")[0] ?? "");
    if (target?.state !== "5") return false;
    const callerUid = this.dialledBy.get(target.uid);
    const caller = callerUid ? this.channels.get(callerUid) : undefined;
    if (!caller) return false;
    const tpl = this.commands.pickup;
    const rw = new Rewriter();
    this.existingRole(rw, tpl.caller, caller);
    this.existingRole(rw, tpl.target, target);
    rw.linked.set(tpl.target.linked, target.linkedid);
    const extMap = this.newRole(rw, tpl.picker, ext);
    const skip = new Set([tpl.caller.uid, tpl.caller.base, tpl.target.uid, tpl.target.base]);
    freshInstance(rw, collectIds([...tpl.part, ...tpl.tail]), this.alloc, extMap, skip);
    const post = this.liveSubstitution(new Set([caller.uid, target.uid]));
    const pickerUid = rw.ids.get(tpl.picker.uid) ?? "";
    const inst =
      caller.instance ?? target.instance ?? this.replays.create("pickup", [], this.commandTimeScale);
    this.orphans(inst, [caller.uid, target.uid]);
    const part = this.steps(tpl.part, rw, post);
    part.push(
      this.originateResponse(rw, pickerUid, `PJSIP/${ext}`, "PickupChan", data, id, tpl.part.at(-1)?.t ?? 0),
    );
    this.replays.replaceTail(inst, part, false, this.steps(tpl.tail, rw, post));
    return true;
  }

  /**
   * Originate into `Bridge(<channel>)` (take over): the phone answers and is bridged with that channel,
   * whose partner is left alone and hung up. Played from trace 09's pickup, which has the same shape: a
   * new phone joins one party of a call and the other party's leg goes away.
   */
  private startTakeOver(ext: string, data: string, id?: string): boolean {
    const kept = this.findChannel(data.split(",")[0] ?? "");
    if (!kept?.bridge) return false;
    const peers = this.bridgeMembers(kept.bridge).filter((u) => u !== kept.uid);
    const agent = peers.length === 1 ? this.channels.get(peers[0] as string) : undefined;
    if (!agent) return false;
    const tpl = this.commands.pickup;
    const rw = new Rewriter();
    this.existingRole(rw, tpl.caller, kept);
    this.existingRole(rw, tpl.target, agent);
    rw.linked.set(tpl.target.linked, agent.linkedid);
    const extMap = this.newRole(rw, tpl.picker, ext);
    const skip = new Set([tpl.caller.uid, tpl.caller.base, tpl.target.uid, tpl.target.base]);
    freshInstance(rw, collectIds([...tpl.part, ...tpl.tail]), this.alloc, extMap, skip);
    const post = this.liveSubstitution(new Set([kept.uid, agent.uid]));
    const supervisorUid = rw.ids.get(tpl.picker.uid) ?? "";
    const inst =
      kept.instance ?? agent.instance ?? this.replays.create("take-over", [], this.commandTimeScale);
    this.orphans(inst, [kept.uid, agent.uid]);
    const part = this.steps(tpl.part, rw, post);
    part.push(
      this.originateResponse(rw, supervisorUid, `PJSIP/${ext}`, "Bridge", data, id, tpl.part.at(-1)?.t ?? 0),
    );
    this.replays.replaceTail(inst, part, false, this.steps(tpl.tail, rw, post));
    return true;
  }

  private startRetrieve(ext: string, data: string, id?: string): boolean {
    const [lot = "default", space = ""] = data.split(",").map((x) => x.trim());
    const entry = [...this.parked.values()].find((p) => p.space === space && (p.lot === lot || !lot));
    const parkee = entry ? this.channels.get(entry.parkee) : undefined;
    if (!entry || !parkee) return false;
    const tpl = this.commands.retrieve;
    const rw = new Rewriter();
    this.existingRole(rw, tpl.parkee, parkee);
    const extMap = this.newRole(rw, tpl.retriever, ext);
    if (parkee.bridge) rw.bridges.set(tpl.parkingBridge, parkee.bridge);
    if (tpl.space !== entry.space) {
      rw.exact.set(tpl.space, entry.space);
      rw.token(`park:${tpl.space}@parkedcalls`, `park:${entry.space}@parkedcalls`);
    }
    const skip = new Set([tpl.parkee.uid, tpl.parkee.base, tpl.parkingBridge]);
    freshInstance(rw, collectIds([...tpl.part, ...tpl.tail]), this.alloc, extMap, skip);
    const live = this.liveSubstitution(new Set([parkee.uid]));
    const post: Post = (fields) => {
      const f = live(fields);
      if (f && get(f, "Parkinglot") !== undefined) set(f, "Parkinglot", entry.lot);
      return f;
    };
    const retrieverUid = rw.ids.get(tpl.retriever.uid) ?? "";
    const inst = parkee.instance ?? this.replays.create("retrieve", [], this.commandTimeScale);
    this.orphans(inst, [parkee.uid]);
    const part = this.steps(tpl.part, rw, post);
    part.push(
      this.originateResponse(
        rw,
        retrieverUid,
        `PJSIP/${ext}`,
        "ParkedCall",
        data,
        id,
        tpl.part.at(-1)?.t ?? 0,
      ),
    );
    this.replays.replaceTail(inst, part, false, this.steps(tpl.tail, rw, post));
    return true;
  }

  private originateResponse(
    rw: Rewriter,
    uid: string,
    endpoint: string,
    app: string,
    data: string,
    id: string | undefined,
    t: number,
  ): Step {
    const channel = [...this.channels.values()].find((c) => c.uid === uid)?.name;
    const fields: Fields = [
      ["Event", "OriginateResponse"],
      ["Privilege", "call,all"],
      ["Timestamp", ""],
      ...(id !== undefined ? ([["ActionID", id]] as Fields) : []),
      ["Response", "Success"],
      ["Channel", channel ?? endpoint],
      ["Application", app],
      ["Data", data],
      ["Reason", "4"],
      ["Uniqueid", uid],
      ["CallerIDNum", endpoint.slice(endpoint.indexOf("/") + 1)],
      ["CallerIDName", this.names[endpoint.slice(endpoint.indexOf("/") + 1)] ?? ""],
    ];
    return {
      at: t * 1000,
      fields,
      rw,
      post: (f) => {
        const ch = this.channels.get(uid);
        if (ch) set(f, "Channel", ch.name);
        return f;
      },
    };
  }

  /** Channels of a call a command leaves without an ending: hung up now. */
  private orphans(inst: Instance, keep: string[]): void {
    const left = [...inst.channels].filter((u) => !keep.includes(u) && !this.spies.has(u));
    if (left.length === 0) return;
    for (const step of this.hangupSteps(left)) {
      const fields = step.rw.rewrite(step.fields);
      this.emit(fields, inst);
    }
  }

  private hangupSteps(uids: string[]): Step[] {
    const rw = new Rewriter();
    const steps: Step[] = [];
    for (const uid of uids) {
      const c = this.channels.get(uid);
      if (!c) continue;
      if (this.spies.has(uid)) continue;
      if (c.bridge) {
        steps.push({
          at: 0,
          rw,
          fields: [
            ["Event", "BridgeLeave"],
            ["Privilege", "call,all"],
            ["Timestamp", ""],
            ["BridgeUniqueid", c.bridge],
            ["BridgeType", "basic"],
            ["BridgeTechnology", "simple_bridge"],
            ["BridgeCreator", "<unknown>"],
            ["BridgeName", "<unknown>"],
            ["BridgeNumChannels", "1"],
            ["BridgeVideoSourceMode", "none"],
            ...this.snapshotFields(c, ""),
          ],
        });
      }
      steps.push({
        at: 0,
        rw,
        fields: [
          ["Event", "Hangup"],
          ["Privilege", "call,all"],
          ["Timestamp", ""],
          ...this.snapshotFields(c, ""),
          ["Cause", "16"],
          ["Cause-txt", "Normal Clearing"],
        ],
      });
    }
    return steps;
  }

  private redirect(s: Session, id: string | undefined, h: Map<string, string>): void {
    const name = h.get("channel") ?? "";
    const uid = this.byName.get(name);
    const x = uid ? this.channels.get(uid) : undefined;
    if (!x) {
      this.error(s, id, `Channel does not exist: ${name}`);
      return;
    }
    const context = h.get("context") ?? "";
    const exten = h.get("exten") ?? "s";
    if (!context) {
      this.error(s, id, "Context not specified");
      return;
    }
    this.success(s, id, "Redirect successful");
    const tpl = this.commands.redirect;
    const peers = x.bridge ? this.bridgeMembers(x.bridge).filter((u) => u !== x.uid) : [];
    const peer = peers.length === 1 ? this.channels.get(peers[0] as string) : undefined;
    const rw = new Rewriter();
    this.existingRole(rw, tpl.redirected, x);
    if (peer) this.existingRole(rw, tpl.peer, peer);
    const skip = new Set([
      tpl.redirected.uid,
      tpl.redirected.base,
      ...(peer ? [tpl.peer.uid, tpl.peer.base] : []),
    ]);
    freshInstance(rw, collectIds([...tpl.part, ...tpl.tail]), this.alloc, {}, skip);
    if (x.bridge) {
      for (const b of collectIds(tpl.part).bridges) rw.bridges.set(b, x.bridge);
    }
    const live = this.liveSubstitution(new Set([x.uid, ...(peer ? [peer.uid] : [])]));
    const freshPeer = {
      uid: rw.ids.get(tpl.peer.uid) ?? tpl.peer.uid,
      base: rw.tokens.get(tpl.peer.base) ?? tpl.peer.base,
    };
    const post: Post = (fields) => {
      if (!peer && mentions(fields, freshPeer)) return undefined;
      if (!x.bridge && (get(fields, "Event") === "BridgeLeave" || get(fields, "Event") === "BridgeDestroy"))
        return undefined;
      const f = live(fields);
      if (
        f &&
        get(f, "Event") === "Newexten" &&
        get(f, "Uniqueid") === x.uid &&
        get(f, "Context") === tpl.context
      ) {
        set(f, "Context", context);
        if (get(f, "Exten") === "s") set(f, "Exten", exten);
        if (get(f, "Extension") === "s") set(f, "Extension", exten);
      }
      return f;
    };
    // The template's peer events name the template channel: keep those only when a real peer exists.
    const inst = x.instance ?? this.replays.create("redirect", [], this.commandTimeScale);
    this.orphans(inst, [x.uid, ...(peer ? [peer.uid] : [])]);
    this.replays.replaceTail(inst, this.steps(tpl.part, rw, post), false, this.steps(tpl.tail, rw, post));
  }

  private mixMonitor(s: Session, id: string | undefined, h: Map<string, string>): void {
    const uid = this.byName.get(h.get("channel") ?? "");
    const ch = uid ? this.channels.get(uid) : undefined;
    if (!ch) {
      this.error(s, id, "No such channel");
      return;
    }
    const file = h.get("file") ?? `${ch.uid}.wav`;
    const path = file.startsWith("/") ? file : `/var/spool/asterisk/monitor/${file}`;
    this.respond(s, id, [["Response", "Success"]]);
    const tpl = this.commands.mixMonitor;
    const rw = new Rewriter();
    this.existingRole(rw, tpl.channel, ch);
    const live = this.liveSubstitution(new Set([ch.uid]));
    const post: Post = (fields) => {
      const f = live(fields);
      if (f && get(f, "Variable") === "MIXMONITOR_FILENAME") set(f, "Value", path);
      return f;
    };
    this.replays.playNow(this.steps(tpl.start, rw, post));
  }

  private stopMixMonitor(s: Session, id: string | undefined, h: Map<string, string>): void {
    const uid = this.byName.get(h.get("channel") ?? "");
    const ch = uid ? this.channels.get(uid) : undefined;
    if (!ch) {
      this.error(s, id, "No such channel");
      return;
    }
    this.respond(s, id, [["Response", "Success"]]);
    const tpl = this.commands.mixMonitor;
    const rw = new Rewriter();
    this.existingRole(rw, tpl.channel, ch);
    this.replays.playNow(this.steps(tpl.stop, rw, this.liveSubstitution(new Set([ch.uid]))));
  }
}

/** Named pause points of a scenario (see CallOptions.pauseAt). */
export function pausePoint(s: Scenario, at: CallOptions["pauseAt"]): number | undefined {
  if (typeof at === "number") return at;
  const events = s.events;
  const ev = (i: number): string => get((events[i] as TraceEvent).fields, "Event") ?? "";
  if (at === "ringing") {
    for (let i = 0; i < events.length; i++) {
      if (ev(i) === "Newstate" && get((events[i] as TraceEvent).fields, "ChannelStateDesc") === "Up")
        return i;
    }
    return undefined;
  }
  if (at === "parked") {
    let parked = false;
    for (let i = 0; i < events.length; i++) {
      if (ev(i) === "ParkedCall") parked = true;
      else if (parked && ev(i) === "Newchannel") return i;
    }
    return undefined;
  }
  if (at === "answered") {
    const entered = new Map<string, number>();
    let bridged = false;
    for (let i = 0; i < events.length; i++) {
      const e = ev(i);
      if (e === "BridgeEnter") {
        const b = get((events[i] as TraceEvent).fields, "BridgeUniqueid") ?? "";
        const n = (entered.get(b) ?? 0) + 1;
        entered.set(b, n);
        if (n >= 2) bridged = true;
        continue;
      }
      if (bridged && !SETTLING.has(e)) return i;
    }
  }
  return undefined;
}

/** Events that follow an answer before anything happens to the call. */
const SETTLING = new Set([
  "VarSet",
  "NewConnectedLine",
  "NewCallerid",
  "RTCPSent",
  "RTCPReceived",
  "Newexten",
  "DeviceStateChange",
  "ExtensionStatus",
  "Newstate",
  "MusicOnHoldStop",
]);

function hintOf(ext: string): string {
  return `PJSIP/${ext}&Custom:DND${ext},CustomPresence:${ext}`;
}

function hms(ms: number): string {
  const s = Math.floor(ms / 1000);
  const pad = (n: number): string => String(n).padStart(2, "0");
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}`;
}

function parseCallerId(cid: string | undefined): { name: string; num: string } | undefined {
  if (!cid) return undefined;
  const m = /^\s*"?([^"<]*?)"?\s*<([^>]*)>\s*$/.exec(cid);
  if (m) return { name: m[1] ?? "", num: m[2] ?? "" };
  return { name: "", num: cid.trim() };
}
