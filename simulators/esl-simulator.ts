// A trace-driven FreeSWITCH event socket on 127.0.0.1 for tests, demos and load. It speaks inbound ESL
// as the captured FreeSWITCH did (auth/request, auth, `event json|plain`, api, bgapi + BACKGROUND_JOB,
// the real reply texts and the disconnect notice), replays the captured calls with fresh uuids,
// re-timed, many at once at a chosen rate, keeps the live channels so `show channels/calls as json`,
// `valet_info` and `uuid_getvar` tell the truth, answers the supervisor commands with the event
// sequences the real FreeSWITCH emitted for them (esl-commands.ts) and keeps `db insert` in a map.
//
// This file is the simulator's face and its event stream; its parts are in esl/: the connection
// (connection.ts), the api commands (api.ts, show.ts, call-commands.ts, originate.ts, command-kit.ts)
// and the live state (live-state.ts).

import { randomUUID } from "node:crypto";
import net from "node:net";
import type { EslEvent } from "../src/pbx/freeswitch-esl/frame-parser.js";
import { runApi } from "./esl/api.js";
import { hangupLeg } from "./esl/call-commands.js";
import { CORE_UUID, type EslCore, eslRewriter, splitArgs, splitVariables } from "./esl/command-kit.js";
import { EslConnection } from "./esl/connection.js";
import { EslLiveState } from "./esl/live-state.js";
import { stopSpy } from "./esl/originate.js";
import { eslPausePoint } from "./esl/pause-points.js";
import type {
  EslCallOptions,
  EslChannelView,
  EslSimCall,
  EslSimulatorOptions,
  EslTrafficHandle,
  EslTrafficOptions,
  Instance,
  Step,
} from "./esl/types.js";
import { type EslCommandTemplates, loadEslCommandTemplates } from "./esl-commands.js";
import { EslTraceLibrary, eventName, serializeJsonEvent, serializePlainEvent, str } from "./esl-trace.js";
import { ReplayEngine } from "./replay-engine.js";
import { listen } from "./server-io.js";

export type {
  EslCallOptions,
  EslChannelView,
  EslSimCall,
  EslSimulatorOptions,
  EslTrafficHandle,
  EslTrafficOptions,
};
export { eslPausePoint, splitArgs, splitVariables };

/** Scenarios a default traffic mix replays: plain calls, nothing that needs a command. */
export const PLAIN_ESL_SCENARIOS = [
  "01-internal-answered",
  "02-internal-cancelled",
  "04-outbound-answered",
  "05-inbound-answered",
  "06-hold-unhold",
  "11b-record-session-dialplan",
];

