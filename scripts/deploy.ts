/**
 * `npm run deploy [-- <wrangler deploy flags>]`: regenerates the OpenAPI
 * document and the client's types, checks the configuration the Worker will
 * run with, and only then runs `wrangler deploy` with the flags given.
 *
 * The check covers wrangler.toml's `[vars]` overlaid with the environment, as
 * `npm run check-config` does. Secrets live at Cloudflare, where their values
 * cannot be read: the names `wrangler secret list` reports count as set, and
 * their values are checked by `GET /healthz` once deployed. `--dry-run` asks
 * Cloudflare nothing.
 */
import { execFile, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { promisify } from "node:util";
import { getConfig } from "../src/config";
import type { Env } from "../src/env";
import { type ConfigProblemReport, configProblems } from "../src/health";
import { wranglerVars } from "./config-values";

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const WRANGLER = require.resolve("wrangler/bin/wrangler.js");
const TSX = require.resolve("tsx/cli");

/** Stands in for a secret set at Cloudflare: it passes every rule on a secret's value, so only its presence counts. */
const SECRET_PLACEHOLDER = "secret-set-at-cloudflare-value-not-readable-0000000000000000";

/**
 * The problems of the configuration to deploy. Each secret set at Cloudflare
 * stands in with a placeholder, so whatever depends on its presence (an auth
 * mode, a vendor, two settings that conflict) is checked here, and its value
 * by `/healthz` once deployed.
 */
export function deployProblems(values: Record<string, unknown>, remoteSecrets: string[]): ConfigProblemReport[] {
  const placeholders = Object.fromEntries(remoteSecrets.map((name) => [name, SECRET_PLACEHOLDER]));
  return configProblems(getConfig({ ...values, ...placeholders } as unknown as Env), { bindings: false });
}

/** The names of the secrets set on the deployed Worker; none when it does not exist yet or cannot be asked. */
async function remoteSecretNames(): Promise<string[]> {
  try {
    const { stdout } = await run(process.execPath, [WRANGLER, "secret", "list", "--format", "json"]);
    return (JSON.parse(stdout) as { name: string }[]).map((secret) => secret.name);
  } catch {
    console.warn("could not list the Worker's secrets (not deployed yet, or not logged in): checking without them");
    return [];
  }
}

async function main(wranglerArgs: string[]): Promise<number> {
  await run(process.execPath, [TSX, "scripts/openapi.ts"]);
  const remoteSecrets = wranglerArgs.includes("--dry-run") ? [] : await remoteSecretNames();
  const values = { ...(await wranglerVars()), ...process.env };
  const problems = deployProblems(values, remoteSecrets);
  if (problems.length > 0) {
    for (const { variable, problem } of problems) console.error(`${variable}: ${problem}`);
    console.error(`not deployed: ${problems.length} configuration problem(s)`);
    return 1;
  }
  console.log(
    `configuration ok${remoteSecrets.length > 0 ? ` (secrets at Cloudflare: ${remoteSecrets.join(", ")})` : ""}`,
  );
  const wrangler = spawn(process.execPath, [WRANGLER, "deploy", ...wranglerArgs], { stdio: "inherit" });
  return new Promise((resolve) => wrangler.on("exit", (code) => resolve(code ?? 1)));
}

if (import.meta.url === `file://${process.argv[1]}`) process.exit(await main(process.argv.slice(2)));
