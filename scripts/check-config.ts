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
import { readFileSync } from "node:fs";
import { getConfig } from "../src/config";
import type { Env } from "../src/env";
import { type ConfigProblemReport, configProblems } from "../src/health";
import { parseDevVars, UnreadableLine, wranglerVars } from "./config-values";

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
