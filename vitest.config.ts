import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    globalSetup: ["test/support/global-redis.ts", "test/support/global-web.ts"],
    // The live suite runs real PBXes: `npm run test:live` (vitest.live.config.ts).
    exclude: [...configDefaults.exclude, "test/live/**"],
  },
});
