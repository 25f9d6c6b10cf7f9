import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { deployProblems, parseDeployArgs } from "../../scripts/deploy-check";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const NPM = process.platform === "win32" ? "npm.cmd" : "npm";
const HS256_SECRET = "deploy-test-hs256-secret-5b1e-0123456789abcdef";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `npm run deploy -- --dry-run --outdir <dir> …`, with only `env` besides PATH and HOME. */
function deployDryRun(outdir: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      NPM,
      ["run", "-s", "deploy", "--", "--dry-run", "--outdir", outdir, ...args],
      {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH ?? "",
          HOME: process.env.HOME ?? "",
          WRANGLER_SEND_METRICS: "false",
          WRANGLER_HIDE_BANNER: "true",
          ...env,
        },
      },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

const outdirs: string[] = [];
async function outdir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "ekb-deploy-"));
  outdirs.push(dir);
  return dir;
}
afterAll(() => Promise.all(outdirs.map((dir) => rm(dir, { recursive: true, force: true }))));

describe("npm run deploy", () => {
  it("checks the configuration, then bundles with wrangler deploy", async () => {
    const dir = await outdir();
    const result = await deployDryRun(dir, ["--assume-secret", "AUTH_HS256_SECRET"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("configuration ok");
    expect(await readdir(dir)).toContain("index.js");
  }, 120_000);

  it("stops before wrangler when a var it would upload is wrong, naming it and never its value", async () => {
    const dir = await outdir();
    const badPolicy = '{"soniox": nope';
    const result = await deployDryRun(dir, ["--assume-secret", "AUTH_HS256_SECRET", "--var", `POLICY:${badPolicy}`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("POLICY:");
    expect(result.stderr).toContain("not deployed");
    expect(`${result.stdout}${result.stderr}`).not.toContain(badPolicy);
    expect(await readdir(dir)).toEqual([]);
  }, 120_000);

  it("does not count the deployer's shell environment, which wrangler deploy never uploads", async () => {
    const dir = await outdir();
    const result = await deployDryRun(dir, [], { AUTH_HS256_SECRET: HS256_SECRET });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("end-user auth is not configured");
    expect(`${result.stdout}${result.stderr}`).not.toContain(HS256_SECRET);
    expect(await readdir(dir)).toEqual([]);
  }, 120_000);
});

describe("the deploy flags", () => {
  it("pass wrangler's own flags through, and read those that change what is deployed", () => {
    const target = parseDeployArgs([
      "--dry-run",
      "--env=production",
      "-c",
      "other.toml",
      "--var",
      "POLICY:{}",
      "--assume-secret",
      "ADMIN_TOKEN",
      "--minify",
    ]);
    expect(target).toEqual({
      wranglerArgs: ["--dry-run", "--env=production", "-c", "other.toml", "--var", "POLICY:{}", "--minify"],
      config: "other.toml",
      env: "production",
      vars: { POLICY: "{}" },
      assumedSecrets: ["ADMIN_TOKEN"],
      dryRun: true,
    });
  });

  it("refuse a flag that needs a value and has none", () => {
    expect(() => parseDeployArgs(["--env"])).toThrow("--env needs a value");
  });
});

describe("the deploy check", () => {
  const vars = { CLIENT_REF_CLAIM: "sub", DAILY_MINT_QUOTA: "500" };

  it("counts a secret set at Cloudflare as set", () => {
    expect(deployProblems(vars, []).map((p) => p.variable)).toEqual(["AUTH_JWKS_URL"]);
    expect(deployProblems(vars, ["AUTH_HS256_SECRET"])).toEqual([]);
  });

  it("still checks every var around those secrets", () => {
    const problems = deployProblems({ ...vars, ALLOWED_ORIGINS: "https://app.example.com/" }, ["AUTH_HS256_SECRET"]);
    expect(problems.map((p) => p.variable)).toEqual(["ALLOWED_ORIGINS"]);
  });

  it("reports a conflict with a secret set at Cloudflare", () => {
    const problems = deployProblems({ ...vars, AUTH_JWKS_URL: "https://idp.example.com/jwks.json" }, [
      "AUTH_HS256_SECRET",
    ]);
    expect(problems.map((p) => p.problem).join()).toContain("both set");
  });
});
