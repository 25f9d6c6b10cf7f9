import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Request log lines are printed only for failing tests.
    silent: "passed-only",
    projects: [
      {
        // The Worker, its routes and vendors: inside workerd, against the vendor emulator.
        plugins: [cloudflareTest({ wrangler: { configPath: "./wrangler.toml" } })],
        test: {
          name: "worker",
          globalSetup: ["./test/global-setup.ts"],
          include: ["test/**/*.test.ts"],
          exclude: [
            "test/client/**",
            "test/dev/**",
            "test/e2e/**",
            "test/sdk/**",
            "test/sdk-helpers/**",
            "test/scripts/**",
            "test/docs/**",
          ],
        },
      },
      {
        // The client SDK (fake fetch and timers) and the dev emulator's speech endpoints: plain Node.
        test: {
          name: "node",
          environment: "node",
          include: [
            "test/client/**/*.test.ts",
            "test/dev/**/*.test.ts",
            "test/sdk/**/*.test.ts",
            "test/scripts/**/*.test.ts",
            "test/docs/**/*.test.ts",
          ],
          // Runs against the dev stack, with the sdk-helpers project.
          exclude: ["test/docs/curl-examples.test.ts"],
        },
      },
      {
        // The client's vendor-SDK helpers driving the official SDKs, with keys from the broker under `wrangler dev`,
        // and what only a real HTTP connection to the broker shows (keep-alive after a refusal).
        test: {
          name: "sdk-helpers",
          environment: "node",
          globalSetup: ["./test/sdk-helpers/global-setup.ts"],
          include: ["test/sdk-helpers/**/*.test.ts", "test/docs/curl-examples.test.ts"],
          testTimeout: 30_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
