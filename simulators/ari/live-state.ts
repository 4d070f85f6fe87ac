// What the ARI server knows of its Asterisk right now, kept from the events it emits: the live channels
// (snapshot, bridge, Stasis application), bridges, device and endpoint states, live recordings, the
// parked calls and who dialled whom. The resync GETs and the operations answer from it.

import {
  type AriBridge,
  type AriChannel,
  type AriEvent,
  isChannel,
} from "../../src/pbx/asterisk-ari/types.js";
import type { Instance, Recording, SimChannel } from "./types.js";

export class AriLiveState {
  readonly channels = new Map<string, SimChannel>();
  readonly bridges = new Map<string, AriBridge>();
  readonly devices = new Map<string, string>();
  readonly endpointStates = new Map<string, string>();
  readonly recordings = new Map<string, Recording>();
  /** Parking space -> parked channel id; the last `park:<space>@…` INUSE waits for its parkee. */
  readonly parked = new Map<string, string>();
  private lastParkSpace?: string;
  /** Callee id -> caller id (from Dial). */
  readonly dialCaller = new Map<string, string>();
  /** Snoop channels made so far (their names count up). */
  snoopSeq = 0;

  constructor(extensions: readonly string[], unreachable: ReadonlySet<string>) {
    for (const ext of extensions) {
      this.endpointStates.set(`PJSIP/${ext}`, unreachable.has(ext) ? "offline" : "online");
      this.devices.set(`PJSIP/${ext}`, unreachable.has(ext) ? "UNAVAILABLE" : "NOT_INUSE");
    }
    this.endpointStates.set("PJSIP/carrier", "online");
  }

  channelSnapshots(): AriChannel[] {
    return [...this.channels.values()].map((c) => ({ ...c.ch }));
  }

  bridgeSnapshots(): AriBridge[] {
    return [...this.bridges.values()].map((b) => ({ ...b, channels: [...(b.channels ?? [])] }));
  }

  track(e: AriEvent, inst?: Instance): void {
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
        // A parked call is a channel in a parking bridge, in the space last reported INUSE (park:<space>@…).
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
}
