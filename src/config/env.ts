// 12-factor overrides: connection settings of a PBX can come from the environment instead of
// the file, e.g. `CALLSIGHT_PBX_MAIN_SECRET` for the pbx with id `main` (id upper-cased, `-` -> `_`).
// Empty variables count as unset. An ARI pbx also takes `_APP` and its AMI companion's
// `_COMPANION_PORT`, `_COMPANION_USERNAME` and `_COMPANION_SECRET`.

export const ENV_FIELDS = ["host", "port", "username", "secret", "app"] as const;
export type EnvField = (typeof ENV_FIELDS)[number];

export const COMPANION_ENV_FIELDS = ["port", "username", "secret"] as const;
export type CompanionEnvField = (typeof COMPANION_ENV_FIELDS)[number];

const ENV_VAR = /^CALLSIGHT_PBX_(.+)_(HOST|PORT|USERNAME|SECRET|APP)$/;
const COMPANION_ENV_VAR = /^CALLSIGHT_PBX_(.+)_COMPANION_(PORT|USERNAME|SECRET)$/;

function envId(pbxId: string): string {
  return pbxId.toUpperCase().replaceAll("-", "_");
}

/** The environment variable that overrides `field` of the pbx `pbxId`. */
export function envVarName(pbxId: string, field: EnvField): string {
  return `CALLSIGHT_PBX_${envId(pbxId)}_${field.toUpperCase()}`;
}

/** The environment variable that overrides `field` of the AMI companion of the pbx `pbxId`. */
export function companionEnvVarName(pbxId: string, field: CompanionEnvField): string {
  return `CALLSIGHT_PBX_${envId(pbxId)}_COMPANION_${field.toUpperCase()}`;
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
    const plain = ENV_VAR.exec(name);
    const companion = COMPANION_ENV_VAR.exec(name);
    // `…_MAIN_COMPANION_SECRET` is the companion of pbx `main`, unless a pbx is really called `main-companion`.
    if (companion && !(plain && byEnvId.has(plain[1]!)) && byEnvId.has(companion[1]!)) {
      const entry = byEnvId.get(companion[1]!)!;
      const field = companion[2]!.toLowerCase() as CompanionEnvField;
      const target = isRecord(entry.companion) ? entry.companion : {};
      // A bad port is reported alone, not as a companion that lacks everything else too.
      if (setField(target, field, value, name, problems)) entry.companion = target;
      continue;
    }
    const match = plain && !(companion && !byEnvId.has(plain[1]!)) ? plain : companion;
    if (!match) continue;
    const target = byEnvId.get(match[1]!);
    if (!target) {
      const ids = entries.map((e) => e.id).filter((id) => typeof id === "string");
      problems.push(
        `${name}: there is no pbx "${match[1]!.toLowerCase().replaceAll("_", "-")}" in the file` +
          ` (pbx ids: ${ids.length > 0 ? ids.join(", ") : "none"})`,
      );
      continue;
    }
    const field = match[2]!.toLowerCase() as EnvField;
    setField(target, field, value, name, problems);
  }
  return problems;
}
