// Turning zod issues into one-line problems that name the place in the file and what is wrong:
// `users[3].recording: expected off | external | all, got "sometimes"`.

import type { z } from "zod";
import { KNOWN_KEYS } from "./schema.js";

export type Path = readonly PropertyKey[];

/** `["users", 3, "recording"]` -> `users[3].recording`. */
export function formatPath(path: Path): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out;
}

/** A problem at a path: `users[0].pbx: unknown pbx "other"`. */
export function at(path: Path, message: string): string {
  return path.length === 0 ? `top level: ${message}` : `${formatPath(path)}: ${message}`;
}

export function valueAt(root: unknown, path: Path): unknown {
  let cur: unknown = root;
  for (const key of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

const TYPE_NAMES: Record<string, string> = {
  object: "mapping",
  array: "list",
  int: "integer",
};

function typeName(expected: string): string {
  return TYPE_NAMES[expected] ?? expected;
}

/** How a received value reads in a message: `string "yes"`, `number 3`, `list`, `null`. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "list";
  switch (typeof value) {
    case "string":
      return `string ${JSON.stringify(value)}`;
    case "number":
    case "boolean":
      return `${typeof value} ${String(value)}`;
    case "object":
      return "mapping";
    default:
      return typeof value;
  }
}

function show(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : describe(value);
}

function entries(n: number | bigint): string {
  return Number(n) === 1 ? "1 entry" : `${n} entries`;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(above + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** The known key a typo most likely meant, if any is close. */
export function suggestKey(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const d = candidate.toLowerCase() === key.toLowerCase() ? 0 : editDistance(key, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(1, Math.floor(key.length / 4)) ? best : undefined;
}

/** One or more one-line problems for a zod issue; `root` is the data zod was given. */
export function formatIssue(issue: z.core.$ZodIssue, root: unknown): string[] {
  const path = issue.path;
  const received = valueAt(root, path);
  switch (issue.code) {
    case "invalid_type":
      if (received === undefined) return [at(path, `missing (expected ${typeName(issue.expected)})`)];
      return [at(path, `expected ${typeName(issue.expected)}, got ${describe(received)}`)];
    case "invalid_value":
      return [at(path, `expected ${issue.values.map(String).join(" | ")}, got ${show(received)}`)];
    case "invalid_format":
      return [at(path, `expected ${issue.message}, got ${show(received)}`)];
    case "unrecognized_keys": {
      const known = KNOWN_KEYS.get(path.filter((k) => typeof k !== "number").join(".")) ?? [];
      return issue.keys.map((key) => {
        const hint = suggestKey(key, known);
        return at([...path, key], hint ? `unknown key (did you mean "${hint}"?)` : "unknown key");
      });
    }
    case "too_small":
      if (issue.origin === "array") {
        return [at(path, `expected at least ${entries(issue.minimum)}`)];
      }
      if (issue.origin === "string") return [at(path, "must not be empty")];
      return [at(path, `expected at least ${issue.minimum}, got ${show(received)}`)];
    case "too_big":
      if (issue.origin === "array" || issue.origin === "string") {
        const limit = issue.origin === "array" ? entries(issue.maximum) : `${issue.maximum} characters`;
        return [at(path, `expected at most ${limit}`)];
      }
      return [at(path, `expected at most ${issue.maximum}, got ${show(received)}`)];
    default:
      return [at(path, issue.message)];
  }
}
