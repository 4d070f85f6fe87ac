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
