/**
 * `npm run deploy [-- <wrangler deploy flags>]`: regenerates the OpenAPI
 * document and the client's types, checks the configuration wrangler will
 * upload (scripts/deploy-check.ts), and only then runs `wrangler deploy` with
 * the flags given. The secrets set at Cloudflare are the names
 * `wrangler secret list` reports; their values are checked by `GET /healthz`
 * once deployed. `--dry-run` asks Cloudflare nothing: name the secrets to
 * count as set with `--assume-secret NAME`.
 */
import { execFile, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { promisify } from "node:util";
import { wranglerVars } from "./config-values";
import { type DeployTarget, deployProblems, parseDeployArgs } from "./deploy-check";

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const WRANGLER = require.resolve("wrangler/bin/wrangler.js");
const TSX = require.resolve("tsx/cli");

/** The names of the secrets set on the Worker; none when it does not exist yet or cannot be asked. */
async function remoteSecretNames(target: DeployTarget): Promise<string[]> {
  const scope = [...(target.config ? ["--config", target.config] : []), ...(target.env ? ["--env", target.env] : [])];
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
  await run(process.execPath, [TSX, "scripts/openapi.ts"]);
  const secrets = [...target.assumedSecrets, ...(target.dryRun ? [] : await remoteSecretNames(target))];
  const values = { ...(await wranglerVars(target)), ...target.vars };
  const problems = deployProblems(values, secrets);
  if (problems.length > 0) {
    for (const { variable, problem } of problems) console.error(`${variable}: ${problem}`);
    console.error(`not deployed: ${problems.length} configuration problem(s)`);
    return 1;
  }
  console.log(`configuration ok${secrets.length > 0 ? ` (secrets counted as set: ${secrets.join(", ")})` : ""}`);
  const wrangler = spawn(process.execPath, [WRANGLER, "deploy", ...target.wranglerArgs], { stdio: "inherit" });
  return new Promise((resolve) => wrangler.on("exit", (code) => resolve(code ?? 1)));
}

process.exit(await deploy(process.argv.slice(2)));
