/**
 * `npm run openapi`: writes src/generated/assets/openapi.json from the zod schemas,
 * and from that document the client's vendor types and the Worker's copy of the
 * vendors' option schemas. Run at build time (dev and
 * deploy do it). With `--check` it writes nothing and fails when any
 * committed file is stale; the suite runs that.
 */
import { readFile, writeFile } from "node:fs/promises";
import { buildOpenApiDocument } from "../src/openapi/document";
import { clientTypesSource, type OpenApiDocument } from "./client-types";
import { vendorOptionsSource } from "./vendor-options";

const ROOT = new URL("..", import.meta.url);
const checkOnly = process.argv.includes("--check");

const document = await buildOpenApiDocument();
// The document is JSON typed loosely; its shape is the one buildOpenApiDocument writes.
const typed = document as unknown as OpenApiDocument;
const files = [
  ["src/generated/assets/openapi.json", `${JSON.stringify(document, null, 2)}\n`],
  ["src/generated/vendor-options.json", vendorOptionsSource(typed)],
  ["src/client/vendor-types.ts", await clientTypesSource(typed)],
] as const;

for (const [name, text] of files) {
  const path = new URL(name, ROOT);
  const current = await readFile(path, "utf8").catch(() => "");
  if (current === text) {
    console.log(`${name} is up to date`);
  } else if (checkOnly) {
    console.error(`${name} is stale: run \`npm run openapi\``);
    process.exitCode = 1;
  } else {
    await writeFile(path, text);
    console.log(`${name} updated`);
  }
}
