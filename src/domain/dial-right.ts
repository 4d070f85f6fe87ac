// Click-to-call (O6 in docs/design.md): whom V may have Callsight call for them, decided from the directory
// and the PBX's extension rule alone (there is no call yet). `to` names a colleague on V's board by user id,
// or a phone number. A number is internal when it is a colleague's extension or matches the PBX's
// `extensionPattern`; any other number is outside and needs `operations.dialExternal` on top of
// `operations.dial`. Admins pass both switches, as they pass every switch.
//
// A refusal tells nothing V's board does not show: a user id V does not see is refused exactly like one
// that does not exist (`unknown-target`), and a user id made of digits that V does not see is simply
// dialled as the number it is (anyone may dial an extension from their phone).

import type { Directory, User } from "./directory.js";
import type { RefusalReason } from "./permissions.js";
import { canSeePresence, isAdmin } from "./visibility.js";

/** The longest number Callsight dials (ITU E.164 allows 15 digits; room for prefixes and extensions). */
export const MAX_DIAL_DIGITS = 32;

export type DialDecision =
  | {
      allowed: true;
      /** What the viewer's phone dials: the colleague's extension or the number's digits. */
      destination: string;
      /** An outside number (not a colleague's extension, not matching extensionPattern). */
      external: boolean;
      /** The colleague called, when `to` named one. */
      colleague?: string;
    }
  | { allowed: false; reason: RefusalReason; message: string };

/** What the viewer's PBX calls an extension (its `extensionPattern`, default 2 to 6 digits). */
export interface DialRules {
  isExtension(number: string): boolean;
}

/** Characters people type into a phone number besides digits: a leading +, spaces, - . / ( ). */
const NUMBER_LIKE = /^[0-9+\s()./-]+$/;

/**
 * The number `to` names, as the PBX should dial it: digits with an optional leading `+`, with the spaces,
 * dashes, dots, slashes and parentheses people write dropped (`+49 (30) 1234-56` -> `+4930123456`).
 * `invalid` when it is written like a number but is none; undefined when it is not written like a number.
 */
export function dialNumber(to: string): string | "invalid" | undefined {
  const text = to.trim();
  if (!NUMBER_LIKE.test(text) || !/\d/.test(text)) return undefined;
  const digits = text.replace(/[\s()./-]/g, "");
  return new RegExp(`^\\+?\\d{1,${MAX_DIAL_DIGITS}}$`).test(digits) ? digits : "invalid";
}

function refuse(reason: RefusalReason, message: string): DialDecision {
  return { allowed: false, reason, message };
}

/** Whether a number reaches a colleague or the PBX itself: a directory extension, or extensionPattern. */
export function isInternalNumber(directory: Directory, number: string, rules: DialRules): boolean {
  for (const u of directory.users.values()) if (u.extension === number) return true;
  return rules.isExtension(number);
}

export function authorizeDial(
  directory: Directory,
  viewerId: string,
  to: string,
  rules: DialRules,
): DialDecision {
  const v = directory.users.get(viewerId);
  if (!v) return refuse("unknown-viewer", `no user ${viewerId}`);
  const admin = isAdmin(v);
  // 1. The viewer's own right, before anything about `to`.
  if (!admin && !v.settings.operations.dial) return refuse("operation-disabled", `${v.id} may not dial`);
  const named = to.trim();
  if (!named) return refuse("invalid-target", "to: empty; name a colleague's user id or a phone number");
  // 2. A colleague on V's board, by user id.
  const t = directory.users.get(named);
  if (t && (admin || canSeePresence(v, t))) return colleague(v, t);
  // 3. A phone number.
  const number = dialNumber(named);
  if (number === "invalid")
    return refuse(
      "invalid-target",
      `to: "${named}" is not a phone number (digits, an optional leading +, at most ${MAX_DIAL_DIGITS} digits)`,
    );
  if (number === undefined)
    return refuse("unknown-target", `to: "${named}" is neither a colleague on your board nor a phone number`);
  if (number === v.extension) return refuse("invalid-target", `to: ${number} is your own extension`);
  const external = !isInternalNumber(directory, number, rules);
  if (external && !admin && !v.settings.operations.dialExternal)
    return refuse(
      "external-not-allowed",
      `to: ${number} is an outside number, and ${v.id} may call only colleagues and extensions (operations.dialExternal is off)`,
    );
  return { allowed: true, destination: number, external };
}

function colleague(v: User, t: User): DialDecision {
  if (t.id === v.id) return refuse("invalid-target", "to: that is you; name a colleague or a number");
  return { allowed: true, destination: t.extension, external: false, colleague: t.id };
}
