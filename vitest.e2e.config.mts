import { defineConfig } from "vitest/config";

/** `npm run test:e2e`: the demo in real headless Chromium against `npm run dev`'s stack. */
export default defineConfig({
  test: {
    name: "e2e",
    environment: "node",
    include: ["test/e2e/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
