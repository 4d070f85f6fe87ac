// A channel as one AMI frame describes it (`Channel`, `Uniqueid`, `CallerIDNum`…, or the same fields
// behind a prefix: `DestChannel`, `ParkeeUniqueid`…).

import { unknownToEmpty } from "../asterisk/channels.js";
import type { AmiFrame } from "./frame-parser.js";

export interface ChannelSnapshot {
  name: string;
  uniqueid: string;
  linkedid: string;
  state: string;
  stateDesc: string;
  callerNum: string;
  callerName: string;
  exten: string;
}

export function snapshotOf(f: AmiFrame, prefix: string): ChannelSnapshot | undefined {
  const name = f[`${prefix}Channel`];
  const uniqueid = f[`${prefix}Uniqueid`];
  if (name === undefined || uniqueid === undefined) return undefined;
  return {
    name,
    uniqueid,
    linkedid: f[`${prefix}Linkedid`] ?? uniqueid,
    state: f[`${prefix}ChannelState`] ?? "",
    stateDesc: f[`${prefix}ChannelStateDesc`] ?? "",
    callerNum: f[`${prefix}CallerIDNum`] ?? "",
    callerName: f[`${prefix}CallerIDName`] ?? "",
    exten: f[`${prefix}Exten`] ?? "",
  };
}

/** The frame's `Timestamp` (seconds, with `timestampevents = yes`) in ms. */
export function timestampOf(f: AmiFrame): number | undefined {
  const ts = f.Timestamp;
  if (ts === undefined) return undefined;
  const seconds = Number.parseFloat(ts);
  return Number.isFinite(seconds) ? Math.round(seconds * 1000) : undefined;
}

/** The caller-id name when it says more than the number. */
export function nameOf(ch: ChannelSnapshot): { name?: string } {
  const name = unknownToEmpty(ch.callerName);
  return name && name !== ch.callerNum ? { name } : {};
}
