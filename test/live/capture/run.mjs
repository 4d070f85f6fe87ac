// Bundles a capture tool (TypeScript) with the project's esbuild into a temporary folder and runs it.
// Usage: node test/live/capture/run.mjs asterisk [scenario-prefix …]
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";

const [kind, ...rest] = process.argv.slice(2);
const entry = { asterisk: "capture-asterisk.ts", freeswitch: "capture-freeswitch.ts" }[kind ?? ""];
if (!entry) {
  console.error("usage: node test/live/capture/run.mjs asterisk|freeswitch [scenario …]");
  process.exit(2);
}
const here = new URL(".", import.meta.url).pathname;
const file = join(here, `.${entry}.bundle.mjs`);
try {
  await build({
    entryPoints: [join(here, entry)],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    outfile: file,
    logLevel: "warning",
  });
  const r = spawnSync(process.execPath, [file, ...rest], { stdio: "inherit" });
  process.exitCode = r.status ?? 1;
} finally {
  rmSync(file, { force: true });
}
