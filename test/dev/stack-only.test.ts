import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * `npm run bench` reports what Hono, zod/mini and jose weigh alone, bundled from
 * bench/workers/stack-only.js: the part of the bundle no change to the broker's own
 * code can remove. That figure is only true while the file uses every API of theirs
 * the Worker uses, so a new one in the Worker's code fails here until it is added there.
 */
const WORKER_SOURCES = "src";
/** Not in the Worker: the client SDK and the OpenAPI document's generator. */
const NOT_IN_THE_WORKER = new Set(["client", "openapi"]);
const STACK_ONLY = "bench/workers/stack-only.js";

async function workerSources(dir: string): Promise<string[]> {
  const texts: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && !NOT_IN_THE_WORKER.has(entry.name)) texts.push(...(await workerSources(path)));
    else if (entry.isFile() && entry.name.endsWith(".ts")) texts.push(await readFile(path, "utf8"));
  }
  return texts;
}

/** The value names imported from a package (`import type` and `type` names left out). */
function valueImports(text: string, packageName: string): string[] {
  const names: string[] = [];
  const pattern = new RegExp(`import \\{([^}]*)\\} from "${packageName}"`, "g");
  for (const [, list] of text.matchAll(pattern)) {
    for (const name of (list as string).split(",").map((n) => n.trim())) {
      if (name !== "" && !name.startsWith("type ")) names.push(name);
    }
  }
  return names;
}

describe("the stack-only bundle of the bench", () => {
  it("uses every zod/mini function, and every Hono and jose export, that the Worker's code uses", async () => {
    const worker = (await workerSources(WORKER_SOURCES)).join("\n");
    const stackOnly = await readFile(STACK_ONLY, "utf8");

    const zodCalls = new Set(worker.match(/\bz\.(?:iso\.)?[A-Za-z]+\(/g));
    const honoNames = new Set(valueImports(worker, "hono"));
    const joseNames = new Set(valueImports(worker, "jose"));
    expect(zodCalls.size, "the scan finds the Worker's zod calls").toBeGreaterThan(10);
    expect([...honoNames]).toEqual(["Hono"]);
    expect(joseNames.size, "the scan finds the Worker's jose imports").toBeGreaterThan(2);

    const missing = [
      ...[...zodCalls].filter((call) => !stackOnly.includes(call)),
      // Used, not only imported: an import alone is left out of the bundle.
      ...[...honoNames, ...joseNames].filter((name) => !new RegExp(`\\b${name}\\s*[(.]`).test(stackOnly)),
    ];
    expect(missing, `add these to ${STACK_ONLY}`).toEqual([]);
  });
});
