// A trace-driven AMI server on 127.0.0.1 for tests, demos and load. It speaks the protocol as the
// captured Asterisk did (banner, Login, Events, Filter, Ping, Logoff, list actions in the EventList
// format, errors with the real messages), replays the captured calls with fresh ids at a chosen rate,
// keeps the live channels so the list actions tell the truth, and answers the supervisor commands
// with the event sequences the real Asterisk emitted for them (see ami-commands.ts).
//
// This file is the simulator's face and its event stream; its parts are in ami/: the connection and
// the actions (connection.ts, actions.ts, list-actions.ts), the live state (live-state.ts), the
// commands (command-kit.ts, originate.ts, spy.ts, channel-commands.ts) and the made-up events
// (events.ts).

import net from "node:net";
import { AmiActions } from "./ami/actions.js";
import { hangupChannel } from "./ami/channel-commands.js";
import type { AmiCore } from "./ami/command-kit.js";
import { AmiConnection } from "./ami/connection.js";
import { dndEvent, presenceEvents, reachabilityEvents } from "./ami/events.js";
import { AmiLiveState } from "./ami/live-state.js";
import { pausePoint } from "./ami/pause-points.js";
import { spiesAfterHangup } from "./ami/spy.js";
import {
  type AmiSimulatorOptions,
  type CallOptions,
  DEFAULT_NAMES,
  type Instance,
  type LiveChannelView,
  type SimCall,
  type SimStats,
  type Step,
  type TrafficOptions,
} from "./ami/types.js";
import { type CommandTemplates, loadCommandTemplates } from "./ami-commands.js";
import {
  type Fields,
  freshInstance,
  get,
  Rewriter,
  sequentialIds,
  serialize,
  TraceLibrary,
} from "./ami-trace.js";
import { ReplayEngine, type TrafficHandle } from "./replay-engine.js";
import { listen } from "./server-io.js";

export type {
  AmiSimulatorOptions,
  CallOptions,
  LiveChannelView,
  SimCall,
  SimStats,
  TrafficHandle,
  TrafficOptions,
};
export { pausePoint };

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

