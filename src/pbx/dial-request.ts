// What every driver checks of a click-to-call request before it reaches the PBX (the operations layer has
// decided who may call what; this keeps the protocol strings safe whoever built the request), and the
// caller id it presents.

import type { CommandOutcome, DialRequest } from "./driver.js";
import type { PbxKind } from "./driver-descriptor.js";

/** A number the phone's leg dials: digits with an optional leading `+` (dial-right.ts writes them so). */
const DESTINATION = /^\+?\d{1,32}$/;
/** A dialplan context name: letters, digits, `_`, `-`, `.` (Asterisk and FreeSWITCH alike). */
export const DIALPLAN_CONTEXT = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const EXTENSION = /^[0-9A-Za-z*#+]{1,32}$/;

/** `refused` (a 409) when the request cannot be put into a PBX command as it is; otherwise undefined. */
export function unusableDial(req: DialRequest): CommandOutcome | undefined {
  const bad = (what: string): CommandOutcome => ({
    status: "refused",
    reason: "invalid-argument",
    message: `unusable ${what}`,
  });
  if (!DESTINATION.test(req.destination)) return bad(`destination ${req.destination}`);
  if (!DIALPLAN_CONTEXT.test(req.context)) return bad(`dialplan context ${req.context}`);
  if (!EXTENSION.test(req.callerIdNumber)) return bad(`caller id number ${req.callerIdNumber}`);
  return undefined;
}

/** The caller's name as a caller id may carry it: no quotes, angle brackets, braces, commas or line breaks. */
export function callerIdName(req: DialRequest): string | undefined {
  const name = req.callerIdName
    ?.replace(/["<>{}',\r\n\t]/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  return name ? name : undefined;
}

/** `"Alice Sales" <1001>`, or `<1001>` without a name (Asterisk's CallerID form). */
export function asteriskCallerId(req: DialRequest): string {
  const name = callerIdName(req);
  return name ? `"${name}" <${req.callerIdNumber}>` : `<${req.callerIdNumber}>`;
}

/** Where click-to-call dials when the pbx entry sets no `dialContext`: the usual internal context. */
export const DEFAULT_DIAL_CONTEXT: Readonly<Record<PbxKind, string>> = {
  asterisk: "from-internal",
  freeswitch: "default",
};
