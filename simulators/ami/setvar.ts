// AMI `Setvar` without a channel, as Asterisk runs it: a variable whose name ends in `)` is written through
// the dialplan function it names. The simulator knows the two a user's status is kept in (the `*78` /
// `*79` feature codes and Callsight's setStatus write them) and emits what Asterisk emits for them:
//   PRESENCE_STATE(CustomPresence:<ext>) = <state>,<subtype>,<message>[,e]  -> PresenceStateChange (+ PresenceStatus)
//   DEVICE_STATE(Custom:<name>)          = <device state>                  -> DeviceStateChange, when it changed
// With the `e` option the subtype and the message are base64, and Asterisk reports them decoded. Any
// other variable is set without an event; an invalid value is Asterisk's "Variable not set".

import type { AmiCore } from "./command-kit.js";
import type { ActionHeaders, AmiConnection } from "./connection.js";
import { presenceEvents } from "./events.js";

/** Asterisk's presence states (main/presencestate.c). */
const PRESENCE_STATES = new Set(["not_set", "unavailable", "available", "away", "xa", "chat", "dnd"]);
/** Asterisk's device state names (main/devicestate.c, as DEVICE_STATE accepts them). */
const DEVICE_STATES = new Set([
  "UNKNOWN",
  "NOT_INUSE",
  "INUSE",
  "BUSY",
  "INVALID",
  "UNAVAILABLE",
  "RINGING",
  "RINGINUSE",
  "ONHOLD",
]);

export function setvar(core: AmiCore, s: AmiConnection, id: string | undefined, h: ActionHeaders): void {
  const variable = h.get("variable") ?? "";
  const value = h.get("value") ?? "";
  if (!variable) {
    s.error(id, "No variable specified");
    return;
  }
  const channel = h.get("channel");
  if (channel && ![...core.state.channels.values()].some((c) => c.name === channel)) {
    s.error(id, "No such channel");
    return;
  }
  const presence = /^PRESENCE_STATE\(CustomPresence:([^)]+)\)$/i.exec(variable);
  if (presence) {
    const parsed = parsePresence(value);
    if (!parsed) {
      s.error(id, "Variable not set");
      return;
    }
    s.success(id, "Variable Set");
    for (const e of presenceEvents(presence[1] as string, parsed.state, parsed.subtype, parsed.message))
      core.emit(e);
    return;
  }
  const device = /^DEVICE_STATE\((Custom:[^)]+)\)$/i.exec(variable);
  if (device) {
    const state = value.trim().toUpperCase();
    if (!DEVICE_STATES.has(state)) {
      s.error(id, "Variable not set");
      return;
    }
    s.success(id, "Variable Set");
    const name = device[1] as string;
    if (core.state.devices.get(name) === state) return;
    core.emit([
      ["Event", "DeviceStateChange"],
      ["Privilege", "call,all"],
      ["Timestamp", ""],
      ["Device", name],
      ["State", state],
    ]);
    return;
  }
  s.success(id, "Variable Set");
}

/** `away,lunch,Back at 2` or `away,,SW4gYSBtZWV0aW5n,e` -> the state and the decoded subtype and message. */
function parsePresence(value: string): { state: string; subtype: string; message: string } | undefined {
  const [state = "", subtype = "", message = "", options = ""] = value.split(",");
  if (!PRESENCE_STATES.has(state.toLowerCase())) return undefined;
  if (options && options !== "e") return undefined;
  const decode = (text: string) => (options === "e" ? Buffer.from(text, "base64").toString("utf8") : text);
  return { state: state.toLowerCase(), subtype: decode(subtype), message: decode(message) };
}
