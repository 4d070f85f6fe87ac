// What the ARI server's operations share with it (its live state, replays, ids, traces and event
// stream), and two things they all need: a live channel or a 404, and a new channel's snapshot.

import { type AriChannel, formatAriTime } from "../../src/pbx/asterisk-ari/types.js";
import type { AriIdAllocator, AriTraceLibrary } from "../ari-trace.js";
import type { AriEventStream } from "./event-stream.js";
import { HttpFailure } from "./http.js";
import type { AriLiveState } from "./live-state.js";
import type { OriginateTemplate } from "./originate.js";
import type { AriPlayer } from "./player.js";
import type { SimChannel } from "./types.js";

export interface AriCore {
  readonly state: AriLiveState;
  readonly player: AriPlayer;
  readonly events: AriEventStream;
  readonly alloc: AriIdAllocator;
  readonly library: AriTraceLibrary;
  /** How long an originated endpoint rings before it answers (ms, before scaling), or `never`. */
  readonly ringTime: ReadonlyMap<string, number | "never">;
  /** Trace 10a's originated phone (loaded once). */
  originateTemplate(): OriginateTemplate;
}

/** The live channel with that id, or ARI's 404. */
export function liveChannel(core: AriCore, id: string | undefined): SimChannel {
  const c = id ? core.state.channels.get(id) : undefined;
  if (!c) throw new HttpFailure(404, "Channel not found");
  return c;
}

/** A channel as ARI shows one just created: in `default,s,1`, created now. */
export function newChannelSnapshot(
  id: string,
  name: string,
  state: string,
  num: string,
  cidName: string,
): AriChannel {
  return {
    id,
    name,
    state,
    protocol_id: "",
    caller: { name: cidName, number: num },
    connected: { name: "", number: "" },
    accountcode: "",
    dialplan: { context: "default", exten: "s", priority: 1, app_name: "", app_data: "" },
    creationtime: formatAriTime(Date.now()),
    language: "en",
  };
}
