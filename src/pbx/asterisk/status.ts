// A user's chosen status as Asterisk keeps it, for AMI (Setvar) and ARI (POST /asterisk/variable) alike:
// the same two dialplan functions the `*78` / `*79` feature codes write, which the hints read
// (`exten => 1001,hint,PJSIP/1001&Custom:DND1001,CustomPresence:1001`), so the phones' lamps agree:
//   PRESENCE_STATE(CustomPresence:<ext>) = <status>,,<note in base64>,e   (AstDB CustomPresence/<ext>)
//   DEVICE_STATE(Custom:DND<ext>)        = BUSY (dnd) | NOT_INUSE          (AstDB CustomDevstate/DND<ext>)
// Both are kept in AstDB, so they outlive a restart of Asterisk. The `e` option says the subtype and the
// message are base64: a note may then hold commas, which would otherwise split the value. Asterisk
// decodes them before it reports the change (PresenceStateChange `Message`) and when it lists them.

import type { StatusRequest } from "../driver.js";
import { DND_DEVICE_PREFIX } from "./devices.js";

/** An extension that can stand in a device or presentity name (no commas, parentheses or spaces). */
const SAFE_EXTENSION = /^[A-Za-z0-9_.+*#-]+$/;

export function usableStatusExtension(extension: string): boolean {
  return SAFE_EXTENSION.test(extension);
}

/** The two variables a status is written to, in the order the feature codes write them. */
export function statusVariables(req: StatusRequest): { variable: string; value: string }[] {
  return [
    { variable: `PRESENCE_STATE(CustomPresence:${req.extension})`, value: presenceStateValue(req) },
    {
      variable: `DEVICE_STATE(${DND_DEVICE_PREFIX}${req.extension})`,
      value: req.status === "dnd" ? "BUSY" : "NOT_INUSE",
    },
  ];
}

/** `away,,SW4gYSBtZWV0aW5n,e` (a note), `dnd,,` (none): state, subtype, message[, options]. */
export function presenceStateValue(req: Pick<StatusRequest, "status" | "note">): string {
  if (!req.note) return `${req.status},,`;
  return `${req.status},,${Buffer.from(req.note, "utf8").toString("base64")},e`;
}
