// Plays captured calls back in time, for the protocol simulators (AMI, ESL). A replay is one call: its
// steps (each at an offset in ms from the capture's start) play at `scale` × their capture spacing, can
// pause at a step and resume, and can have their rest replaced when a command changes the call (a
// pickup, a hang-up). What a step does when it is due is the simulator's business (`deliver`).

export interface TimedStep {
  /** Offset (ms) in the capture. */
  at: number;
}

export interface Replay<S extends TimedStep> {
  id: number;
  scenario: string;
  steps: S[];
  cursor: number;
  pauseAt?: number;
  paused: boolean;
  /** Wall time (ms) of step offset 0. */
  origin: number;
  scale: number;
  timer?: NodeJS.Timeout;
  finished: boolean;
  /** The simulator's channels this replay created. */
  channels: Set<string>;
  done: Promise<void>;
  onFinish?: () => void;
}

export interface TrafficOptions {
  /** Calls started per second. */
  rate: number;
  /** Calls live at once, at most. */
  concurrency: number;
  /** Stop after this many calls have completed. */
  total?: number;
}

export interface TrafficHandle {
  stop(): void;
  readonly started: number;
  readonly completed: number;
  /** Resolves when `total` calls completed. */
  done: Promise<void>;
}

/** What a simulator hands out for one replayed call: `V` is its view of a live channel. */
export interface ReplayedCall<V> {
  readonly id: number;
  readonly scenario: string;
  readonly paused: boolean;
  readonly finished: boolean;
  /** Continues a paused replay (or the tail a command left). */
  resume(): void;
  /** Live channels of this call. */
  channels(): V[];
  /** Resolves when the replay has emitted its last event. */
  done: Promise<void>;
}

export class ReplayEngine<S extends TimedStep, R extends Replay<S> = Replay<S>> {
  private readonly replays = new Set<R>();
  // A Map, not a WeakMap: V8 processes WeakMap entries in the atomic part of a full GC (long pauses).
  private readonly resolvers = new Map<R, () => void>();
  private readonly traffic = new CallTraffic();
  private seq = 0;

  constructor(
    private readonly options: {
      /** The scale for steps a command plays (instead of the capture's); read when a command plays. */
      commandTimeScale(): number;
      /** A step is due: make it happen. */
      deliver(step: S, replay: R): void;
    },
  ) {}

  /** The handle for a replay; `view` gives a live channel's view (undefined once it is gone). */
  handle<V>(replay: R, view: (channel: string) => V | undefined): ReplayedCall<V> {
    return {
      id: replay.id,
      scenario: replay.scenario,
      get paused() {
        return replay.paused;
      },
      get finished() {
        return replay.finished;
      },
      resume: () => this.resume(replay),
      channels: () => [...replay.channels].flatMap((c) => view(c) ?? []),
      done: replay.done,
    };
  }

  /** A replay, not started yet (`play` starts it). */
  create(scenario: string, steps: S[], scale: number): R {
    let resolveDone: () => void = () => undefined;
    const done = new Promise<void>((r) => {
      resolveDone = r;
    });
    const replay = {
      id: ++this.seq,
      scenario,
      steps,
      cursor: 0,
      paused: false,
      origin: Date.now() - (steps[0]?.at ?? 0) * scale,
      scale,
      finished: false,
      channels: new Set<string>(),
      done,
    } as Replay<S> as R;
    this.resolvers.set(replay, resolveDone);
    this.replays.add(replay);
    return replay;
  }

  play(replay: R): void {
    if (replay.timer || replay.finished || replay.paused) return;
    if (replay.cursor >= replay.steps.length) {
      this.finish(replay);
      return;
    }
    if (replay.pauseAt !== undefined && replay.cursor >= replay.pauseAt) {
      replay.paused = true;
      return;
    }
    const next = replay.steps[replay.cursor] as S;
    const delay = replay.origin + next.at * replay.scale - Date.now();
    if (delay <= 0) {
      this.fire(replay);
      return;
    }
    replay.timer = setTimeout(() => {
      replay.timer = undefined;
      this.fire(replay);
    }, delay);
  }

