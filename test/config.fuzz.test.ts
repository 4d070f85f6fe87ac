// Fuzz guard (issue 14): random mutations of callsight.example.yaml (bytes, lines, keys, values, YAML
// syntax: anchors, aliases, merge keys, tags, flow collections, prototype-named keys), with and without
// environment overrides. Each must either load or fail with a ConfigError whose every line names the
// file and says what is wrong — never another exception, never a slow case. Fixed seed, FUZZ_CASES cases.

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "../src/config/load.js";
import {
  type ByteMutation,
  byteMutationArb,
  expectClean,
  FUZZ_CASES,
  FUZZ_TIMEOUT_MS,
  mutateBytes,
  runFuzz,
} from "./support/fuzz.js";

const FILE = "callsight.yaml";
const EXAMPLE = readFileSync(fileURLToPath(new URL("../callsight.example.yaml", import.meta.url)));

const WORDS = [
  // keys of the file
  "monitoringRoles",
  "pbx",
  "id",
  "driver",
  "host",
  "port",
  "username",
  "secret",
  "trunks",
  "extensionPattern",
  "ivr",
  "context",
  "exten",
  "companion",
  "app",
  "domain",
  "recording",
  "directory",
  "store",
  "retentionDays",
  "beepSeconds",
  "departments",
  "users",
  "name",
  "extension",
  "devices",
  "role",
  "showMyCalls",
  "presence",
  "calls",
  "sharePresence",
  "pickupDelegates",
  "operations",
  "pickup",
  "listen",
  // YAML syntax
  "&a ",
  "*a",
  "<<: *a",
  "<<: [*a, *a]",
  "!!binary ",
  "!!set ",
  "!!map ",
  "!!str ",
  "!!int ",
  "!!float ",
  "!!timestamp ",
  "!!js/function ",
  "!custom ",
  "? ",
  "- ",
  "  ",
  "\t",
  "---\n",
  "...\n",
  "%YAML 1.1\n",
  "|\n  x\n",
  ">-\n",
  "'",
  "#",
  "{",
  "}",
  "[",
  "]",
  ",",
  "~",
  "null",
  "[]",
  "{}",
  "0x1F",
  "0o17",
  ".inf",
  "-.inf",
  ".nan",
  "1e400",
  "2026-01-01",
  "yes",
  "no",
  "on",
  "off",
  "1_000",
  '"\\u0000"',
  "__proto__: { polluted: yes }",
  "constructor: { prototype: { polluted: yes } }",
  "^(a+)+$",
  "[invalid(regex",
  "ami",
  "ari",
  "esl",
  "admin",
  "supervisor",
  "external",
  "all",
];

interface Case {
  mutations: ByteMutation[];
  env: Record<string, string>;
}

const caseArb: fc.Arbitrary<Case> = fc.record({
  mutations: fc.array(byteMutationArb(WORDS), { minLength: 1, maxLength: 6 }),
  env: fc.dictionary(
    fc.constantFrom(
      "CALLSIGHT_PBX_MAIN_HOST",
      "CALLSIGHT_PBX_MAIN_PORT",
      "CALLSIGHT_PBX_MAIN_USERNAME",
      "CALLSIGHT_PBX_MAIN_SECRET",
      "CALLSIGHT_PBX_MAIN_COMPANION_PORT",
    ),
    fc.constantFrom("", "pbx.example.com", "5038", "0", "70000", "x", "__proto__", "-1"),
    { maxKeys: 2 },
  ),
});

describe("callsight.yaml loading under mutation (fuzz guard)", () => {
  it(
    `loads or names every problem for ${FUZZ_CASES} mutations of the example file`,
    () => {
      let loaded = 0;
      const report = runFuzz(caseArb, (c) => {
        const text = mutateBytes(EXAMPLE, c.mutations, "\n").toString("utf8");
        try {
          parseConfig(text, FILE, c.env);
          loaded++;
        } catch (err) {
          if (!(err instanceof ConfigError)) throw err;
          if (err.problems.length === 0) throw new Error("ConfigError without a problem");
          for (const line of err.message.split("\n")) {
            if (!line.startsWith(`${FILE}: `) || line.length <= FILE.length + 2)
              throw new Error(
                `ConfigError line does not name the file and a problem: ${JSON.stringify(line)}`,
              );
            if (line.includes("[object Object]"))
              throw new Error(`unreadable problem: ${JSON.stringify(line)}`);
          }
        }
        return undefined;
      });
      expectClean(report);
      expect(report.cases).toBe(FUZZ_CASES);
      // The mutations leave some files valid: both outcomes are exercised.
      expect(loaded).toBeGreaterThan(0);
      expect(loaded).toBeLessThan(FUZZ_CASES);
    },
    FUZZ_TIMEOUT_MS,
  );
});
