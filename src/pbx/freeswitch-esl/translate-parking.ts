// FreeSWITCH valet parking (mod_valet_parking): who is parked in which slot, who retrieves it.

import type { PbxEvent } from "../../domain/events.js";
import { type EslEvent, hdr } from "./frame-parser.js";
import type { EslLegs, KnownLeg } from "./translate-legs.js";

export class EslParking {
  /** `lot/space` -> parked leg, and the leg running valet_park on an occupied slot (the retriever). */
  readonly parkedAt = new Map<string, string>();
  readonly retrievers = new Map<string, string>();

  constructor(
    private readonly pbx: string,
    private readonly legs: EslLegs,
  ) {}

  reset(): void {
    this.parkedAt.clear();
    this.retrievers.clear();
  }

  /** `valet_parking::info` (the leg, if a party, is `l`): hold parks, bridge retrieves, exit gives up. */
  info(l: KnownLeg | undefined, e: EslEvent, at: number, out: PbxEvent[]): void {
    const lot = hdr(e, "Valet-Lot-Name") ?? "default";
    const space = hdr(e, "Valet-Extension") ?? "";
    const action = hdr(e, "Action");
    if (!l || !space) return;
    if (action === "hold") {
      if (l.parked) return;
      l.parked = { lot, space };
      this.parkedAt.set(`${lot}/${space}`, l.uuid);
      out.push({ pbx: this.pbx, at, type: "call.parked", leg: l.uuid, lot, space });
    } else if (action === "bridge") {
      this.unpark(l, "retrieved", at, out);
    } else if (action === "exit") {
      this.unpark(l, "gave-up", at, out);
    }
  }

  /** A leg runs `valet_park <lot> <space>`: on an occupied slot it is the retriever. */
  valetPark(leg: string, data: string): void {
    const [lot, space] = data.split(/\s+/);
    if (!lot || !space) return;
    const key = `${lot}/${space}`;
    const parked = this.parkedAt.get(key);
    if (parked && parked !== leg) this.retrievers.set(key, leg);
  }

  unpark(l: KnownLeg, outcome: "retrieved" | "gave-up", at: number, out: PbxEvent[]): void {
    const parked = l.parked;
    if (!parked) return;
    l.parked = undefined;
    const key = `${parked.lot}/${parked.space}`;
    if (this.parkedAt.get(key) === l.uuid) this.parkedAt.delete(key);
    const retriever = this.retrievers.get(key);
    this.retrievers.delete(key);
    out.push({
      pbx: this.pbx,
      at,
      type: "call.unparked",
      leg: l.uuid,
      lot: parked.lot,
      space: parked.space,
      outcome,
      ...(outcome === "retrieved" && retriever && this.legs.legs.get(retriever)?.leg ? { retriever } : {}),
    });
  }
}
