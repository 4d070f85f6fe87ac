// What ARI channel and bridge objects say about themselves, and Callsight's own bridge names.

import type { MonitoringMode } from "../../domain/directory.js";
import { PLUMBING } from "../asterisk/channels.js";
import type { AriBridge, AriChannel } from "./types.js";

/** Prefix of the mixing bridges the driver creates for listen / whisper / barge. */
export const MONITOR_BRIDGE_PREFIX = "callsight-monitor";

export function monitorBridgeName(mode: MonitoringMode, targetLeg: string): string {
  return `${MONITOR_BRIDGE_PREFIX}:${mode}:${targetLeg}`;
}

export function parseMonitorBridgeName(
  name: string | undefined,
): { mode: MonitoringMode; target: string } | undefined {
  if (!name?.startsWith(`${MONITOR_BRIDGE_PREFIX}:`)) return undefined;
  const rest = name.slice(MONITOR_BRIDGE_PREFIX.length + 1);
  const colon = rest.indexOf(":");
  if (colon < 0) return undefined;
  const mode = rest.slice(0, colon);
  const target = rest.slice(colon + 1);
  if ((mode !== "listen" && mode !== "whisper" && mode !== "barge") || !target) return undefined;
  return { mode, target };
}

/** Event types Callsight reads nothing from. They are expected and not counted as unknown. */
export const ARI_IGNORED_EVENTS: ReadonlySet<string> = new Set([
  "ChannelTalkingStarted",
  "ChannelTalkingFinished",
  "ChannelDtmfReceived",
  "ChannelToneDetected",
  "ChannelUserevent",
  "ChannelTransfer",
  "BridgeMerged",
  "BridgeVideoSourceChanged",
  "StasisStart",
  "StasisEnd",
  "PlaybackStarted",
  "PlaybackContinuing",
  "PlaybackFinished",
  "ApplicationReplaced",
  "ApplicationMoveFailed",
  "ApplicationRegistered",
  "ApplicationUnregistered",
  "TextMessageReceived",
]);

/** Created by Asterisk towards a device (Dial, originate): `Down` at creation, or sitting at `s`. */
export function isOutgoing(ch: AriChannel): boolean {
  return ch.state === "Down" || ch.dialplan?.exten === "s";
}

export function isPlumbing(channelName: string): boolean {
  const slash = channelName.indexOf("/");
  return slash < 0 || PLUMBING.has(channelName.slice(0, slash));
}

export function isParkingBridge(b: AriBridge): boolean {
  return b.bridge_class === "parking" || (b.bridge_type === "holding" && b.creator === "Parking");
}

export function callerNumber(ch: AriChannel): string {
  const n = ch.caller?.number ?? "";
  return n === "<unknown>" ? "" : n;
}

/** The caller-id name when it says more than the number. */
export function nameOf(ch: AriChannel): { name?: string } {
  const raw = ch.caller?.name ?? "";
  const name = raw === "<unknown>" ? "" : raw;
  return name && name !== callerNumber(ch) ? { name } : {};
}
