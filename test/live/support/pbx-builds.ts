// The PBX builds the live suite runs (../shared/pbx beside the project, or CALLSIGHT_PBX_BUILDS), each
// extracted once into the run's folder (the shared folder is read-only in CI).

import { execFile } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export function pbxBuildsDir(): string {
  return resolve(
    process.env.CALLSIGHT_PBX_BUILDS ?? new URL("../../../../shared/pbx", import.meta.url).pathname,
  );
}

export function pbxBuild(kind: "asterisk" | "freeswitch"): string | undefined {
  const dir = pbxBuildsDir();
  if (!existsSync(dir)) return undefined;
  const file = readdirSync(dir).find((f) => f.startsWith(`${kind}-`) && f.endsWith(".tar.xz"));
  return file ? join(dir, file) : undefined;
}

/** Extracts the build into `<dir>/<kind>-build/` and returns that folder. */
export async function extractPbx(kind: "asterisk" | "freeswitch", dir: string): Promise<string> {
  const tarball = pbxBuild(kind);
  if (!tarball) throw new Error(`no ${kind} build in ${pbxBuildsDir()}`);
  const into = join(dir, `${kind}-build`);
  if (!existsSync(join(into, kind))) {
    await mkdir(into, { recursive: true });
    await run("tar", ["-xJf", tarball, "-C", into]);
  }
  return into;
}
