import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Readable } from "node:stream";
import { workerdChildren } from "./cpu";

/**
 * One Miniflare instance per Worker target, so that each target has a workerd
 * process of its own whose CPU can be read from /proc. Miniflare is the copy
 * wrangler itself depends on (and its workerd), the runtime `wrangler dev`
 * would use, but without `wrangler dev`'s proxy in front, which is several
 * times slower than the Worker and would be measured instead of it.
 */

/** What the bench uses of Miniflare's API; typed here so any Miniflare 4 release fits. */
interface MiniflareInstance {
  ready: Promise<URL>;
  dispose(): Promise<void>;
}
interface MiniflareModule {
  Miniflare: new (options: Record<string, unknown>) => MiniflareInstance;
  Log: new (level: number) => unknown;
  LogLevel: { WARN: number };
}

const wranglerRequire = createRequire(createRequire(import.meta.url).resolve("wrangler/package.json"));
const miniflare = wranglerRequire("miniflare") as MiniflareModule;
/** The Miniflare and workerd versions wrangler runs, for the report. */
export const MINIFLARE_VERSION = packageVersion(wranglerRequire.resolve("miniflare"), "miniflare");
export const WORKERD_VERSION = packageVersion(
  createRequire(wranglerRequire.resolve("miniflare")).resolve("workerd"),
  "workerd",
);

function packageVersion(entry: string, name: string): string {
  for (let dir = dirname(entry); dir !== dirname(dir); dir = dirname(dir)) {
    try {
      const json = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string; version?: string };
      if (json.name === name) return json.version ?? "unknown";
    } catch {
      // no package.json at this level
    }
  }
  return "unknown";
}

export interface WorkerOptions {
  /** The ES modules, the first one the entry point; paths are only module names inside the Worker. */
  modules: { path: string; contents: string }[];
  compatibilityDate: string;
  compatibilityFlags?: string[];
  /** Plain-text vars and secrets. */
  bindings?: Record<string, string>;
  kvNamespaces?: string[];
  durableObjects?: Record<string, { className: string; useSQLite: boolean; unsafePreventEviction?: boolean }>;
  /** A directory of the instance's own for local KV, Durable Object and cache storage. */
  storageDir: string;
}

export interface RunningWorker {
  url: string;
  /** The workerd process(es) running this instance. */
  pids: number[];
  dispose(): Promise<void>;
}

/** Lines of workerd's stderr kept, to explain a failure. */
const KEPT_STDERR_LINES = 20;

/**
 * Starts one instance. Instances must be started one at a time: the new
 * workerd process is told apart from the others by diffing this process's
 * workerd children before and after.
 */
export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const before = workerdChildren();
  const stderrTail: string[] = [];
  const instance = new miniflare.Miniflare({
    host: "127.0.0.1",
    port: 0,
    modules: options.modules.map((module) => ({ type: "ESModule", ...module })),
    compatibilityDate: options.compatibilityDate,
    compatibilityFlags: options.compatibilityFlags ?? [],
    bindings: options.bindings ?? {},
    kvNamespaces: options.kvNamespaces ?? [],
    durableObjects: options.durableObjects ?? {},
    kvPersist: join(options.storageDir, "kv"),
    durableObjectsPersist: join(options.storageDir, "do"),
    cachePersist: join(options.storageDir, "cache"),
    // No request.cf download from the internet, no per-request log line sent back to Node.
    cf: false,
    logRequests: false,
    log: new miniflare.Log(miniflare.LogLevel.WARN),
    // The broker logs one JSON line per request (as Workers Logs would get it): read and dropped,
    // keeping only the tail of stderr to explain a failure.
    handleRuntimeStdio(stdout: Readable, stderr: Readable) {
      stdout.resume();
      stderr.on("data", (chunk: Buffer) => {
        stderrTail.push(...chunk.toString().split("\n").filter(Boolean));
        stderrTail.splice(0, Math.max(0, stderrTail.length - KEPT_STDERR_LINES));
      });
    },
  });
  let url: URL;
  try {
    url = await instance.ready;
  } catch (error) {
    await instance.dispose().catch(() => {});
    throw new Error(`Miniflare did not start: ${(error as Error).message}\n${stderrTail.join("\n")}`);
  }
  const pids = [...workerdChildren()].filter((pid) => !before.has(pid));
  if (pids.length === 0) {
    await instance.dispose();
    throw new Error("could not find the workerd process of a new Miniflare instance");
  }
  return { url: url.origin, pids, dispose: () => instance.dispose() };
}
