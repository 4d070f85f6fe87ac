// What the two capture tools (capture-asterisk.ts, capture-freeswitch.ts) share: a scenario's timeline.

export interface Timeline {
  /** The lines logged so far (they go into the .md). */
  lines: string[];
  /** Prints `line` stamped with the time since the timeline began, and keeps it. */
  log: (line: string) => void;
  /** Waits `ms`, logging the wait (and why) first. */
  sleep: (ms: number, why?: string) => Promise<void>;
}

/** A timeline that begins now. */
export function startTimeline(): Timeline {
  const start = Date.now();
  const lines: string[] = [];
  const log = (line: string) => {
    const l = `t+${((Date.now() - start) / 1000).toFixed(2).padStart(6)}s  ${line}`;
    lines.push(l);
    console.log(l);
  };
  const sleep = async (ms: number, why?: string) => {
    log(`sleep ${(ms / 1000).toFixed(1)}s${why ? ` (${why})` : ""}`);
    await new Promise((r) => setTimeout(r, ms));
  };
  return { lines, log, sleep };
}
