// Dial() as Asterisk reports it (AMI DialBegin/DialEnd, ARI Dial).

import type { DialEnded, PbxEvent } from "../../domain/events.js";

/** Asterisk's DIALSTATUS (AMI DialEnd, ARI Dial) in the product's words. */
export function dialStatus(s: string | undefined): DialEnded["status"] {
  switch (s) {
    case "ANSWER":
      return "answered";
    case "BUSY":
      return "busy";
    case "CANCEL":
      return "cancelled";
    case "NOANSWER":
      return "no-answer";
    case "CHANUNAVAIL":
      return "unavailable";
    case "CONGESTION":
      return "congestion";
    default:
      return "other";
  }
}

/**
 * A dial began (AMI DialBegin, ARI Dial without a status). An outside number dialled through a trunk is
 * first known from the dial string (`<number>@<trunk>`), so the callee leg learns it here.
 */
export function dialStarted(
  base: { pbx: string; at: number },
  caller: string | undefined,
  callee: string,
  known: { side: "internal" | "external"; number: string } | undefined,
  dialString: string,
  out: PbxEvent[],
  /** The extension a follow-me or call forward dials this outside leg for (LocalDiversions). */
  onBehalfOf?: string,
): void {
  if (known?.side === "external" && known.number === "") {
    const number = dialString.split("@")[0] ?? "";
    if (number) {
      known.number = number;
      out.push({ ...base, type: "leg.identity", leg: callee, number });
    }
  }
  out.push({
    ...base,
    type: "dial.started",
    ...(caller ? { caller } : {}),
    callee,
    dialString,
    ...(onBehalfOf !== undefined && known?.side === "external" ? { onBehalfOf } : {}),
  });
}
