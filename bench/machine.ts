import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, release, totalmem } from "node:os";
import { createRequire } from "node:module";
import { MINIFLARE_VERSION, WORKERD_VERSION } from "./miniflare";

/** The machine and software a run was measured on, for the report. */
export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  node: string;
  wrangler: string;
  miniflare: string;
  workerd: string;
  autocannon: string;
}

export function describeMachine(): Machine {
  const require = createRequire(import.meta.url);
  const version = (name: string) => (require(`${name}/package.json`) as { version: string }).version;
  return {
    cpu: cpuModel(),
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: `Linux ${release()}`,
    node: process.version,
    wrangler: version("wrangler"),
    miniflare: MINIFLARE_VERSION,
    workerd: WORKERD_VERSION,
    autocannon: version("autocannon"),
  };
}

function cpuModel(): string {
  try {
    const line = readFileSync("/proc/cpuinfo", "utf8")
      .split("\n")
      .find((l) => l.startsWith("model name"));
    if (line) return line.split(":")[1]?.trim() ?? "unknown";
  } catch {
    // not Linux
  }
  return cpus()[0]?.model ?? "unknown";
}

/** `<short commit>` plus `+dirty` when the working tree has changes (unless measuring a given commit). */
export function describeCommit(repoRoot: string, ref: string | undefined): string {
  const git = (...args: string[]) => execFileSync("git", ["-C", repoRoot, ...args], { encoding: "utf8" }).trim();
  try {
    if (ref) return git("rev-parse", "--short", `${ref}^{commit}`);
    return git("rev-parse", "--short", "HEAD") + (git("status", "--porcelain") === "" ? "" : "+dirty");
  } catch {
    return "unknown";
  }
}
