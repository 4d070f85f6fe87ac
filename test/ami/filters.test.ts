// What the session filters save on the captured traces, and proof that the default (whitelist)
// filters lose nothing translate.ts reads: every scenario translates to the same normalized events
// with and without them.

import { describe, expect, it } from "vitest";
import { AmiEventFilter, measureFilterSaving } from "../../simulators/ami-filter.js";
import { serialize, TraceLibrary } from "../../simulators/ami-trace.js";
import { AMI_BLACKLIST_FILTERS, AMI_WHITELIST_FILTERS } from "../../src/pbx/asterisk-ami/driver.js";
import { AmiFrameParser } from "../../src/pbx/asterisk-ami/frame-parser.js";
import { AmiTranslator } from "../../src/pbx/asterisk-ami/translate.js";

const library = new TraceLibrary();
const calls = library.names.filter((n) => !n.startsWith("20-"));

function translate(name: string, filters: readonly string[]) {
  const filter = new AmiEventFilter();
  for (const f of filters) filter.add(f);
  const text = library
    .scenario(name)
    .events.map((e) => serialize(e.fields))
    .filter((t) => filter.passes(t))
    .join("");
  const translator = new AmiTranslator("ast1");
  const out: unknown[] = [];
  new AmiFrameParser(
    { frame: (f) => out.push(...translator.translate(f)), malformed: () => undefined },
    undefined,
    {
      banner: false,
    },
  ).push(text);
  return out;
}

describe("AMI session filters on the captured traces", () => {
  it.each(calls)("whitelist keeps every normalized event of %s", (name) => {
    expect(translate(name, AMI_WHITELIST_FILTERS)).toEqual(translate(name, []));
  });

  it("blacklist loses only the recording file names", () => {
    for (const name of calls) {
      const strip = (events: unknown[]) => events.map((e) => ({ ...(e as object), file: undefined }));
      expect(strip(translate(name, AMI_BLACKLIST_FILTERS)), name).toEqual(strip(translate(name, [])));
    }
  });

  it("measures the saving", () => {
    const white = measureFilterSaving(AMI_WHITELIST_FILTERS, library, calls);
    const black = measureFilterSaving(AMI_BLACKLIST_FILTERS, library, calls);
    const varset = measureFilterSaving(["!Event: VarSet"], library, calls);
    console.log(
      `Filter saving on ${white.scenarios} traces (${white.events.total} events, ${white.bytes.total} bytes):\n` +
        `  whitelist (default): events -${white.events.savedPct}% bytes -${white.bytes.savedPct}%\n` +
        `  blacklist:           events -${black.events.savedPct}% bytes -${black.bytes.savedPct}%\n` +
        `  !Event: VarSet only: events -${varset.events.savedPct}% bytes -${varset.bytes.savedPct}%`,
    );
    expect(white.events.savedPct).toBeGreaterThan(70);
    expect(white.bytes.savedPct).toBeGreaterThan(70);
    expect(varset.events.savedPct).toBeGreaterThan(50);
    // 20-actions: the same short call before and after `Filter: !Event: VarSet` went from 83 to 35 events.
    expect(
      measureFilterSaving(["!Event: VarSet"], library, ["20-actions.reference"]).events.savedPct,
    ).toBeGreaterThan(50);
  });
});
