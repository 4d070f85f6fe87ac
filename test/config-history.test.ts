// `history.retentionDays`: how many days the call history keeps a call (default 90), checked like every
// other setting (a positive whole number; a misspelt key is refused with a suggestion).

import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, parseConfig } from "../src/config/load.js";
import { DEFAULT_HISTORY_RETENTION_DAYS } from "../src/config/schema.js";

const EXAMPLE = fileURLToPath(new URL("../callsight.example.yaml", import.meta.url));

const FILE = `pbx:
  - { id: main, driver: ami, host: 127.0.0.1, username: callsight, secret: change-me }
departments:
  - { id: sales, name: Sales }
users:
  - { id: a, name: A, extension: "10", departments: [sales] }
`;

function problems(text: string): string[] {
  try {
    parseConfig(text, "t.yaml", {});
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

describe("history.retentionDays", () => {
  it("is 90 days unless the file says otherwise", () => {
    expect(DEFAULT_HISTORY_RETENTION_DAYS).toBe(90);
    expect(parseConfig(FILE, "t.yaml", {}).history).toEqual({ retentionDays: 90 });
    expect(parseConfig(`history: { retentionDays: 30 }\n${FILE}`, "t.yaml", {}).history).toEqual({
      retentionDays: 30,
    });
    expect(loadConfig(EXAMPLE, {}).history).toEqual({ retentionDays: 90 });
  });

  it("must be a positive whole number of days", () => {
    for (const value of ["0", "-1", "1.5", "ten"]) {
      expect(problems(`history: { retentionDays: ${value} }\n${FILE}`)).toEqual([
        expect.stringMatching(/^history\.retentionDays: /),
      ]);
    }
  });

  it("refuses a misspelt key, and suggests the right one", () => {
    expect(problems(`history: { retentionDay: 30 }\n${FILE}`)).toEqual([
      expect.stringContaining('history.retentionDay: unknown key (did you mean "retentionDays"?)'),
    ]);
  });
});
