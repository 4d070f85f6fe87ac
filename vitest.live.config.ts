import { defineConfig } from "vitest/config";

// The live conformance suite: real PBXes, sipp, Redis and Callsight's built CLI (npm run test:live).
export default defineConfig({
  test: {
    include: ["test/live/**/*.live.test.ts"],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    globalSetup: ["test/live/support/preflight.ts"],
  },
});
