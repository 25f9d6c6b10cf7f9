import { execFile } from "node:child_process";
import { mkdir, readdir, readFile, symlink } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { promisify } from "node:util";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";
import { gzipSync } from "node:zlib";
import type { RunConfig } from "./targets";

/**
 * The production bundle, built exactly as `wrangler deploy` builds it
 * (`wrangler deploy --dry-run --outdir`), so that wrangler.toml's settings,
 * `minify` included, apply. Built from the working tree, or from a commit
 * (`--ref`) exported with `git archive` into a scratch directory.
 */
export interface Bundle {
  /** The Worker's code, one ES module. */
  code: string;
  bytes: number;
  /** gzip -9 of the module, computed here. */
  gzipBytes: number;
  /** wrangler's own "Total Upload: … / gzip: …" line, as printed. */
  wranglerTotal: string;
  wranglerGzip: string;
  /** The tree it was built from (its wrangler.toml is the one to run with). */
  root: string;
  /** Minified bytes of the module by origin: each npm package, and the broker's own code. */
  bytesByOrigin: Record<string, number>;
}

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const WRANGLER_BIN = require.resolve("wrangler/bin/wrangler.js");
const WRANGLER_API = pathToFileURL(require.resolve("wrangler")).href;
const ENTRY_MODULE = "index.js";
/** esbuild's build metadata, written beside the module's directory so that only the module is in it. */
const METAFILE = "bundle-meta.json";
/** Origin of the bundle's code that is not an npm package's. */
const OWN_CODE = "the broker's own code";

/** Exports `ref` into `scratch/tree`, with the repository's node_modules linked in, and returns that path. */
export async function exportCommit(repoRoot: string, ref: string, scratch: string): Promise<string> {
  const tree = join(scratch, "tree");
  await mkdir(tree, { recursive: true });
  await run("sh", ["-c", `git -C "$0" archive "$1" | tar -x -C "$2"`, repoRoot, ref, tree]);
  await symlink(join(repoRoot, "node_modules"), join(tree, "node_modules"), "dir");
  return tree;
}

const STACK_ONLY_ENTRY = fileURLToPath(new URL("./workers/stack-only.js", import.meta.url));

/**
 * gzip -9 of the stack's libraries alone (workers/stack-only.js), minified and
 * resolved for workerd with the target wrangler uses: the part of the bundle no
 * change to the broker's own code can remove.
 */
export async function stackOnlyGzipBytes(): Promise<number> {
  const { outputFiles } = await build({
    entryPoints: [STACK_ONLY_ENTRY],
    bundle: true,
    minify: true,
    write: false,
    format: "esm",
    platform: "neutral",
    target: "es2024",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["browser", "module", "main"],
  });
  const [module] = outputFiles;
  if (!module || outputFiles.length !== 1) throw new Error("the stack-only build did not make one module");
  return gzipSync(module.contents, { level: 9 }).byteLength;
}

export async function buildBundle(root: string, outDir: string): Promise<Bundle> {
  const metafile = join(outDir, "..", METAFILE);
  const args = [WRANGLER_BIN, "deploy", "--dry-run", "--outdir", outDir, "--metafile", metafile];
  const { stdout, stderr } = await run(process.execPath, args, {
    cwd: root,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_HIDE_BANNER: "true", FORCE_COLOR: "0" },
  });
  const printed = `${stdout}\n${stderr}`.replace(/\x1b\[[0-9;]*m/g, "");
  const sizes = /Total Upload:\s*([\d.]+ \w+)\s*\/\s*gzip:\s*([\d.]+ \w+)/.exec(printed);
  if (!sizes) throw new Error(`wrangler printed no "Total Upload" line:\n${printed}`);

  const modules = (await readdir(outDir)).filter((name) => /\.m?js$/.test(name));
  if (modules.length !== 1 || modules[0] !== ENTRY_MODULE) {
    throw new Error(`expected one module, ${ENTRY_MODULE}, in wrangler's output; found ${modules.join(", ")}`);
  }
  const buffer = await readFile(join(outDir, ENTRY_MODULE));
  return {
    code: buffer.toString("utf8"),
    bytes: buffer.byteLength,
    gzipBytes: gzipSync(buffer, { level: 9 }).byteLength,
    wranglerTotal: sizes[1] as string,
    wranglerGzip: sizes[2] as string,
    root,
    bytesByOrigin: bytesByOrigin(JSON.parse(await readFile(metafile, "utf8")) as Metafile),
  };
}

interface Metafile {
  outputs: Record<string, { inputs?: Record<string, { bytesInOutput: number }> }>;
}

/** Sums each input's bytes in the module by npm package (`node_modules/<name>` or `<@scope/name>`), the rest as our own. */
function bytesByOrigin(meta: Metafile): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const [name, output] of Object.entries(meta.outputs)) {
    if (!name.endsWith(`/${ENTRY_MODULE}`)) continue;
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs ?? {})) {
      const origin = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules\/)/.exec(input)?.[1] ?? OWN_CODE;
      sums[origin] = (sums[origin] ?? 0) + bytesInOutput;
    }
  }
  return sums;
}

/**
 * The settings of the tree's wrangler.toml the targets run with, read by
 * wrangler itself in a child process: importing wrangler here would install its
 * CLI's signal handlers, which end the process on Ctrl-C with status 0.
 */
export async function readRunConfig(root: string): Promise<RunConfig> {
  const script = `
    const { unstable_readConfig } = await import(${JSON.stringify(WRANGLER_API)});
    const config = unstable_readConfig({ config: "wrangler.toml" });
    process.stdout.write(JSON.stringify({
      compatibilityDate: config.compatibility_date,
      compatibilityFlags: config.compatibility_flags ?? [],
      vars: config.vars ?? {},
    }));`;
  const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], {
    cwd: root,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_HIDE_BANNER: "true" },
  });
  const config = JSON.parse(stdout) as Partial<RunConfig>;
  if (!config.compatibilityDate) throw new Error("wrangler.toml sets no compatibility_date");
  return config as RunConfig;
}
