import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * One clock: the Worker decides on the injected `now` alone, so the real clock is
 * read only by the production deps in src/index.ts, and by the browser client's
 * default clock, which its callers can replace (`now` option of createKeyClient).
 */
const ROOT = join(import.meta.dirname, "../..");
const READS_OF_THE_CLOCK = [
  /(?<!new\s+)\bDate\s*\(/,
  /\bTemporal\.Now\b/,
  /\bDate\.now\s*\(/,
  /\bnew\s+Date\s*\(\s*\)/,
  /\bnew\s+Date\b(?!\s*\()/,
  /\bperformance\.now\s*\(/,
];
const ALLOWED: Record<string, number> = {
  "src/index.ts": 1,
  "src/client/clock.ts": 1,
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** Each line of the file that reads the real clock, as `path:line: text`. */
function clockReads(path: string): string[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .flatMap((text, index) =>
      READS_OF_THE_CLOCK.some((pattern) => pattern.test(text))
        ? [`${relative(ROOT, path)}:${index + 1}: ${text.trim()}`]
        : [],
    );
}

describe("the real clock", () => {
  it("is read by the production deps and the client's default clock, nowhere else in src/", () => {
    const reads = sourceFiles(join(ROOT, "src")).flatMap(clockReads);
    const unexpected = reads.filter((read) => {
      const file = read.slice(0, read.indexOf(":"));
      return !(file in ALLOWED);
    });
    expect(unexpected).toEqual([]);
    for (const [file, count] of Object.entries(ALLOWED)) {
      expect(clockReads(join(ROOT, file)), file).toHaveLength(count);
    }
  });

  it("is recognised in each form the check looks for", () => {
    const forms = [
      "Date.now()",
      "new Date()",
      "new Date",
      "performance.now()",
      "x = Date.now ()",
      "Date()",
      "Temporal.Now.instant()",
    ];
    for (const form of forms)
      expect(
        READS_OF_THE_CLOCK.some((pattern) => pattern.test(form)),
        form,
      ).toBe(true);
    for (const conversion of ["new Date(ms)", "new Date(created.expires_at * 1000)", "Date.parse(text)"]) {
      expect(
        READS_OF_THE_CLOCK.some((pattern) => pattern.test(conversion)),
        conversion,
      ).toBe(false);
    }
  });
});
