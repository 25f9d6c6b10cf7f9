/**
 * `npm run deploy`'s flags, read as wrangler 4's `deploy` reads them (yargs-parser with
 * wrangler's definitions): `--flag value`, `--flag=value`, `-e value`, `-e=value`, a flag's
 * aliases and camelCase spelling (`--keepVars`), `--no-flag` for a switch, `--switch true`,
 * and a list flag (`--var`) taking every value up to the next flag.
 *
 * Every flag wrangler defines is in DEPLOY_FLAGS. Those that change what is deployed are
 * read; those that do not are passed on; the rest, and any form or flag not listed, are
 * refused: wrangler would deploy something the check did not see. wrangler is then given
 * the flags as read, one `--flag=value` each, so it deploys what was checked even where
 * yargs would read the original differently.
 */

/** An argument `npm run deploy` does not deploy with; its message says why and what to do instead. */
export class DeployArgsError extends Error {}

/** How a flag takes its value, as yargs does with wrangler's definitions. */
type Arity =
  /** `type: "boolean"`: true alone, or `=true`/`=false`, or a following `true`/`false`; `--no-x` is false. */
  | "switch"
  /** `requiresArg`: exactly one value. */
  | "one"
  /** Neither boolean nor `requiresArg`: the next argument if it is not a flag. */
  | "optional"
  /** `array`: every following argument up to the next flag, one at least. */
  | "list";

export type FlagSpec = { arity: Arity; aliases?: readonly string[] } | { refused: string; aliases?: readonly string[] };

/**
 * wrangler 4.86 `deploy`'s flags and its global ones, in three groups. A flag wrangler adds
 * is refused until it is placed here; test/scripts/deploy.test.ts compares this table
 * with wrangler's own definitions.
 */
export const DEPLOY_FLAGS = {
  // Read: they change the vars, the secrets or the Worker the secrets are listed for.
  config: { arity: "one", aliases: ["c"] },
  env: { arity: "one", aliases: ["e"] },
  var: { arity: "list" },
  "secrets-file": { arity: "one" },
  "keep-vars": { arity: "switch" },
  "dry-run": { arity: "switch" },
  name: { arity: "one" },
  "env-file": { arity: "list" },
  script: { arity: "one" },

  // Passed on: they change neither the vars, nor the secrets, nor which Worker is deployed.
  bundle: { arity: "switch" },
  "no-bundle": { arity: "switch" },
  outdir: { arity: "one" },
  outfile: { arity: "one" },
  "compatibility-date": { arity: "one" },
  "compatibility-flags": { arity: "list", aliases: ["compatibility-flag"] },
  latest: { arity: "switch" },
  assets: { arity: "one" },
  triggers: { arity: "list", aliases: ["schedule", "schedules"] },
  routes: { arity: "list", aliases: ["route"] },
  domains: { arity: "list", aliases: ["domain"] },
  "jsx-factory": { arity: "one" },
  "jsx-fragment": { arity: "one" },
  tsconfig: { arity: "one" },
  minify: { arity: "switch" },
  metafile: { arity: "optional" },
  logpush: { arity: "switch" },
  "upload-source-maps": { arity: "switch" },
  "old-asset-ttl": { arity: "optional" },
  "containers-rollout": { arity: "optional" },
  tag: { arity: "one" },
  message: { arity: "one" },
  strict: { arity: "switch" },
  "experimental-autoconfig": { arity: "switch", aliases: ["x-autoconfig"] },
  "experimental-provision": { arity: "switch", aliases: ["x-provision"] },
  "experimental-auto-create": { arity: "switch", aliases: ["x-auto-create"] },

  // Refused.
  define: { refused: "it substitutes code, which could read settings the check never sees" },
  alias: { refused: "it substitutes modules, which could read settings the check never sees" },
  cwd: { refused: "run npm run deploy from that directory instead" },
  "dispatch-namespace": { refused: "wrangler secret list cannot see the secrets of a Worker in a dispatch namespace" },
  "legacy-env": { refused: "set legacy_env in the wrangler config instead" },
  "node-compat": { refused: "wrangler 4 no longer supports it" },
  site: { refused: "Workers Sites are deprecated; the broker serves its assets with [assets]" },
  "site-include": { refused: "Workers Sites are deprecated; the broker serves its assets with [assets]" },
  "site-exclude": { refused: "Workers Sites are deprecated; the broker serves its assets with [assets]" },
  v: { refused: "it deploys nothing; run npx wrangler --version", aliases: ["version"] },
} as const satisfies Record<string, FlagSpec>;

