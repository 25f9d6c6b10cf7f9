import { execFile } from "node:child_process";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import packageJson from "../../package.json";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const WRANGLER = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");
const GENERATED = "src/generated/worker-configuration.d.ts";

/**
 * `npm run cf-typegen` in a copy of what it reads, returning what it wrote.
 * (The pinned wrangler's `types --check` ignores `--env-file`, so it would call
 * every file stale; regenerating and comparing is the check.)
 */
async function regenerated(edit?: (copy: string) => Promise<void>): Promise<string> {
  const copy = await mkdtemp(join(tmpdir(), "ekb-typegen-"));
  scratch.push(copy);
  for (const path of ["wrangler.toml", ".dev.vars.example", "src"]) {
    await cp(join(ROOT, path), join(copy, path), { recursive: true });
  }
  await edit?.(copy);
  const args = packageJson.scripts["cf-typegen"].split(" ").slice(1);
  await new Promise<void>((resolve, reject) =>
    execFile(
      process.execPath,
      [WRANGLER, ...args],
      { cwd: copy, env: { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_HIDE_BANNER: "true" } },
      (error) => (error ? reject(error) : resolve()),
    ),
  );
  return readFile(join(copy, GENERATED), "utf8");
}

const scratch: string[] = [];
afterAll(() => Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true }))));

describe("the generated Env (npm run cf-typegen)", () => {
  it("is what wrangler types writes from wrangler.toml and .dev.vars.example (run it if this fails)", async () => {
    expect(await readFile(join(ROOT, GENERATED), "utf8")).toBe(await regenerated());
  }, 60_000);

  it("changes when a setting is added, so a stale file fails the test above", async () => {
    const withNewSetting = await regenerated(async (copy) => {
      const example = join(copy, ".dev.vars.example");
      await writeFile(example, `${await readFile(example, "utf8")}NEW_VENDOR_API_KEY=\n`);
    });
    expect(withNewSetting).toContain("NEW_VENDOR_API_KEY: string;");
    expect(await readFile(join(ROOT, GENERATED), "utf8")).not.toBe(withNewSetting);
  }, 60_000);
});
