// Before the live suite: say plainly what it needs and is missing, instead of failing in every test.

import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { pbxBuild, pbxBuildsDir } from "./pbx-builds.js";

function has(command: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export function setup(): void {
  const missing: string[] = [];
  if (!pbxBuild("asterisk") || !pbxBuild("freeswitch")) {
    missing.push(
      `the PBX builds (asterisk-*.tar.xz and freeswitch-*.tar.xz) in ${pbxBuildsDir()} (or set CALLSIGHT_PBX_BUILDS to their folder)`,
    );
  }
  if (!has("sipp")) missing.push("sipp (Debian: apt-get install sip-tester)");
  if (!has("redis-server")) missing.push("redis-server (Debian: apt-get install redis-server)");
  if (!existsSync(new URL("../../../dist/src/cli/main.js", import.meta.url)))
    missing.push("the built CLI (npm run build)");
  if (missing.length > 0) {
    // Said plainly, without a stack: this is a missing tool, not a failing test.
    process.stderr.write(
      `npm run test:live: the live suite cannot run here; it needs:\n  - ${missing.join("\n  - ")}\n`,
    );
    process.exit(1);
  }
}
