import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { expect, it } from "vitest";

const require = createRequire(import.meta.url);

/**
 * `npm run soak` is a script, not a timed test; this short run keeps it
 * working: every request answered as its kind should be, and the audit
 * matching the keys returned. It asserts nothing about speed.
 */
it("a short soak answers every request as expected and leaves an audit that matches the keys returned", async () => {
  const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [require.resolve("tsx/cli"), "scripts/soak.ts", "--seconds", "3", "--max-requests", "200", "--no-write"],
      { env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
      (error, out, err) => resolve({ code: error ? Number(error.code) : 0, stdout: out, stderr: err }),
    );
  });
  expect(code, `${stdout}\n${stderr}`).toBe(0);
  expect(stdout).toContain("| answered as expected (error-free rate) | 100.00 % |");
  expect(stdout).toContain("| keys returned without their issued record | 0 |");
  expect(stdout).toContain("| issued records without a returned key | 0 |");
  expect(stdout).toMatch(/\| valid → 201 \| \d+ \|/);
  // Last, so that in RELIABILITY.md the memory figure stands right before the paragraph that explains it.
  expect(stdout).toMatch(/\| issued records without a returned key \| 0 \|\n\n\*\*Memory\.\*\* .*\d+ MiB .*\d+ MiB/);
}, 120_000);