export class AmiSimulator {
  private server?: net.Server;
  private readonly sessions = new Set<AmiConnection>();
  private readonly library: TraceLibrary;
  private commandsCache?: CommandTemplates;
  private readonly state: AmiLiveState;
  private readonly replays: ReplayEngine<Step>;
  private readonly core: AmiCore;
  private readonly actions: AmiActions;
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
  /** The simulated AstDB (`family/key` -> value), written with DBPut / DBDel. */
  readonly astdb = new Map<string, string>();
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
    this.state = new AmiLiveState(this.extensions, new Set(options.unreachable ?? []));
    this.core = {
      state: this.state,
      replays: this.replays,
      alloc: sequentialIds(1),
      names: this.names,
      extensions: this.extensions,
      commandTimeScale: () => this.commandTimeScale,
      templates: () => {
        this.commandsCache ??= loadCommandTemplates(this.library);
        return this.commandsCache;
      },
      scenario: (name) => this.library.scenario(name),
      emit: (fields, inst) => this.emit(fields, inst),
    };
    this.actions = new AmiActions({
      core: this.core,
      credentials: () => ({ username: this.username, secret: this.secret }),
      answerPings: () => this.answerPings,
      counters: this.stats_,
      actionLog: this.actionLog,
      loginTimes: this.loginTimes,
      holdActions: this.holdActions,
      astdb: this.astdb,
    });
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
    await listen(server, opts.port ?? this.options.port ?? 0, this.options.host ?? "127.0.0.1");
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
    return [...this.state.channels.values()].map((c) => this.state.view(c));
  }

  parkedCalls(): { parkee: string; lot: string; space: string }[] {
    return [...this.state.parked.values()].map((p) => ({ parkee: p.parkee, lot: p.lot, space: p.space }));
  }

  /** Writes raw bytes to every logged-in client (malformed input tests). */
  injectRaw(data: string | Buffer): void {
    for (const s of this.sessions) {
      if (!s.loggedIn) continue;
      s.flush();
      s.socket.write(data);
    }
  }

  /** Emits a raw event (fields in order) as if the PBX had produced it. */
  emitEvent(fields: Fields): void {
    this.emit(fields.map(([k, v]) => [k, v] as [string, string]));
  }

  setPresence(ext: string, status: string, subtype = "", message = ""): void {
    for (const e of presenceEvents(ext, status, subtype, message)) this.emit(e);
  }

  /** A member joins a queue the way FreePBX adds one: `Local/<ext>@from-queue/n`, its hint the state interface. */
  addQueueMember(queue: string, ext: string, name = `Member ${ext}`): void {
    this.emit([
      ["Event", "QueueMemberAdded"],
      ["Privilege", "agent,all"],
      ["Timestamp", (Date.now() / 1000).toFixed(6)],
      ["Queue", queue],
      ["MemberName", name],
      ["Interface", `Local/${ext}@from-queue/n`],
      ["StateInterface", `hint:${ext}@ext-local`],
      ["Membership", "dynamic"],
      ["Penalty", "0"],
      ["Paused", "0"],
      ["PausedReason", ""],
    ]);
  }

  setDnd(ext: string, on: boolean): void {
    this.emit(dndEvent(ext, on));
  }

  setReachable(ext: string, reachable: boolean): void {
    for (const e of reachabilityEvents(ext, reachable)) this.emit(e);
  }

  // ---- replayed calls --------------------------------------------------------------------------

  scenarioNames(): string[] {
    return [...this.library.names];
  }

  /** Replays one captured call with fresh ids. */
  startCall(scenario: string, opts: CallOptions = {}): SimCall {
    const s = this.library.scenario(scenario);
    const rw = freshInstance(new Rewriter(), s.ids, this.core.alloc, opts.extMap ?? {});
    const spaces: string[] = [];
    for (const space of s.ids.parkingSpaces) {
      const next = this.state.freeSpace(space);
      spaces.push(next);
      this.state.reservedSpaces.add(next);
      if (next !== space) {
        rw.exact.set(space, next);
        rw.token(`park:${space}@parkedcalls`, `park:${next}@parkedcalls`);
      }
    }
    const steps = s.events.map((e) => ({ at: e.t * 1000, fields: e.fields, rw }));
    const inst = this.replays.create(s.name, steps, opts.timeScale ?? 1);
    if (spaces.length > 0) {
      inst.onFinish = () => {
        for (const sp of spaces) this.state.reservedSpaces.delete(sp);
      };
    }
    if (opts.pauseAt !== undefined) inst.pauseAt = pausePoint(s, opts.pauseAt);
    this.replays.play(inst);
    return this.replays.handle(inst, (uid) => {
      const c = this.state.channels.get(uid);
      return c && this.state.view(c);
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
    return hangupChannel(this.core, channelName);
  }

  // ---- the event stream ------------------------------------------------------------------------

  private emit(fields: Fields, inst?: Instance): void {
    for (const f of fields) {
      if (f[0] === "Timestamp") {
        f[1] = (Date.now() / 1000).toFixed(6);
        break;
      }
    }
    this.state.track(fields, inst);
    this.stats_.eventsEmitted++;
    const text = serialize(fields);
    for (const s of this.sessions) {
      if (!s.loggedIn || !s.events) continue;
      if (!s.filter.empty && !s.filter.passes(text)) {
        this.stats_.eventsFiltered++;
        continue;
      }
      this.stats_.eventsSent++;
      s.write(text);
    }
    if (get(fields, "Event") === "Hangup") spiesAfterHangup(this.core, get(fields, "Uniqueid"));
  }

  private accept(socket: net.Socket): void {
    socket.setNoDelay(true);
    const s = new AmiConnection(
      socket,
      (chars) => {
        this.stats_.bytesSent += chars;
      },
      (conn, headers) => this.actions.handle(conn, headers),
    );
    this.sessions.add(s);
    this.stats_.sessions++;
    socket.on("close", () => this.sessions.delete(s));
    socket.write(`Asterisk Call Manager/${this.options.version ?? "13.0.0"}\r\n`);
  }
}
