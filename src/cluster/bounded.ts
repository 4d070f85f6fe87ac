// Waiting on Redis with a bound. A command sent while a connection is down waits in ioredis's offline
// queue, and `disconnect()` on a connection that is between two reconnect attempts leaves it there for
// good: a lease transition or a stop that awaited it would never end. Everything in src/cluster that
// waits for Redis in a transition or a stop goes through these.

export class DeadlineError extends Error {
  constructor(what: string, ms: number) {
    super(`${what}: no answer within ${ms} ms`);
    this.name = "DeadlineError";
  }
}

/** `p`, or a DeadlineError once `ms` passed (a late rejection of `p` is swallowed). */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  p.catch(() => undefined);
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DeadlineError(what, ms)), ms);
      timer.unref?.();
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Waits for `p` to settle, at most `ms`; true when it did in time. Never rejects. */
export function settleWithin(p: Promise<unknown> | undefined, ms: number): Promise<boolean> {
  if (!p) return Promise.resolve(true);
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p.then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
      timer.unref?.();
    }),
  ]).finally(() => clearTimeout(timer));
}

export class AbortedError extends Error {
  constructor() {
    super("aborted");
    this.name = "AbortedError";
  }
}

/** `p`, or an AbortedError as soon as `signal` aborts (a late rejection of `p` is swallowed). */
export function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  p.catch(() => undefined);
  if (signal.aborted) return Promise.reject(new AbortedError());
  let onAbort: (() => void) | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      onAbort = () => reject(new AbortedError());
      signal.addEventListener("abort", onAbort, { once: true });
    }),
  ]).finally(() => {
    if (onAbort) signal.removeEventListener("abort", onAbort);
  });
}

/** A pause that ends early when `signal` aborts. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/**
 * Runs steps one after the other, each given at most `stepMs` before the next one starts anyway (a step
 * that overran goes on in the background: it must check, after each await, that it is still current).
 */
export class StepQueue {
  private chain: Promise<void> = Promise.resolve();
  private queued = 0;

  constructor(
    private readonly stepMs: number,
    private readonly onProblem: (what: string, err?: unknown) => void,
  ) {}

  /** Steps queued or running. */
  get busy(): boolean {
    return this.queued > 0;
  }

  run(what: string, step: () => Promise<void>): void {
    this.queued++;
    this.chain = this.chain
      .then(async () => {
        const done = await settleWithin(
          step().catch((err) => this.onProblem(what, err)),
          this.stepMs,
        );
        if (!done) this.onProblem(what);
      })
      .finally(() => {
        this.queued--;
      });
  }

  /** Waits (at most `ms`) for every step queued so far. */
  idle(ms: number): Promise<boolean> {
    return settleWithin(this.chain, ms);
  }
}
