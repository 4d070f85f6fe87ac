// Plays the ARI server's replays in time: a captured call or a command's event sequence, its steps (ms
// from its start) at `scale` × their spacing; it can pause at a step (and be told to pause again
// further on), resume as if no time had passed, or be cut short when a command takes the call over.
// (The AMI and ESL simulators share replay-engine.ts; ARI's replays differ in those pause and origin
// rules, which its tests rely on.)

import type { AriChannel } from "../../src/pbx/asterisk-ari/types.js";
import type { AriRewriter } from "../ari-trace.js";
import type { AriSimCall, Instance, Step } from "./types.js";

export class AriPlayer {
  private readonly instances = new Set<Instance>();
  private seq = 0;

  constructor(
    private readonly options: {
      /** The scale for steps a command plays, read when one plays. */
      commandTimeScale(): number;
      /** A step is due: make it happen. */
      fire(inst: Instance, step: Step): void;
    },
  ) {}

  /** A replay, not started yet (`play` starts it). */
  create(scenario: string, steps: Step[], scale: number): Instance {
    let resolveDone: () => void = () => undefined;
    const done = new Promise<void>((r) => {
      resolveDone = r;
    });
    const inst: Instance = {
      id: ++this.seq,
      scenario,
      steps,
      next: 0,
      scale,
      origin: Date.now(),
      paused: false,
      finished: false,
      done,
      resolveDone,
      channels: new Set(),
      creation: new Map(),
    };
    this.instances.add(inst);
    return inst;
  }

  find(id: number): Instance | undefined {
    return [...this.instances].find((i) => i.id === id);
  }

  play(inst: Instance): void {
    if (inst.timer) clearTimeout(inst.timer);
    inst.timer = undefined;
    for (;;) {
      if (inst.finished) return;
      if (inst.next >= inst.steps.length) {
        this.finish(inst);
        return;
      }
      if (inst.pauseAt !== undefined && inst.next >= inst.pauseAt) {
        inst.paused = true;
        inst.pauseAt = undefined;
        return;
      }
      if (inst.paused) return;
      const step = inst.steps[inst.next] as Step;
      const due = inst.origin + step.at * inst.scale;
      const wait = due - Date.now();
      if (wait > 1) {
        inst.timer = setTimeout(() => this.play(inst), wait);
        return;
      }
      inst.next++;
      this.options.fire(inst, step);
    }
  }

  resume(inst: Instance): void {
    if (!inst.paused || inst.finished) return;
    inst.paused = false;
    const step = inst.steps[inst.next];
    // Continue from the pause point as if no time had passed in between.
    if (step) inst.origin = Date.now() - step.at * inst.scale;
    this.play(inst);
  }

  finish(inst: Instance): void {
    if (inst.finished) return;
    inst.finished = true;
    if (inst.timer) clearTimeout(inst.timer);
    this.instances.delete(inst);
    inst.resolveDone();
  }

  /** Drops the rest of a replay (a command takes the call over). */
  cut(inst: Instance | undefined): void {
    if (!inst || inst.finished) return;
    inst.steps = inst.steps.slice(0, inst.next);
    inst.paused = false;
    this.finish(inst);
  }

  /** Plays steps from now on (a command's event sequence). */
  playNow(name: string, steps: Step[]): Instance {
    const inst = this.create(name, steps, this.options.commandTimeScale());
    this.play(inst);
    return inst;
  }

  /** Stops every replay's timer (the server is stopping). */
  stopAll(): void {
    for (const inst of this.instances) if (inst.timer) clearTimeout(inst.timer);
    this.instances.clear();
  }

  /** The handle of a replayed call; `channel` gives a live channel (undefined once it is gone). */
  handle(
    inst: Instance,
    rw: AriRewriter,
    capturedAt: number,
    channel: (id: string) => AriChannel | undefined,
  ): AriSimCall {
    return {
      id: inst.id,
      scenario: inst.scenario,
      get origin() {
        return inst.origin;
      },
      capturedAt,
      timeScale: inst.scale,
      rewrite: (value) => rw.exact.get(value) ?? value,
      get paused() {
        return inst.paused;
      },
      get finished() {
        return inst.finished;
      },
      resume: () => this.resume(inst),
      channels: () =>
        [...inst.channels].flatMap((id) => {
          const c = channel(id);
          return c ? [{ ...c }] : [];
        }),
      done: inst.done,
    };
  }
}
