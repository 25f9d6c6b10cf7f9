/**
 * What `npm run deploy` checks: the configuration wrangler will upload, which
 * is the vars of the config wrangler reads (for the environment it deploys),
 * the `--var` flags, the `--secrets-file` secrets, and the secrets set at
 * Cloudflare. The deployer's shell environment is not part of it: `wrangler
 * deploy` uploads none of it. Two configurations that deploy without an error
 * but then fail are refused too: a KV namespace still bound to wrangler.toml's
 * all-zero placeholder id, and an empty ALLOWED_ORIGINS that NATIVE_APPS_ONLY
 * does not declare meant.
 */
import { existsSync, readFileSync } from "node:fs";
import { type BrokerConfig, getConfig } from "../src/config";
import type { Env } from "../src/env";
import { ConfigProblem } from "../src/errors";
import { type ConfigProblemReport, configProblems } from "../src/health";
import { parseDevVars, UnreadableLine } from "./config-values";
import { DeployArgsError, type DeployTarget } from "./deploy-args";

/** Stands in for a secret set at Cloudflare: it passes every rule on a secret's value, so only its presence counts. */
const SECRET_PLACEHOLDER = "secret-set-at-cloudflare-value-not-readable-0000000000000000";

/** The .env files wrangler loads into its own environment when `--env-file` names none (and no `--env` is given). */
const DEFAULT_ENV_FILES = [".env", ".env.local"];

/**
 * The environment wrangler deploys: `--env`'s (`""` is the top level), else CLOUDFLARE_ENV's
 * from the shell, else the top level. deploy.ts names it to wrangler, so a CLOUDFLARE_ENV
 * that wrangler would have read from a .env file is refused rather than silently overruled.
 */
export function deployEnvironment(target: DeployTarget, shell: Record<string, string | undefined>): string {
  const env = target.env ?? shell.CLOUDFLARE_ENV;
  if (env === undefined) {
    const files = target.envFiles.length > 0 ? target.envFiles : DEFAULT_ENV_FILES;
    const setter = files.find((file) => existsSync(file) && readFileSync(file, "utf8").includes("CLOUDFLARE_ENV"));
    if (setter) {
      throw new DeployArgsError(
        `${setter} sets CLOUDFLARE_ENV: name the environment with --env (--env= for the top level)`,
      );
    }
  }
  // wrangler deploy names the Worker --name, wrangler secret list --name-<env>: they would disagree.
  if (target.name !== undefined && env) {
    throw new DeployArgsError("--name with an environment: name the Worker in the config's [env.<name>] instead");
  }
  return env ?? "";
}

export interface DeployedConfig {
  /** The config file wrangler reads: the one it finds, or a build tool's redirect to its output. */
  path: string | undefined;
  vars: Record<string, unknown>;
  /** The KV namespaces bound in the environment deployed (wrangler does not inherit them from the top level). */
  kvNamespaces: readonly { binding: string; id?: string | undefined }[];
}

/** The config wrangler deploys with, read by wrangler itself as `wrangler deploy` reads it. */
export async function deployedConfig(target: DeployTarget, env: string): Promise<DeployedConfig> {
  const { unstable_readConfig } = await import("wrangler");
  const config = unstable_readConfig(
    { config: target.config, script: target.script, env },
    { hideWarnings: true, useRedirectIfAvailable: true },
  );
  if (config.keep_vars) {
    throw new DeployArgsError(
      `keep_vars in ${config.configPath ?? "the wrangler config"} keeps vars set in the dashboard, which the check cannot see`,
    );
  }
  return { path: config.configPath, vars: config.vars, kvNamespaces: config.kv_namespaces };
}

/** The id wrangler.toml ships with for AUDIT: it names no namespace anyone created. */
export const PLACEHOLDER_NAMESPACE_ID = "0".repeat(32);

/**
 * The KV namespaces still bound to the placeholder id. wrangler would deploy
 * them and every mint would then fail on the audit write; the message names the
 * fix, and the config and environment to put the id in.
 */
export function namespaceProblems(config: DeployedConfig, env: string): ConfigProblemReport[] {
  const table = env ? `[[env.${env}.kv_namespaces]]` : "[[kv_namespaces]]";
  const file = config.path ?? "the wrangler config";
  return config.kvNamespaces
    .filter((namespace) => namespace.id === PLACEHOLDER_NAMESPACE_ID)
    .map(({ binding }) => ({
      variable: binding,
      problem:
        `${binding}'s id in ${table} of ${file} is the placeholder ${PLACEHOLDER_NAMESPACE_ID}: ` +
        `run \`npx wrangler kv namespace create ${binding}\` and put the id it prints there`,
    }));
}

/**
 * The secrets `--secrets-file` uploads with the deploy, read as wrangler reads the file: a JSON
 * object of strings, else KEY=VALUE lines. Errors name the file and a line, never a value.
 */
export function readSecretsFile(path: string): Record<string, string> {
  const text = readFileSync(path, "utf8");
  let secrets: unknown;
  try {
    secrets = JSON.parse(text);
  } catch {
    try {
      secrets = parseDevVars(text);
    } catch (error) {
      if (!(error instanceof UnreadableLine)) throw error;
      throw new DeployArgsError(`--secrets-file ${path}: neither JSON nor KEY=VALUE lines (${error.message})`);
    }
  }
  const entries = typeof secrets === "object" && secrets !== null ? Object.entries(secrets) : [];
  if (entries.length === 0 || Array.isArray(secrets) || entries.some(([, value]) => typeof value !== "string")) {
    throw new DeployArgsError(`--secrets-file ${path}: not a JSON object of strings nor KEY=VALUE lines`);
  }
  return Object.fromEntries(entries) as Record<string, string>;
}

/**
 * The problems of the configuration to deploy. Each secret set at Cloudflare
 * stands in with a placeholder, so whatever depends on its presence (an auth
 * mode, a vendor, two settings that conflict) is checked here, and its value
 * by `/healthz` once deployed.
 */
export function deployProblems(values: Record<string, unknown>, secrets: readonly string[]): ConfigProblemReport[] {
  const config = deployedBrokerConfig(values, secrets);
  const problems = configProblems(config, { bindings: false });
  if (refusesEveryBrowserUndeclared(config)) problems.push(EMPTY_ORIGINS);
  return problems;
}

/** The broker's config as deployed: the values uploaded, and the secrets set at Cloudflare by name only. */
export function deployedBrokerConfig(values: Record<string, unknown>, secrets: readonly string[]): BrokerConfig {
  const placeholders = Object.fromEntries(secrets.map((name) => [name, SECRET_PLACEHOLDER]));
  return getConfig({ ...values, ...placeholders } as unknown as Env);
}

const EMPTY_ORIGINS: ConfigProblemReport = {
  variable: "ALLOWED_ORIGINS",
  problem:
    "ALLOWED_ORIGINS is empty, so the broker would refuse every browser: list your app's origins in [vars] " +
    '(e.g. ALLOWED_ORIGINS = "https://app.example.com"), or set NATIVE_APPS_ONLY = "true" there ' +
    "if only native apps and servers call the broker",
};

/**
 * An empty ALLOWED_ORIGINS that NATIVE_APPS_ONLY does not declare meant. Valid, and
 * `npm run check-config` only warns of it, but deployed it breaks every web app in silence.
 * False when either setting is broken: that is a problem of its own already.
 */
function refusesEveryBrowserUndeclared(config: BrokerConfig): boolean {
  try {
    return config.allowedOrigins().size === 0 && !config.nativeAppsOnly();
  } catch (error) {
    if (error instanceof ConfigProblem) return false;
    throw error;
  }
}
