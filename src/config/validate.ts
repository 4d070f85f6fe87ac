// Checks that span entries of `callsight.yaml`: unique ids and extensions, references to
// departments, PBXes and users that exist, usable extension patterns and credentials.
//
// These run on the parsed data whether or not it passed the schema, reading only the values
// that have the right type, so that one run reports every problem in the file.

import type { ConfigCheckContext } from "../pbx/driver-descriptor.js";
import { driverDescriptor, PBX_DRIVERS } from "../pbx/drivers.js";
import { DEFAULT_EXTENSION_PATTERN } from "../pbx/endpoints.js";
import { envVarName } from "./env.js";
import { at, formatPath, type Path } from "./problems.js";
import { EXTENSION } from "./schema.js";

type Rec = Record<string, unknown>;

function isRecord(x: unknown): x is Rec {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function list(x: unknown): unknown[] {
  return Array.isArray(x) ? x : [];
}

function str(x: unknown): string | undefined {
  return typeof x === "string" ? x : undefined;
}

/** Remembers where each key was first seen and reports later duplicates. */
class Seen {
  private readonly first = new Map<string, Path>();
  constructor(private readonly problems: string[]) {}

  /** Returns false (and records a problem) when `key` was seen before. */
  add(key: string, path: Path, message: string): boolean {
    const earlier = this.first.get(key);
    if (earlier) {
      this.problems.push(at(path, `${message} (also ${formatShort(earlier, path)})`));
      return false;
    }
    this.first.set(key, path);
    return true;
  }
}

/** `users[1]` for a whole-entry path, `users[1].devices[0]` for a deeper one. */
function formatShort(earlier: Path, path: Path): string {
  const trimmed = typeof path[path.length - 1] === "string" ? earlier.slice(0, -1) : earlier;
  return formatPath(trimmed);
}

interface PbxFacts {
  pattern: RegExp;
  trunks: Set<string>;
}

/**
 * What the entry's driver needs (its credentials, its own check) and keys of other drivers it sets
 * (`only for driver ari`). An unknown driver is the schema's to report: it needs nothing here.
 */
function driverProblems(entry: Rec, i: number, id: string | undefined): string[] {
  const problems: string[] = [];
  const driver = entry.driver;
  const descriptor = typeof driver === "string" ? driverDescriptor(driver) : undefined;
  const orSet = (field: string, group?: string) =>
    id !== undefined ? ` (or set ${envVarName(id, field, group)})` : "";
  for (const key of descriptor?.credentials ?? []) {
    if (entry[key] !== undefined) continue;
    problems.push(at(["pbx", i, key], `missing (driver ${String(driver)} needs a ${key})${orSet(key)}`));
  }
  for (const other of PBX_DRIVERS) {
    if (other.id === driver) continue;
    for (const key of Object.keys(other.config?.shape ?? {})) {
      if (entry[key] !== undefined) {
        problems.push(
          at(["pbx", i, key], `only for driver ${other.id} (this pbx uses driver ${String(driver)})`),
        );
      }
    }
  }
  const ctx: ConfigCheckContext = {
    problem: (path, message) => at(["pbx", i, ...path], message),
    orSet,
  };
  problems.push(...(descriptor?.config?.check?.(entry, ctx) ?? []));
  return problems;
}

export function crossCheck(raw: unknown): string[] {
  const problems: string[] = [];
  if (!isRecord(raw)) return problems;

  // PBXes.
  const pbxs = new Map<string, PbxFacts>();
  const pbxIds = new Seen(problems);
  list(raw.pbx).forEach((entry, i) => {
    if (!isRecord(entry)) return;
    const id = str(entry.id);
    let pattern = DEFAULT_EXTENSION_PATTERN;
    const source = entry.extensionPattern;
    if (typeof source === "string") {
      try {
        pattern = new RegExp(source);
      } catch (e) {
        const reason =
          e instanceof Error ? e.message.replace(/^Invalid regular expression: /, "") : String(e);
        problems.push(at(["pbx", i, "extensionPattern"], `invalid regular expression: ${reason}`));
      }
    }
    problems.push(...driverProblems(entry, i, id));
    if (id !== undefined && pbxIds.add(id, ["pbx", i, "id"], `duplicate pbx id "${id}"`)) {
      pbxs.set(id, { pattern, trunks: new Set(list(entry.trunks).filter((t) => typeof t === "string")) });
    }
  });
  const onlyPbx = pbxs.size === 1 ? [...pbxs.keys()][0] : undefined;

  // Departments.
  const departments = new Set<string>();
  const departmentIds = new Seen(problems);
  list(raw.departments).forEach((entry, i) => {
    const id = isRecord(entry) ? str(entry.id) : undefined;
    if (
      id !== undefined &&
      departmentIds.add(id, ["departments", i, "id"], `duplicate department id "${id}"`)
    ) {
      departments.add(id);
    }
    if (isRecord(entry)) problems.push(...queueProblems(entry, i, pbxs, onlyPbx));
  });

  // Users: ids first, so that pickup delegates may name users further down the file.
  const users = list(raw.users);
  const userIds = new Set<string>();
  const seenUsers = new Seen(problems);
  users.forEach((entry, i) => {
    const id = isRecord(entry) ? str(entry.id) : undefined;
    if (id !== undefined && seenUsers.add(id, ["users", i, "id"], `duplicate user id "${id}"`))
      userIds.add(id);
  });

  const extensions = new Seen(problems);
  const devices = new Seen(problems);
  users.forEach((entry, i) => {
    if (!isRecord(entry)) return;
    const here = (...rest: (string | number)[]): Path => ["users", i, ...rest];

    let pbxId: string | undefined;
    const named = entry.pbx;
    if (typeof named === "string") {
      if (pbxs.has(named)) pbxId = named;
      else problems.push(at(here("pbx"), `unknown pbx "${named}" (pbx ids: ${[...pbxs.keys()].join(", ")})`));
    } else if (named === undefined) {
      if (onlyPbx !== undefined) pbxId = onlyPbx;
      else if (pbxs.size > 1) {
        problems.push(
          at(here("pbx"), `missing (needed when there is more than one pbx: ${[...pbxs.keys()].join(", ")})`),
        );
      }
    }
    const pbx = pbxId !== undefined ? pbxs.get(pbxId) : undefined;

    list(entry.departments).forEach((department, j) => {
      if (typeof department === "string" && !departments.has(department)) {
        problems.push(at(here("departments", j), `unknown department "${department}"`));
      }
    });

    const extension = entry.extension;
    if (typeof extension === "string" && EXTENSION.test(extension) && pbx) {
      const path = here("extension");
      extensions.add(
        `${pbxId}\u0000${extension}`,
        path,
        `duplicate extension "${extension}" on pbx ${pbxId}`,
      );
      if (!pbx.pattern.test(extension)) {
        problems.push(
          at(
            path,
            `"${extension}" does not match the extensionPattern ${pbx.pattern.source} of pbx ${pbxId}`,
          ),
        );
      }
      if (pbx.trunks.has(extension)) {
        problems.push(at(path, `"${extension}" is also listed as a trunk of pbx ${pbxId}`));
      }
    }

    list(entry.devices).forEach((device, j) => {
      if (typeof device !== "string" || !pbx) return;
      const path = here("devices", j);
      devices.add(`${pbxId}\u0000${device}`, path, `duplicate device "${device}" on pbx ${pbxId}`);
      if (pbx.trunks.has(device))
        problems.push(at(path, `"${device}" is also listed as a trunk of pbx ${pbxId}`));
    });

    list(entry.pickupDelegates).forEach((delegate, j) => {
      if (typeof delegate === "string" && !userIds.has(delegate)) {
        problems.push(at(here("pickupDelegates", j), `unknown user "${delegate}"`));
      }
    });
  });

  return problems;
}

/** A department's queues: each on a known PBX (named when there are several), none listed twice. */
function queueProblems(
  department: Record<string, unknown>,
  i: number,
  pbxs: ReadonlyMap<string, unknown>,
  onlyPbx: string | undefined,
): string[] {
  const problems: string[] = [];
  const seen = new Seen(problems);
  list(department.queues).forEach((queue, j) => {
    if (!isRecord(queue)) return;
    const here: Path = ["departments", i, "queues", j];
    const name = str(queue.name);
    let pbx = onlyPbx;
    if (typeof queue.pbx === "string") {
      if (pbxs.has(queue.pbx)) pbx = queue.pbx;
      else {
        problems.push(
          at([...here, "pbx"], `unknown pbx "${queue.pbx}" (pbx ids: ${[...pbxs.keys()].join(", ")})`),
        );
        return;
      }
    } else if (pbx === undefined && pbxs.size > 1) {
      problems.push(
        at(
          [...here, "pbx"],
          `missing (needed when there is more than one pbx: ${[...pbxs.keys()].join(", ")})`,
        ),
      );
      return;
    }
    if (name !== undefined && pbx !== undefined)
      seen.add(`${pbx}\u0000${name}`, [...here, "name"], `queue "${name}" of pbx ${pbx} is listed twice`);
  });
  return problems;
}
