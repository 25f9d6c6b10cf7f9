import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startDevStack } from "../../dev/stack";

/** Ports away from `npm run dev`'s and the other tests' stacks. */
const BROKER_PORT = 18847;
const DEV_PORT = 18848;

const scratch = await mkdtemp(join(tmpdir(), "ekb-stack-output-"));
afterAll(() => rm(scratch, { recursive: true, force: true }));

describe("the dev stack's wrangler output", () => {
  it("holds no Request.cf fetch: no warning and stack trace offline, no cf.json written online", async () => {
    // Miniflare skips the fetch by itself under NODE_ENV=test, which vitest sets: unset it,
    // as in `npm run dev`. Its cache goes to a directory of the test's own, to look into.
    const cache = join(scratch, "miniflare-cache");
    const saved = { NODE_ENV: process.env.NODE_ENV, MINIFLARE_CACHE_DIR: process.env.MINIFLARE_CACHE_DIR };
    delete process.env.NODE_ENV;
    process.env.MINIFLARE_CACHE_DIR = cache;
    let output = "";
    const stack = await startDevStack({
      brokerPort: BROKER_PORT,
      devPort: DEV_PORT,
      persistTo: join(scratch, "state"),
      readDevVars: false,
      onOutput: (text) => (output += text),
    }).finally(() => {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    });
    try {
      // The broker answered: Miniflare has set up Request.cf by now, from the network or not.
      expect((await fetch(`${stack.brokerUrl}/healthz`)).status).toBe(200);
    } finally {
      await stack.stop();
    }
    expect(output).toContain("Ready on");
    expect(output).not.toMatch(/Request\.cf|cf\.json|workers\.cloudflare\.com/);
    expect(await readdir(cache).catch(() => [])).not.toContain("cf.json");
  }, 120_000);
});
