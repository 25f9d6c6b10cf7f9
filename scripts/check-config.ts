/**
 * `npm run check-config [file]`: checks the broker's configuration before it
 * is deployed, with the same code as `GET /healthz`. The vars of wrangler.toml
 * come first; then the values of `file` (KEY=VALUE lines, as in .dev.vars) or,
 * with no file, of the environment. Prints `VARIABLE: problem` for each problem
 * and exits 1, or prints "configuration ok". Either way it prints each configured
 * vendor's effective policy and warns about settings that are valid but leave
 * something closed by surprise (an empty ALLOWED_ORIGINS, unless NATIVE_APPS_ONLY
 * is true). Never prints a value.
 *
 * Bindings (AUDIT, USER_STATE, MINT_STATS) exist only inside the Worker: `GET /healthz`
 * checks them at run time.
 */
import { readFileSync } from "node:fs";
import { type BrokerConfig, getConfig } from "../src/config";
import type { Env } from "../src/env";
import { ConfigProblem } from "../src/errors";
import { type ConfigProblemReport, configProblems } from "../src/health";
import { parseDevVars, UnreadableLine, wranglerVars } from "./config-values";
import { policySummary } from "./policy-summary";

interface CheckResult {
  problems: ConfigProblemReport[];
  /** Undefined when no configuration could be read (a line of the file is not KEY=VALUE). */
  config?: BrokerConfig;
}

/** The problems, or undefined when `file` cannot be read at all. */
async function check(file: string | undefined): Promise<CheckResult | undefined> {
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
      return { problems: [{ variable: file, problem: error.message }] };
    }
  }
  const env = { ...(await wranglerVars()), ...values } as unknown as Env;
  const config = getConfig(env);
  return { problems: configProblems(config, { bindings: false }), config };
}

/** Valid settings that still refuse what the operator likely meant to allow. */
function warnings(config: BrokerConfig): string[] {
  try {
    if (config.allowedOrigins().size > 0 || config.nativeAppsOnly()) return [];
  } catch (error) {
    if (error instanceof ConfigProblem) return [];
    throw error;
  }
  return [
    "warning: ALLOWED_ORIGINS is empty, so the broker refuses every browser request (a web page sees a network error); " +
      "list your app's origins, e.g. ALLOWED_ORIGINS=http://localhost:5173 for a Vite dev server, " +
      "or set NATIVE_APPS_ONLY=true if no browser calls the broker (npm run deploy refuses an empty ALLOWED_ORIGINS without it)",
  ];
}

const file = process.argv[2];
const result = await check(file);
if (result === undefined) {
  console.error(`cannot read ${file}`);
  process.exit(2);
}
const { problems, config } = result;
for (const { variable, problem } of problems) console.error(`${variable}: ${problem}`);
if (config) for (const line of [...policySummary(config), ...warnings(config)]) console.log(line);
console.log(problems.length === 0 ? "configuration ok" : `${problems.length} configuration problem(s)`);
console.log("Bindings (AUDIT, USER_STATE, MINT_STATS) are not checked here: GET /healthz checks them once deployed.");
process.exit(problems.length === 0 ? 0 : 1);
