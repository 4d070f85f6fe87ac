// The parts of the ARI data model (rest-api/api-docs/*.json of Asterisk) that Callsight reads.
// Everything is optional on purpose: the driver reads untrusted JSON and must survive any shape.

export interface AriCallerId {
  name?: string;
  number?: string;
}

export interface AriDialplanCep {
  context?: string;
  exten?: string;
  priority?: number;
  app_name?: string;
  app_data?: string;
}

export interface AriChannel {
  id: string;
  name: string;
  /** `Down`, `Rsrvd`, `OffHook`, `Dialing`, `Ring`, `Ringing`, `Up`, `Busy`, `Dialing Offhook`, `Pre-ring`, `Unknown`. */
  state?: string;
  protocol_id?: string;
  caller?: AriCallerId;
  connected?: AriCallerId;
  accountcode?: string;
  dialplan?: AriDialplanCep;
  creationtime?: string;
  language?: string;
  channelvars?: Record<string, string>;
}

export interface AriBridge {
  id: string;
  technology?: string;
  /** `mixing`, `holding`. */
  bridge_type?: string;
  /** `basic`, `stasis`, `parking`, … */
  bridge_class?: string;
  creator?: string;
  name?: string;
  channels?: string[];
  creationtime?: string;
}

export interface AriEndpoint {
  technology: string;
  resource: string;
  /** `unknown`, `offline`, `online`. */
  state?: string;
  channel_ids?: string[];
}

export interface AriDeviceState {
  name: string;
  state: string;
}

export interface AriLiveRecording {
  name: string;
  format?: string;
  /** `channel:<id>` or `bridge:<id>`. */
  target_uri?: string;
  state?: string;
  cause?: string;
}

/** One event from `/ari/events` (fields of every event type, all optional but `type`). */
export interface AriEvent {
  type: string;
  timestamp?: string;
  application?: string;
  asterisk_id?: string;
  channel?: AriChannel;
  bridge?: AriBridge;
  caller?: AriChannel;
  peer?: AriChannel | { peer_status?: string; cause?: string; address?: string; port?: string };
  dialstring?: string;
  dialstatus?: string;
  forward?: string;
  cause?: number;
  cause_txt?: string;
  variable?: string;
  value?: string;
  args?: string[];
  endpoint?: AriEndpoint;
  contact_info?: { uri?: string; contact_status?: string; aor?: string; roundtrip_usec?: string };
  device_state?: AriDeviceState;
  recording?: AriLiveRecording;
  // BridgeBlindTransfer
  replace_channel?: AriChannel;
  transferee?: AriChannel;
  exten?: string;
  context?: string;
  result?: string;
  is_external?: boolean;
  // BridgeAttendedTransfer
  transferer_first_leg?: AriChannel;
  transferer_second_leg?: AriChannel;
  transfer_target?: AriChannel;
  destination_type?: string;
  destination_bridge?: string;
  destination_application?: string;
  destination_threeway_channel?: AriChannel;
  [key: string]: unknown;
}

export function isChannel(x: unknown): x is AriChannel {
  return (
    typeof x === "object" &&
    x !== null &&
    typeof (x as AriChannel).id === "string" &&
    typeof (x as AriChannel).name === "string"
  );
}

export function isBridge(x: unknown): x is AriBridge {
  return typeof x === "object" && x !== null && typeof (x as AriBridge).id === "string";
}

/** `2026-11-22T18:49:58.541+0000` (Asterisk's format) -> ms since epoch. */
export function ariTime(ts: unknown): number | undefined {
  if (typeof ts !== "string" || ts === "") return undefined;
  const iso = ts.replace(/([+-])(\d{2})(\d{2})$/, "$1$2:$3");
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : undefined;
}

/** Formats ms since epoch the way Asterisk does (`…T18:49:58.541+0000`). */
export function formatAriTime(ms: number): string {
  return new Date(ms).toISOString().replace("Z", "+0000");
}

// ---- what a message may contain -----------------------------------------------------------------

/** A field's expected kind: `cause` is a number or a string, `strings` an array of strings, `stringMap` an object of strings. */
type FieldKind = "string" | "number" | "boolean" | "cause" | "strings" | "stringMap" | Shape;
interface Shape {
  readonly [field: string]: FieldKind;
}

