// Each extension's chosen status as its PBX reports it, from the normalized events every instance applies
// (`presence.state` with its message, `presence.dnd`, and the snapshot that replaces them): the status the
// board shows is what the PBX says, never what Callsight asked for.

import type { PbxEvent } from "../../domain/events.js";
import type { UserStatus } from "../../pbx/driver.js";

interface Reported {
  chosen?: { state: string; message?: string };
  dnd: boolean;
}

/** `pbx\0extension`. */
export function extensionKey(pbx: string, extension: string): string {
  return `${pbx}\u0000${extension}`;
}

/** The extensions (`extensionKey`) and the whole PBXes (snapshots) whose statuses `events` may change. */
export function touchedBy(events: readonly PbxEvent[]): { extensions: Set<string>; pbxs: Set<string> } {
  const extensions = new Set<string>();
  const pbxs = new Set<string>();
  for (const e of events) {
    if (e.type === "presence.state" || e.type === "presence.dnd")
      extensions.add(extensionKey(e.pbx, e.extension));
    else if (e.type === "pbx.snapshot") pbxs.add(e.pbx);
  }
  return { extensions, pbxs };
}

export class StatusBook {
  private readonly byExtension = new Map<string, Reported>();

  /** Applies events (every batch the model applies); returns the extensions (`extensionKey`) they touched. */
  observe(events: readonly PbxEvent[]): Set<string> {
    const touched = new Set<string>();
    for (const e of events) {
      if (e.type === "presence.state") {
        const key = extensionKey(e.pbx, e.extension);
        const r = this.entry(key);
        r.chosen = { state: e.state, ...(e.message ? { message: e.message } : {}) };
        touched.add(key);
      } else if (e.type === "presence.dnd") {
        const key = extensionKey(e.pbx, e.extension);
        this.entry(key).dnd = e.on;
        touched.add(key);
      } else if (e.type === "pbx.snapshot") {
        const prefix = extensionKey(e.pbx, "");
        for (const key of [...this.byExtension.keys()]) {
          if (!key.startsWith(prefix)) continue;
          this.byExtension.delete(key);
          touched.add(key);
        }
        for (const p of e.presence) {
          const key = extensionKey(e.pbx, p.extension);
          this.entry(key).chosen = { state: p.state, ...(p.message ? { message: p.message } : {}) };
          touched.add(key);
        }
        for (const d of e.dnd) {
          const key = extensionKey(e.pbx, d.extension);
          this.entry(key).dnd = d.on;
          touched.add(key);
        }
      }
    }
    return touched;
  }

  /** The status an extension's PBX reports: DND (the switch or the chosen state), away, else available. */
  statusOf(pbx: string, extension: string): { status: UserStatus; note?: string } {
    const r = this.byExtension.get(extensionKey(pbx, extension));
    const state = r?.chosen?.state;
    const status: UserStatus =
      r?.dnd || state === "dnd" ? "dnd" : state === "away" || state === "unavailable" ? "away" : "available";
    const note = r?.chosen?.message;
    return note ? { status, note } : { status };
  }

  private entry(key: string): Reported {
    let r = this.byExtension.get(key);
    if (!r) {
      r = { dnd: false };
      this.byExtension.set(key, r);
    }
    return r;
  }
}
