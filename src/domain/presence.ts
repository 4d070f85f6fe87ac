// A user's presence, derived from all their devices, their legs and their chosen state.

export const PRESENCE_STATES = [
  "offline",
  "available",
  "away",
  "dnd",
  "ringing",
  "on-hold",
  "on-call",
] as const;
export type Presence = (typeof PRESENCE_STATES)[number];

/** Precedence from the design: on-call > on-hold > ringing > dnd > away > available > offline. */
const RANK: Record<Presence, number> = {
  offline: 0,
  available: 1,
  away: 2,
  dnd: 3,
  ringing: 4,
  "on-hold": 5,
  "on-call": 6,
};

export type ChosenPresence = "available" | "away" | "dnd" | "unavailable" | "not-set";

export interface PresenceInputs {
  /** Reachability each of the user's devices last reported (missing: never reported). */
  reachability: readonly boolean[];
  /**
   * Whether the user's PBX listed its devices (a resync does): then a device it did not report is not there
   * and a user with none reported has no phone. Otherwise (a replayed trace) nothing reported means unknown.
   */
  devicesListed?: boolean;
  chosen: ChosenPresence;
  dnd: boolean;
  /** One entry per active leg of the user. */
  legs: readonly ("ringing" | "talking" | "held")[];
}

export function derivePresence(inputs: PresenceInputs): Presence {
  let best: Presence = "offline";
  const raise = (p: Presence) => {
    if (RANK[p] > RANK[best]) best = p;
  };
  const unknown = inputs.reachability.length === 0 && inputs.devicesListed !== true;
  const reachable = unknown || inputs.reachability.some((r) => r) || inputs.legs.length > 0;
  if (reachable) raise("available");
  // What the user chose outranks "offline" (design precedence): a user on DND stays DND when their phone drops.
  if (inputs.chosen === "away" || inputs.chosen === "unavailable") raise("away");
  if (inputs.dnd || inputs.chosen === "dnd") raise("dnd");
  for (const leg of inputs.legs) {
    if (leg === "ringing") raise("ringing");
    else if (leg === "held") raise("on-hold");
    else raise("on-call");
  }
  return best;
}