const CALLER_ID: Shape = { name: "string", number: "string" };
const DIALPLAN: Shape = {
  context: "string",
  exten: "string",
  priority: "number",
  app_name: "string",
  app_data: "string",
};
const CHANNEL: Shape = {
  id: "string",
  name: "string",
  state: "string",
  protocol_id: "string",
  caller: CALLER_ID,
  connected: CALLER_ID,
  accountcode: "string",
  dialplan: DIALPLAN,
  creationtime: "string",
  language: "string",
  channelvars: "stringMap",
};
const BRIDGE: Shape = {
  id: "string",
  technology: "string",
  bridge_type: "string",
  bridge_class: "string",
  creator: "string",
  name: "string",
  channels: "strings",
  creationtime: "string",
};
/** A Dial's peer is a channel; a PeerStatusChange's peer is `{ peer_status, cause, address, port }`. */
const PEER: Shape = { ...CHANNEL, peer_status: "string", cause: "string", address: "string", port: "string" };
const ENDPOINT: Shape = { technology: "string", resource: "string", state: "string", channel_ids: "strings" };
const CONTACT_INFO: Shape = {
  uri: "string",
  contact_status: "string",
  aor: "string",
  roundtrip_usec: "string",
};
const DEVICE_STATE: Shape = { name: "string", state: "string" };
const LIVE_RECORDING: Shape = {
  name: "string",
  format: "string",
  target_uri: "string",
  state: "string",
  cause: "string",
};
const EVENT: Shape = {
  type: "string",
  timestamp: "string",
  application: "string",
  asterisk_id: "string",
  channel: CHANNEL,
  bridge: BRIDGE,
  caller: CHANNEL,
  peer: PEER,
  dialstring: "string",
  dialstatus: "string",
  forward: "string",
  cause: "cause",
  cause_txt: "string",
  variable: "string",
  value: "string",
  args: "strings",
  endpoint: ENDPOINT,
  contact_info: CONTACT_INFO,
  device_state: DEVICE_STATE,
  recording: LIVE_RECORDING,
  replace_channel: CHANNEL,
  transferee: CHANNEL,
  exten: "string",
  context: "string",
  result: "string",
  is_external: "boolean",
  transferer_first_leg: CHANNEL,
  transferer_second_leg: CHANNEL,
  transfer_target: CHANNEL,
  destination_type: "string",
  destination_bridge: "string",
  destination_application: "string",
  destination_threeway_channel: CHANNEL,
};

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Drops (in place) every field of `obj` that `shape` names and the value does not fit; recurses into objects. */
function conform(obj: Record<string, unknown>, shape: Shape): void {
  for (const field of Object.keys(shape)) {
    if (!Object.hasOwn(obj, field)) continue;
    const v = obj[field];
    const kind = shape[field]!;
    let fits: boolean;
    switch (kind) {
      case "string":
        fits = typeof v === "string";
        break;
      case "number":
        fits = typeof v === "number" && Number.isFinite(v);
        break;
      case "boolean":
        fits = typeof v === "boolean";
        break;
      case "cause":
        fits = typeof v === "string" || (typeof v === "number" && Number.isFinite(v));
        break;
      case "strings":
        fits = Array.isArray(v);
        if (fits && !(v as unknown[]).every((x) => typeof x === "string")) {
          obj[field] = (v as unknown[]).filter((x) => typeof x === "string");
        }
        break;
      case "stringMap":
        fits = isRecord(v);
        if (fits)
          for (const k of Object.keys(v as object))
            if (typeof (v as Record<string, unknown>)[k] !== "string")
              delete (v as Record<string, unknown>)[k];
        break;
      default:
        fits = isRecord(v);
        if (fits) conform(v as Record<string, unknown>, kind);
    }
    if (!fits) delete obj[field];
  }
}

/**
 * Makes a parsed WebSocket message match AriEvent: a field Callsight reads whose value has another type
 * (a channel that is a number, a bridge's `channels` that is not a list, a name that is an object) is
 * dropped, as if Asterisk had not sent it, so the translator never reads a value of the wrong type and
 * never passes one on in a normalized event. Fields Callsight does not read are left as they are.
 * Changes `event` in place (a fresh JSON.parse result) and returns it.
 */
export function conformAriEvent(event: Record<string, unknown> & { type: string }): AriEvent {
  conform(event, EVENT);
  return event as AriEvent;
}
