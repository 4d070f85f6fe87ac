// A trace-driven ARI server on 127.0.0.1 for tests, demos and load: HTTP + WebSocket, enough of the
// Asterisk REST Interface for Callsight and for ari-client 2.2.0 to connect (it serves the swagger
// 1.1 api-docs of the operations Callsight calls, see ari-swagger.ts). It replays the captured
// `.ari.jsonl` calls with fresh ids at a chosen rate, keeps the live channels, bridges and device
// states so the resync GETs tell the truth, answers the supervisor operations with the events the
// real Asterisk emitted (originate: the spy leg of trace 10a; pickup: trace 09; parked pickup: trace
// 08) or, for what no trace shows (snoop, Stasis bridges, recordings), with the events ARI documents,
// and can drop every WebSocket at once.
//
// This file is the server's face; its parts are in ari/: HTTP and the WebSocket upgrade (http.ts),
// the routes (rest.ts), the operations (originate.ts, join-tails.ts, stasis.ts), the event stream
// (event-stream.ts), the live state (live-state.ts) and the replays (player.ts).

import http from "node:http";
import { WebSocketServer } from "ws";
import {
  type AriBridge,
  type AriChannel,
  type AriEvent,
  ariTime,
  formatAriTime,
} from "../src/pbx/asterisk-ari/types.js";
import type { AriCore } from "./ari/core.js";
import { AriEventStream } from "./ari/event-stream.js";
import { reply, upgrade } from "./ari/http.js";
import { AriLiveState } from "./ari/live-state.js";
import { loadOriginateTemplate, type OriginateTemplate } from "./ari/originate.js";
import { pausePoint } from "./ari/pause-points.js";
import { AriPlayer } from "./ari/player.js";
import { handleRequest } from "./ari/rest.js";
import type {
  AriCallOptions,
  AriServerOptions,
  AriServerStats,
  AriSimCall,
  AriTrafficHandle,
  AriTrafficOptions,
  RequestLog,
} from "./ari/types.js";
import { AriIdAllocator, AriTraceLibrary, freshAriInstance } from "./ari-trace.js";
import { CallTraffic } from "./replay-engine.js";
import { listen } from "./server-io.js";

export type {
  AriCallOptions,
  AriServerOptions,
  AriServerStats,
  AriSimCall,
  AriTrafficHandle,
  AriTrafficOptions,
};
export { pausePoint };

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

