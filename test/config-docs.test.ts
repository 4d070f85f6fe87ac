// The documentation names `callsight.yaml` settings as `recording.<key>`, `history.<key>`, `auth.<key>` or `http.<key>`: each one it names must be a key
// the configuration accepts (a misspelt name in a README sends operators to a setting that is refused).

import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { ConfigError, parseConfig } from "../src/config/load.js";
import { PBX_EVENT_TYPES } from "../src/domain/events.js";

/** `recording.started` / `recording.stopped` are event names, not settings. */
const EVENT_NAMES = new Set<string>(PBX_EVENT_TYPES);

const DOCS = ["README.md", "docs", "dialplan", "src"];

function markdownFiles(entry: string): string[] {
  if (entry.endsWith(".md")) return [entry];
  if (path.extname(entry) !== "") return [];
  return readdirSync(entry, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() || d.name.endsWith(".md") ? markdownFiles(path.join(entry, d.name)) : [],
  );
}

/** Every `recording.<path>`, `history.<path>`, `auth.<path>` and `http.<path>` the docs name, with where (not Asterisk's `http.conf`). */
function namedSettings(): { key: string; where: string }[] {
  const out: { key: string; where: string }[] = [];
  for (const file of DOCS.flatMap(markdownFiles)) {
    const lines = readFileSync(file, "utf8").split("\n");
    lines.forEach((line, i) => {
      for (const m of line.matchAll(/`((?:recording|history|auth|http)(?:\.[A-Za-z<>_-]+)+)`/g))
        if (!EVENT_NAMES.has(m[1] as string) && !(m[1] as string).endsWith(".conf"))
          out.push({ key: m[1] as string, where: `${file}:${i + 1}` });
    });
  }
  return out;
}

/** The problems parsing the example configuration gives with `key` set (placeholders: an existing id). */
function problemsWith(key: string): string[] {
  const doc = parse(readFileSync("callsight.example.yaml", "utf8")) as Record<string, unknown>;
  const parts = key.split(".").map((p) => (p.startsWith("<") ? "support" : p));
  let node = doc;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    node[part] = typeof next === "object" && next !== null ? next : {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts.at(-1) as string] = 1;
  try {
    parseConfig(stringify(doc), "callsight.yaml", {});
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

describe("settings the documentation names", () => {
  const named = namedSettings();

  it("finds the recording settings the READMEs name", () => {
    expect(named.map((n) => n.key)).toContain("recording.beepSeconds");
    expect(named.map((n) => n.key)).toEqual(
      expect.arrayContaining(["auth.failureLimit", "auth.failureWindowSeconds", "auth.trustedProxies"]),
    );
  });

  it.each(named.map((n) => [n.key, n.where]))("%s (%s) is a key callsight.yaml accepts", (key) => {
    expect(problemsWith(key).filter((p) => p.includes("unknown key"))).toEqual([]);
  });
});