export class EslSimulator {
  private server?: net.Server;
  private readonly sessions = new Set<EslConnection>();
  private readonly library: EslTraceLibrary;
  private templatesCache?: EslCommandTemplates;
  private readonly state: EslLiveState;
  private readonly replays: ReplayEngine<Step, Instance>;
  private readonly core: EslCore;
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
    this.state = new EslLiveState(options.registered ?? this.extensions, (spy) => stopSpy(this.core, spy));
    this.replays = new ReplayEngine<Step, Instance>({
      commandTimeScale: () => this.commandTimeScale,
      deliver: (step, inst) => this.deliver(step, inst),
    });
    this.core = {
      state: this.state,
      replays: this.replays,
      extensions: this.extensions,
      domain: options.domain ?? "127.0.0.1",
      db: this.db,
      templates: () => {
        this.templatesCache ??= loadEslCommandTemplates(this.library);
        return this.templatesCache;
      },
      emit: (event, inst) => this.emit(event, inst),
    };
  }

  get port(): number {
    const addr = this.server?.address();
    return addr && typeof addr === "object" ? addr.port : 0;
  }

  async start(opts: { port?: number; password?: string } = {}): Promise<{ port: number }> {
    if (opts.password !== undefined) this.password = opts.password;
    const server = net.createServer((socket) => this.accept(socket));
    this.server = server;
    await listen(server, opts.port ?? this.options.port ?? 0, this.options.host ?? "127.0.0.1");
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
    return [...this.state.channels.values()].map((c) => this.state.view(c));
  }

  parkedCalls(): { leg: string; lot: string; space: string }[] {
    return [...this.state.parked].map(([key, leg]) => {
      const [lot = "", space = ""] = key.split("/");
      return { leg, lot, space };
    });
  }

  /** Writes raw bytes to every authenticated client (malformed input tests). */
  injectRaw(data: string | Buffer): void {
    for (const s of this.sessions) {
      if (!s.authed) continue;
      s.flush();
      s.socket.write(data);
    }
  }

  /** Emits an event as if FreeSWITCH had produced it. */
  emitEvent(event: EslEvent): void {
    this.emit({ ...event });
  }

  /** A phone registers (sofia::register) or unregisters (sofia::unregister). */
  register(ext: string, registered: boolean, profile = "internal"): void {
    const domain = this.core.domain;
    const existing = this.state.registrations.get(ext);
    const token = existing?.token ?? `${randomUUID()}@127.0.0.1`;
    if (registered) this.state.registrations.set(ext, { token, profile });
    else this.state.registrations.delete(ext);
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
    const domain = this.core.domain;
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

  /** Replays one captured call with fresh uuids. */
  startCall(scenario: string, opts: EslCallOptions = {}): EslSimCall {
    const s = this.library.scenario(scenario);
    const rw = eslRewriter();
    for (const [from, to] of Object.entries(opts.extMap ?? {})) rw.ext(from, to);
    const steps = s.events.map((e) => ({ at: e.t * 1000, event: e.event, rw, overlay: false }));
    const inst = this.replays.create(s.name, steps, opts.timeScale ?? 1);
    if (opts.pauseAt !== undefined) inst.pauseAt = eslPausePoint(s, opts.pauseAt);
    this.replays.play(inst);
    return this.replays.handle(inst, (u) => {
      const c = this.state.channels.get(u);
      return c && this.state.view(c);
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
    return hangupLeg(this.core, uuid, cause);
  }

  /** Runs an api command (also what bgapi runs) and resolves with its reply body. */
  run(commandLine: string): Promise<string> {
    return runApi(this.core, commandLine);
  }

  // ---- the event stream ------------------------------------------------------------------------

  private deliver(step: Step, inst: Instance): void {
    const event = step.rw.rewrite(step.event);
    if (eventName(event) === "BACKGROUND_JOB") {
      // The capture's own job result marks when the originate's result was reported.
      if (inst.job) this.settleJob(inst);
      return;
    }
    if (step.overlay) this.state.overlay(event);
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

  private emit(event: EslEvent, inst?: Instance): void {
    event["Core-UUID"] = CORE_UUID;
    event["Event-Date-Timestamp"] = String(Date.now() * 1000);
    event["Event-Sequence"] = String(++this.eventSeq);
    this.state.track(event, inst);
    this.stats_.eventsEmitted++;
    const name = eventName(event);
    const sub = name === "CUSTOM" ? (str(event, "Event-Subclass") ?? "") : "";
    let json: string | undefined;
    let plain: string | undefined;
    for (const s of this.sessions) {
      if (!s.authed || !s.format || !s.wants(name, sub)) continue;
      let text: string;
      if (s.format === "plain") {
        plain ??= serializePlainEvent(event);
        text = plain;
      } else {
        json ??= serializeJsonEvent(event);
        text = json;
      }
      this.stats_.eventsSent++;
      s.write(text);
    }
  }

  private accept(socket: net.Socket): void {
    const s = new EslConnection(
      socket,
      {
        password: () => this.password,
        authTimes: this.authTimes,
        holdCommands: this.holdCommands,
        commandLog: this.commandLog,
        run: (commandLine) => this.run(commandLine),
        emit: (event) => this.emit(event),
      },
      (chars) => {
        this.stats_.bytesSent += chars;
      },
      (conn) => this.sessions.delete(conn),
    );
    this.sessions.add(s);
    s.greet();
  }
}
