// The browser applies stream deltas with the very `applyBoardDeltas` the property tests check
// (test/domain/stream.property.test.ts): the board's bundle is built from src/domain, not from a copy.

import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";

const web = fileURLToPath(new URL("../../web/", import.meta.url));

describe("the board's bundle", () => {
  it("carries src/domain's applyBoardDeltas and no delta logic of its own", async () => {
    const result = await build({
      absWorkingDir: web,
      entryPoints: ["src/board.ts"],
      bundle: true,
      format: "esm",
      target: "es2022",
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    const inputs = result.metafile.outputs[Object.keys(result.metafile.outputs)[0]!]!.inputs;
    expect(Object.keys(inputs)).toContain("../src/domain/board-changes.ts");
    const text = result.outputFiles[0]!.text;
    expect(text).toContain("function applyBoardDeltas(");
    expect(text).not.toMatch(/function applyDeltas\(/);
  });
});
