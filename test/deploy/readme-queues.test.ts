// README "Setting up queues and ring groups" shows operators the PBX lines for a queue and a ring group (FreePBX-
// style Asterisk, FusionPBX-style FreeSWITCH) and the callsight.yaml that goes with them. They must be the lines
// the live suite really runs: each fenced block there follows a `<!-- live: <file>[#<part>] -->` comment naming
// the live configuration it comes from, and every line of it that is not a comment or blank must be in that file,
// in the same order (whitespace aside, and the live files' placeholders as the README writes them). A
// callsight.yaml block must name the queues and `queueMember` the live site uses, and be accepted by the
// configuration loader.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { parseConfig } from "../../src/config/load.js";

const SECTION = "## Queues and ring groups";
const SUBSECTION = "### Setting up queues and ring groups";

/** What the README writes for the live files' placeholders (the suite fills them with ports and its domain). */
const PLACEHOLDERS: Record<string, string> = {
  "$${live_domain}": "pbx.example.com",
  "@DOMAIN@": "pbx.example.com",
  "@AMI_PORT@": "5038",
  "@HTTP_PORT@": "8088",
  "@ESL_PORT@": "8021",
  "@SIP_PORT@": "5060",
  "@ESL_PASSWORD@": "ClueCon",
};

/** The live files the section must show lines of. */
const EXPECTED_SOURCES = [
  "test/live/asterisk/rest.conf#queues.conf",
  "test/live/asterisk/extensions.conf",
  "dialplan/asterisk/manager.conf.sample",
  "test/live/support/asterisk-site.ts",
  "test/live/freeswitch/freeswitch.xml",
  "test/live/support/freeswitch-site.ts",
];

interface Block {
  /** `file` or `file#part`, as the marker names it. */
  source: string;
  lang: string;
  body: string;
  /** 1-based line of the opening fence in README.md. */
  line: number;
}

/** The text between `heading` and the next heading of the same or a higher level. */
function sectionOf(lines: string[], heading: string): { lines: string[]; offset: number } {
  const start = lines.indexOf(heading);
  if (start < 0) return { lines: [], offset: 0 };
  const level = heading.indexOf(" ");
  let fenced = false;
  let end = lines.length;
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.startsWith("```")) fenced = !fenced;
    else if (!fenced && /^#+ /.test(line) && line.indexOf(" ") <= level) {
      end = i;
      break;
    }
  }
  return { lines: lines.slice(start, end), offset: start };
}

/** The fenced blocks of the subsection, each with the marker before it (source "" when there is none). */
function readmeBlocks(readme: string): Block[] {
  const all = readme.split("\n");
  const section = sectionOf(all, SECTION);
  const sub = sectionOf(section.lines, SUBSECTION);
  const lines = sub.lines;
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w+)/.exec(lines[i] as string);
    if (!open) continue;
    const close = lines.findIndex((l, j) => j > i && l.startsWith("```"));
    if (close < 0) throw new Error(`README.md:${section.offset + sub.offset + i + 1}: unclosed code block`);
    const marker = /^<!-- live: (\S+) -->$/.exec(lines[i - 1] ?? "");
    blocks.push({
      source: marker?.[1] ?? "",
      lang: open[1] as string,
      body: lines.slice(i + 1, close).join("\n"),
      line: section.offset + sub.offset + i + 1,
    });
    i = close;
  }
  return blocks;
}

/** The live file's text (a `#part` of rest.conf: the last `;;; <part>` file in it, as the suite writes them). */
function liveText(source: string): string {
  const [file, part] = source.split("#") as [string, string | undefined];
  let text = readFileSync(file, "utf8");
  if (part !== undefined) {
    const parts = text
      .split(/^;;; /m)
      .slice(1)
      .filter((p) => p.slice(0, p.indexOf("\n")).trim() === part);
    const last = parts.at(-1);
    if (last === undefined) throw new Error(`${file} has no ";;; ${part}" file`);
    text = last.slice(last.indexOf("\n") + 1);
  }
  for (const [placeholder, value] of Object.entries(PLACEHOLDERS)) text = text.replaceAll(placeholder, value);
  return text;
}

/** The lines that count: comments (`;` in ini, `<!-- -->` in XML) and blank lines dropped, whitespace collapsed. */
function meaningfulLines(text: string, lang: string): string[] {
  const uncommented = lang === "xml" ? text.replace(/<!--[\s\S]*?-->/g, "") : text;
  return uncommented
    .split("\n")
    .map((l) => l.trim().replace(/\s+/g, " "))
    .filter((l) => l !== "" && !(lang === "ini" && l.startsWith(";")));
}

