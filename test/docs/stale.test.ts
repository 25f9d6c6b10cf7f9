import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { vendorIds } from "../../src/vendors/registry";
import { REPO_ROOT, repoFiles } from "./repo-files";

/**
 * Statements that were once true, or never were, and that a reader would act
 * on. CHANGELOG.md may name them: it is history.
 */
const STALE: { pattern: RegExp; why: string }[] = [
  { pattern: /\b(four|nine) vendors\b/i, why: "counts the registry never had" },
  // Saying that it is retired is a fact; using it is not.
  {
    pattern: /stt-rt-preview(?!.*\bretired\b)(?<!\bretired\b.*)/,
    why: "a Soniox model retired in 2025; use stt-rt-v3",
  },
  { pattern: /Node(\.js)? 20\.3\b/, why: "Node 20 or later is what is tested" },
  { pattern: /rate limiter is removed/i, why: "reads as if the product lost its burst limit" },
  {
    pattern: /keyed by vendor id \(`soniox`, `speechmatics`, `amivoice`, `acedata`\)/,
    why: "POLICY takes every vendor id",
  },
];

/** The repo's Markdown, the demo and the client's sources: what a user reads or runs. */
function readable(): Promise<string[]> {
  return repoFiles(
    (path) =>
      (path.endsWith(".md") && path !== "CHANGELOG.md") ||
      path.startsWith("dev/demo/") ||
      (path.startsWith("src/client/") && path.endsWith(".ts")),
  );
}

describe("no stale statements", () => {
  it("finds the files it checks", async () => {
    const files = await readable();
    expect(files).toContain("README.md");
    expect(files.some((file) => file.startsWith("docs/"))).toBe(true);
    expect(files.some((file) => file.startsWith("dev/demo/"))).toBe(true);
  });

  it.each(STALE)("nothing says $pattern ($why)", async ({ pattern }) => {
    const hits: string[] = [];
    for (const file of await readable()) {
      const text = await readFile(REPO_ROOT + file, "utf8").catch(() => "");
      text.split("\n").forEach((line, index) => {
        if (pattern.test(line)) hits.push(`${file}:${index + 1}: ${line.trim().slice(0, 120)}`);
      });
    }
    expect(hits).toEqual([]);
  });
});

const NUMBER_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"];
NUMBER_WORDS.push("eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen");

describe("vendor counts", () => {
  // The guides state the registry's size; BENCHMARKS.md, RELIABILITY.md and CHANGELOG.md record past runs.
  it("in the README, docs/, the client README and CONTRIBUTING.md, equal the registry's", async () => {
    const guides = await repoFiles(
      (path) => ["README.md", "CONTRIBUTING.md", "client/README.md"].includes(path) || /^docs\/.*\.md$/.test(path),
    );
    const counts: string[] = [];
    for (const file of guides) {
      const text = await readFile(REPO_ROOT + file, "utf8");
      for (const [phrase, count] of text.matchAll(/\b(\w+) (?:speech |AI )?vendors\b/gi)) {
        const n = NUMBER_WORDS.indexOf(count?.toLowerCase() ?? "");
        const value = n >= 0 ? n : /^\d+$/.test(count ?? "") ? Number(count) : undefined;
        if (value !== undefined) counts.push(`${file}: ${phrase} → ${value}`);
      }
    }
    expect(counts.length, "the docs state the count somewhere").toBeGreaterThan(0);
    for (const count of counts) expect(count).toMatch(new RegExp(`→ ${vendorIds.length}$`));
  });
});