  resume(replay: R): void {
    if (replay.finished) return;
    replay.pauseAt = undefined;
    if (!replay.paused) return;
    replay.paused = false;
    const next = replay.steps[replay.cursor];
    if (next) replay.origin = Date.now() - next.at * replay.scale;
    this.play(replay);
  }

  /** A command rewrites what is left of a call: `part` plays now, `tail` after it (held if the call was paused). */
  replaceTail(replay: R, part: S[], holdTail: boolean, tail: S[] = []): void {
    if (replay.timer) clearTimeout(replay.timer);
    replay.timer = undefined;
    const wasPaused = replay.paused || replay.pauseAt !== undefined;
    replay.steps = [...part, ...tail];
    replay.cursor = 0;
    replay.scale = this.options.commandTimeScale();
    replay.origin = Date.now() - (replay.steps[0]?.at ?? 0) * replay.scale;
    replay.paused = false;
    replay.pauseAt = wasPaused || holdTail ? part.length : undefined;
    if (replay.pauseAt === 0 && tail.length === 0) replay.pauseAt = undefined;
    this.play(replay);
  }

  /** Steps a command plays on their own (not on a replayed call). */
  playNow(steps: S[], onFinish?: () => void): R {
    const replay = this.create("command", steps, this.options.commandTimeScale());
    if (onFinish) replay.onFinish = onFinish;
    this.play(replay);
    return replay;
  }

  /** Starts calls at `rate` per second with at most `concurrency` live; `start(index)` starts one. */
  startTraffic(opts: TrafficOptions, start: (index: number) => { done: Promise<void> }): TrafficHandle {
    return this.traffic.start(opts, start);
  }

  /** Stops all traffic and every replay's timer (the simulator is stopping). */
  stopAll(): void {
    this.traffic.stopAll();
    for (const r of this.replays) if (r.timer) clearTimeout(r.timer);
    this.replays.clear();
    this.resolvers.clear();
  }

  private fire(replay: R): void {
    const now = Date.now();
    while (replay.cursor < replay.steps.length && !replay.finished) {
      if (replay.pauseAt !== undefined && replay.cursor >= replay.pauseAt) break;
      const step = replay.steps[replay.cursor] as S;
      if (replay.origin + step.at * replay.scale > now) break;
      replay.cursor++;
      this.options.deliver(step, replay);
    }
    this.play(replay);
  }

  /** Ends a replay now (its remaining steps never play). */
  finish(replay: R): void {
    if (replay.finished) return;
    replay.finished = true;
    this.replays.delete(replay);
    replay.onFinish?.();
    this.resolvers.get(replay)?.();
    this.resolvers.delete(replay);
  }
}

/** Generated call traffic: calls started at a steady rate, at most so many at once. */
export class CallTraffic {
  private readonly running = new Set<{ stop(): void }>();

  /** Starts calls at `rate` per second with at most `concurrency` live; `start(index)` starts one. */
  start(opts: TrafficOptions, start: (index: number) => { done: Promise<void> }): TrafficHandle {
    let started = 0;
    let completed = 0;
    let live = 0;
    let stopped = false;
    let resolveDone: () => void = () => undefined;
    const done = new Promise<void>((r) => {
      resolveDone = r;
    });
    const t0 = Date.now();
    const tick = (): void => {
      if (stopped) return;
      const due = Math.floor(((Date.now() - t0) / 1000) * opts.rate) + 1;
      while (started < due && live < opts.concurrency && (opts.total === undefined || started < opts.total)) {
        const index = started++;
        live++;
        void start(index).done.then(() => {
          live--;
          completed++;
          if (opts.total !== undefined && completed >= opts.total) {
            handle.stop();
            resolveDone();
          }
        });
      }
    };
    const interval = setInterval(tick, Math.max(1, Math.min(100, Math.floor(1000 / Math.max(1, opts.rate)))));
    const handle = {
      stop: () => {
        stopped = true;
        clearInterval(interval);
        this.running.delete(handle);
      },
    };
    this.running.add(handle);
    tick();
    return {
      stop: handle.stop,
      get started() {
        return started;
      },
      get completed() {
        return completed;
      },
      done,
    };
  }

  stopAll(): void {
    for (const t of [...this.running]) t.stop();
  }
}
