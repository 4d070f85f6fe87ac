// A trace-driven ARI server on 127.0.0.1 for tests, demos and load: HTTP + WebSocket, enough of the
// Asterisk REST Interface for Callsight and for ari-client 2.2.0 to connect (it serves the swagger
// 1.1 api-docs of the operations Callsight calls, see ari-swagger.ts). It replays the captured
// `.ari.jsonl` calls with fresh ids at a chosen rate, keeps the live channels, bridges and device
// states so the resync GETs tell the truth, answers the supervisor operations with the events the
// real Asterisk emitted (originate: the spy leg of trace 10a; pickup: trace 09; parked pickup: trace
// 08) or, for what no trace shows (snoop, Stasis bridges, recordings), with the events ARI documents,
// and can drop every WebSocket at once.

import { randomBytes } from "node:crypto";
import http from "node:http";
import type { Duplex } from "node:stream";
import { WebSocket, WebSocketServer } from "ws";
import {
  type AriBridge,
  type AriChannel,
  type AriEvent,
  ariTime,
  formatAriTime,
  isChannel,
} from "../src/pbx/asterisk-ari/types.js";
import { apiDeclaration, resourceListing } from "./ari-swagger.js";
import {
  AriIdAllocator,
  AriRewriter,
  type AriScenario,
  type AriTraceEvent,
  AriTraceLibrary,
  endpointOf,
  freshAriInstance,
} from "./ari-trace.js";
import { CallTraffic, type TrafficHandle, type TrafficOptions } from "./replay-engine.js";

export interface AriServerOptions {
  host?: string;
  port?: number;
  username?: string;
  secret?: string;
  /** Directory with the `.ari.jsonl` traces (default: test/fixtures/asterisk). */
  tracesDir?: string;
  /** Extensions with a PJSIP endpoint (default 1001-1006). */
  extensions?: string[];
  /** Extensions whose endpoint starts offline. */
  unreachable?: string[];
  /** Speed of command event sequences and their tails (1 = as captured, 0.1 = ten times faster). */
  commandTimeScale?: number;
}

export interface AriCallOptions {
  /** Stop the replay before this point (a named point of the scenario or an event index). */
  pauseAt?: "ringing" | "answered" | "parked" | number;
  /** 1 = as captured. */
  timeScale?: number;
}

export interface AriSimCall {
  readonly id: number;
  readonly scenario: string;
  readonly paused: boolean;
  readonly finished: boolean;
  /** Wall-clock ms at which the capture's first event was (re)played: the replay's time origin. */
  readonly origin: number;
  /** The capture's own time of its first event (ms since epoch). */
  readonly capturedAt: number;
  readonly timeScale: number;
  /** The live value of a captured id, channel name or bridge id (the same call seen by another link). */
  rewrite(value: string): string;
  resume(): void;
  /** Live channels of this call. */
  channels(): AriChannel[];
  done: Promise<void>;
}

export interface AriTrafficOptions extends TrafficOptions {
  scenarios?: string[];
  timeScale?: number;
}

export type AriTrafficHandle = TrafficHandle;

export interface AriServerStats {
  sessions: number;
  connects: number;
  authFailures: number;
  eventsEmitted: number;
  messagesSent: number;
  requests: number;
}

/** The plain call scenarios a default traffic mix replays. */
export const ARI_PLAIN_CALL_SCENARIOS = [
  "01-internal-answered",
  "02-internal-cancelled",
  "03-internal-busy",
  "04-outbound-answered",
  "05-inbound-answered",
  "06-hold-unhold",
  "15a-blind-transfer",
];

interface SimChannel {
  ch: AriChannel;
  bridge?: string;
  app?: string;
  instance?: Instance;
  variables: Record<string, string>;
}

interface Step {
  /** ms after the instance's start (unscaled). */
  at: number;
  event: AriEvent;
  rw?: AriRewriter;
  /** Runs instead of emitting an event. */
  run?: () => void;
}

interface Instance {
  id: number;
  scenario: string;
  steps: Step[];
  next: number;
  scale: number;
  /** Wall clock of step time 0. */
  origin: number;
  timer?: NodeJS.Timeout;
  paused: boolean;
  pauseAt?: number;
  finished: boolean;
  done: Promise<void>;
  resolveDone: () => void;
  channels: Set<string>;
  creation: Map<string, string>;
}

interface Client {
  ws: WebSocket;
  app: string;
  subscribeAll: boolean;
}

interface Recording {
  name: string;
  format: string;
  channel: string;
}

interface RequestLog {
  method: string;
  path: string;
  query: Record<string, string>;
  body?: unknown;
}

class HttpFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class AriServer {
  private server?: http.Server;
  private wss?: WebSocketServer;
  private readonly clients = new Set<Client>();
  private readonly library: AriTraceLibrary;
  private readonly alloc = new AriIdAllocator(1_900_000_000);
  private readonly channels = new Map<string, SimChannel>();
  private readonly bridges = new Map<string, AriBridge>();
  private readonly devices = new Map<string, string>();
  private readonly endpointStates = new Map<string, string>();
  private readonly recordings = new Map<string, Recording>();
  /** Parking space -> parked channel id; the last `park:<space>@…` INUSE waits for its parkee. */
  private readonly parked = new Map<string, string>();
  private lastParkSpace?: string;
  /** Callee id -> caller id (from Dial). */
  private readonly dialCaller = new Map<string, string>();
  private readonly instances = new Set<Instance>();
  private readonly traffic = new CallTraffic();
  private instanceSeq = 0;
  private snoopSeq = 0;
  private username: string;
  private secret: string;
  readonly extensions: string[];
  commandTimeScale: number;
  /** How long an originated endpoint rings before it answers (ms, before scaling), or `never`. */
  readonly ringTime = new Map<string, number | "never">();
  /** Every REST request received, in order. */
  readonly requestLog: RequestLog[] = [];
  /** When each WebSocket upgrade arrived (ms), accepted or not. */
  readonly connectTimes: number[] = [];
  /** The URL of each WebSocket upgrade (path and query). */
  readonly upgrades: string[] = [];
  private readonly stats_: AriServerStats = {
    sessions: 0,
    connects: 0,
    authFailures: 0,
    eventsEmitted: 0,
    messagesSent: 0,
    requests: 0,
  };

