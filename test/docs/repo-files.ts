import { readdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";

/** The repository's root, for reading its files in Node tests. */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

const SKIPPED_DIRS = new Set(["node_modules", ".git", ".wrangler", "dist"]);

/** Every file below `dir` (relative to the repo root) whose path passes `keep`, as repo-relative paths, sorted. */
export async function repoFiles(keep: (path: string) => boolean, dir = ""): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(REPO_ROOT + dir, { withFileTypes: true })) {
    const path = dir + entry.name;
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) found.push(...(await repoFiles(keep, `${path}/`)));
    } else if (keep(path)) {
      found.push(path);
    }
  }
  return found.sort();
}

/** Every Markdown file a reader may open: README, docs/, client/README.md, CONTRIBUTING.md, CHANGELOG.md and the rest. */
export function markdownFiles(): Promise<string[]> {
  return repoFiles((path) => path.endsWith(".md"));
}
