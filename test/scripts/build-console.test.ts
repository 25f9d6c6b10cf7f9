import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { buildConsole } from "../../scripts/build-console";

/**
 * The console's build (`npm run build:console`): small, self-contained and safe to serve under
 * its strict Content-Security-Policy. The page's behaviour is tested in Chromium (test/e2e/console.test.ts).
 */
const ASSETS = new URL("../../src/generated/assets/", import.meta.url);
/** The gzipped ceiling for the three files together. */
const MAX_GZIPPED_BYTES = 40 * 1024;

const sizes = await buildConsole();
const asset = (name: string) => readFile(new URL(name, ASSETS), "utf8");

describe("the console build", () => {
  it("writes the page, its script and its styles, within the size ceiling", () => {
    expect(sizes.map(({ file }) => file).sort()).toEqual(["console.css", "console.html", "console.js"]);
    expect(sizes.reduce((sum, { gzipped }) => sum + gzipped, 0)).toBeLessThan(MAX_GZIPPED_BYTES);
  });

  it("states its gzipped size in docs/operations.md", async () => {
    const total = sizes.reduce((sum, { gzipped }) => sum + gzipped, 0) / 1024;
    const operations = await readFile(new URL("../../docs/operations.md", import.meta.url), "utf8");
    const stated = /console.*?(\d+(?:\.\d)?) KiB gzipped/.exec(operations.slice(operations.indexOf("## Console")));
    expect(stated, "docs/operations.md names no size").not.toBeNull();
    expect(Math.abs(Number(stated?.[1]) - total), `the build is ${total.toFixed(1)} KiB gzipped`).toBeLessThan(1);
  });

  it("has no inline script or style for the CSP to refuse, and loads only its own two files", async () => {
    const page = await asset("console.html");
    expect(
      [...page.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)].map((m) => [m[0].match(/src="([^"]+)"/)?.[1], m[1]]),
    ).toEqual([["/console.js", ""]]);
    expect(page).not.toMatch(/<style\b|\sstyle=|\son[a-z]+=/i);
    expect([...page.matchAll(/\s(?:src|href)="([^"]+)"/g)].map((m) => m[1]).sort()).toEqual([
      "/console.css",
      "/console.js",
      "data:,",
    ]);
  });

  it("never writes markup from data, keeps no token beyond the tab, and loads nothing from a CDN", async () => {
    const script = await asset("console.js");
    for (const unsafe of ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "localStorage", "eval("]) {
      expect(script, unsafe).not.toContain(unsafe);
    }
    expect(script).toContain("sessionStorage");
    expect(script).not.toMatch(/https?:\/\//);
  });
});
