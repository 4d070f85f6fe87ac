// The AMI actions the simulator answers, with the real Asterisk's replies and error messages: Login,
// Logoff, Ping, Events, Filter, the list actions, Originate, Redirect, (Stop)MixMonitor, DBPut/DBDel,
// Setvar (setvar.ts) and Hangup. Anything else gets Asterisk's "Invalid/unknown command"; before Login, everything but
// Login, Logoff and Challenge is "Permission denied".

import { serialize } from "../ami-trace.js";
import { hangupChannel, playMixMonitor, playRedirect, playStopMixMonitor } from "./channel-commands.js";
import type { AmiCore } from "./command-kit.js";
import type { ActionHeaders, AmiConnection } from "./connection.js";
import { originateExten } from "./dial.js";
import { fullyBootedEvent, originateResponseEvent } from "./events.js";
import {
  coreShowChannels,
  deviceStateList,
  extensionStateList,
  parkedCallsList,
  presenceStateList,
  queueStatusList,
  status,
} from "./list-actions.js";
import { originateApplication } from "./originate.js";
import { queueMembership, queuePause } from "./queues.js";
import { setvar } from "./setvar.js";
import type { SimStats } from "./types.js";

/** What the actions read and record on the simulator. */
export interface AmiActionHost {
  readonly core: AmiCore;
  /** What Login must present (start() may change it). */
  credentials(): { username: string; secret: string };
  answerPings(): boolean;
  readonly counters: SimStats;
  readonly actionLog: { at: number; action: string; headers: Record<string, string> }[];
  readonly loginTimes: number[];
  readonly holdActions: ReadonlySet<string>;
  readonly astdb: Map<string, string>;
}

export class AmiActions {
  constructor(private readonly host: AmiActionHost) {}

  handle(s: AmiConnection, h: ActionHeaders): void {
    const host = this.host;
    const action = (h.get("action") ?? "").toLowerCase();
    const id = h.get("actionid");
    host.counters.actions[action] = (host.counters.actions[action] ?? 0) + 1;
    host.actionLog.push({ at: Date.now(), action, headers: Object.fromEntries(h) });
    if (host.actionLog.length > 1000) host.actionLog.shift();
    if (action === "login") host.loginTimes.push(Date.now());
    if (host.holdActions.has(action)) return;
    if (!s.loggedIn && action !== "login" && action !== "logoff" && action !== "challenge") {
      s.error(id, "Permission denied");
      return;
    }
    const state = host.core.state;
    switch (action) {
      case "login":
        this.login(s, id, h);
        return;
      case "logoff":
        s.respond(id, [
          ["Response", "Goodbye"],
          ["Message", "Thanks for all the fish."],
        ]);
        s.flush();
        s.socket.end();
        return;
      case "ping":
        if (!host.answerPings()) return;
        s.respond(id, [
          ["Response", "Success"],
          ["Ping", "Pong"],
          ["Timestamp", (Date.now() / 1000).toFixed(6)],
        ]);
        return;
      case "events": {
        const mask = (h.get("eventmask") ?? "on").toLowerCase();
        s.events = mask !== "off";
        s.respond(id, [
          ["Response", "Success"],
          ["Events", s.events ? "On" : "Off"],
        ]);
        return;
      }
      case "filter":
        this.filter(s, id, h);
        return;
      case "coreshowchannels":
        coreShowChannels(s, id, state);
        return;
      case "status":
        status(s, id, h, state);
        return;
      case "extensionstatelist":
        extensionStateList(s, id, state);
        return;
      case "devicestatelist":
        deviceStateList(s, id, state);
        return;
      case "presencestatelist":
        presenceStateList(s, id, state);
        return;
      case "parkedcalls":
        parkedCallsList(s, id, state);
        return;
      case "queuestatus":
        queueStatusList(s, id, state);
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
      case "setvar":
        setvar(host.core, s, id, h);
        return;
      case "queuepause":
        queuePause(host.core, s, id, h);
        return;
      case "queueadd":
      case "queueremove":
        queueMembership(host.core, s, id, h, action === "queueadd");
        return;
      case "dbput": {
        const family = h.get("family");
        const key = h.get("key");
        if (!family || !key) {
          s.error(id, "No family specified");
          return;
        }
        host.astdb.set(`${family}/${key}`, h.get("val") ?? "");
        s.success(id, "Updated database successfully");
        return;
      }
      case "dbdel": {
        const k = `${h.get("family") ?? ""}/${h.get("key") ?? ""}`;
        if (!host.astdb.delete(k)) {
          s.error(id, "Database entry not found");
          return;
        }
        s.success(id, "Key deleted successfully");
        return;
      }
      case "hangup": {
        const name = h.get("channel") ?? "";
        if (!hangupChannel(host.core, name)) s.error(id, "No such channel");
        else s.success(id, "Channel Hungup");
        return;
      }
      default:
        s.error(
          id,
          `Invalid/unknown command: ${h.get("action") ?? ""}. Use Action: ListCommands to show available commands.`,
        );
    }
  }