type FlagName = keyof typeof DEPLOY_FLAGS;

/** Our own flag: a secret to count as set at Cloudflare, for `--dry-run`, which asks Cloudflare nothing. */
const ASSUME_SECRET = "assume-secret";

export interface DeployTarget {
  /** What `wrangler deploy` is given: the flags as read, `--flag=value` each, but `--env`, which deploy.ts names. */
  wranglerArgs: string[];
  /** The entry point, which wrangler looks for its config next to when `--config` is not given. */
  script: string | undefined;
  config: string | undefined;
  /** `--env`'s value: `""` is the top level; undefined when not given. */
  env: string | undefined;
  name: string | undefined;
  /** `--var NAME:VALUE` values, which wrangler uploads as vars over the config's. */
  vars: Record<string, string>;
  secretsFile: string | undefined;
  envFiles: string[];
  assumedSecrets: string[];
  dryRun: boolean;
}

/** Every spelling yargs accepts for a flag: its name, its aliases and their camelCase forms. */
const SPELLINGS: ReadonlyMap<string, FlagName> = new Map(
  Object.entries(DEPLOY_FLAGS as Record<string, FlagSpec>).flatMap(([name, spec]) =>
    [name, ...(spec.aliases ?? [])].flatMap((spelling) => [
      [spelling, name as FlagName],
      [camelCase(spelling), name as FlagName],
    ]),
  ),
);

/** yargs' camelCase alias of a kebab-case flag: `keep-vars` → `keepVars`. */
function camelCase(kebab: string): string {
  return kebab.replace(/-(.)/g, (_, letter: string) => letter.toUpperCase());
}

/** A flag's values as read: a string, a switch's boolean, or null for an optional value left out. */
type Value = string | boolean | null;

interface FlagToken {
  spelling: string;
  inline: string | undefined;
}

/** `--name`, `--name=value`, `-x` or `-x=value` with a one-letter alias; any other argument starting with `-` is refused. */
function flagToken(token: string): FlagToken {
  const long = /^--([^=]+)(?:=([\s\S]*))?$/.exec(token);
  if (long) return { spelling: long[1] as string, inline: long[2] };
  // yargs reads `-e=` as -e and a flag named "=": a short flag's value after = is not empty.
  const short = /^-([A-Za-z])(?:=([\s\S]+))?$/.exec(token);
  if (short) return { spelling: short[1] as string, inline: short[2] };
  if (token === "--") throw new DeployArgsError("--: what follows it would reach wrangler unread");
  throw new DeployArgsError(
    `${withoutValue(token)}: not a form npm run deploy reads; write flags as --flag value, --flag=value, -e value or -e=value`,
  );
}

/** A flag as an error may show it: never the value given after `=`, which may be a var's. */
function withoutValue(token: string): string {
  const equals = token.indexOf("=");
  return equals < 0 ? token : `${token.slice(0, equals)}=…`;
}

/**
 * yargs strips the quotes around a list's or an optional value given after `=`, which is how
 * wrangler is given them; one in quotes would then reach wrangler as another value than the one checked.
 */
