import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    globalSetup: ["test/support/global-redis.ts", "test/support/global-web.ts"],
  },
});
