/**
 * `npm run check-config [file]`: checks the broker's configuration before it
 * is deployed, with the same code as `GET /healthz`. The vars of wrangler.toml
 * come first; then the values of `file` (KEY=VALUE lines, as in .dev.vars) or,
 * with no file, of the environment. Prints `VARIABLE: problem` for each problem
 * and exits 1, or prints "configuration ok". Never prints a value.
 *
 * Bindings (AUDIT, USER_STATE) exist only inside the Worker: `GET /healthz`
 * checks them at run time.
 */
import { existsSync, readFileSync } from "node:fs";
import { getConfig } from "../src/config";
import type { Env } from "../src/env";
import { type ConfigProblemReport, configProblems } from "../src/health";

const WRANGLER_CONFIG = "wrangler.toml";

/** A line of a .dev.vars file that is neither KEY=VALUE, a comment nor blank. */
class UnreadableLine extends Error {}

/**
 * Reads KEY=VALUE lines as wrangler reads .dev.vars (dotenv's rules): `#`
 * comments, an optional `export`, values trimmed unless quoted with ', " or `,
 * and `\n` in double quotes as a newline. Errors give the line number only.
 */
function parseDevVars(text: string): Record<string, string> {
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

/** The `[vars]` of wrangler.toml, read by wrangler itself (loaded only when needed: it takes a second). */
async function wranglerVars(): Promise<Record<string, unknown>> {
  if (!existsSync(WRANGLER_CONFIG)) return {};
  const { unstable_readConfig } = await import("wrangler");
  return unstable_readConfig({ config: WRANGLER_CONFIG }, { hideWarnings: true }).vars;
}

/** The problems, or undefined when `file` cannot be read at all. */
async function check(file: string | undefined): Promise<ConfigProblemReport[] | undefined> {
  let values: Record<string, unknown>;
  if (file === undefined) values = { ...process.env };
  else {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      return undefined;
    }
    try {
      values = parseDevVars(text);
    } catch (error) {
      if (!(error instanceof UnreadableLine)) throw error;
      return [{ variable: file, problem: error.message }];
    }
  }
  const env = { ...(await wranglerVars()), ...values } as unknown as Env;
  return configProblems(getConfig(env), { bindings: false });
}

const file = process.argv[2];
const problems = await check(file);
if (problems === undefined) {
  console.error(`cannot read ${file}`);
  process.exit(2);
}
for (const { variable, problem } of problems) console.error(`${variable}: ${problem}`);
console.log(problems.length === 0 ? "configuration ok" : `${problems.length} configuration problem(s)`);
console.log("Bindings (AUDIT, USER_STATE) are not checked here: GET /healthz checks them once deployed.");
process.exit(problems.length === 0 ? 0 : 1);
