// What the ARI call commands answer when they cannot carry on: HTTP errors become clear outcomes
// (`failed` with the PBX's answer in words), never exceptions.

import type { CommandOutcome } from "../driver.js";
import { AriHttpError } from "./http.js";

export function notConnected(): CommandOutcome {
  return { status: "failed", message: "ARI not connected" };
}

export function unknownLeg(leg: string): CommandOutcome {
  return { status: "refused", reason: "unknown-leg", message: `no live channel known for leg ${leg}` };
}

/** HTTP errors become clear outcomes, never exceptions: `texts` says what a status means for this request. */
export function failure(err: unknown, texts: Partial<Record<number, string>>): CommandOutcome {
  if (err instanceof AriHttpError) {
    const text = texts[err.status];
    if (text) return { status: "failed", message: `${text} (ARI ${err.status} ${err.ariMessage})` };
    if (err.status === 0) return { status: "failed", message: `ARI did not answer: ${err.ariMessage}` };
    return { status: "failed", message: err.message };
  }
  return { status: "failed", message: err instanceof Error ? err.message : String(err) };
}
