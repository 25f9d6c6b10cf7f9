/**
 * `npm run openapi`: writes src/generated/openapi.json from the zod schemas.
 * Run at build time (dev and deploy do it); the suite fails if the committed
 * file is stale.
 */
import { readFile, writeFile } from "node:fs/promises";
import { buildOpenApiDocument } from "../src/openapi/document";

const PATH = new URL("../src/generated/openapi.json", import.meta.url);

export async function writeOpenApiDocument(): Promise<boolean> {
  const text = `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`;
  const current = await readFile(PATH, "utf8").catch(() => "");
  if (current === text) return false;
  await writeFile(PATH, text);
  return true;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const changed = await writeOpenApiDocument();
  console.log(changed ? "src/generated/openapi.json updated" : "src/generated/openapi.json is up to date");
}
