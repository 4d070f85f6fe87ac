// Asterisk's per-session event filter (manager.c `match_filter`): each `Filter` is a regular
// expression matched against the whole event text; `!` makes it a blacklist entry.
//   no filters           -> everything passes
//   whitelist only       -> an event passes when a whitelist entry matches
//   blacklist only       -> an event passes unless a blacklist entry matches
//   both                 -> whitelist first, then the blacklist removes

import { type Fields, serialize, TraceLibrary } from "./ami-trace.js";

export class AmiEventFilter {
  readonly white: RegExp[] = [];
  readonly black: RegExp[] = [];

  /** Adds one `Filter:` value. Throws on an invalid expression. */
  add(filter: string): void {
    if (filter.startsWith("!")) this.black.push(new RegExp(filter.slice(1)));
    else this.white.push(new RegExp(filter));
  }

  get empty(): boolean {
    return this.white.length === 0 && this.black.length === 0;
  }

  passes(text: string): boolean {
    if (this.white.length > 0 && !this.white.some((re) => re.test(text))) return false;
    return !this.black.some((re) => re.test(text));
  }
}

export interface FilterSaving {
  scenarios: number;
  events: { total: number; passed: number; savedPct: number };
  bytes: { total: number; passed: number; savedPct: number };
}

/** How much of the captured traffic a filter set removes, measured on the trace files. */
export function measureFilterSaving(
  filters: readonly string[],
  library: TraceLibrary = new TraceLibrary(),
  scenarios: readonly string[] = library.names,
): FilterSaving {
  const filter = new AmiEventFilter();
  for (const f of filters) filter.add(f);
  let events = 0;
  let passed = 0;
  let bytes = 0;
  let passedBytes = 0;
  for (const name of scenarios) {
    for (const e of library.scenario(name).events) {
      const text = serialize(e.fields as Fields);
      events++;
      bytes += Buffer.byteLength(text);
      if (filter.passes(text)) {
        passed++;
        passedBytes += Buffer.byteLength(text);
      }
    }
  }
  const pct = (a: number, b: number): number => (b === 0 ? 0 : Math.round((1000 * (b - a)) / b) / 10);
  return {
    scenarios: scenarios.length,
    events: { total: events, passed, savedPct: pct(passed, events) },
    bytes: { total: bytes, passed: passedBytes, savedPct: pct(passedBytes, bytes) },
  };
}