/** The block's lines that are not in the live lines in the block's order, each with why. */
function missingLines(block: string[], live: string[]): string[] {
  const problems: string[] = [];
  let from = 0;
  for (const line of block) {
    const at = live.indexOf(line, from);
    if (at >= 0) from = at + 1;
    else problems.push(live.includes(line) ? `out of order: ${line}` : `not in the live file: ${line}`);
  }
  return problems;
}

/** The string literals of every `key: [...]` array in a TypeScript source. */
function stringArrays(source: string, key: string): string[] {
  return [...source.matchAll(new RegExp(`\\b${key}:\\s*\\[([^\\]]*)\\]`, "g"))].flatMap((m) =>
    [...(m[1] as string).matchAll(/"([^"]*)"/g)].map((s) => s[1] as string),
  );
}

/** Every `queueMember: { interface: "…", stateInterface: "…" }` object literal in a TypeScript source (braces in strings aside). */
function queueMembers(source: string): { interface?: string; stateInterface?: string }[] {
  return [...source.matchAll(/\bqueueMember:\s*\{((?:[^{}"]|"[^"]*")*)\}/g)].map((m) => {
    const body = m[1] as string;
    const iface = /(?<![A-Za-z])interface:\s*"([^"]*)"/.exec(body)?.[1];
    const state = /\bstateInterface:\s*"([^"]*)"/.exec(body)?.[1];
    return {
      ...(iface !== undefined && { interface: iface }),
      ...(state !== undefined && { stateInterface: state }),
    };
  });
}

interface Fragment {
  pbx?: { queueMember?: { interface: string; stateInterface: string } }[];
  departments?: { id: string; queues?: { name: string }[] }[];
}

/** The example configuration with the block's pbx list and departments (by id) in it: what the loader says. */
function problemsWith(fragment: Fragment): string[] {
  const doc = parse(readFileSync("callsight.example.yaml", "utf8")) as Record<string, unknown>;
  if (fragment.pbx) doc.pbx = fragment.pbx;
  const departments = doc.departments as { id: string }[];
  for (const d of fragment.departments ?? []) {
    const i = departments.findIndex((e) => e.id === d.id);
    if (i >= 0) departments[i] = d;
    else departments.push(d);
  }
  try {
    parseConfig(stringify(doc), "README.md", {});
    return [];
  } catch (err) {
    return (err as { problems?: string[] }).problems ?? [String(err)];
  }
}

const blocks = readmeBlocks(readFileSync("README.md", "utf8"));
const pbxBlocks = blocks.filter((b) => b.source !== "" && (b.lang === "ini" || b.lang === "xml"));
const yamlBlocks = blocks.filter((b) => b.source !== "" && b.lang === "yaml");

describe(`README "${SUBSECTION.slice(4)}"`, () => {
  it("has its blocks, each after the marker naming its live file", () => {
    expect(blocks.length).toBeGreaterThan(0);
    expect(blocks.filter((b) => b.source === "").map((b) => `README.md:${b.line}`)).toEqual([]);
    expect(blocks.filter((b) => !["ini", "xml", "yaml"].includes(b.lang)).map((b) => b.lang)).toEqual([]);
    expect([...new Set(blocks.map((b) => b.source))].sort()).toEqual([...EXPECTED_SOURCES].sort());
  });

  it.each(pbxBlocks.map((b) => [`README.md:${b.line}`, b.source, b] as const))(
    "%s: every line is in %s, in order",
    (_where, source, block) => {
      const lines = meaningfulLines(block.body, block.lang);
      expect(lines.length).toBeGreaterThan(0);
      expect(missingLines(lines, meaningfulLines(liveText(source), block.lang))).toEqual([]);
    },
  );

  it.each(yamlBlocks.map((b) => [`README.md:${b.line}`, b.source, b] as const))(
    "%s: callsight.yaml with the queues and queueMember of %s, accepted by the loader",
    (_where, source, block) => {
      const fragment = parse(block.body) as Fragment;
      const live = readFileSync(source, "utf8");
      const names = (fragment.departments ?? []).flatMap((d) => (d.queues ?? []).map((q) => q.name));
      expect(names.length).toBeGreaterThan(0);
      expect(stringArrays(live, "salesQueues")).toEqual(expect.arrayContaining(names));
      // The live site's member template, as the README gives it (none: neither does the live site).
      const readmeMembers = (fragment.pbx ?? []).flatMap((p) => (p.queueMember ? [p.queueMember] : []));
      const liveMembers = queueMembers(live);
      expect(readmeMembers.length > 0).toBe(liveMembers.length > 0);
      for (const m of liveMembers) expect(readmeMembers).toContainEqual(m);
      expect(problemsWith(fragment)).toEqual([]);
    },
  );
});
