// The ARI server's event stream: every event updates the live state and goes to the WebSockets of the
// application whose channel it concerns (or to all, with subscribeAll), stamped with the Asterisk id
// and the application's name. Replayed events are re-timed to now, and the hang-up ARI reports for a
// channel is made up here (a Snoop channel goes with the channel it snoops on).

import { WebSocket } from "ws";
import { type AriEvent, formatAriTime, isChannel } from "../../src/pbx/asterisk-ari/types.js";
import { endpointOf } from "../ari-trace.js";
import type { AriLiveState } from "./live-state.js";
import type { AriServerStats, Client, Instance, Step } from "./types.js";

export class AriEventStream {
  readonly clients = new Set<Client>();

  constructor(
    private readonly state: AriLiveState,
    private readonly stats: AriServerStats,
  ) {}

  emit(event: AriEvent, inst?: Instance): void {
    this.stats.eventsEmitted++;
    this.state.track(event, inst);
    for (const c of this.clients) {
      if (!c.subscribeAll && !this.concerns(c, event)) continue;
      this.send(c, JSON.stringify({ ...event, asterisk_id: "02:fc:00:00:00:01", application: c.app }));
    }
    if (event.type === "ChannelDestroyed" && isChannel(event.channel)) this.destroySnoopsOf(event.channel.id);
  }

  /** A replay's step is due: it runs, or its event goes out re-timed. */
  fire(inst: Instance, step: Step): void {
    if (step.run) {
      step.run();
      return;
    }
    const event = step.rw ? step.rw.apply(step.event) : structuredClone(step.event);
    this.retime(event, inst);
    this.emit(event, inst);
  }

  send(c: Client, text: string): void {
    if (c.ws.readyState !== WebSocket.OPEN) return;
    this.stats.messagesSent++;
    c.ws.send(text);
  }

  /** The hang-up sequence ARI reports for a channel Callsight (or a test) hangs up. */
  hangupNow(id: string, cause: number, causeTxt: string): void {
    const c = this.state.channels.get(id);
    if (!c) return;
    const now = (): string => formatAriTime(Date.now());
    this.emit({ type: "ChannelHangupRequest", timestamp: now(), cause, soft: true, channel: { ...c.ch } });
    for (const [name, r] of [...this.state.recordings]) {
      if (r.channel !== id) continue;
      this.state.recordings.delete(name);
      this.emit({
        type: "RecordingFinished",
        timestamp: now(),
        recording: { name, format: r.format, state: "done", target_uri: `channel:${id}` },
      });
    }
    if (c.bridge) {
      const b = this.state.bridges.get(c.bridge);
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
    // The phone's device is free again once none of its channels is left.
    if (!c.ch.name.startsWith("Snoop/") && !c.ch.name.startsWith("Local/")) {
      const endpoint = endpointOf(c.ch.name);
      if (
        this.state.endpointStates.has(endpoint) &&
        ![...this.state.channels.values()].some((x) => endpointOf(x.ch.name) === endpoint)
      ) {
        this.emit({
          type: "DeviceStateChanged",
          timestamp: now(),
          device_state: { name: endpoint, state: "NOT_INUSE" },
        });
      }
    }
  }

  private concerns(c: Client, e: AriEvent): boolean {
    const ch = isChannel(e.channel) ? this.state.channels.get(e.channel.id) : undefined;
    return ch?.app === c.app || (e.type === "StasisStart" && e.application === c.app);
  }

  private destroySnoopsOf(target: string): void {
    for (const c of [...this.state.channels.values()]) {
      if (c.ch.name.startsWith(`Snoop/${target}-`)) this.hangupNow(c.ch.id, 16, "Normal Clearing");
    }
  }

  /** Now as the event's timestamp; each captured creationtime becomes the live channel's, or now. */
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
        const live = typeof o.id === "string" ? this.state.channels.get(o.id)?.ch.creationtime : undefined;
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
}
