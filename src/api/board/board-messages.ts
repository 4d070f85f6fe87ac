// The wire form of board messages. A flush sends a delta to each affected viewer; viewers with the same
// rights on a person share that PersonView object, so its JSON is produced once and spliced into each
// viewer's message instead of serializing every message from scratch.

import type { BoardDelta } from "../../domain/board-changes.js";
import type { BoardView } from "../../domain/visibility.js";
import type { StatusView } from "../status/status-view.js";

/** What /v1/stream sends (the web board reads the same type). */
export type BoardMessage =
  | { type: "snapshot"; session: string; seq: number; view: BoardView }
  | { type: "delta"; seq: number; deltas: BoardDelta[] }
  | { type: "heartbeat"; seq: number; at: number }
  /**
   * What became of an operation this viewer asked for and the PBX took (202): only the requester gets it.
   * `operation` is the id the 202 answer gave.
   */
  | {
      type: "operation";
      operation: string;
      action: string;
      result: "joined" | "refused" | "timed-out";
      message?: string;
    }
  /**
   * Chosen statuses (status, note, end time) of people this viewer may see (rule 1), as their PBX reports
   * them (api/status/): only the people named changed, or with `full` this is everyone the viewer may see.
   */
  | { type: "status"; full?: boolean; people: StatusView[] };

/**
 * JSON of view parts that never change once built (person views), by identity, for the flush that made
 * them and the one after: a part is sent in the flush that built it, so older texts are rarely asked for
 * and are simply made again. Not a WeakMap: V8 visits every WeakMap entry in the atomic pause of a full
 * GC, and with a text per person view that pause reached 70 ms in the fan-out bench.
 */
export class PartText {
  private current = new Map<object, string>();
  private previous = new Map<object, string>();

  get(part: object): string | undefined {
    let text = this.current.get(part);
    if (text === undefined) {
      text = this.previous.get(part);
      if (text !== undefined) this.current.set(part, text);
    }
    return text;
  }

  set(part: object, text: string): void {
    this.current.set(part, text);
  }

  /** Once per flush: texts not used during this flush or the last one are let go. */
  nextGeneration(): void {
    this.previous = this.current;
    this.current = new Map();
  }
}

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
