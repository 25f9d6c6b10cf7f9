import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { DEPLOY_FLAGS, DeployArgsError, type FlagSpec, parseDeployArgs } from "../../scripts/deploy-args";
import { vendorIds } from "../../src/vendors/registry";
import {
  deployedConfig,
  deployEnvironment,
  deployProblems,
  namespaceProblems,
  PLACEHOLDER_NAMESPACE_ID,
  readSecretsFile,
} from "../../scripts/deploy-check";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const NPM = process.platform === "win32" ? "npm.cmd" : "npm";
const WRANGLER = createRequire(import.meta.url).resolve("wrangler/bin/wrangler.js");
const HS256_SECRET = "deploy-test-hs256-secret-5b1e-0123456789abcdef";
const BAD_POLICY = '{"soniox": nope';
/** An id as `wrangler kv namespace create` prints one: 32 hex digits. */
const NAMESPACE_ID = "4f0c2a9e8b7d41c6a3e5f90b12d7c8e4";
const APP_ORIGIN = "https://app.example.com";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `npm run deploy -- --dry-run --outdir <dir> …`, with only `env` besides PATH and HOME. */
function deployDryRun(outdir: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return runQuietly(NPM, ["run", "-s", "deploy", "--", "--dry-run", "--outdir", outdir, ...args], env);
}

/** `wrangler deploy <args>` itself, the same way: what wrangler makes of arguments, to compare ours with. */
function wranglerDeploy(args: string[]): Promise<Run> {
  return runQuietly(process.execPath, [WRANGLER, "deploy", ...args]);
}

