/**
 * What `npm run deploy` checks: the configuration wrangler will upload, which
 * is the config's `[vars]` (for the `--env` given), the `--var` flags, and the
 * secrets set at Cloudflare. The deployer's shell environment is not part of
 * it: `wrangler deploy` uploads none of it.
 */
import { getConfig } from "../src/config";
import type { Env } from "../src/env";
import { type ConfigProblemReport, configProblems } from "../src/health";

/** Stands in for a secret set at Cloudflare: it passes every rule on a secret's value, so only its presence counts. */
const SECRET_PLACEHOLDER = "secret-set-at-cloudflare-value-not-readable-0000000000000000";

/** Our own flag: a secret to count as set at Cloudflare, for `--dry-run`, which asks Cloudflare nothing. */
const ASSUME_SECRET = "--assume-secret";

export interface DeployTarget {
  /** The flags to pass to `wrangler deploy` (all but ours). */
  wranglerArgs: string[];
  config: string | undefined;
  env: string | undefined;
  /** `--var NAME:VALUE` flags, which wrangler uploads as vars. */
  vars: Record<string, string>;
  assumedSecrets: string[];
  dryRun: boolean;
}

/** Reads the flags that change what is deployed; `--flag value` and `--flag=value` alike. */
export function parseDeployArgs(args: readonly string[]): DeployTarget {
  const target: DeployTarget = {
    wranglerArgs: [],
    config: undefined,
    env: undefined,
    vars: {},
    assumedSecrets: [],
    dryRun: false,
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const [flag, inline] = arg.startsWith("--") && arg.includes("=") ? splitOnce(arg, "=") : [arg, undefined];
    const takesValue = [ASSUME_SECRET, "--env", "-e", "--config", "-c", "--var"].includes(flag);
    const value = takesValue ? (inline ?? args[++i]) : undefined;
    if (takesValue && value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === ASSUME_SECRET) {
      target.assumedSecrets.push(value as string);
      continue;
    }
    target.wranglerArgs.push(...(inline === undefined && takesValue ? [flag, value as string] : [arg]));
    if (flag === "--env" || flag === "-e") target.env = value;
    else if (flag === "--config" || flag === "-c") target.config = value;
    else if (flag === "--var") {
      const [name, varValue] = splitOnce(value as string, ":");
      target.vars[name] = varValue ?? "";
    } else if (flag === "--dry-run") target.dryRun = true;
  }
  return target;
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at === -1 ? [text, undefined] : [text.slice(0, at), text.slice(at + separator.length)];
}

/**
 * The problems of the configuration to deploy. Each secret set at Cloudflare
 * stands in with a placeholder, so whatever depends on its presence (an auth
 * mode, a vendor, two settings that conflict) is checked here, and its value
 * by `/healthz` once deployed.
 */
export function deployProblems(values: Record<string, unknown>, secrets: readonly string[]): ConfigProblemReport[] {
  const placeholders = Object.fromEntries(secrets.map((name) => [name, SECRET_PLACEHOLDER]));
  return configProblems(getConfig({ ...values, ...placeholders } as unknown as Env), { bindings: false });
}
