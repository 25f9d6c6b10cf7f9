/**
 * Reading the broker's settings outside the Worker, for `npm run check-config`
 * and `npm run deploy`: `.dev.vars`-style files and wrangler.toml's `[vars]`.
 */
import { existsSync } from "node:fs";

const WRANGLER_CONFIG = "wrangler.toml";

/** A line of a .dev.vars file that is neither KEY=VALUE, a comment nor blank. */
export class UnreadableLine extends Error {}

/**
 * Reads KEY=VALUE lines as wrangler reads .dev.vars (dotenv's rules): `#`
 * comments, an optional `export`, values trimmed unless quoted with ', " or `,
 * and `\n` in double quotes as a newline. Errors give the line number only.
 */
export function parseDevVars(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [index, line] of text.split(/\r\n?|\n/).entries()) {
    if (/^\s*(?:#|$)/.test(line)) continue;
    const match = /^\s*(?:export\s+)?([\w.-]+)\s*=(.*)$/.exec(line);
    if (!match) throw new UnreadableLine(`line ${index + 1} is not KEY=VALUE`);
    const [, name, rest] = match as unknown as [string, string, string];
    values[name] = parseValue(rest.trim(), index + 1);
  }
  return values;
}

function parseValue(text: string, lineNumber: number): string {
  const quote = text[0];
  if (quote !== '"' && quote !== "'" && quote !== "`") return text.replace(/#.*$/, "").trim();
  const quoted = new RegExp(`^${quote}((?:\\\\${quote}|[^${quote}])*)${quote}\\s*(?:#.*)?$`).exec(text);
  if (!quoted) throw new UnreadableLine(`line ${lineNumber} has a quote that is not closed on the same line`);
  const inner = quoted[1] as string;
  return quote === '"' ? inner.replace(/\\n/g, "\n").replace(/\\r/g, "\r") : inner;
}

/**
 * The `[vars]` of a wrangler config (wrangler.toml unless named), for one of its
 * `[env.*]` when given, read by wrangler itself (loaded only when needed: it takes a second).
 */
export async function wranglerVars(
  target: { config?: string | undefined; env?: string | undefined } = {},
): Promise<Record<string, unknown>> {
  const config = target.config ?? WRANGLER_CONFIG;
  if (!existsSync(config)) return {};
  const { unstable_readConfig } = await import("wrangler");
  return unstable_readConfig({ config, env: target.env }, { hideWarnings: true }).vars;
}