function runQuietly(command: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
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

/** A file of `text` in a directory of its own, removed after the tests. */
async function tempFile(name: string, text: string): Promise<string> {
  const path = join(await outdir(), name);
  await writeFile(path, text);
  return path;
}

/** A wrangler config whose `[env.staging]` holds a POLICY that does not parse, and whose top level is sound. */
function stagingConfig(extra = "", stagingExtra = ""): Promise<string> {
  return tempFile(
    "wrangler.toml",
    [
      'name = "deploy-test"',
      `main = ${JSON.stringify(join(ROOT, "src/index.ts"))}`,
      'compatibility_date = "2026-04-20"',
      extra,
      "[vars]",
      `ALLOWED_ORIGINS = "${APP_ORIGIN}"`,
      'CLIENT_REF_CLAIM = "sub"',
      'DAILY_MINT_QUOTA = "500"',
      "[env.staging.vars]",
      `ALLOWED_ORIGINS = "${APP_ORIGIN}"`,
      'CLIENT_REF_CLAIM = "sub"',
      `POLICY = ${JSON.stringify(BAD_POLICY)}`,
      stagingExtra,
    ].join("\n"),
  );
}

/**
 * The repo's wrangler.toml with the AUDIT namespace's id and ALLOWED_ORIGINS set (by default,
 * as a deployer fills them in: the id `wrangler kv namespace create` printed, and the app's
 * origin), its paths made absolute, since the copy lives elsewhere. Each edit must find its
 * line, so a change to wrangler.toml cannot leave the copy unedited.
 */
async function repoConfig(namespaceId = NAMESPACE_ID, origins = APP_ORIGIN): Promise<string> {
  let toml = await readFile(join(ROOT, "wrangler.toml"), "utf8");
  for (const [line, edited] of [
    [/^main = "src\/index\.ts"$/m, `main = ${JSON.stringify(join(ROOT, "src/index.ts"))}`],
    [/^directory = "src\/generated\/assets"$/m, `directory = ${JSON.stringify(join(ROOT, "src/generated/assets"))}`],
    [/^id = "[^"]*"$/m, `id = "${namespaceId}"`],
    [/^ALLOWED_ORIGINS = "[^"]*"$/m, `ALLOWED_ORIGINS = "${origins}"`],
  ] as const) {
    expect(toml, String(line)).toMatch(line);
    toml = toml.replace(line, edited);
  }
  return tempFile("wrangler.toml", toml);
}

/** The names of the vars `wrangler deploy --dry-run` lists as the Worker's bindings. */
function uploadedVarNames(output: string): string[] {
  return [...output.matchAll(/^env\.(\w+) \(.*Environment Variable/gm)].map((match) => match[1] as string).sort();
}

describe("npm run deploy", () => {
  it("checks a correct configuration, then bundles with wrangler deploy", async () => {
    const dir = await outdir();
    const secrets = ["--assume-secret", "AUTH_HS256_SECRET", "--assume-secret", "DEEPGRAM_API_KEY"];
    const result = await deployDryRun(dir, ["-c", await repoConfig(), ...secrets]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("configuration ok");
    expect(await readdir(dir)).toContain("index.js");
    // Which vendors users will reach: the one whose secret is set, and every other one named as off.
    expect(result.stdout).toMatch(/^ {2}deepgram: enabled/m);
    const off = vendorIds.filter((id) => id !== "deepgram").join(", ");
    expect(result.stdout).toContain(`Not configured (secret unset), so unavailable: ${off}`);
  }, 120_000);

  it("refuses wrangler.toml as it ships: the placeholder AUDIT id and an empty ALLOWED_ORIGINS, each naming its fix", async () => {
    const dir = await outdir();
    const asShipped = await repoConfig(PLACEHOLDER_NAMESPACE_ID, "");
    const result = await deployDryRun(dir, ["-c", asShipped, "--assume-secret", "AUTH_HS256_SECRET"]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(
        /^AUDIT: AUDIT's id in \[\[kv_namespaces\]\] of \S*wrangler\.toml is the placeholder 0{32}: run `npx wrangler kv namespace create AUDIT` and put the id it prints there$/,
      ),
      expect.stringMatching(/^ALLOWED_ORIGINS: ALLOWED_ORIGINS is empty, .*or set NATIVE_APPS_ONLY = "true"/),
      "not deployed: 2 configuration problem(s)",
    ]);
    expect(await readdir(dir)).toEqual([]);
  }, 120_000);

  it("refuses the placeholder id in the environment -e names, of the config -c names", async () => {
    const dir = await outdir();
    const staging = `[[env.staging.kv_namespaces]]\nbinding = "AUDIT"\nid = "${PLACEHOLDER_NAMESPACE_ID}"`;
    // A sound POLICY in staging, so that the namespace is the one problem.
    const config = await stagingConfig(`[[kv_namespaces]]\nbinding = "AUDIT"\nid = "${NAMESPACE_ID}"`, staging);
    const args = ["-c", config, "-e", "staging", "--var", "POLICY:{}", "--assume-secret", "AUTH_HS256_SECRET"];
    const result = await deployDryRun(dir, args);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("AUDIT: AUDIT's id in [[env.staging.kv_namespaces]] of");
    expect(result.stderr).toContain("not deployed: 1 configuration problem(s)");
    expect(await readdir(dir)).toEqual([]);
  }, 120_000);

  it("deploys an empty ALLOWED_ORIGINS once NATIVE_APPS_ONLY declares that no browser calls the broker", async () => {
    // Without NATIVE_APPS_ONLY the same config is refused: the test of wrangler.toml as it ships.
    const noOrigins = await repoConfig(NAMESPACE_ID, "");
    const dir = await outdir();
    const args = ["-c", noOrigins, "--var", "NATIVE_APPS_ONLY:true", "--assume-secret", "AUTH_HS256_SECRET"];
    const result = await deployDryRun(dir, args);
    expect(result.code, result.stderr).toBe(0);
    expect(await readdir(dir)).toContain("index.js");
  }, 120_000);

  it("stops before wrangler when a var it would upload is wrong, naming it and never its value", async () => {
    const dir = await outdir();
    const badPolicy = '{"soniox": nope';
    const args = ["-c", await repoConfig(), "--assume-secret", "AUTH_HS256_SECRET", "--var", `POLICY:${badPolicy}`];
    const result = await deployDryRun(dir, args);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("POLICY:");
    expect(result.stderr).toContain("not deployed");
    expect(`${result.stdout}${result.stderr}`).not.toContain(badPolicy);
    expect(await readdir(dir)).toEqual([]);
  }, 120_000);

  it("does not count the deployer's shell environment, which wrangler deploy never uploads", async () => {
    const dir = await outdir();
    const result = await deployDryRun(dir, ["-c", await repoConfig()], { AUTH_HS256_SECRET: HS256_SECRET });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("end-user auth is not configured");
    expect(result.stderr).toContain("not deployed: 1 configuration problem(s)");
    expect(`${result.stdout}${result.stderr}`).not.toContain(HS256_SECRET);
    expect(await readdir(dir)).toEqual([]);
  }, 120_000);

  it("checks every var of --var A:1 B:2, the form that takes several", async () => {
    const dir = await outdir();
    const vars = ["CLIENT_REF_CLAIM:sub", `POLICY:${BAD_POLICY}`];
    const config = await repoConfig();
    const result = await deployDryRun(dir, ["-c", config, "--assume-secret", "AUTH_HS256_SECRET", "--var", ...vars]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("POLICY:");
    expect(result.stderr).toContain("not deployed: 1 configuration problem(s)");
    expect(await readdir(dir)).toEqual([]);
  }, 120_000);

  it("checks the vars of the environment -e=<env> names, in the config -c=<file> names", async () => {
    const dir = await outdir();
    const config = await stagingConfig();
    const result = await deployDryRun(dir, [`-c=${config}`, "-e=staging", "--assume-secret", "AUTH_HS256_SECRET"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("POLICY:");
    expect(result.stderr).toContain("not deployed: 1 configuration problem(s)");
    expect(`${result.stdout}${result.stderr}`).not.toContain(BAD_POLICY);
    expect(await readdir(dir)).toEqual([]);
  }, 120_000);

  it("names the environment to wrangler, so that a CLOUDFLARE_ENV in a .env file cannot move the deploy", async () => {
    // An empty CLOUDFLARE_ENV in the shell is the top level, to the check and to wrangler; a
    // .env file's value would win over it in wrangler's own environment but for --env=.
    const dir = await outdir();
    const config = await stagingConfig();
    const envFile = await tempFile("deploy.env", "CLOUDFLARE_ENV=staging\n");
    const args = [`-c=${config}`, `--env-file=${envFile}`, "--assume-secret", "AUTH_HS256_SECRET"];
    const result = await deployDryRun(dir, args, { CLOUDFLARE_ENV: "" });
    expect(result.code, result.stderr).toBe(0);
    expect(uploadedVarNames(result.stdout)).toEqual(["ALLOWED_ORIGINS", "CLIENT_REF_CLAIM", "DAILY_MINT_QUOTA"]);
  }, 120_000);

  it("refuses a flag whose effect it cannot check, and deploys nothing", async () => {
    const dir = await outdir();
    const result = await deployDryRun(dir, ["--assume-secret", "AUTH_HS256_SECRET", "--keep-vars"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("not deployed: --keep-vars");
    expect(await readdir(dir)).toEqual([]);
  }, 120_000);

  it("counts the secrets of --secrets-file as set, and checks their values, never printing one", async () => {
    const good = await tempFile("secrets.json", JSON.stringify({ AUTH_HS256_SECRET: HS256_SECRET }));
    const dir = await outdir();
    const config = await repoConfig();
    const result = await deployDryRun(dir, ["-c", config, "--secrets-file", good]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("secrets counted as set: AUTH_HS256_SECRET");
    expect(await readdir(dir)).toContain("index.js");

    const tooShort = "short-hs256-secret-9c1d";
    const bad = await tempFile(".env.secrets", `AUTH_HS256_SECRET=${tooShort}\n`);
    const refused = await outdir();
    const refusal = await deployDryRun(refused, ["-c", config, `--secrets-file=${bad}`]);
    expect(refusal.code).toBe(1);
    expect(refusal.stderr).toContain("AUTH_HS256_SECRET:");
    expect(refusal.stderr).toContain("not deployed: 1 configuration problem(s)");
    expect(`${refusal.stdout}${refusal.stderr}`).not.toContain(tooShort);
    expect(await readdir(refused)).toEqual([]);
  }, 120_000);
});

describe("the deploy flags", () => {
  it("read --var in every form wrangler does: repeated, several after one, and after =", () => {
    for (const args of [
      ["--var", "A:1", "--var", "B:2"],
      ["--var", "A:1", "B:2"],
      ["--var=A:1", "B:2"],
      ["--var=A:1", "--var=B:2"],
    ]) {
      expect(parseDeployArgs(args).vars, args.join(" ")).toEqual({ A: "1", B: "2" });
    }
    // As wrangler splits them: at the first colon, and a name alone is an empty value.
    expect(parseDeployArgs(["--var", "URL:https://a.example:8443", "EMPTY"]).vars).toEqual({
      URL: "https://a.example:8443",
      EMPTY: "",
    });
  });

  it.each([["-e", "staging"], ["-e=staging"], ["--env", "staging"], ["--env=staging"], ["--e", "staging"]])(
    "read the environment from %s",
    (...args) => {
      expect(parseDeployArgs(args).env).toBe("staging");
    },
  );

  it.each([["-c", "other.toml"], ["-c=other.toml"], ["--config", "other.toml"], ["--config=other.toml"]])(
    "read the config from %s",
    (...args) => {
      expect(parseDeployArgs(args).config).toBe("other.toml");
    },
  );

  it("read --env= as the top level, as wrangler does", () => {
    expect(parseDeployArgs(["--env="]).env).toBe("");
  });

  it("read switches as yargs does: camelCase, =true/=false, a following true/false, --no-", () => {
    const dryRun = (...args: string[]) => parseDeployArgs(args).dryRun;
    expect(dryRun("--dry-run")).toBe(true);
    expect(dryRun("--dryRun")).toBe(true);
    expect(dryRun("--dry-run=true")).toBe(true);
    expect(dryRun("--dry-run", "true")).toBe(true);
    expect(dryRun("--dry-run=false")).toBe(false);
    expect(dryRun("--dry-run", "false")).toBe(false);
    expect(dryRun("--no-dry-run")).toBe(false);
    expect(dryRun("--no-dryRun")).toBe(false);
    // A word after a switch that is not true/false is the entry point, not the switch's value.
    expect(parseDeployArgs(["--dry-run", "src/index.ts"])).toMatchObject({ dryRun: true, script: "src/index.ts" });
  });

  it("read every spelling of the other flags that change what is deployed", () => {
    const target = parseDeployArgs([
      "--dry-run",
      "--secretsFile=s.json",
      "--name",
      "other",
      "--env-file",
      "a.env",
      "b.env",
      "--no-keep-vars",
      "--assume-secret",
      "ADMIN_TOKEN",
    ]);
    expect(target).toMatchObject({
      secretsFile: "s.json",
      name: "other",
      envFiles: ["a.env", "b.env"],
      assumedSecrets: ["ADMIN_TOKEN"],
    });
  });

  it("give wrangler the flags as read, one --flag=value each, the entry point first, without our own", () => {
    const target = parseDeployArgs([
      "--dry-run",
      "--env=production",
      "-c",
      "other.toml",
      "--var",
      "POLICY:{}",
      "B:2",
      "--assume-secret",
      "ADMIN_TOKEN",
      "--minify",
      "src/index.ts",
      "--no-bundle",
      "--metafile",
      "--routes",
      "a.example/*",
      "b.example/*",
    ]);
    expect(target.wranglerArgs).toEqual([
      "src/index.ts",
      "--dry-run=true",
      "--config=other.toml",
      "--var=POLICY:{}",
      "--var=B:2",
      "--minify=true",
      "--bundle=false",
      "--metafile",
      "--routes=a.example/*",
      "--routes=b.example/*",
    ]);
    // deploy.ts names the environment itself.
    expect(target.env).toBe("production");
  });

  it.each([
    [["--keep-vars"], "keeps vars set in the dashboard"],
    [["--keepVars=true"], "keeps vars set in the dashboard"],
    [["--define", "env.POLICY:1"], "substitutes code"],
    [["--alias", "a:b"], "substitutes modules"],
    [["--cwd", "elsewhere"], "from that directory"],
    [["--dispatch-namespace", "ns"], "dispatch namespace"],
    [["--unknown-flag"], "not a wrangler deploy flag"],
    [["--env.staging=x"], "not a wrangler deploy flag"],
    [["-eproduction"], "not a form npm run deploy reads"],
    [["-e1"], "not a form npm run deploy reads"],
    [["-e="], "not a form npm run deploy reads"],
    [["-ce", "x"], "not a form npm run deploy reads"],
    [["--", "--var", "A:1"], "reach wrangler unread"],
    [["--env"], "--env needs a value"],
    [["--var"], "--var needs a value"],
    [["--var", "--minify"], "--var needs a value"],
    [["--config="], "an empty value"],
    [["--env", "a", "-e", "b"], "--env is given twice"],
    [["--dry-run", "--no-dry-run"], "--dry-run is given twice"],
    [["a.ts", "b.ts"], "the entry point is given twice"],
    [["--no-env"], "not a switch"],
    [["--dry-run=yes"], "true or false"],
    [["--var='POLICY:{}'"], "in quotes"],
    [["--assume-secret", "ADMIN_TOKEN"], "for --dry-run"],
  ])("refuse %j", (args, message) => {
    expect(() => parseDeployArgs(args)).toThrow(DeployArgsError);
    expect(() => parseDeployArgs(args)).toThrow(message);
  });

  it.each([
    ["--var='ADMIN_TOKEN:s3cr3t-value'"],
    ["--var=ADMIN_TOKEN:s3cr3t-value", "-x=s3cr3t-value"],
    ["--nope=s3cr3t-value"],
  ])("never shows a value given after = in a refusal: %j", (...args) => {
    expect(() => parseDeployArgs(args)).toThrow(DeployArgsError);
    let message = "";
    try {
      parseDeployArgs(args);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).not.toContain("s3cr3t");
  });

  it("know every flag of the installed wrangler's deploy, with the arity and aliases wrangler gives it", async () => {
    const { experimental_getWranglerCommands } = await import("wrangler");
    const { registry, globalFlags } = experimental_getWranglerCommands();
    const deploy = registry.subtree.get("deploy")?.definition as { args: Record<string, WranglerFlag> };
    const wranglerFlags: Record<string, WranglerFlag> = { ...globalFlags, ...deploy.args };
    expect(Object.keys(DEPLOY_FLAGS).sort()).toEqual(Object.keys(wranglerFlags).sort());
    for (const [name, flag] of Object.entries(wranglerFlags)) {
      const ours: FlagSpec = DEPLOY_FLAGS[name as keyof typeof DEPLOY_FLAGS];
      expect([ours.aliases ?? []].flat(), name).toEqual([flag.alias ?? []].flat());
      if ("arity" in ours) expect(ours.arity, name).toBe(arityOf(flag));
    }
  }, 60_000);

  it("read the arguments as wrangler itself does, and give it flags it reads the same", async () => {
    const dir = await outdir();
    const args = ["--dry-run", "--outdir", dir, "--var", "A:1", "B:2", "--minify", "false", "--var=C:3", "D", "--env="];
    const target = parseDeployArgs(args);
    const expected = ["A", "ALLOWED_ORIGINS", "AUDIT_RETENTION_DAYS", "B", "C", "CLIENT_REF_CLAIM", "D"];
    expected.push("DAILY_MINT_QUOTA", "NATIVE_APPS_ONLY", "UPSTREAM_TIMEOUT_MS");
    expect(Object.keys(target.vars).sort()).toEqual(["A", "B", "C", "D"]);

    const raw = await wranglerDeploy(args);
    expect(raw.code, raw.stderr).toBe(0);
    expect(uploadedVarNames(raw.stdout)).toEqual(expected);
    const asRead = await wranglerDeploy([...target.wranglerArgs, `--env=${target.env}`]);
    expect(asRead.code, asRead.stderr).toBe(0);
    expect(uploadedVarNames(asRead.stdout)).toEqual(expected);
  }, 120_000);
});

interface WranglerFlag {
  type?: string;
  array?: boolean;
  requiresArg?: boolean;
  alias?: string | readonly string[];
}

/** How yargs takes the flag's value, from wrangler's definition of it. */
function arityOf(flag: WranglerFlag): string {
  if (flag.type === "boolean") return "switch";
  if (flag.array) return "list";
  return flag.requiresArg ? "one" : "optional";
}

describe("the deployed target", () => {
  const parsed = (...args: string[]) => parseDeployArgs(args);

  it("is the environment --env names, else CLOUDFLARE_ENV's from the shell, else the top level", () => {
    expect(deployEnvironment(parsed("-e", "staging"), { CLOUDFLARE_ENV: "production" })).toBe("staging");
    expect(deployEnvironment(parsed("--env="), { CLOUDFLARE_ENV: "production" })).toBe("");
    expect(deployEnvironment(parsed(), { CLOUDFLARE_ENV: "production" })).toBe("production");
    expect(deployEnvironment(parsed(), {})).toBe("");
  });

  it("refuses a CLOUDFLARE_ENV that wrangler would read from a .env file the check does not", async () => {
    const envFile = await tempFile("deploy.env", "CLOUDFLARE_ACCOUNT_ID=abc\nCLOUDFLARE_ENV=production\n");
    expect(() => deployEnvironment(parsed("--env-file", envFile), {})).toThrow("sets CLOUDFLARE_ENV");
    expect(deployEnvironment(parsed("--env-file", envFile, "-e", "staging"), {})).toBe("staging");
  });

  it("refuses --name with an environment, for which wrangler deploy and secret list name different Workers", () => {
    expect(() => deployEnvironment(parsed("--name", "other", "-e", "staging"), {})).toThrow("--name");
    expect(deployEnvironment(parsed("--name", "other"), {})).toBe("");
  });

  it("reads the vars of the environment from the config wrangler reads", async () => {
    const config = await stagingConfig();
    expect((await deployedConfig(parsed("-c", config), "")).vars).not.toHaveProperty("POLICY");
    expect((await deployedConfig(parsed("-c", config), "staging")).vars).toMatchObject({ POLICY: BAD_POLICY });
  }, 60_000);

  it("reads the config a build tool redirects wrangler to, as wrangler deploy does", async () => {
    const dir = await outdir();
    await mkdir(join(dir, ".wrangler/deploy"), { recursive: true });
    await mkdir(join(dir, "dist"));
    const built = { name: "deploy-test", main: "index.js", compatibility_date: "2026-04-20", vars: { POLICY: "{}" } };
    await writeFile(join(dir, "wrangler.toml"), 'name = "deploy-test"\n[vars]\nPOLICY = "source"\n');
    await writeFile(join(dir, "dist/wrangler.json"), JSON.stringify(built));
    await writeFile(
      join(dir, ".wrangler/deploy/config.json"),
      JSON.stringify({ configPath: "../../dist/wrangler.json" }),
    );
    const config = await deployedConfig(parsed(join(dir, "src/index.ts")), "");
    expect(config.vars).toEqual({ POLICY: "{}" });
    expect(config.path).toBe(join(dir, "dist/wrangler.json"));
  }, 60_000);

  it("reads the KV namespaces of the environment deployed, and refuses the placeholder id there alone", async () => {
    const staging = `[[env.staging.kv_namespaces]]\nbinding = "AUDIT"\nid = "${PLACEHOLDER_NAMESPACE_ID}"`;
    const config = await stagingConfig(`[[kv_namespaces]]\nbinding = "AUDIT"\nid = "${NAMESPACE_ID}"`, staging);
    expect(namespaceProblems(await deployedConfig(parsed("-c", config), ""), "")).toEqual([]);
    const problems = namespaceProblems(await deployedConfig(parsed("-c", config), "staging"), "staging");
    expect(problems).toEqual([
      {
        variable: "AUDIT",
        problem: `AUDIT's id in [[env.staging.kv_namespaces]] of ${config} is the placeholder ${PLACEHOLDER_NAMESPACE_ID}: run \`npx wrangler kv namespace create AUDIT\` and put the id it prints there`,
      },
    ]);
  }, 60_000);

  it("leaves a namespace without an id to wrangler, which provisions one", async () => {
    const config = await stagingConfig('[[kv_namespaces]]\nbinding = "AUDIT"');
    expect(namespaceProblems(await deployedConfig(parsed("-c", config), ""), "")).toEqual([]);
  }, 60_000);

  it("refuses a config with keep_vars, which keeps vars the check cannot see", async () => {
    const config = await stagingConfig("keep_vars = true");
    await expect(deployedConfig(parsed("-c", config), "")).rejects.toThrow("keep_vars");
  }, 60_000);

  it("reads a secrets file as JSON or as KEY=VALUE lines, and refuses anything else", async () => {
    const json = await tempFile("s.json", JSON.stringify({ ADMIN_TOKEN: "a", AUTH_HS256_SECRET: "b" }));
    expect(readSecretsFile(json)).toEqual({ ADMIN_TOKEN: "a", AUTH_HS256_SECRET: "b" });
    const lines = await tempFile("s.env", "# secrets\nADMIN_TOKEN=a\nAUTH_HS256_SECRET='b'\n");
    expect(readSecretsFile(lines)).toEqual({ ADMIN_TOKEN: "a", AUTH_HS256_SECRET: "b" });
    for (const text of ['{"ADMIN_TOKEN": 1}', '["a"]', "", "not a secret"]) {
      const path = await tempFile("s", text);
      expect(() => readSecretsFile(path), text).toThrow(DeployArgsError);
    }
  });
});

describe("the deploy check", () => {
  const vars = { ALLOWED_ORIGINS: APP_ORIGIN, CLIENT_REF_CLAIM: "sub", DAILY_MINT_QUOTA: "500" };

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

  it.each(["", " , ", undefined])(
    "refuses an ALLOWED_ORIGINS of %j, naming NATIVE_APPS_ONLY as the way to declare it meant",
    (origins) => {
      const problems = deployProblems({ ...vars, ALLOWED_ORIGINS: origins }, ["AUTH_HS256_SECRET"]);
      expect(problems).toEqual([{ variable: "ALLOWED_ORIGINS", problem: expect.stringContaining("NATIVE_APPS_ONLY") }]);
      expect(problems[0]?.problem).toContain('ALLOWED_ORIGINS = "https://app.example.com"');
    },
  );

  it("accepts an empty ALLOWED_ORIGINS with NATIVE_APPS_ONLY true, and only then", () => {
    const noOrigins = { ...vars, ALLOWED_ORIGINS: "" };
    expect(deployProblems({ ...noOrigins, NATIVE_APPS_ONLY: "true" }, ["AUTH_HS256_SECRET"])).toEqual([]);
    expect(deployProblems({ ...noOrigins, NATIVE_APPS_ONLY: "false" }, ["AUTH_HS256_SECRET"])).toHaveLength(1);
  });

  it("reports NATIVE_APPS_ONLY true with origins listed as a contradiction", () => {
    const problems = deployProblems({ ...vars, NATIVE_APPS_ONLY: "true" }, ["AUTH_HS256_SECRET"]);
    expect(problems.map((p) => p.variable)).toEqual(["NATIVE_APPS_ONLY"]);
    expect(problems[0]?.problem).toContain("ALLOWED_ORIGINS");
  });
});
