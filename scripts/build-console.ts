/**
 * `npm run build:console`: bundles the operator console (console/) with esbuild into the
 * Worker's static assets: console.html, console.js (uPlot included) and console.css, served
 * at /console. Nothing is loaded from a CDN. `npm run dev`, the dev stack and `npm run deploy`
 * run it; the output is not committed.
 */
import { readFile, writeFile } from "node:fs/promises";
import { basename } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const ASSETS = "src/generated/assets";

/** Builds the console into the assets; answers each file's size and gzipped size in bytes. */
export async function buildConsole(): Promise<{ file: string; bytes: number; gzipped: number }[]> {
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: { console: "console/main.ts" },
    outdir: ASSETS,
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    logLevel: "warning",
    write: false,
  });
  const outputs = [
    ...result.outputFiles.map((file) => ({ path: file.path, body: Buffer.from(file.contents) })),
    { path: `${ROOT}${ASSETS}/console.html`, body: await readFile(`${ROOT}console/index.html`) },
  ];
  // Unchanged files are left alone: stacks starting side by side (the e2e suites) may be serving them.
  for (const { path, body } of outputs) {
    const current = await readFile(path).catch(() => undefined);
    if (!current?.equals(body)) await writeFile(path, body);
  }
  return outputs.map(({ path, body }) => ({
    file: basename(path),
    bytes: body.length,
    gzipped: gzipSync(body, { level: 9 }).length,
  }));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const sizes = await buildConsole();
  for (const { file, bytes, gzipped } of sizes) console.log(`${ASSETS}/${file}: ${bytes} bytes, ${gzipped} gzipped`);
  const total = sizes.reduce((sum, { gzipped }) => sum + gzipped, 0);
  console.log(`console: ${(total / 1024).toFixed(1)} KiB gzipped in all`);
}