  constructor(private readonly options: AriServerOptions = {}) {
    this.library = new AriTraceLibrary(options.tracesDir);
    this.username = options.username ?? "callsight";
    this.secret = options.secret ?? "callsight";
    this.extensions = options.extensions ?? ["1001", "1002", "1003", "1004", "1005", "1006"];
    this.commandTimeScale = options.commandTimeScale ?? 1;
    const unreachable = new Set(options.unreachable ?? []);
    for (const ext of this.extensions) {
      this.endpointStates.set(`PJSIP/${ext}`, unreachable.has(ext) ? "offline" : "online");
      this.devices.set(`PJSIP/${ext}`, unreachable.has(ext) ? "UNAVAILABLE" : "NOT_INUSE");
    }
    this.endpointStates.set("PJSIP/carrier", "online");
  }

  get port(): number {
    const addr = this.server?.address();
    return addr && typeof addr === "object" ? addr.port : 0;
  }

  get baseUrl(): string {
    return `http://${this.options.host ?? "127.0.0.1"}:${this.port}`;
  }

  async start(opts: { port?: number; username?: string; secret?: string } = {}): Promise<{ port: number }> {
    if (opts.username !== undefined) this.username = opts.username;
    if (opts.secret !== undefined) this.secret = opts.secret;
    const server = http.createServer((req, res) => {
      this.onRequest(req, res).catch((err: Error) => {
        if (!res.headersSent) this.reply(res, 500, { message: err.message });
      });
    });
    const wss = new WebSocketServer({ noServer: true });
    server.on("upgrade", (req, socket, head) => this.onUpgrade(req, socket, head));
    this.server = server;
    this.wss = wss;
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
    this.traffic.stopAll();
    for (const inst of this.instances) if (inst.timer) clearTimeout(inst.timer);
    this.instances.clear();
    this.dropConnections();
    const server = this.server;
    this.server = undefined;
    this.wss?.close();
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  /** Closes every WebSocket at once (the server keeps listening; calls keep playing). */
  dropConnections(): void {
    for (const c of this.clients) c.ws.terminate();
    this.clients.clear();
  }

  get sessionCount(): number {
    return this.clients.size;
  }

  stats(): AriServerStats {
    return { ...this.stats_, sessions: this.clients.size };
  }

  liveChannels(): AriChannel[] {
    return [...this.channels.values()].map((c) => ({ ...c.ch }));
  }

  liveBridges(): AriBridge[] {
    return [...this.bridges.values()].map((b) => ({ ...b, channels: [...(b.channels ?? [])] }));
  }

  /** Hangs a channel up as if its phone did (Snoop channels on it go too). */
  hangup(id: string, cause = 16, causeText = "Normal Clearing"): boolean {
    if (!this.channels.has(id)) return false;
    this.hangupNow(id, cause, causeText);
    return true;
  }

  /** Forgets a channel without telling anyone (a channel that vanished between two events). */
  vanish(id: string): void {
    const c = this.channels.get(id);
    if (!c) return;
    if (c.instance) this.cut(c.instance);
    this.channels.delete(id);
    for (const b of this.bridges.values()) b.channels = (b.channels ?? []).filter((x) => x !== id);
  }

  /** Writes a raw text message to every WebSocket (malformed input tests). */
  injectRaw(text: string): void {
    for (const c of this.clients) this.send(c, text);
  }

  /** Emits an event as if Asterisk had produced it (timestamp filled in when missing). */
  emitEvent(event: AriEvent): void {
    this.emit(event.timestamp ? event : { ...event, timestamp: formatAriTime(Date.now()) });
  }

  setDnd(ext: string, on: boolean): void {
    this.emit({
      type: "DeviceStateChanged",
      timestamp: formatAriTime(Date.now()),
      device_state: { name: `Custom:DND${ext}`, state: on ? "BUSY" : "NOT_INUSE" },
    });
  }

  setReachable(ext: string, reachable: boolean): void {
    const endpoint = {
      technology: "PJSIP",
      resource: ext,
      state: reachable ? "online" : "offline",
      channel_ids: [],
    };
    this.endpointStates.set(`PJSIP/${ext}`, endpoint.state);
    const timestamp = formatAriTime(Date.now());
    this.emit({
      type: "PeerStatusChange",
      timestamp,
      endpoint,
      peer: { peer_status: reachable ? "Reachable" : "Unreachable" },
    });
    this.emit({
      type: "DeviceStateChanged",
      timestamp,
      device_state: { name: `PJSIP/${ext}`, state: reachable ? "NOT_INUSE" : "UNAVAILABLE" },
    });
  }

  // ---- replayed calls ---------------------------------------------------------------------------

  scenarioNames(): string[] {
    return [...this.library.names];
  }

  /** Replays one captured call with fresh ids, re-timed from now. */
  startCall(scenario: string, opts: AriCallOptions = {}): AriSimCall {
    const s = this.library.scenario(scenario);
    const rw = freshAriInstance(s, this.alloc);
    const steps = s.events.map((e) => ({ at: e.t * 1000, event: e.event, rw }));
    const inst = this.newInstance(s.name, steps, opts.timeScale ?? 1);
    if (opts.pauseAt !== undefined) inst.pauseAt = pausePoint(s, opts.pauseAt);
    this.play(inst);
    const first = s.events[0] ? ariTime(s.events[0].event.timestamp) : undefined;
    return this.handle(inst, rw, first ?? 0);
  }

  /** Pauses a replay again at a named point (or an event index) ahead of it. */
  pause(call: AriSimCall, at: AriCallOptions["pauseAt"]): void {
    const inst = [...this.instances].find((i) => i.id === call.id);
    if (!inst) return;
    inst.pauseAt = pausePoint(this.library.scenario(inst.scenario), at);
    this.play(inst);
  }

  /** Replays many calls at `rate` calls/s with at most `concurrency` at once. */
  startTraffic(opts: AriTrafficOptions): AriTrafficHandle {
    const names = (opts.scenarios ?? ARI_PLAIN_CALL_SCENARIOS).map((n) => this.library.resolve(n));
    return this.traffic.start(opts, (index) =>
      this.startCall(names[index % names.length] as string, { timeScale: opts.timeScale ?? 1 }),
    );
  }

  private handle(inst: Instance, rw: AriRewriter, capturedAt: number): AriSimCall {
    return {
      id: inst.id,
      scenario: inst.scenario,
      get origin() {
        return inst.origin;
      },
      capturedAt,
      timeScale: inst.scale,
      rewrite: (value) => rw.exact.get(value) ?? value,
      get paused() {
        return inst.paused;
      },
      get finished() {
        return inst.finished;
      },
      resume: () => this.resume(inst),
      channels: () =>
        [...inst.channels].flatMap((id) => {
          const c = this.channels.get(id);
          return c ? [{ ...c.ch }] : [];
        }),
      done: inst.done,
    };
  }

  private newInstance(scenario: string, steps: Step[], scale: number): Instance {
    let resolveDone: () => void = () => undefined;
    const done = new Promise<void>((r) => {
      resolveDone = r;
    });
    const inst: Instance = {
      id: ++this.instanceSeq,
      scenario,
      steps,
      next: 0,
      scale,
      origin: Date.now(),
      paused: false,
      finished: false,
      done,
      resolveDone,
      channels: new Set(),
      creation: new Map(),
    };
    this.instances.add(inst);
    return inst;
  }

  private play(inst: Instance): void {
    if (inst.timer) clearTimeout(inst.timer);
    inst.timer = undefined;
    for (;;) {
      if (inst.finished) return;
      if (inst.next >= inst.steps.length) {
        this.finish(inst);
        return;
      }
      if (inst.pauseAt !== undefined && inst.next >= inst.pauseAt) {
        inst.paused = true;
        inst.pauseAt = undefined;
        return;
      }
      if (inst.paused) return;
      const step = inst.steps[inst.next] as Step;
      const due = inst.origin + step.at * inst.scale;
      const wait = due - Date.now();
      if (wait > 1) {
        inst.timer = setTimeout(() => this.play(inst), wait);
        return;
      }
      inst.next++;
      this.fire(inst, step);
    }
  }

  private fire(inst: Instance, step: Step): void {
    if (step.run) {
      step.run();
      return;
    }
    const event = step.rw ? step.rw.apply(step.event) : structuredClone(step.event);
    this.retime(event, inst);
    this.emit(event, inst);
  }

  private resume(inst: Instance): void {
    if (!inst.paused || inst.finished) return;
    inst.paused = false;
    const step = inst.steps[inst.next];
    // Continue from the pause point as if no time had passed in between.
    if (step) inst.origin = Date.now() - step.at * inst.scale;
    this.play(inst);
  }

  private finish(inst: Instance): void {
    if (inst.finished) return;
    inst.finished = true;
    if (inst.timer) clearTimeout(inst.timer);
    this.instances.delete(inst);
    inst.resolveDone();
  }

  /** Drops the rest of a replay (a command takes the call over). */
  private cut(inst: Instance | undefined): void {
    if (!inst || inst.finished) return;
    inst.steps = inst.steps.slice(0, inst.next);
    inst.paused = false;
    this.finish(inst);
  }

  /** Plays steps from now on (a command's event sequence). */
  private playNow(name: string, steps: Step[]): Instance {
    const inst = this.newInstance(name, steps, this.commandTimeScale);
    this.play(inst);
    return inst;
  }

  private retime(event: AriEvent, inst: Instance): void {
    event.timestamp = formatAriTime(Date.now());
    const visit = (v: unknown): void => {
      if (Array.isArray(v)) {
        for (const x of v) visit(x);
        return;
      }
      if (typeof v !== "object" || v === null) return;
      const o = v as Record<string, unknown>;
      if (typeof o.creationtime === "string") {
        const live = typeof o.id === "string" ? this.channels.get(o.id)?.ch.creationtime : undefined;
        let t = live ?? inst.creation.get(o.creationtime);
        if (!t) {
          t = formatAriTime(Date.now());
          inst.creation.set(o.creationtime, t);
        }
        o.creationtime = t;
      }
      for (const k in o) if (k !== "creationtime") visit(o[k]);
    };
    visit(event);
  }

  // ---- emitting and tracking ----------------------------------------------------------------------

  private emit(event: AriEvent, inst?: Instance): void {
    this.stats_.eventsEmitted++;
    this.track(event, inst);
    for (const c of this.clients) {
      if (!c.subscribeAll && !this.concerns(c, event)) continue;
      this.send(c, JSON.stringify({ ...event, asterisk_id: "02:fc:00:00:00:01", application: c.app }));
    }
    if (event.type === "ChannelDestroyed" && isChannel(event.channel)) this.destroySnoopsOf(event.channel.id);
  }

  private concerns(c: Client, e: AriEvent): boolean {
    const ch = isChannel(e.channel) ? this.channels.get(e.channel.id) : undefined;
    return ch?.app === c.app || (e.type === "StasisStart" && e.application === c.app);
  }

  private send(c: Client, text: string): void {
    if (c.ws.readyState !== WebSocket.OPEN) return;
    this.stats_.messagesSent++;
    c.ws.send(text);
  }

  private track(e: AriEvent, inst?: Instance): void {
    const upsert = (ch: unknown): void => {
      if (!isChannel(ch)) return;
      const known = this.channels.get(ch.id);
      if (known) {
        known.ch = { ...ch };
        return;
      }
      if (e.type === "ChannelDestroyed") return;
      this.channels.set(ch.id, { ch: { ...ch }, variables: {}, ...(inst ? { instance: inst } : {}) });
      inst?.channels.add(ch.id);
    };
    for (const key of [
      "channel",
      "caller",
      "peer",
      "transferee",
      "transferer_first_leg",
      "transferer_second_leg",
    ]) {
      if (!(e.type === "ChannelDestroyed" && key === "channel")) upsert(e[key]);
    }
    switch (e.type) {
      case "ChannelDestroyed": {
        if (!isChannel(e.channel)) break;
        const gone = this.channels.get(e.channel.id);
        this.channels.delete(e.channel.id);
        this.dialCaller.delete(e.channel.id);
        if (gone?.bridge) {
          const b = this.bridges.get(gone.bridge);
          if (b) b.channels = (b.channels ?? []).filter((id) => id !== e.channel?.id);
        }
        for (const [space, id] of this.parked) if (id === e.channel.id) this.parked.delete(space);
        for (const [name, r] of this.recordings) if (r.channel === e.channel.id) this.recordings.delete(name);
        break;
      }
      case "Dial": {
        if (isChannel(e.peer) && isChannel(e.caller)) this.dialCaller.set(e.peer.id, e.caller.id);
        break;
      }
      case "BridgeCreated":
        if (e.bridge)
          this.bridges.set(e.bridge.id, { ...e.bridge, channels: [...(e.bridge.channels ?? [])] });
        break;
      case "BridgeDestroyed":
        if (e.bridge) this.bridges.delete(e.bridge.id);
        break;
      case "ChannelEnteredBridge":
      case "ChannelLeftBridge": {
        const b = e.bridge;
        if (!b || !isChannel(e.channel)) break;
        this.bridges.set(b.id, { ...b, channels: [...(b.channels ?? [])] });
        const c = this.channels.get(e.channel.id);
        if (c) {
          if (e.type === "ChannelEnteredBridge") c.bridge = b.id;
          else if (c.bridge === b.id) c.bridge = undefined;
        }
        if (b.bridge_class === "parking") {
          if (e.type === "ChannelEnteredBridge") {
            this.parked.set(this.lastParkSpace ?? String(700 + this.parked.size + 1), e.channel.id);
            this.lastParkSpace = undefined;
          } else {
            for (const [space, id] of this.parked) if (id === e.channel.id) this.parked.delete(space);
          }
        }
        break;
      }
      case "DeviceStateChanged": {
        const d = e.device_state;
        if (!d) break;
        this.devices.set(d.name, d.state);
        if (d.name.startsWith("park:") && d.state === "INUSE")
          this.lastParkSpace = d.name.slice(5).split("@")[0];
        break;
      }
      case "StasisStart":
        if (isChannel(e.channel)) {
          const c = this.channels.get(e.channel.id);
          if (c) c.app = e.application ?? c.app;
        }
        break;
      case "StasisEnd":
        if (isChannel(e.channel)) {
          const c = this.channels.get(e.channel.id);
          if (c) c.app = undefined;
        }
        break;
      default:
    }
  }

  private destroySnoopsOf(target: string): void {
    for (const c of [...this.channels.values()]) {
      if (c.ch.name.startsWith(`Snoop/${target}-`)) this.hangupNow(c.ch.id, 16, "Normal Clearing");
    }
  }

  /** The hang-up sequence ARI reports for a channel Callsight (or a test) hangs up. */
  private hangupNow(id: string, cause: number, causeTxt: string): void {
    const c = this.channels.get(id);
    if (!c) return;
    const now = (): string => formatAriTime(Date.now());
    this.emit({ type: "ChannelHangupRequest", timestamp: now(), cause, soft: true, channel: { ...c.ch } });
    for (const [name, r] of [...this.recordings]) {
      if (r.channel !== id) continue;
      this.recordings.delete(name);
      this.emit({
        type: "RecordingFinished",
        timestamp: now(),
        recording: { name, format: r.format, state: "done", target_uri: `channel:${id}` },
      });
    }
    if (c.bridge) {
      const b = this.bridges.get(c.bridge);
      if (b) {
        const channels = (b.channels ?? []).filter((x) => x !== id);
        this.emit({
          type: "ChannelLeftBridge",
          timestamp: now(),
          bridge: { ...b, channels },
          channel: { ...c.ch },
        });
      }
    }
    if (c.app) this.emit({ type: "StasisEnd", timestamp: now(), channel: { ...c.ch } });
    this.emit({
      type: "ChannelDestroyed",
      timestamp: now(),
      cause,
      cause_txt: causeTxt,
      channel: { ...c.ch },
    });
    if (!c.ch.name.startsWith("Snoop/") && !c.ch.name.startsWith("Local/")) {
      const endpoint = endpointOf(c.ch.name);
      if (
        this.endpointStates.has(endpoint) &&
        ![...this.channels.values()].some((x) => endpointOf(x.ch.name) === endpoint)
      ) {
        this.emit({
          type: "DeviceStateChanged",
          timestamp: now(),
          device_state: { name: endpoint, state: "NOT_INUSE" },
        });
      }
    }
  }

  // ---- WebSocket ----------------------------------------------------------------------------------

  private onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? "/", "http://x");
    this.connectTimes.push(Date.now());
    this.upgrades.push(`${url.pathname}${url.search}`);
    if (url.pathname !== "/ari/events") {
      socket.end("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    if (!this.authorized(req, url)) {
      this.stats_.authFailures++;
      const body = JSON.stringify({ message: "Authentication required" });
      socket.end(
        `HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nWWW-Authenticate: Basic realm="Asterisk REST Interface"\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      return;
    }
    const app = url.searchParams.get("app") ?? "";
    if (!app) {
      const body = JSON.stringify({ message: "Invalid application provided in route." });
      socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      return;
    }
    this.wss?.handleUpgrade(req, socket, head, (ws) => {
      const client: Client = {
        ws,
        app: app.split(",")[0] as string,
        subscribeAll: url.searchParams.get("subscribeAll") === "true",
      };
      this.clients.add(client);
      this.stats_.connects++;
      ws.on("close", () => this.clients.delete(client));
      ws.on("error", () => this.clients.delete(client));
    });
  }

  private authorized(req: http.IncomingMessage, url: URL): boolean {
    const header = req.headers.authorization ?? "";
    if (header.startsWith("Basic ")) {
      const decoded = Buffer.from(header.slice(6), "base64").toString("utf8");
      return decoded === `${this.username}:${this.secret}`;
    }
    const key = url.searchParams.get("api_key");
    return key === `${this.username}:${this.secret}`;
  }

  // ---- REST ---------------------------------------------------------------------------------------

  private reply(res: http.ServerResponse, status: number, body?: unknown): void {
    if (body === undefined) {
      res.writeHead(status);
      res.end();
      return;
    }
    const text = JSON.stringify(body);
    res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
    res.end(text);
  }

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://x");
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    let body: unknown;
    if (raw) {
      try {
        body = JSON.parse(raw);
      } catch {
        this.reply(res, 400, { message: "Invalid JSON body" });
        return;
      }
    }
    this.stats_.requests++;
    const query = Object.fromEntries(url.searchParams);
    const method = req.method ?? "GET";
    this.requestLog.push({ method, path: url.pathname, query, ...(body !== undefined ? { body } : {}) });
    if (this.requestLog.length > 2000) this.requestLog.shift();
    if (!this.authorized(req, url)) {
      this.stats_.authFailures++;
      this.reply(res, 401, { message: "Authentication required" });
      return;
    }
    if (!url.pathname.startsWith("/ari/")) {
      this.reply(res, 404, { message: "Not found" });
      return;
    }
    const path = url.pathname.slice("/ari".length);
    const parts = path.split("/").slice(1).map(decodeURIComponent);
    try {
      const [status, out] = this.route(method, parts, query, body);
      this.reply(res, status, out);
    } catch (err) {
      if (err instanceof HttpFailure) this.reply(res, err.status, { message: err.message });
      else throw err;
    }
  }

  private route(
    method: string,
    parts: string[],
    q: Record<string, string>,
    body: unknown,
  ): [number, unknown?] {
    const [resource, id, action, extra] = parts;
    const key = `${method} ${resource}${id !== undefined ? "/:id" : ""}${action !== undefined ? `/${action}` : ""}${extra !== undefined ? "/:x" : ""}`;
    switch (key) {
      case "GET api-docs/:id": {
        const name = (id ?? "").replace(/\.json$/, "");
        const doc = name === "resources" ? resourceListing(this.baseUrl) : apiDeclaration(name, this.baseUrl);
        if (!doc) throw new HttpFailure(404, "Not found");
        return [200, doc];
      }
      case "GET asterisk/:id":
        if (id === "info")
          return [200, { system: { version: "GIT-master-callsight-sim", entity_id: "02:fc:00:00:00:01" } }];
        throw new HttpFailure(404, "Not found");
      case "GET channels":
        return [200, this.liveChannels()];
      case "GET channels/:id":
        return [200, { ...this.channel(id).ch }];
      case "DELETE channels/:id":
        this.channel(id);
        this.hangupNow(id as string, 16, "Normal Clearing");
        return [204];
      case "POST channels":
        return [200, this.originate(q, body)];
      case "POST channels/:id/snoop":
        return [200, this.snoop(id as string, q)];
      case "POST channels/:id/continue":
        this.continueInDialplan(id as string, q);
        return [204];
      case "POST channels/:id/record":
        return [201, this.record(id as string, q)];
      case "POST channels/:id/play":
        return [201, this.play_(id as string, q)];
      case "GET bridges":
        return [200, this.liveBridges()];
      case "POST bridges":
        return [200, this.createBridge(q)];
      case "DELETE bridges/:id":
        this.destroyBridge(id as string);
        return [204];
      case "POST bridges/:id/addChannel":
        this.addChannel(id as string, q.channel ?? "");
        return [204];
      case "GET endpoints":
        return [
          200,
          [...this.endpointStates].map(([ep, state]) => {
            const [technology, resource] = ep.split("/") as [string, string];
            const channel_ids = [...this.channels.values()]
              .filter((c) => endpointOf(c.ch.name) === ep)
              .map((c) => c.ch.id);
            return { technology, resource, state, channel_ids };
          }),
        ];
      case "GET deviceStates":
        // Only the device states ARI itself controls (Stasis:…), as in Asterisk.
        return [
          200,
          [...this.devices]
            .filter(([n]) => n.startsWith("Stasis:"))
            .map(([name, state]) => ({ name, state })),
        ];
      case "GET deviceStates/:id":
        return [200, { name: id, state: this.devices.get(id as string) ?? "UNKNOWN" }];
      default:
        // POST /recordings/live/{name}/stop
        if (method === "POST" && resource === "recordings" && id === "live" && extra === "stop") {
          this.stopRecording(action as string);
          return [204];
        }
        throw new HttpFailure(404, "Resource not found");
    }
  }

  private channel(id: string | undefined): SimChannel {
    const c = id ? this.channels.get(id) : undefined;
    if (!c) throw new HttpFailure(404, "Channel not found");
    return c;
  }

  private newChannelSnapshot(
    id: string,
    name: string,
    state: string,
    num: string,
    cidName: string,
  ): AriChannel {
    return {
      id,
      name,
      state,
      protocol_id: "",
      caller: { name: cidName, number: num },
      connected: { name: "", number: "" },
      accountcode: "",
      dialplan: { context: "default", exten: "s", priority: 1, app_name: "", app_data: "" },
      creationtime: formatAriTime(Date.now()),
      language: "en",
    };
  }

  // Snoop: a `Snoop/<target>-<n>` channel, Up, put into the app (StasisStart follows).
  private snoop(target: string, q: Record<string, string>): AriChannel {
    this.channel(target);
    const app = q.app ?? "";
    if (!app) throw new HttpFailure(400, "Application name is required");
    const id = q.snoopId || this.alloc.uniqueid();
    if (this.channels.has(id)) throw new HttpFailure(409, "Channel with given unique ID already exists");
    const name = `Snoop/${target}-${(this.snoopSeq++).toString(16).padStart(8, "0")}`;
    const ch = this.newChannelSnapshot(id, name, "Up", "", "");
    ch.dialplan = { context: "default", exten: "s", priority: 1, app_name: "Stasis", app_data: app };
    this.emit({ type: "ChannelCreated", timestamp: formatAriTime(Date.now()), channel: ch });
    const args = (q.appArgs ?? "").split(",").filter((a) => a !== "");
    this.playNow("snoop", [
      {
        at: 5,
        event: { type: "StasisStart", args, channel: ch, application: app },
        run: () => {
          if (!this.channels.has(id)) return;
          this.emit({
            type: "StasisStart",
            timestamp: formatAriTime(Date.now()),
            args,
            channel: { ...ch },
            application: app,
          });
        },
      },
    ]);
    return { ...ch };
  }

  private createBridge(q: Record<string, string>): AriBridge {
    const id = q.bridgeId || this.alloc.bridgeId();
    if (this.bridges.has(id)) throw new HttpFailure(409, "Bridge with given id already exists");
    const b: AriBridge = {
      id,
      technology: "simple_bridge",
      bridge_type: (q.type ?? "mixing").split(",")[0] ?? "mixing",
      bridge_class: "stasis",
      creator: "Stasis",
      name: q.name ?? "",
      channels: [],
      creationtime: formatAriTime(Date.now()),
    };
    this.emit({ type: "BridgeCreated", timestamp: formatAriTime(Date.now()), bridge: b });
    return { ...b };
  }

  private destroyBridge(id: string): void {
    const b = this.bridges.get(id);
    if (!b) throw new HttpFailure(404, "Bridge not found");
    if (b.bridge_class !== "stasis") throw new HttpFailure(409, "Bridge not in Stasis application");
    for (const member of [...(b.channels ?? [])]) {
      const c = this.channels.get(member);
      if (!c) continue;
      const channels = (this.bridges.get(id)?.channels ?? []).filter((x) => x !== member);
      this.emit({
        type: "ChannelLeftBridge",
        timestamp: formatAriTime(Date.now()),
        bridge: { ...b, channels },
        channel: { ...c.ch },
      });
    }
    this.emit({
      type: "BridgeDestroyed",
      timestamp: formatAriTime(Date.now()),
      bridge: { ...b, channels: [] },
    });
  }

  private addChannel(bridgeId: string, channelId: string): void {
    const b = this.bridges.get(bridgeId);
    if (!b) throw new HttpFailure(404, "Bridge not found");
    if (b.bridge_class !== "stasis") throw new HttpFailure(409, "Bridge not in Stasis application");
    const c = this.channels.get(channelId);
    if (!c) throw new HttpFailure(400, "Channel not found");
    if (!c.app) throw new HttpFailure(422, "Channel not in Stasis application");
    const channels = [...(b.channels ?? []).filter((x) => x !== channelId), channelId];
    this.emit({
      type: "ChannelEnteredBridge",
      timestamp: formatAriTime(Date.now()),
      bridge: { ...b, channels },
      channel: { ...c.ch },
    });
  }

  private continueInDialplan(id: string, q: Record<string, string>): void {
    const c = this.channel(id);
    if (!c.app) throw new HttpFailure(409, "Channel not in a Stasis application");
    const now = formatAriTime(Date.now());
    this.emit({ type: "StasisEnd", timestamp: now, channel: { ...c.ch } });
    const ch: AriChannel = {
      ...c.ch,
      dialplan: {
        context: q.context ?? "default",
        exten: q.extension ?? "s",
        priority: Number(q.priority ?? 1),
        app_name: "",
        app_data: "",
      },
    };
    this.emit({
      type: "ChannelDialplan",
      timestamp: now,
      dialplan_app: "Answer",
      dialplan_app_data: "",
      channel: ch,
    });
  }

  private record(id: string, q: Record<string, string>): object {
    const c = this.channel(id);
    if (!c.app) throw new HttpFailure(409, "Channel not in a Stasis application");
    const name = q.name ?? "";
    const format = q.format ?? "";
    if (!name || !format) throw new HttpFailure(400, "Recording name and format are required");
    if (this.recordings.has(name))
      throw new HttpFailure(422, "A recording with the same name already exists on the system");
    this.recordings.set(name, { name, format, channel: id });
    const recording = { name, format, state: "recording", target_uri: `channel:${id}` };
    this.emit({ type: "RecordingStarted", timestamp: formatAriTime(Date.now()), recording });
    return recording;
  }

  private stopRecording(name: string): void {
    const r = this.recordings.get(name);
    if (!r) throw new HttpFailure(404, "Recording not found");
    this.recordings.delete(name);
    this.emit({
      type: "RecordingFinished",
      timestamp: formatAriTime(Date.now()),
      recording: { name, format: r.format, state: "done", target_uri: `channel:${r.channel}` },
    });
  }

  private play_(id: string, q: Record<string, string>): object {
    const c = this.channel(id);
    if (!c.app) throw new HttpFailure(409, "Channel not in a Stasis application");
    const playback = {
      id: randomBytes(8).toString("hex"),
      media_uri: q.media ?? "",
      target_uri: `channel:${id}`,
      language: "en",
      state: "playing",
    };
    this.emit({ type: "PlaybackStarted", timestamp: formatAriTime(Date.now()), playback });
    this.emit({
      type: "PlaybackFinished",
      timestamp: formatAriTime(Date.now()),
      playback: { ...playback, state: "done" },
    });
    return playback;
  }

  // ---- originate ----------------------------------------------------------------------------------

  /**
   * POST /channels: the events of trace 10a's originated spy leg (ChannelCreated Down, Dial, Ringing,
   * Up, Dial ANSWER), then StasisStart (app) or the Callsight dialplan (`pickup`: trace 09's pickup,
   * `parked`: trace 08's retrieval).
   */
  private originate(q: Record<string, string>, body: unknown): AriChannel {
    const endpoint = q.endpoint ?? "";
    if (!endpoint) throw new HttpFailure(400, "Endpoint must be specified");
    if (!this.endpointStates.has(endpoint)) throw new HttpFailure(400, "Allocation failed");
    if (!q.app && !q.extension) throw new HttpFailure(400, "Application or extension must be specified");
    const id = q.channelId || this.alloc.uniqueid();
    if (this.channels.has(id)) throw new HttpFailure(409, "Channel with given unique ID already exists");
    const name = this.alloc.channelName(endpoint);
    const resource = endpoint.slice(endpoint.indexOf("/") + 1);
    const variables =
      typeof body === "object" &&
      body !== null &&
      typeof (body as { variables?: unknown }).variables === "object"
        ? ((body as { variables: Record<string, string> }).variables ?? {})
        : {};
    const tpl = this.originateTemplate();
    const [cidName, cidNum] = parseCallerId(q.callerId, resource);
    const rw = new AriRewriter()
      .set(tpl.id, id)
      .channel(tpl.name, name)
      .set(tpl.endpoint, endpoint)
      .set(tpl.resource, resource)
      .set(tpl.cidNum, cidNum)
      .set(tpl.cidName, cidName);
    const ringFor = this.ringTime.get(endpoint);
    const steps: Step[] = [];
    const shift = typeof ringFor === "number" ? ringFor - tpl.answerAt : 0;
    for (const e of tpl.events) {
      if (e.t * 1000 >= tpl.answerAt && ringFor === "never") continue;
      steps.push({ at: e.t * 1000 >= tpl.answerAt ? e.t * 1000 + shift : e.t * 1000, event: e.event, rw });
    }
    const last = steps.length > 0 ? (steps[steps.length - 1] as Step).at : 0;
    if (ringFor === "never") {
      const timeoutMs = Number(q.timeout ?? 30) * 1000;
      steps.push({
        at: last + timeoutMs,
        event: { type: "noanswer" },
        run: () => this.hangupNow(id, 19, "No Answer"),
      });
    } else {
      steps.push({
        at: last + 2,
        event: { type: "after-answer" },
        run: () => this.afterAnswer(id, q, variables),
      });
    }
    const inst = this.playNow(`originate ${endpoint}`, steps);
    inst.channels.add(id);
    const snapshot = this.newChannelSnapshot(id, name, "Down", cidNum, cidName);
    snapshot.dialplan = {
      context: q.context ?? "default",
      exten: "s",
      priority: 1,
      app_name: "",
      app_data: "",
    };
    const c = this.channels.get(id);
    if (c) c.variables = { ...variables };
    return snapshot;
  }

  private afterAnswer(id: string, q: Record<string, string>, variables: Record<string, string>): void {
    const c = this.channels.get(id);
    if (!c) return;
    if (q.app) {
      const args = (q.appArgs ?? "").split(",").filter((a) => a !== "");
      c.ch = {
        ...c.ch,
        dialplan: { ...c.ch.dialplan, app_name: "Stasis", app_data: [q.app, ...args].join(",") },
      };
      this.emit({
        type: "StasisStart",
        timestamp: formatAriTime(Date.now()),
        args,
        channel: { ...c.ch },
        application: q.app,
      });
      return;
    }
    if (q.extension === "pickup" && this.pickupTail(c, variables.CALLSIGHT_TARGET ?? "")) return;
    if (q.extension === "parked" && this.retrieveTail(c, variables.CALLSIGHT_SPACE ?? "")) return;
    if (q.extension === "takeover" && this.takeOverTail(c, variables.CALLSIGHT_TARGET ?? "")) return;
    // Nothing to pick up / unknown extension: the dialplan application fails and hangs up.
    this.emit({
      type: "ChannelDialplan",
      timestamp: formatAriTime(Date.now()),
      dialplan_app: q.extension === "parked" ? "ParkedCall" : "PickupChan",
      dialplan_app_data: "",
      channel: {
        ...c.ch,
        dialplan: {
          context: q.context ?? "",
          exten: q.extension ?? "",
          priority: 1,
          app_name: "",
          app_data: "",
        },
      },
    });
    this.hangupNow(id, 16, "Normal Clearing");
  }

  private originateCache?: {
    id: string;
    name: string;
    endpoint: string;
    resource: string;
    cidNum: string;
    cidName: string;
    answerAt: number;
    events: AriTraceEvent[];
  };

  /** Trace 10a: the supervisor's phone originated by Asterisk, from ChannelCreated to Dial ANSWER. */
  private originateTemplate(): NonNullable<AriServer["originateCache"]> {
    if (this.originateCache) return this.originateCache;
    const s = this.library.scenario("10a");
    const created = s.events.find(
      (e) =>
        e.event.type === "ChannelCreated" &&
        isChannel(e.event.channel) &&
        e.event.channel.state === "Down" &&
        e.event.channel.name.startsWith("PJSIP/1004"),
    );
    if (!created || !isChannel(created.event.channel)) throw new Error("trace 10a has no originated channel");
    const ch = created.event.channel;
    const endpoint = endpointOf(ch.name);
    const mine = (e: AriEvent): boolean =>
      (isChannel(e.channel) && e.channel.id === ch.id) ||
      (isChannel(e.peer) && e.peer.id === ch.id) ||
      (e.type === "DeviceStateChanged" && e.device_state?.name === endpoint);
    const events: AriTraceEvent[] = [];
    let answerAt = 0;
    for (const e of s.events) {
      if (e.t < created.t || !mine(e.event) || e.event.type === "ChannelVarset") continue;
      events.push({ t: e.t - created.t, event: e.event });
      if (e.event.type === "ChannelStateChange" && e.event.channel?.state === "Up" && !answerAt)
        answerAt = (e.t - created.t) * 1000;
      if (e.event.type === "Dial" && e.event.dialstatus === "ANSWER") break;
    }
    const callerSet = events.find((e) => e.event.type === "ChannelCallerId")?.event.channel?.caller;
    this.originateCache = {
      id: ch.id,
      name: ch.name,
      endpoint,
      resource: endpoint.slice(endpoint.indexOf("/") + 1),
      cidNum: callerSet?.number ?? "",
      cidName: callerSet?.name ?? "",
      answerAt,
      events,
    };
    return this.originateCache;
  }

  /** Trace 09 from the moment the picker's phone is up: the ringing leg is answered elsewhere (26). */
  private pickupTail(picker: SimChannel, targetName: string): boolean {
    const target = [...this.channels.values()].find(
      (c) => c.ch.name === targetName || c.ch.id === targetName,
    );
    const callerId = target ? this.dialCaller.get(target.ch.id) : undefined;
    const caller = callerId ? this.channels.get(callerId) : undefined;
    if (!target || !caller || target.ch.state === "Up") return false;
    return this.joinTail(picker, target, caller, "pickup");
  }

  /**
   * `Bridge(${CALLSIGHT_TARGET})` in the takeover extension: the supervisor's phone (up) is bridged with
   * that channel and its partner, the agent, is hung up — trace 09's tail has that shape (a new phone
   * joins one party, the other party's leg goes away).
   */
  private takeOverTail(supervisor: SimChannel, keptName: string): boolean {
    const kept = [...this.channels.values()].find((c) => c.ch.name === keptName || c.ch.id === keptName);
    if (!kept?.bridge) return false;
    const partners = [...this.channels.values()].filter((c) => c !== kept && c.bridge === kept.bridge);
    const agent = partners.length === 1 ? partners[0] : undefined;
    if (!agent) return false;
    return this.joinTail(supervisor, agent, kept, "take-over");
  }

  /** Trace 09's tail: `picker` is bridged with `caller`; `target` hangs up. */
  private joinTail(picker: SimChannel, target: SimChannel, caller: SimChannel, what: string): boolean {
    const s = this.library.scenario("09");
    const t = rolesOf09(s);
    const rw = freshAriInstance(
      { channels: new Map(), bridges: s.bridges },
      this.alloc,
      new Set(),
      new AriRewriter()
        .set(t.picker.id, picker.ch.id)
        .channel(t.picker.name, picker.ch.name)
        .set(t.target.id, target.ch.id)
        .channel(t.target.name, target.ch.name)
        .set(t.caller.id, caller.ch.id)
        .channel(t.caller.name, caller.ch.name)
        .set(endpointOf(t.picker.name), endpointOf(picker.ch.name))
        .set(endpointOf(t.target.name), endpointOf(target.ch.name))
        .set(endpointOf(t.caller.name), endpointOf(caller.ch.name)),
    );
    this.cut(target.instance);
    this.cut(caller.instance);
    const steps = s.events
      .filter((e) => e.t >= t.from)
      .map((e) => ({ at: (e.t - t.from) * 1000, event: e.event, rw }));
    const inst = this.playNow(what, steps);
    for (const id of [picker.ch.id, target.ch.id, caller.ch.id]) inst.channels.add(id);
    for (const c of [picker, target, caller]) c.instance = inst;
    return true;
  }

  /** Trace 08 from the moment the retriever's phone is up: the parked caller joins it. */
  private retrieveTail(retriever: SimChannel, space: string): boolean {
    const parkeeId = this.parked.get(space);
    const parkee = parkeeId ? this.channels.get(parkeeId) : undefined;
    if (!parkee?.bridge) return false;
    const s = this.library.scenario("08");
    const t = rolesOf08(s);
    const rw = freshAriInstance(
      { channels: new Map(), bridges: new Set([...s.bridges].filter((b) => b !== t.holding)) },
      this.alloc,
      new Set(),
      new AriRewriter()
        .set(t.retriever.id, retriever.ch.id)
        .channel(t.retriever.name, retriever.ch.name)
        .set(t.parkee.id, parkee.ch.id)
        .channel(t.parkee.name, parkee.ch.name)
        .set(t.holding, parkee.bridge)
        .set(`park:${t.space}@parkedcalls`, `park:${space}@parkedcalls`)
        .set(endpointOf(t.retriever.name), endpointOf(retriever.ch.name)),
    );
    this.cut(parkee.instance);
    const steps = s.events
      .filter((e) => e.t >= t.from)
      .map((e) => ({ at: (e.t - t.from) * 1000, event: e.event, rw }));
    const inst = this.playNow("retrieve", steps);
    for (const id of [retriever.ch.id, parkee.ch.id]) inst.channels.add(id);
    for (const c of [retriever, parkee]) c.instance = inst;
    return true;
  }
}

function parseCallerId(callerId: string | undefined, fallback: string): [string, string] {
  if (!callerId) return ["", fallback];
  const m = /^\s*"?([^"<]*?)"?\s*<([^>]*)>\s*$/.exec(callerId);
  if (m) return [m[1] ?? "", m[2] ?? fallback];
  return ["", callerId];
}

interface Role {
  id: string;
  name: string;
}

function roleOf(ch: AriChannel | undefined, what: string): Role {
  if (!ch) throw new Error(`trace has no ${what}`);
  return { id: ch.id, name: ch.name };
}

/** Trace 09: caller (1001), ringing target (1002, destroyed with cause 26), picker (1003, dials *81002). */
function rolesOf09(s: AriScenario): { caller: Role; target: Role; picker: Role; from: number } {
  const pickerCreated = s.events.find(
    (e) => e.event.type === "ChannelCreated" && e.event.channel?.dialplan?.exten?.startsWith("*8"),
  );
  const picker = roleOf(pickerCreated?.event.channel, "picker");
  const up = s.events.find(
    (e) =>
      e.event.type === "ChannelStateChange" &&
      e.event.channel?.id === picker.id &&
      e.event.channel.state === "Up",
  );
  const target = roleOf(
    s.events.find((e) => e.event.type === "ChannelDestroyed" && e.event.cause === 26)?.event.channel,
    "target",
  );
  const dial = s.events.find((e) => e.event.type === "Dial" && isChannel(e.event.caller));
  const caller = roleOf(dial?.event.caller as AriChannel | undefined, "caller");
  if (!up) throw new Error("trace 09: the picker never answers");
  return { caller, target, picker, from: up.t + 1e-6 };
}

/** Trace 08: parkee (the external caller in the holding bridge), retriever (1003, dials 701). */
function rolesOf08(s: AriScenario): {
  parkee: Role;
  retriever: Role;
  holding: string;
  space: string;
  from: number;
} {
  const entered = s.events.find(
    (e) => e.event.type === "ChannelEnteredBridge" && e.event.bridge?.bridge_class === "parking",
  );
  const parkee = roleOf(entered?.event.channel, "parkee");
  const holding = entered?.event.bridge?.id ?? "";
  const space =
    s.events
      .find((e) => e.event.type === "DeviceStateChanged" && e.event.device_state?.name.startsWith("park:"))
      ?.event.device_state?.name.slice(5)
      .split("@")[0] ?? "701";
  const created = s.events.find(
    (e) => e.event.type === "ChannelCreated" && e.event.channel?.dialplan?.exten === space,
  );
  const retriever = roleOf(created?.event.channel, "retriever");
  const up = s.events.find(
    (e) =>
      e.event.type === "ChannelStateChange" &&
      e.event.channel?.id === retriever.id &&
      e.event.channel.state === "Up",
  );
  if (!up) throw new Error("trace 08: the retriever never answers");
  return { parkee, retriever, holding, space, from: up.t + 1e-6 };
}

/** Named pause points of a scenario. */
export function pausePoint(s: AriScenario, at: AriCallOptions["pauseAt"]): number | undefined {
  if (typeof at === "number") return at;
  const events = s.events;
  if (at === "ringing") {
    const i = events.findIndex((e) => e.event.type === "Dial" && e.event.dialstatus === "RINGING");
    return i < 0 ? undefined : i + 1;
  }
  if (at === "answered") {
    let n = 0;
    for (let i = 0; i < events.length; i++) {
      if ((events[i] as AriTraceEvent).event.type === "ChannelEnteredBridge" && ++n === 2) return i + 1;
    }
    return undefined;
  }
  if (at === "parked") {
    const entered = events.findIndex(
      (e) => e.event.type === "ChannelEnteredBridge" && e.event.bridge?.bridge_class === "parking",
    );
    if (entered < 0) return undefined;
    const next = events.findIndex((e, i) => i > entered && e.event.type === "ChannelCreated");
    return next < 0 ? undefined : next;
  }
  return undefined;
}

/** Milliseconds since epoch of an ARI timestamp (re-exported for tests). */
export const ariTimestamp = ariTime;
