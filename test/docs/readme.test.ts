import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { adapterFor, vendorIds } from "../../src/vendors/registry";

/**
 * The README is the front door: short, in the order a new user reads it, and
 * its vendor table true to the registry. Everything else lives in docs/.
 */
const readme = await readFile(new URL("../../README.md", import.meta.url), "utf8");

const MAX_README_BYTES = 12 * 1024;

const OUTLINE = [
  "Try it locally",
  "Vendors",
  "Use it from your app",
  "Connect your identity provider",
  "Deploy",
  "Control cost and abuse",
  "Security",
  "Documentation",
];

/** The README's `## ` sections: heading → body. */
function sections(markdown: string): Map<string, string> {
  const parts = markdown.split(/^## /m).slice(1);
  return new Map(parts.map((part) => [part.slice(0, part.indexOf("\n")).trim(), part.slice(part.indexOf("\n") + 1)]));
}

/** The vendor table's row whose link points at the vendor's section of docs/vendors.md. */
function vendorRow(table: string, id: string): string[] | undefined {
  const row = table.split("\n").find((line) => line.includes(`(docs/vendors.md#${id}`));
  return row
    ?.split("|")
    .slice(1, -1)
    .map((cell) => cell.trim());
}

/** "1–3600, 300" or "fixed 900" → {min, max, default}. */
function parseTtl(cell: string): { min: number; max: number; default: number } | undefined {
  const fixed = /^fixed (\d+)$/.exec(cell);
  if (fixed) return { min: Number(fixed[1]), max: Number(fixed[1]), default: Number(fixed[1]) };
  const range = /^(\d+)–(\d+), (\d+)$/.exec(cell);
  return range ? { min: Number(range[1]), max: Number(range[2]), default: Number(range[3]) } : undefined;
}

describe("README", () => {
  it(`is at most ${MAX_README_BYTES} bytes`, () => {
    expect(Buffer.byteLength(readme)).toBeLessThanOrEqual(MAX_README_BYTES);
  });

  it("follows the outline, in order", () => {
    expect([...sections(readme).keys()]).toEqual(OUTLINE);
  });

  it("has a vendor table row for every vendor in the registry, with the adapter's TTL range and default", () => {
    const table = sections(readme).get("Vendors") ?? "";
    for (const id of vendorIds) {
      const row = vendorRow(table, id);
      expect(row, `a row linking docs/vendors.md#${id}…`).toBeDefined();
      const { min, max } = adapterFor(id).ttl;
      expect(parseTtl(row?.[2] ?? ""), `${id}'s TTL cell`).toEqual({ min, max, default: adapterFor(id).ttl.default });
    }
    const rows = table.split("\n").filter((line) => line.includes("(docs/vendors.md#"));
    expect(rows).toHaveLength(vendorIds.length);
  });

  it("names an SDK helper for a vendor only if the client exports it", async () => {
    const client = (await import("../../src/client/index")) as Record<string, unknown>;
    const table = sections(readme).get("Vendors") ?? "";
    for (const id of vendorIds) {
      for (const [, helper] of (vendorRow(table, id)?.[4] ?? "").matchAll(/`(\w+)`/g)) {
        expect(typeof client[helper ?? ""], `${id}'s helper ${helper}`).toBe("function");
      }
    }
  });
});
