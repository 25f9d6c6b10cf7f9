import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { emulators } from "../../dev/emulator/server";
import { DEV_ADMIN_TOKEN } from "../../dev/dev-vars";
import { DEV_AUDIENCE } from "../../dev/identity";

const run = promisify(execFile);
const require = createRequire(import.meta.url);

describe("the production bundle", () => {
  it("holds none of the emulator, the dev identity or zod's JSON Schema converter", async () => {
    const outdir = await mkdtemp(join(tmpdir(), "ekb-bundle-"));
    try {
      await run(
        process.execPath,
        [require.resolve("wrangler/bin/wrangler.js"), "deploy", "--dry-run", "--outdir", outdir],
        {
          env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
        },
      );
      const bundle = await readFile(join(outdir, "index.js"), "utf8");
      expect(bundle).toContain("/v1/keys"); // the bundle is the broker
      for (const marker of [
        DEV_AUDIENCE,
        DEV_ADMIN_TOKEN,
        "speech emulator",
        "toJSONSchema",
        ...emulators.map((e) => e.masterKey),
      ]) {
        expect(bundle.includes(marker), marker).toBe(false);
      }
    } finally {
      await rm(outdir, { recursive: true, force: true });
    }
  }, 60_000);
});
