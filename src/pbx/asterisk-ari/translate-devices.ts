// Devices as ARI reports them: endpoint, peer and contact states (reachability), device states (DND
// lamps, reachability, parking spaces turning INUSE, queue members' pauses).

import type { PbxEvent } from "../../domain/events.js";
import { isPartyChannel } from "../asterisk/channels.js";
import { deviceReachable, dndExtension, dndOn, peerReachable } from "../asterisk/devices.js";
import { memberExtension, pauseDevice, pausedFromDeviceState } from "../asterisk/queues.js";
import type { AriEvent } from "./types.js";

export class AriDevices {
  private readonly reachable = new Map<string, boolean>();

  /**
   * @param freshSpaces `park:<space>@<context>` device states that turned INUSE and are not yet matched
   *   to a parkee (shared with the bridge translation, which takes them when a parkee enters a lot).
   */
  constructor(
    private readonly pbx: string,
    private readonly freshSpaces: string[],
    private readonly queuePauses: boolean,
  ) {}

  reset(): void {
    this.reachable.clear();
  }

  /** DeviceStateChanged. */
  deviceState(device: string, state: string, at: number, out: PbxEvent[]): void {
    const extension = dndExtension(device);
    if (extension !== undefined) {
      if (extension) out.push({ pbx: this.pbx, at, type: "presence.dnd", extension, on: dndOn(state) });
      return;
    }
    const pause = pauseDevice(device);
    if (pause) {
      const paused = pausedFromDeviceState(state);
      if (!this.queuePauses || paused === undefined) return;
      const extension = memberExtension(pause.agent);
      out.push({
        pbx: this.pbx,
        at,
        type: "queue.member",
        ...pause,
        ...(extension ? { extension } : {}),
        paused,
      });
      return;
    }
    if (device.startsWith("park:")) {
      const space = device.slice("park:".length).split("@")[0] ?? "";
      const i = this.freshSpaces.indexOf(space);
      if (state === "INUSE" && i < 0 && space) this.freshSpaces.push(space);
      else if (state !== "INUSE" && i >= 0) this.freshSpaces.splice(i, 1);
      if (this.freshSpaces.length > 64) this.freshSpaces.shift();
      return;
    }
    if (!isPartyChannel(device) || device.includes(":")) return;
    const reachable = deviceReachable(state);
    if (reachable !== undefined) this.setReachable(device, reachable, at, out);
  }

  /** EndpointStateChange. */
  endpointState(e: AriEvent, at: number, out: PbxEvent[]): void {
    const ep = e.endpoint;
    if (!ep?.technology || !ep.resource) return;
    const endpoint = `${ep.technology}/${ep.resource}`;
    if (ep.state === "online") this.setReachable(endpoint, true, at, out);
    else if (ep.state === "offline") this.setReachable(endpoint, false, at, out);
  }

  /** PeerStatusChange. */
  peerStatus(e: AriEvent, at: number, out: PbxEvent[]): void {
    const ep = e.endpoint;
    const peer = e.peer as { peer_status?: string } | undefined;
    if (!ep?.technology || !ep.resource) return;
    const endpoint = `${ep.technology}/${ep.resource}`;
    const reachable = peerReachable(peer?.peer_status ?? "");
    if (reachable !== undefined) this.setReachable(endpoint, reachable, at, out);
  }

  /**
   * ContactStatusChange. NonQualified comes first on a REGISTER while the endpoint still says offline
   * (trace 12): only a reachable contact, or the last contact going away, says something about the device.
   */
  contactStatus(e: AriEvent, at: number, out: PbxEvent[]): void {
    const ep = e.endpoint;
    const status = e.contact_info?.contact_status ?? "";
    if (!ep?.technology || !ep.resource) return;
    const endpoint = `${ep.technology}/${ep.resource}`;
    if (status === "Reachable") this.setReachable(endpoint, true, at, out);
    else if ((status === "Removed" || status === "Unreachable") && ep.state === "offline")
      this.setReachable(endpoint, false, at, out);
  }

  private setReachable(endpoint: string, reachable: boolean, at: number, out: PbxEvent[]): void {
    if (this.reachable.get(endpoint) === reachable) return;
    this.reachable.set(endpoint, reachable);
    out.push({ pbx: this.pbx, at, type: "device.reachability", endpoint, reachable });
  }
}
