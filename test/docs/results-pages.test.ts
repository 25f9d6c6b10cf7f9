import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "./repo-files";

/**
 * RELIABILITY.md opens with its answer: five guarantees, each naming the test
 * that proves it. The soak's memory figure, which `npm run soak` rewrites,
 * stays next to the paragraph that explains it. (BENCHMARKS.md's layout is
 * checked with the bench's writer, in test/dev/benchmarks-file.test.ts.)
 */
const page = await readFile(`${REPO_ROOT}RELIABILITY.md`, "utf8");

/** The body of the page's first `## ` section, and its heading. */
function firstSection(markdown: string): { heading: string; body: string } {
  const [, heading = "", body = ""] = /^## (.+)\n([\s\S]*?)(?=^## |$(?![\s\S]))/m.exec(markdown) ?? [];
  return { heading, body };
}

describe("RELIABILITY.md", () => {
  it('opens with "What is guaranteed": five bullets, each naming a test file that exists', () => {
    const { heading, body } = firstSection(page);
    expect(heading).toBe("What is guaranteed");
    const bullets = body.split("\n").filter((line) => line.startsWith("- "));
    expect(bullets).toHaveLength(5);
    for (const bullet of bullets) {
      const tests = [...bullet.matchAll(/`(test\/[\w/.-]+\.test\.ts)`/g)].map((m) => m[1] as string);
      expect(tests, bullet).not.toEqual([]);
      for (const test of tests) expect(existsSync(`${REPO_ROOT}${test}`), test).toBe(true);
    }
  });

  it("keeps the soak's memory figure last in the soak's figures, right before the paragraph that explains it", () => {
    const start = page.indexOf("<!-- soak:start -->");
    const end = page.indexOf("<!-- soak:end -->");
    expect(start).toBeGreaterThan(-1);
    expect(end).toBeGreaterThan(start);
    const figures = page.slice(start, end).trim().split("\n");
    expect(figures.at(-1)).toMatch(/^\*\*Memory\.\*\* .*\d+ MiB .*\d+ MiB/);
    const explanation = page.slice(end).split("\n\n")[1] ?? "";
    expect(explanation).toMatch(/grow with the request count/);
    expect(explanation).toMatch(/nothing it holds grows per request/);
  });
});