export class AriServer {
  private server?: http.Server;
  private wss?: WebSocketServer;
  private readonly library: AriTraceLibrary;
  private readonly alloc = new AriIdAllocator(1_900_000_000);
  private readonly state: AriLiveState;
  private readonly events: AriEventStream;
  private readonly player: AriPlayer;
  private readonly core: AriCore;
  private readonly traffic = new CallTraffic();
  private originateCache?: OriginateTemplate;
  private username: string;
  private secret: string;
  private channelListGate?: Promise<void>;
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
    this.state = new AriLiveState(this.extensions, new Set(options.unreachable ?? []));
    this.events = new AriEventStream(this.state, this.stats_);
    this.player = new AriPlayer({
      commandTimeScale: () => this.commandTimeScale,
      fire: (inst, step) => this.events.fire(inst, step),
    });
    this.core = {
      state: this.state,
      player: this.player,
      events: this.events,
      alloc: this.alloc,
      library: this.library,
      ringTime: this.ringTime,
      originateTemplate: () => {
        this.originateCache ??= loadOriginateTemplate(this.library);
        return this.originateCache;
      },
    };
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
    const credentials = () => ({ username: this.username, secret: this.secret });
    const rest = {
      core: this.core,
      stats: this.stats_,
      requestLog: this.requestLog,
      credentials,
      baseUrl: () => this.baseUrl,
      channelListGate: () => this.channelListGate,
    };
    const server = http.createServer((req, res) => {
      handleRequest(rest, req, res).catch((err: Error) => {
        if (!res.headersSent) reply(res, 500, { message: err.message });
      });
    });
    const wss = new WebSocketServer({ noServer: true });
    const ws = {
      wss,
      clients: this.events.clients,
      credentials,
      stats: this.stats_,
      connectTimes: this.connectTimes,
      upgrades: this.upgrades,
    };
    server.on("upgrade", (req, socket, head) => upgrade(ws, req, socket, head));
    this.server = server;
    this.wss = wss;
    await listen(server, opts.port ?? this.options.port ?? 0, this.options.host ?? "127.0.0.1");
    return { port: this.port };
  }

  async stop(): Promise<void> {
    this.traffic.stopAll();
    this.player.stopAll();
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
  /**
   * Holds every `GET /channels` (the first request of a client's resync) until the returned function is
   * called: a test can make something happen while a resync is under way.
   */
  holdChannelList(): () => void {
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => {
      release = () => {
        if (this.channelListGate === gate) this.channelListGate = undefined;
        resolve();
      };
    });
    this.channelListGate = gate;
    return release;
  }

  dropConnections(): void {
    for (const c of this.events.clients) c.ws.terminate();
    this.events.clients.clear();
  }

  get sessionCount(): number {
    return this.events.clients.size;
  }

  stats(): AriServerStats {
    return { ...this.stats_, sessions: this.events.clients.size };
  }

  liveChannels(): AriChannel[] {
    return this.state.channelSnapshots();
  }

  liveBridges(): AriBridge[] {
    return this.state.bridgeSnapshots();
  }

  /** Hangs a channel up as if its phone did (Snoop channels on it go too). */
  hangup(id: string, cause = 16, causeText = "Normal Clearing"): boolean {
    if (!this.state.channels.has(id)) return false;
    this.events.hangupNow(id, cause, causeText);
    return true;
  }

  /** Forgets a channel without telling anyone (a channel that vanished between two events). */
  vanish(id: string): void {
    const c = this.state.channels.get(id);
    if (!c) return;
    if (c.instance) this.player.cut(c.instance);
    this.state.channels.delete(id);
    for (const b of this.state.bridges.values()) b.channels = (b.channels ?? []).filter((x) => x !== id);
  }

  /** Writes a raw text message to every WebSocket (malformed input tests). */
  injectRaw(text: string): void {
    for (const c of this.events.clients) this.events.send(c, text);
  }

  /** Emits an event as if Asterisk had produced it (timestamp filled in when missing). */
  emitEvent(event: AriEvent): void {
    this.events.emit(event.timestamp ? event : { ...event, timestamp: formatAriTime(Date.now()) });
  }

  setDnd(ext: string, on: boolean): void {
    this.events.emit({
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
    this.state.endpointStates.set(`PJSIP/${ext}`, endpoint.state);
    const timestamp = formatAriTime(Date.now());
    this.events.emit({
      type: "PeerStatusChange",
      timestamp,
      endpoint,
      peer: { peer_status: reachable ? "Reachable" : "Unreachable" },
    });
    this.events.emit({
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
    const inst = this.player.create(s.name, steps, opts.timeScale ?? 1);
    if (opts.pauseAt !== undefined) inst.pauseAt = pausePoint(s, opts.pauseAt);
    this.player.play(inst);
    const first = s.events[0] ? ariTime(s.events[0].event.timestamp) : undefined;
    return this.player.handle(inst, rw, first ?? 0, (id) => this.state.channels.get(id)?.ch);
  }

  /** Pauses a replay again at a named point (or an event index) ahead of it. */
  pause(call: AriSimCall, at: AriCallOptions["pauseAt"]): void {
    const inst = this.player.find(call.id);
    if (!inst) return;
    inst.pauseAt = pausePoint(this.library.scenario(inst.scenario), at);
    this.player.play(inst);
  }

  /** Replays many calls at `rate` calls/s with at most `concurrency` at once. */
  startTraffic(opts: AriTrafficOptions): AriTrafficHandle {
    const names = (opts.scenarios ?? ARI_PLAIN_CALL_SCENARIOS).map((n) => this.library.resolve(n));
    return this.traffic.start(opts, (index) =>
      this.startCall(names[index % names.length] as string, { timeScale: opts.timeScale ?? 1 }),
    );
  }
}

/** Milliseconds since epoch of an ARI timestamp (re-exported for tests). */
export const ariTimestamp = ariTime;
