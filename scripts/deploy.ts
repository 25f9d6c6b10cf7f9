/**
 * `npm run deploy [-- <wrangler deploy flags>]`: regenerates the OpenAPI
 * document and the client's types, checks the configuration wrangler will
 * upload (scripts/deploy-check.ts: its vars and secrets, the AUDIT namespace's
 * id, and ALLOWED_ORIGINS against NATIVE_APPS_ONLY), prints which vendors users
 * will reach (a vendor without its secret is off), and only then runs
 * `wrangler deploy` with the flags as read (scripts/deploy-args.ts refuses any
 * it cannot account for).
 * The secrets set at Cloudflare are the names `wrangler secret list` reports;
 * their values are checked by `GET /healthz` once deployed. `--dry-run` asks
 * Cloudflare nothing: name the secrets to count as set with `--assume-secret NAME`.
 */
import { execFile, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { promisify } from "node:util";
import { DeployArgsError, type DeployTarget, parseDeployArgs } from "./deploy-args";
import {
  deployedBrokerConfig,
  deployedConfig,
  deployEnvironment,
  deployProblems,
  namespaceProblems,
  readSecretsFile,
} from "./deploy-check";
import { policySummary } from "./policy-summary";

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const WRANGLER = require.resolve("wrangler/bin/wrangler.js");
const TSX = require.resolve("tsx/cli");

/** The names of the secrets set on the Worker to deploy; none when it does not exist yet or cannot be asked. */
async function remoteSecretNames(target: DeployTarget, env: string, configPath: string | undefined): Promise<string[]> {
  const scope = [
    ...(configPath ? [`--config=${configPath}`] : []),
    `--env=${env}`,
    ...(target.name !== undefined ? [`--name=${target.name}`] : []),
    ...target.envFiles.map((file) => `--env-file=${file}`),
  ];
  try {
    const { stdout } = await run(process.execPath, [WRANGLER, "secret", "list", "--format", "json", ...scope]);
    return (JSON.parse(stdout) as { name: string }[]).map((secret) => secret.name);
  } catch {
    console.warn("could not list the Worker's secrets (not deployed yet, or not logged in): checking without them");
    return [];
  }
}

async function deploy(args: string[]): Promise<number> {
  const target = parseDeployArgs(args);
  const env = deployEnvironment(target, process.env);
  const config = await deployedConfig(target, env);
  const fileSecrets = target.secretsFile !== undefined ? readSecretsFile(target.secretsFile) : {};
  await run(process.execPath, [TSX, "scripts/openapi.ts"]);
  await run(process.execPath, [TSX, "scripts/build-console.ts"]);
  const remote = target.dryRun ? [] : await remoteSecretNames(target, env, config.path);
  // A secret in the file is uploaded with its value, which is checked; the others only count as set.
  const secrets = [...target.assumedSecrets, ...remote].filter((name) => !(name in fileSecrets));
  const values = { ...config.vars, ...target.vars, ...fileSecrets };
  const problems = [...namespaceProblems(config, env), ...deployProblems(values, secrets)];
  // Which vendors users will reach: a vendor whose secret is not set is off, which is easy to miss.
  for (const line of policySummary(deployedBrokerConfig(values, secrets))) console.log(line);
  if (problems.length > 0) {
    for (const { variable, problem } of problems) console.error(`${variable}: ${problem}`);
    console.error(`not deployed: ${problems.length} configuration problem(s)`);
    return 1;
  }
  const counted = [...secrets, ...Object.keys(fileSecrets)];
  console.log(`configuration ok${counted.length > 0 ? ` (secrets counted as set: ${counted.join(", ")})` : ""}`);
  // The environment is always named, so that wrangler cannot take another from a CLOUDFLARE_ENV the check did not read.
  const wranglerArgs = [WRANGLER, "deploy", ...target.wranglerArgs, `--env=${env}`];
  const wrangler = spawn(process.execPath, wranglerArgs, { stdio: "inherit" });
  return new Promise((resolve) => wrangler.on("exit", (code) => resolve(code ?? 1)));
}

process.exit(
  await deploy(process.argv.slice(2)).catch((error: unknown) => {
    if (!(error instanceof DeployArgsError)) throw error;
    console.error(`not deployed: ${error.message}`);
    return 1;
  }),
);