function unquoted(token: string, value: string): string {
  if (/^(["']).*\1$|^["']$/s.test(value)) {
    throw new DeployArgsError(`${withoutValue(token)}: a value in quotes, which wrangler would read without them`);
  }
  return value;
}

/** Reads the flags of `npm run deploy -- <flags>`; throws DeployArgsError on any it does not deploy with. */
export function parseDeployArgs(args: readonly string[]): DeployTarget {
  const read = new Map<FlagName, Value[]>();
  const assumedSecrets: string[] = [];
  let i = 0;
  /** The arguments after the flag up to the next flag; `many` false takes one at most. */
  const following = (many: boolean): string[] => {
    const values: string[] = [];
    while (i + 1 < args.length && !(args[i + 1] as string).startsWith("-") && (many || values.length === 0)) {
      values.push(args[++i] as string);
    }
    return values;
  };
  const add = (token: string, name: FlagName, values: Value[]) => {
    if (values.some((value) => value === "" && name !== "env"))
      throw new DeployArgsError(`${withoutValue(token)}: an empty value`);
    const previous = read.get(name);
    if (previous && !isList(name)) {
      throw new DeployArgsError(`${name === "script" ? "the entry point" : `--${name}`} is given twice`);
    }
    read.set(name, [...(previous ?? []), ...values]);
  };

  for (; i < args.length; i++) {
    const token = args[i] as string;
    if (!token.startsWith("-")) {
      add(token, "script", [token]);
      continue;
    }
    const { spelling, inline } = flagToken(token);
    if (spelling === ASSUME_SECRET) {
      const [name] = inline !== undefined ? [inline] : following(false);
      if (!name) throw new DeployArgsError(`${withoutValue(token)} needs a secret's name`);
      assumedSecrets.push(name);
      continue;
    }
    // yargs reads `--no-x` (without `=`) as x=false before it looks for a flag named `no-x`.
    const negated = inline === undefined && spelling.startsWith("no-") ? SPELLINGS.get(spelling.slice(3)) : undefined;
    const name = negated ?? SPELLINGS.get(spelling);
    if (name === undefined) {
      throw new DeployArgsError(`${withoutValue(token)}: not a wrangler deploy flag that npm run deploy knows`);
    }
    const spec: FlagSpec = DEPLOY_FLAGS[name];
    if ("refused" in spec) throw new DeployArgsError(`${withoutValue(token)}: ${spec.refused}`);
    if (negated !== undefined) {
      if (spec.arity !== "switch") throw new DeployArgsError(`${withoutValue(token)}: --${name} is not a switch`);
      add(token, name, [false]);
      continue;
    }
    switch (spec.arity) {
      case "switch": {
        const next = args[i + 1];
        const word = inline ?? (next === "true" || next === "false" ? args[++i] : undefined);
        if (word !== undefined && word !== "true" && word !== "false") {
          throw new DeployArgsError(`${withoutValue(token)}: a switch is true or false`);
        }
        add(token, name, [word !== "false"]);
        break;
      }
      case "one": {
        const [value] = inline !== undefined ? [inline] : following(false);
        if (value === undefined) throw new DeployArgsError(`${withoutValue(token)} needs a value`);
        add(token, name, [value]);
        break;
      }
      case "optional": {
        const [value] = inline !== undefined ? [inline] : following(false);
        add(token, name, [value === undefined ? null : unquoted(token, value)]);
        break;
      }
      case "list": {
        const values = [...(inline !== undefined ? [inline] : []), ...following(true)];
        if (values.length === 0) throw new DeployArgsError(`${withoutValue(token)} needs a value`);
        add(
          token,
          name,
          values.map((value) => unquoted(token, value)),
        );
        break;
      }
    }
  }
  return target(read, assumedSecrets);
}

function isList(name: FlagName): boolean {
  const spec: FlagSpec = DEPLOY_FLAGS[name];
  return "arity" in spec && spec.arity === "list";
}

function target(read: Map<FlagName, Value[]>, assumedSecrets: string[]): DeployTarget {
  const one = (name: FlagName) => read.get(name)?.[0] as string | undefined;
  const list = (name: FlagName) => (read.get(name) ?? []) as string[];
  if (read.get("keep-vars")?.[0] === true) {
    throw new DeployArgsError("--keep-vars keeps vars set in the dashboard, which the check cannot see");
  }
  const dryRun = read.get("dry-run")?.[0] === true;
  if (assumedSecrets.length > 0 && !dryRun) {
    throw new DeployArgsError("--assume-secret is for --dry-run; a deploy counts the secrets set at Cloudflare");
  }
  const script = one("script");
  if (script?.startsWith("-")) throw new DeployArgsError(`--script=${script}: an entry point that reads as a flag`);
  return {
    // The entry point first, as wrangler's positional; every other flag as --flag=value.
    wranglerArgs: [
      ...(script !== undefined ? [script] : []),
      ...[...read].flatMap(([name, values]) =>
        name === "env" || name === "script"
          ? []
          : values.map((value) => (value === null ? `--${name}` : `--${name}=${String(value)}`)),
      ),
    ],
    script,
    config: one("config"),
    env: one("env"),
    name: one("name"),
    // As wrangler splits them: the name up to the first colon, the value after it ("" without one).
    vars: Object.fromEntries(
      list("var").map((entry) => {
        const [name, ...value] = entry.split(":");
        return [name, value.join(":")];
      }),
    ),
    secretsFile: one("secrets-file"),
    envFiles: list("env-file"),
    assumedSecrets,
    dryRun,
  };
}