  private login(s: AmiConnection, id: string | undefined, h: ActionHeaders): void {
    const { username, secret } = this.host.credentials();
    if (h.get("username") !== username || h.get("secret") !== secret) {
      s.error(id, "Authentication failed");
      return;
    }
    s.loggedIn = true;
    const mask = (h.get("events") ?? "on").toLowerCase();
    s.events = mask !== "off";
    s.success(id, "Authentication accepted");
    if (s.events) s.write(serialize(fullyBootedEvent()));
  }

  /** `Filter` adds a filter (`Operation: Add`, the only one Asterisk has). */
  private filter(s: AmiConnection, id: string | undefined, h: ActionHeaders): void {
    const op = (h.get("operation") ?? "add").toLowerCase();
    const filter = h.get("filter");
    if (op !== "add") {
      s.error(id, "Unknown operation");
      return;
    }
    if (!filter) {
      s.error(id, "Filter Not Added");
      return;
    }
    try {
      s.filter.add(filter);
    } catch {
      s.error(id, "Filter Not Added");
      return;
    }
    s.success(id, "Success");
  }

  /**
   * Async Originate of an application, or of an extension (click-to-call, dial.ts), on a phone: queued at
   * once, its OriginateResponse later (a Failure one when the phone is unknown or unavailable, or the
   * application has nothing to act on).
   */
  private originate(s: AmiConnection, id: string | undefined, h: ActionHeaders): void {
    const core = this.host.core;
    const channel = h.get("channel");
    if (!channel) {
      s.error(id, "Channel not specified");
      return;
    }
    const app = h.get("application") ?? "";
    const data = h.get("data") ?? "";
    const exten = h.get("exten") ?? "";
    const context = h.get("context") ?? "";
    if (!app && !(exten && context)) {
      s.error(id, "Originate needs an Application, or an Exten and a Context");
      return;
    }
    s.success(id, "Originate successfully queued");
    const ext = channel.startsWith("PJSIP/") ? channel.slice("PJSIP/".length) : "";
    const known = core.extensions.includes(ext) && core.state.devices.get(channel) !== "UNAVAILABLE";
    const started =
      known &&
      (app
        ? originateApplication(core, app, ext, data, h.get("callerid"), id)
        : originateExten(core, ext, context, exten, h.get("callerid"), id));
    if (!started) {
      core.emit(
        originateResponseEvent({
          id,
          success: false,
          channel,
          application: app,
          data,
          uniqueid: "<null>",
          callerNum: "<unknown>",
          callerName: "<unknown>",
        }),
      );
    }
  }

  private redirect(s: AmiConnection, id: string | undefined, h: ActionHeaders): void {
    const name = h.get("channel") ?? "";
    const x = this.host.core.state.named(name);
    if (!x) {
      s.error(id, `Channel does not exist: ${name}`);
      return;
    }
    const context = h.get("context") ?? "";
    const exten = h.get("exten") ?? "s";
    if (!context) {
      s.error(id, "Context not specified");
      return;
    }
    s.success(id, "Redirect successful");
    playRedirect(this.host.core, x, context, exten);
  }

  /** MixMonitor: a relative File lands in Asterisk's monitor directory. */
  private mixMonitor(s: AmiConnection, id: string | undefined, h: ActionHeaders): void {
    const ch = this.host.core.state.named(h.get("channel") ?? "");
    if (!ch) {
      s.error(id, "No such channel");
      return;
    }
    const file = h.get("file") ?? `${ch.uid}.wav`;
    const path = file.startsWith("/") ? file : `/var/spool/asterisk/monitor/${file}`;
    s.respond(id, [["Response", "Success"]]);
    playMixMonitor(this.host.core, ch, path);
  }

  private stopMixMonitor(s: AmiConnection, id: string | undefined, h: ActionHeaders): void {
    const ch = this.host.core.state.named(h.get("channel") ?? "");
    if (!ch) {
      s.error(id, "No such channel");
      return;
    }
    s.respond(id, [["Response", "Success"]]);
    playStopMixMonitor(this.host.core, ch);
  }
}
