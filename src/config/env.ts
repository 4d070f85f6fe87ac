// 12-factor overrides: connection settings of a PBX can come from the environment instead of
// the file, e.g. `CALLSIGHT_PBX_MAIN_SECRET` for the pbx with id `main` (id upper-cased, `-` -> `_`).
// Empty variables count as unset. Drivers add their own keys (their descriptor's `config.env`): an ARI
// pbx also takes `_APP` and its AMI companion's `_COMPANION_PORT`, `_COMPANION_USERNAME` and
// `_COMPANION_SECRET`.

import { PBX_DRIVERS } from "../pbx/drivers.js";

/** The keys every pbx entry takes from the environment, whatever its driver. */
const COMMON_ENV_FIELDS = ["host", "port", "username", "secret"] as const;

/** Top-level keys: the common ones and the drivers' own. */
export const ENV_FIELDS: readonly string[] = [
  ...new Set([...COMMON_ENV_FIELDS, ...PBX_DRIVERS.flatMap((d) => d.config?.env?.fields ?? [])]),
];

/** Mappings inside an entry (ARI's `companion`) and their keys, from the drivers. */
export const ENV_GROUPS: ReadonlyMap<string, readonly string[]> = (() => {
  const groups = new Map<string, Set<string>>();
  for (const d of PBX_DRIVERS) {
    for (const [group, fields] of Object.entries(d.config?.env?.groups ?? {})) {
      const known = groups.get(group) ?? new Set<string>();
      for (const field of fields) known.add(field);
      groups.set(group, known);
    }
  }
  return new Map([...groups].map(([group, fields]) => [group, [...fields]]));
})();

function alternatives(fields: Iterable<string>): string {
  return [...fields].map((f) => f.toUpperCase()).join("|");
}

const ENV_VAR = new RegExp(`^CALLSIGHT_PBX_(.+)_(${alternatives(ENV_FIELDS)})$`);
const GROUP_ENV_VARS = [...ENV_GROUPS].map(([group, fields]) => ({
  group,
  pattern: new RegExp(`^CALLSIGHT_PBX_(.+)_${group.toUpperCase()}_(${alternatives(fields)})$`),
}));

function envId(pbxId: string): string {
  return pbxId.toUpperCase().replaceAll("-", "_");
}

/**
 * The environment variable that overrides `field` of the pbx `pbxId`, or of the mapping `group` in it
 * (`("ast", "secret", "companion")` -> `CALLSIGHT_PBX_AST_COMPANION_SECRET`).
 */
export function envVarName(pbxId: string, field: string, group?: string): string {
  const middle = group !== undefined ? `${group.toUpperCase()}_` : "";
  return `CALLSIGHT_PBX_${envId(pbxId)}_${middle}${field.toUpperCase()}`;
}

function portOf(value: string): number {
  return /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
}

/**
 * Sets one field from the environment; a port must be a port number (else a problem naming the variable,
 * and false).
 */
function setField(
  target: Record<string, unknown>,
  field: string,
  value: string,
  name: string,
  problems: string[],
): boolean {
  if (field !== "port") {
    target[field] = value;
    return true;
  }
  const port = portOf(value);
  if (port >= 1 && port <= 65535) {
    target.port = port;
    return true;
  }
  problems.push(`${name}: expected a port number (1-65535), got ${JSON.stringify(value)}`);
  return false;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

interface EnvMatch {
  /** The pbx id as written in the variable (`MAIN`). */
  id: string;
  field: string;
  group?: string;
}

/**
 * Applies the overrides to the parsed (not yet validated) file in place and returns the
 * problems found, each naming the variable.
 */
export function applyEnvOverrides(raw: unknown, env: NodeJS.ProcessEnv): string[] {
  const problems: string[] = [];
  const entries = isRecord(raw) && Array.isArray(raw.pbx) ? raw.pbx.filter(isRecord) : [];
  const byEnvId = new Map<string, Record<string, unknown>>();
  for (const entry of entries) {
    if (typeof entry.id === "string") byEnvId.set(envId(entry.id), entry);
  }

  for (const name of Object.keys(env).sort()) {
    const value = env[name];
    if (value === undefined || value === "") continue;
    const plainMatch = ENV_VAR.exec(name);
    const plain: EnvMatch | undefined = plainMatch
      ? { id: plainMatch[1]!, field: plainMatch[2]!.toLowerCase() }
      : undefined;
    const grouped = groupMatch(name, byEnvId);
    // `…_MAIN_COMPANION_SECRET` is the companion of pbx `main`, unless a pbx is really called `main-companion`.
    if (grouped && !(plain && byEnvId.has(plain.id)) && byEnvId.has(grouped.id)) {
      const entry = byEnvId.get(grouped.id)!;
      const group = grouped.group!;
      const target = isRecord(entry[group]) ? (entry[group] as Record<string, unknown>) : {};
      // A bad port is reported alone, not as a mapping that lacks everything else too.
      if (setField(target, grouped.field, value, name, problems)) entry[group] = target;
      continue;
    }
    const match = plain && !(grouped && !byEnvId.has(plain.id)) ? plain : grouped;
    if (!match) continue;
    const target = byEnvId.get(match.id);
    if (!target) {
      const ids = entries.map((e) => e.id).filter((id) => typeof id === "string");
      problems.push(
        `${name}: there is no pbx "${match.id.toLowerCase().replaceAll("_", "-")}" in the file` +
          ` (pbx ids: ${ids.length > 0 ? ids.join(", ") : "none"})`,
      );
      continue;
    }
    setField(target, match.field, value, name, problems);
  }
  return problems;
}

/** The variable as a field of a mapping inside a pbx entry: preferably of a pbx the file has. */
function groupMatch(name: string, byEnvId: ReadonlyMap<string, unknown>): EnvMatch | undefined {
  let first: EnvMatch | undefined;
  for (const { group, pattern } of GROUP_ENV_VARS) {
    const m = pattern.exec(name);
    if (!m) continue;
    const match = { id: m[1]!, field: m[2]!.toLowerCase(), group };
    if (byEnvId.has(match.id)) return match;
    first ??= match;
  }
  return first;
}
