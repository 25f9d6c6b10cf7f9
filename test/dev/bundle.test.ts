import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { emulators, signedVendors } from "../../dev/emulator/server";
import { DEV_ADMIN_TOKEN } from "../../dev/dev-vars";
import { DEV_AUDIENCE } from "../../dev/identity";
import document from "../../src/generated/assets/openapi.json";

const run = promisify(execFile);
const require = createRequire(import.meta.url);

/**
 * The gzipped bundle's ceiling: today's size plus a little. A cold isolate parses all of it, and
 * the OpenAPI document alone would add about 17 KiB, so a change that crosses this line should say
 * why (BENCHMARKS.md tracks the size). Raised from 52 for issue 18's guards (records fitted to KV
 * metadata, refused vendor credentials, exact signed-URL checks, claim paths, body draining):
 * 53.4 KiB with them. Raised to 60 for issue 20, whose budget is 1.5 KiB per new vendor: `connect`
 * (0.7 KiB) and Gemini, Azure, Cartesia, xAI, Mistral and Gladia (0.2 to 1 KiB each) make about 58.5 KiB.
 * Raised to 66 for issue 21's three vendors the broker signs for itself, about 64.4 KiB: LiveKit 2.8 KiB
 * (jose's SignJWT, its adapter and POST /v1/livekit/token), AWS Transcribe's SigV4 presign on WebCrypto
 * (aws4fetch weighed 1.7 KiB more) and Twilio Voice. Raised to 70 for issue 22, about 68.4 KiB: the
 * mint counts (their Durable Object, counting after the answer, the stats and users routes: 2.3 KiB),
 * Cloudflare Access for the admin API (0.8 KiB), and the console's routes (0.5 KiB).
 */
const MAX_GZIPPED_KIB = 70;

describe("the production bundle", () => {
  it("is minified, leaves the OpenAPI document to the static assets, and holds none of the emulator, the dev identity or zod's JSON Schema converter", async () => {
    const outdir = await mkdtemp(join(tmpdir(), "ekb-bundle-"));
    try {
      await run(
        process.execPath,
        [require.resolve("wrangler/bin/wrangler.js"), "deploy", "--dry-run", "--outdir", outdir],
        {
          env: { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_HIDE_BANNER: "true" },
        },
      );
      const bundle = await readFile(join(outdir, "index.js"), "utf8");
      expect(bundle).toContain("/v1/keys"); // the bundle is the broker
      expect(bundle.split("\n").length, "minified").toBeLessThan(50);
      expect(gzipSync(bundle).byteLength / 1024).toBeLessThanOrEqual(MAX_GZIPPED_KIB);
      for (const marker of [
        DEV_AUDIENCE,
        DEV_ADMIN_TOKEN,
        "speech emulator",
        "toJSONSchema",
        document.info.description.slice(0, 60),
        ...[...emulators, ...signedVendors].map((e) => e.masterKey),
      ]) {
        expect(bundle.includes(marker), marker).toBe(false);
      }
    } finally {
      await rm(outdir, { recursive: true, force: true });
    }
  }, 60_000);
});
