import { execFile } from "node:child_process";
import { mkdir, readdir, readFile, symlink } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { promisify } from "node:util";
import { pathToFileURL } from "node:url";
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
}

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const WRANGLER_BIN = require.resolve("wrangler/bin/wrangler.js");
const WRANGLER_API = pathToFileURL(require.resolve("wrangler")).href;
const ENTRY_MODULE = "index.js";

/** Exports `ref` into `scratch/tree`, with the repository's node_modules linked in, and returns that path. */
export async function exportCommit(repoRoot: string, ref: string, scratch: string): Promise<string> {
  const tree = join(scratch, "tree");
  await mkdir(tree, { recursive: true });
  await run("sh", ["-c", `git -C "$0" archive "$1" | tar -x -C "$2"`, repoRoot, ref, tree]);
  await symlink(join(repoRoot, "node_modules"), join(tree, "node_modules"), "dir");
  return tree;
}

export async function buildBundle(root: string, outDir: string): Promise<Bundle> {
  const { stdout, stderr } = await run(process.execPath, [WRANGLER_BIN, "deploy", "--dry-run", "--outdir", outDir], {
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
  };
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
