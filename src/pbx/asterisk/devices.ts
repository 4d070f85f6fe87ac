// Device and presence states as Asterisk reports them (AMI DeviceStateChange / PeerStatus /
// PresenceStateChange, ARI DeviceStateChanged / PeerStatusChange, and their resync lists).

import type { PresenceStateChanged } from "../../domain/events.js";

/** Callsight's DND lamps: custom device states `Custom:DND<extension>`. */
export const DND_DEVICE_PREFIX = "Custom:DND";

/** `Custom:DND1001` -> `1001` (may be empty); undefined for any other device. */
export function dndExtension(device: string): string | undefined {
  return device.startsWith(DND_DEVICE_PREFIX) ? device.slice(DND_DEVICE_PREFIX.length) : undefined;
}

/** A DND lamp is on while its custom state is BUSY or INUSE. */
export function dndOn(state: string | undefined): boolean {
  return state === "BUSY" || state === "INUSE";
}

/** A device's reachability from its device state; undefined when the state says nothing. */
export function deviceReachable(state: string): boolean | undefined {
  if (state === "UNAVAILABLE" || state === "INVALID") return false;
  if (state !== "UNKNOWN" && state !== "") return true;
  return undefined;
}

/** A peer's reachability from its peer status; undefined when the status says nothing. */
export function peerReachable(status: string): boolean | undefined {
  if (status === "Reachable" || status === "Registered") return true;
  if (status === "Unreachable" || status === "Unregistered" || status === "Rejected") return false;
  return undefined;
}

/** `CustomPresence:1001` -> `1001`; undefined when empty. */
export function presentityExtension(presentity: string): string | undefined {
  const colon = presentity.indexOf(":");
  const ext = colon < 0 ? presentity : presentity.slice(colon + 1);
  return ext || undefined;
}

export function presenceState(status: string): PresenceStateChanged["state"] {
  switch (status.toLowerCase()) {
    case "available":
    case "chat":
      return "available";
    case "away":
    case "xa":
      return "away";
    case "dnd":
      return "dnd";
    case "unavailable":
      return "unavailable";
    default:
      return "not-set";
  }
}
