import { readFile } from "node:fs/promises";
import { beforeAll, describe, expect, it } from "vitest";
import { devVars, namesInDevVars } from "../../dev/dev-vars";
import type { DevIdentity } from "../../dev/identity";
import { wranglerVars } from "../../scripts/config-values";
import { getConfig } from "../../src/config";
import type { Env } from "../../src/env";
import { configProblems } from "../../src/health";
import { vendors } from "../../src/vendors/registry";
import { allDocCode, type CodeBlock, exampleValues, knownSettings, where } from "./doc-examples";
import { REPO_ROOT } from "./repo-files";

/**
 * Every configuration example in the docs (a ```toml excerpt of wrangler.toml,
 * or a `.dev.vars` excerpt) parses as the broker's tools parse it, sets only
 * settings the broker reads, and passes the broker's configuration check (the
 * code of `GET /healthz` and `npm run check-config`), except for the problems a
 * `<!-- config-example: shows NAME -->` note before it says it shows.
 */

/** What `npm run dev` runs with: what it supplies for the names .dev.vars leaves unset, as dev/dev-vars.ts decides. */
function devDefaults(values: Record<string, string>): Record<string, string> {
  const identity = { issuer: "http://127.0.0.1:8788/dev-identity", audience: "edge-key-broker-dev" } as DevIdentity;
  const text = Object.entries(values)
    .map(([name, value]) => `${name}=${value}`)
    .join("\n");
  return devVars(namesInDevVars(text), "http://127.0.0.1:8788", identity).vars;
}

/**
 * A deployed broker's secrets, for an excerpt of wrangler.toml: a shared-secret
 * sign-in when the excerpt names no identity provider (a deploy needs one, set
 * as a secret), and an admin token.
 */
function deployedSecrets(vars: Record<string, unknown>): Record<string, string> {
  const signIn = ["AUTH_PROVIDER", "AUTH_JWKS_URL", "AUTH_HS256_SECRET"].some((name) => vars[name] !== undefined);
  return {
    ADMIN_TOKEN: "doc-example-admin-token-0123456789abcdef",
    ...(signIn ? {} : { AUTH_HS256_SECRET: "doc-example-hs256-secret-0123456789abcdef" }),
  };
}

interface ConfigExample {
  block: CodeBlock;
  kind: "wrangler.toml" | ".dev.vars";
  /** What the example sets. */
  values: Record<string, unknown>;
  /** The whole configuration the broker would run with: wrangler.toml's [vars], the example, and what stands around it. */
  env: Record<string, unknown>;
}

async function configExamples(): Promise<{ examples: ConfigExample[]; unreadable: string[] }> {
  const { blocks } = await allDocCode();
  const known = await knownSettings();
  const repoVars = await wranglerVars({ config: `${REPO_ROOT}wrangler.toml` });
  const examples: ConfigExample[] = [];
  const unreadable: string[] = [];
  for (const block of blocks) {
    const read = await exampleValues(block, known);
    if (read?.error !== undefined) unreadable.push(read.error);
    if (read?.values === undefined) continue;
    const { kind, values } = read;
    const around = kind === "wrangler.toml" ? deployedSecrets(values) : devDefaults(values as Record<string, string>);
    examples.push({ block, kind, values, env: { ...repoVars, ...around, ...values } });
  }
  return { examples, unreadable };
}

function problemVariables(env: Record<string, unknown>): string[] {
  const problems = configProblems(getConfig(env as unknown as Env), { bindings: false });
  return [...new Set(problems.map((problem) => problem.variable))].sort();
}

describe("every configuration example in the docs", () => {
  let examples: ConfigExample[];
  let unreadable: string[];
  let known: Set<string>;
  beforeAll(async () => {
    ({ examples, unreadable } = await configExamples());
    known = await knownSettings();
  }, 60_000);

  it("parses as wrangler reads wrangler.toml and check-config reads .dev.vars", () => {
    expect(unreadable).toEqual([]);
  });

  it("finds wrangler.toml and .dev.vars examples, and one that shows a problem", () => {
    expect(examples.filter((example) => example.kind === "wrangler.toml").length).toBeGreaterThan(0);
    expect(examples.filter((example) => example.kind === ".dev.vars").length).toBeGreaterThan(0);
    expect(examples.some((example) => example.block.shows.length > 0)).toBe(true);
  });

  it("sets only settings the broker reads", () => {
    const unknown = examples.flatMap(({ block, values }) =>
      Object.keys(values)
        .filter((name) => !known.has(name))
        .map((name) => `${where(block)}: ${name}`),
    );
    expect(unknown).toEqual([]);
  });

  it("passes the broker's configuration check, but for the problems it is said to show", () => {
    const wrong = examples.flatMap(({ block, env }) => {
      const found = problemVariables(env);
      const shown = [...block.shows].sort();
      return JSON.stringify(found) === JSON.stringify(shown)
        ? []
        : [
            `${where(block)}: problems with ${found.join(", ") || "nothing"}, documented: ${shown.join(", ") || "none"}`,
          ];
    });
    expect(wrong).toEqual([]);
  });
});

/** The parts of wrangler's reading of wrangler.toml that declare bindings. */
interface WranglerBindings {
  kv_namespaces: { binding: string }[];
  durable_objects: { bindings: { name: string }[] };
  assets?: { binding?: string };
  ratelimits: { name: string }[];
}

/** The backticked names in the first column of the table under `## heading` in docs/configuration.md. */
async function tableNames(heading: string): Promise<string[]> {
  const page = await readFile(`${REPO_ROOT}docs/configuration.md`, "utf8");
  const section = new RegExp(`\\n## ${heading}\\n([\\s\\S]*?)(?=\\n## |$)`).exec(page)?.[1] ?? "";
  const rows = [...section.matchAll(/^\|([^|\n]*)\|/gm)].map((match) => match[1] as string);
  return rows.flatMap((cell) => [...cell.matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((match) => match[1] as string)).sort();
}

describe("docs/configuration.md", () => {
  const secrets = [
    "ADMIN_TOKEN",
    "AUTH_HS256_SECRET",
    "CLIENT_REF_SECRET",
    ...Object.values(vendors).flatMap((v) => v.secretVars),
  ];

  it("lists every secret under Secrets", async () => {
    expect(await tableNames("Secrets")).toEqual([...secrets].sort());
  });

  it("lists every other setting under Settings", async () => {
    const settings = [...(await knownSettings())].filter((name) => !secrets.includes(name));
    expect(await tableNames("Settings")).toEqual(settings.sort());
  });

  it("lists every binding of wrangler.toml under Bindings", async () => {
    const { unstable_readConfig } = await import("wrangler");
    const config: WranglerBindings = unstable_readConfig(
      { config: `${REPO_ROOT}wrangler.toml` },
      { hideWarnings: true },
    );
    const bindings = [
      ...config.kv_namespaces.map((namespace) => namespace.binding),
      ...config.durable_objects.bindings.map((binding) => binding.name),
      ...(config.assets?.binding ? [config.assets.binding] : []),
      ...config.ratelimits.map((limiter) => limiter.name),
    ];
    expect(await tableNames("Bindings")).toEqual(bindings.sort());
  });
});
