// FreeSWITCH's eavesdrop: the one place that decides a monitoring mode from the spy leg's variables
// (`eavesdrop_whisper_aleg/bleg`, read as FreeSWITCH's switch_true() reads them), and the variables that
// select a mode when Callsight originates a spy leg (traces 10a/10b/10c).

import type { MonitoringMode } from "../../domain/directory.js";

/**
 * The channel variable FreeswitchEslDriver.monitor sets on the spy leg it originates: the monitored leg's
 * uuid. It is in the leg's CHANNEL_CREATE, so the leg is known as a spy leg before it rings.
 */
export const SPY_TARGET_VARIABLE = "callsight_spy_target";

/** eavesdrop whispers to the monitored leg's A-leg / B-leg when these channel variables are true. */
export const WHISPER_ALEG_VARIABLE = "eavesdrop_whisper_aleg";
export const WHISPER_BLEG_VARIABLE = "eavesdrop_whisper_bleg";

/** FreeSWITCH's switch_true(). */
export function fsTrue(v: unknown): boolean {
  if (typeof v !== "string") return false;
  const s = v.toLowerCase();
  return (
    s === "true" ||
    s === "yes" ||
    s === "on" ||
    s === "1" ||
    s === "enabled" ||
    s === "active" ||
    s === "allow"
  );
}

/** eavesdrop's mode from the spy leg's variables: whisper to one leg = whisper, to both = barge. */
export function eavesdropMode(aleg: unknown, bleg: unknown): MonitoringMode {
  const a = fsTrue(aleg);
  const b = fsTrue(bleg);
  if (a && b) return "barge";
  if (a || b) return "whisper";
  return "listen";
}

/** eavesdrop's mode from an event of the spy leg, whose channel variables come as `variable_<name>` headers. */
export function eavesdropModeOf(e: Readonly<Record<string, unknown>>): MonitoringMode {
  return eavesdropMode(e[`variable_${WHISPER_ALEG_VARIABLE}`], e[`variable_${WHISPER_BLEG_VARIABLE}`]);
}

/** The originate variables that select eavesdrop's mode (traces 10a/10b/10c): eavesdropMode's inverse. */
export function eavesdropVariables(mode: MonitoringMode): Record<string, string> {
  if (mode === "barge") return { [WHISPER_ALEG_VARIABLE]: "true", [WHISPER_BLEG_VARIABLE]: "true" };
  if (mode === "whisper") return { [WHISPER_ALEG_VARIABLE]: "true" };
  return {};
}
