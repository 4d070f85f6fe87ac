// Hold as Asterisk shows it: Hold/Unhold name the holder's channel, ONHOLD marks the held party's device.

import type { SnapshotLeg } from "../../domain/events.js";

/**
 * CoreShowChannels (AMI) and GET /channels (ARI) say nothing about hold. Asterisk puts the ONHOLD
 * device state on the *held* party's device while Hold/Unhold name the *holder's* channel (trace 06),
 * and the model keeps `held` on the holder's leg. So a device in ONHOLD with a single bridged leg marks
 * that leg's only bridge peer as the holder: the live `Unhold` that follows then clears it.
 */
export function markHolders(legs: SnapshotLeg[], deviceStates: ReadonlyMap<string, string>): void {
  const byEndpoint = new Map<string, SnapshotLeg[]>();
  for (const l of legs) byEndpoint.set(l.endpoint, [...(byEndpoint.get(l.endpoint) ?? []), l]);
  for (const [endpoint, state] of deviceStates) {
    if (state !== "ONHOLD") continue;
    const own = byEndpoint.get(endpoint);
    if (own?.length !== 1) continue;
    const held = own[0] as SnapshotLeg;
    if (!held.bridge) continue;
    const peers = legs.filter((l) => l !== held && l.bridge === held.bridge);
    if (peers.length === 1) (peers[0] as SnapshotLeg).held = true;
  }
}
