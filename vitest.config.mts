import { availableParallelism } from "node:os";
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Request log lines are printed only for failing tests.
    silent: "passed-only",
    // Test files at once, across the projects. Vitest's default, one fewer than the cores, runs one file at a
    // time on a 2-core machine, where most files spend their time waiting: on workerd starting, on child
    // processes, on the dev stack and the emulator. Three at once halves the run there; larger machines keep
    // the default.
    maxWorkers: Math.max(3, availableParallelism() - 1),
    projects: [
      {
        // The Worker, its routes and vendors: inside workerd, against the vendor emulator.
        plugins: [cloudflareTest({ wrangler: { configPath: "./wrangler.toml" } })],
        test: {
          name: "worker",
          globalSetup: ["./test/global-setup.ts"],
          // Each test file starts a workerd of its own and imports these inside it, module by module, over
          // Vitest's RPC; bundled once ahead of the run, each file imports a handful of modules instead.
          deps: {
            optimizer: {
              ssr: { enabled: true, include: ["zod/mini", "hono", "jose", "fast-check", "@cfworker/json-schema"] },
            },
          },
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
