// Directed pickup on FreeSWITCH: `intercept <uuid>` names the ringing leg, or (FusionPBX's `**<extension>`)
// the ringing leg's caller. How the ringing leg ends tells what happened:
// - PICKED_OFF / LOSE_RACE: the ringing leg itself was taken (test/fixtures/freeswitch/09-intercept);
// - ORIGINATOR_CANCEL: a mod_callcenter caller was taken from under its ringing agents, whose legs the queue
//   cancels (test/fixtures/queues/freeswitch/36-callcenter-pickup). Whose ringing call it was is the agent
//   whose extension the picker dialled (`**1001`); with one agent ringing, that one.

import type { KnownLeg } from "./translate-legs.js";

interface Waiting {
  /** The leg `intercept` named. */
  target: string;
  /** What the picker dialled (`**1001`). */
  dialled: string;
}

export class EslIntercepts {
  private readonly waiting = new Map<string, Waiting>();
  /** Callers taken from under their ringing agents (the pickup is made): until their queue says they left. */
  private readonly takenCallers = new Set<string>();

  constructor(private readonly legs: ReadonlyMap<string, KnownLeg>) {}

  /** Leg `picker`, having dialled `dialled`, runs `intercept` on `target`. */
  intercept(picker: string, target: string, dialled: string): void {
    this.waiting.set(picker, { target, dialled });
  }

  /**
   * Leg `l` hung up with `cause` (it is no longer among the known legs): the pickup that ended it, as the
   * picker's leg and the ringing leg that was taken, if an intercept did.
   */
  pickedUp(l: KnownLeg, cause: string): { picker: string; target: string } | undefined {
    if (cause === "PICKED_OFF" || cause === "LOSE_RACE") {
      for (const [picker, w] of this.waiting) {
        if (w.target !== l.uuid && w.target !== l.originator) continue;
        this.waiting.delete(picker);
        if (this.legs.get(picker)?.leg) return { picker, target: l.uuid };
      }
      return undefined;
    }
    if (cause !== "ORIGINATOR_CANCEL" || !l.outgoing || l.answered || l.originator === undefined)
      return undefined;
    for (const [picker, w] of this.waiting) {
      if (w.target !== l.originator) continue;
      this.waiting.delete(picker);
      if (!this.legs.get(picker)?.leg) return undefined;
      const ringing = [l, ...this.ringingFor(l.originator)];
      this.takenCallers.add(l.originator);
      const taken =
        ringing.find((r) => r.number !== undefined && w.dialled.endsWith(r.number)) ??
        (ringing.length === 1 ? l : undefined);
      return taken ? { picker, target: taken.uuid } : undefined;
    }
    return undefined;
  }

  /**
   * Whether waiting caller `caller` left its queue because an intercept took it (mod_callcenter says
   * `BREAK_OUT`, as for a caller who hung up). Asked once, when the queue says the caller left.
   */
  takenFromQueue(caller: string): boolean {
    if (this.takenCallers.delete(caller)) return true;
    for (const w of this.waiting.values()) if (w.target === caller) return true;
    return false;
  }

  forget(uuid: string): void {
    this.waiting.delete(uuid);
    this.takenCallers.delete(uuid);
  }

  reset(): void {
    this.waiting.clear();
    this.takenCallers.clear();
  }

  /** The known legs still ringing for `caller` (a queue's agents). */
  private ringingFor(caller: string): KnownLeg[] {
    const out: KnownLeg[] = [];
    for (const l of this.legs.values())
      if (l.leg && l.outgoing && !l.answered && l.originator === caller) out.push(l);
    return out;
  }
}
