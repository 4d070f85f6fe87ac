// The AMI user operators copy (dialplan/asterisk/manager.conf.sample) filters events on Asterisk's side with
// the same expressions Callsight installs on its session (AMI_WHITELIST_FILTERS): a new event the translation
// reads must be let through by both, or the operator's Asterisk would drop it before Callsight's filters.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { AMI_WHITELIST_FILTERS } from "../../src/pbx/asterisk-ami/filters.js";

const sample = readFileSync("dialplan/asterisk/manager.conf.sample", "utf8");

describe("dialplan/asterisk/manager.conf.sample", () => {
  it("its eventfilter lines are AMI_WHITELIST_FILTERS, in order", () => {
    const filters = [...sample.matchAll(/^eventfilter = (.*)$/gm)].map((m) => m[1]);
    expect(filters).toEqual([...AMI_WHITELIST_FILTERS]);
  });

  it("reads and writes the agent class app_queue's events and actions need", () => {
    expect(sample).toMatch(/^read = .*\bagent\b/m);
    expect(sample).toMatch(/^write = .*\bagent\b/m);
  });
});
