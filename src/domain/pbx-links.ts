// The link to each PBX as viewers are told about it: whether what the board shows is live. The board
// snapshot and the stream carry `PbxLink`s (the web board reads the same type). A link names its PBX and
// nothing about any user, so every viewer may see every link.

import type { PbxEvent } from "./events.js";

/**
 * `connecting`: never connected yet, nothing is known (its users show offline);
 * `up`: connected and resynced, the board is live;
 * `down`: the connection was lost at `since`, the calls and presence shown are the last known.
 */
export type PbxLinkState = "connecting" | "up" | "down";

export interface PbxLink {
  pbx: string;
  state: PbxLinkState;
  /** When the link got to this state (ms since epoch); absent while `connecting`. */
  since?: number;
}

/**
 * Follows the links of the PBXes Callsight connects to (`awaited`), from the events their drivers deliver:
 * a `pbx.snapshot` or a `pbx.connection` `up` brings a link up, a `down` takes it down. Also tells whether a
 * PBX has listed its devices (see `devicesListed`).
 */
export class PbxLinks {
  private readonly links = new Map<string, PbxLink>();
  private readonly listed = new Set<string>();
  /** Replaced (never changed in place) on every change: unchanged lists compare by identity. */
  private current: readonly PbxLink[] = [];

  constructor(awaited: readonly string[] = []) {
    for (const pbx of awaited) this.links.set(pbx, { pbx, state: "connecting" });
    this.current = [...this.links.values()];
  }

  /** The links, in the order the PBXes were named. The same array until a link changes. */
  list(): readonly PbxLink[] {
    return this.current;
  }

  /**
   * Whether the PBX has said which of its devices are reachable (a snapshot lists them all). Then a device
   * it did not list is no phone anyone can be reached on. A followed PBX counts from the start: until it
   * answers, nothing on it is known to be reachable. Other PBXes (a replayed trace) never listed theirs.
   */
  devicesListed(pbx: string): boolean {
    return this.listed.has(pbx) || this.links.has(pbx);
  }

  /** Whether the PBX's link is up (a PBX not followed counts as up: its events are all there is). */
  isUp(pbx: string): boolean {
    const link = this.links.get(pbx);
    return link === undefined || link.state === "up";
  }

  /** Applies a driver's event; returns the link when it changed. */
  apply(e: PbxEvent): PbxLink | undefined {
    if (e.type === "pbx.snapshot") {
      this.listed.add(e.pbx);
      return this.set(e.pbx, "up", e.at);
    }
    if (e.type === "pbx.connection") return this.set(e.pbx, e.state, e.at);
    return undefined;
  }

  private set(pbx: string, state: "up" | "down", at: number): PbxLink | undefined {
    const link = this.links.get(pbx);
    // Only followed PBXes have a link; the same state again (a duplicate, the `up` after a snapshot) is no change.
    if (!link || link.state === state) return undefined;
    const next: PbxLink = { pbx, state, since: at };
    this.links.set(pbx, next);
    this.current = [...this.links.values()];
    return next;
  }
}
