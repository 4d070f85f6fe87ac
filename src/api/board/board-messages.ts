// The wire form of board messages. A flush sends a delta to each affected viewer; viewers with the same
// rights on a person share that PersonView object, so its JSON is produced once and spliced into each
// viewer's message instead of serializing every message from scratch.

import type { BoardDelta } from "../../domain/board-changes.js";
import type { BoardView } from "../../domain/visibility.js";

/** What /v1/stream sends (the web board reads the same type). */
export type BoardMessage =
  | { type: "snapshot"; session: string; seq: number; view: BoardView }
  | { type: "delta"; seq: number; deltas: BoardDelta[] }
  | { type: "heartbeat"; seq: number; at: number };

/** JSON of view parts that never change once built (person views), by identity. */
export type PartText = WeakMap<object, string>;

export function partJson(part: object, cache: PartText): string {
  let text = cache.get(part);
  if (text === undefined) {
    text = JSON.stringify(part);
    cache.set(part, text);
  }
  return text;
}

function deltaJson(delta: BoardDelta, cache: PartText): string {
  if (delta.op === "person") return `{"op":"person","person":${partJson(delta.person, cache)}}`;
  return JSON.stringify(delta);
}

/** The JSON array of `deltas`, with person views taken from (and added to) `cache`. */
export function encodeDeltas(deltas: readonly BoardDelta[], cache: PartText): string {
  return `[${deltas.map((d) => deltaJson(d, cache)).join(",")}]`;
}

/** A delta message around deltas already encoded by `encodeDeltas`. */
export function deltaMessageJson(seq: number, deltasJson: string): string {
  return `{"type":"delta","seq":${seq},"deltas":${deltasJson}}`;
}

/** `JSON.stringify(message)`, with person views taken from (and added to) `cache`. */
export function encodeBoardMessage(message: BoardMessage, cache: PartText): string {
  if (message.type !== "delta") return JSON.stringify(message);
  return deltaMessageJson(message.seq, encodeDeltas(message.deltas, cache));
}
