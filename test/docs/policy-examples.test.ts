import { readFile } from "node:fs/promises";
import { isDeepStrictEqual } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { ConfigProblem } from "../../src/errors";
import { parsePolicy } from "../../src/policy/schema";
import { EXAMPLE_POLICIES, FREE_TIER_POLICY, PRO_TIER_POLICY } from "../policy/examples";
import { allDocCode, exampleValues, knownSettings, looksLikePolicy, tryJson, where } from "./doc-examples";
import { REPO_ROOT } from "./repo-files";

/**
 * Every `POLICY` example in the docs is one of test/policy/examples.ts, which
 * test/policy/examples.test.ts mints through the Worker for every vendor in the
 * registry, so an example that parses but does something else than its prose
 * says fails there. Found wherever a reader may copy one from: a JSON block or
 * inline code that reads as a policy, `POLICY` in a wrangler.toml excerpt (JSON
 * text or a `[vars.POLICY]` table), or `POLICY=` in a `.dev.vars` excerpt.
 */

interface PolicyExample {
  at: string;
  /** The value as the broker receives it: JSON text, or the object of a TOML table. */
  raw: unknown;
}

async function policyExamples(): Promise<PolicyExample[]> {
  const { blocks, inline } = await allDocCode();
  const known = await knownSettings();
  const examples: PolicyExample[] = [];
  for (const block of blocks) {
    const config = await exampleValues(block, known);
    // An unreadable excerpt fails test/docs/config-examples.test.ts, naming it.
    if (config?.values?.POLICY !== undefined) examples.push({ at: where(block), raw: config.values.POLICY });
    else if (config === undefined && looksLikePolicy(tryJson(block.text)))
      examples.push({ at: where(block), raw: block.text });
  }
  for (const code of inline) {
    if (looksLikePolicy(tryJson(code.text))) examples.push({ at: where(code), raw: code.text });
  }
  return examples;
}

/** The value a `POLICY` example sets, as plain data. */
function policyValue(raw: unknown): unknown {
  return typeof raw === "string" ? JSON.parse(raw) : raw;
}

/** The JSON block that follows the paragraph starting with `lead` in docs/operations.md. */
async function operationsJsonAfter(lead: string): Promise<unknown> {
  const page = await readFile(`${REPO_ROOT}docs/operations.md`, "utf8");
  const start = page.indexOf(lead);
  expect(start, `docs/operations.md has "${lead}"`).toBeGreaterThan(-1);
  const block = /```json\n([\s\S]*?)```/.exec(page.slice(start));
  return JSON.parse(block?.[1] ?? "null");
}

describe("the docs' example policies", () => {
  // test/policy/examples.test.ts mints these for every vendor; the operator's guide must quote them exactly.
  it("quotes the free tier exactly", async () => {
    expect(await operationsJsonAfter("A **free tier**")).toEqual(FREE_TIER_POLICY);
  });

  it("quotes the pro tier exactly", async () => {
    expect(await operationsJsonAfter("A **pro tier**")).toEqual(PRO_TIER_POLICY);
  });
});

describe("every POLICY example in the docs", () => {
  let examples: PolicyExample[];
  beforeAll(async () => {
    examples = await policyExamples();
  }, 60_000);

  it("finds them in JSON blocks, inline code and wrangler.toml excerpts", () => {
    const places = examples.map((example) => example.at);
    expect(places.some((at) => at.startsWith("docs/operations.md"))).toBe(true);
    expect(examples.some((example) => typeof example.raw === "object")).toBe(true);
  });

  it("parses with the broker's POLICY parser", () => {
    const broken: string[] = [];
    for (const { at, raw } of examples) {
      try {
        parsePolicy(raw);
      } catch (error) {
        if (!(error instanceof ConfigProblem)) throw error;
        broken.push(`${at}: ${error.message}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it("is one of test/policy/examples.ts, quoted exactly, so that its meaning is tested for every vendor", () => {
    const tested = Object.values(EXAMPLE_POLICIES);
    const untested = examples
      .filter(({ raw }) => !tested.some((policy) => isDeepStrictEqual(policy, policyValue(raw))))
      .map(({ at }) => `${at}: not in test/policy/examples.ts (add it there with a test of what the docs say it does)`);
    expect(untested).toEqual([]);
  });

  it("covers every example policy, so none is tested but undocumented", () => {
    const quoted = examples.map(({ raw }) => policyValue(raw));
    const unquoted = Object.entries(EXAMPLE_POLICIES)
      .filter(([, policy]) => !quoted.some((value) => isDeepStrictEqual(value, policy)))
      .map(([name]) => name);
    expect(unquoted).toEqual([]);
  });
});
