// Builds the web pages' scripts (web/src/*.ts → web/dist/*.js, one ES module per page) with esbuild.
// Run by `npm run build` and before the tests; `node web/build.mjs` on its own works too.

import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL(".", import.meta.url));

export async function buildWeb() {
  await build({
    absWorkingDir: root,
    entryPoints: ["src/board.ts", "src/admin.ts"],
    bundle: true,
    format: "esm",
    target: "es2022",
    outdir: "dist",
    sourcemap: true,
    minify: true,
    logLevel: "warning",
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildWeb();
}
