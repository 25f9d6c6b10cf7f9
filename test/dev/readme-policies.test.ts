import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { FREE_TIER_POLICY, PRO_TIER_POLICY } from "../policy/examples";

/** The JSON block that follows the paragraph starting with `lead` in README.md. */
async function readmeJsonAfter(lead: string): Promise<unknown> {
  const readme = await readFile(new URL("../../README.md", import.meta.url), "utf8");
  const start = readme.indexOf(lead);
  expect(start, `README has "${lead}"`).toBeGreaterThan(-1);
  const block = /```json\n([\s\S]*?)```/.exec(readme.slice(start));
  return JSON.parse(block?.[1] ?? "null");
}

describe("README example policies", () => {
  // test/policy/examples.test.ts mints the examples of test/policy/examples.ts for every vendor; the README must quote them exactly.
  it("quotes the free tier exactly", async () => {
    expect(await readmeJsonAfter("A **free tier**")).toEqual(FREE_TIER_POLICY);
  });

  it("quotes the pro tier exactly", async () => {
    expect(await readmeJsonAfter("A **pro tier**")).toEqual(PRO_TIER_POLICY);
  });
});
