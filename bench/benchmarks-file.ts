import { readFile, writeFile } from "node:fs/promises";
import { format, resolveConfig } from "prettier";

/**
 * BENCHMARKS.md: a fixed header, a marker, then every run, newest first. A run
 * is prepended right below the marker; the header and earlier runs are kept as
 * they are, so before and after figures stay side by side.
 */
export const MARKER = "<!-- bench: runs below, newest first; `npm run bench` adds each run here -->";

const HEADER = `# Benchmarks

What the broker costs per request, in time, CPU and money, measured side by side with what it
could be at best: a Worker that makes only the one vendor call (F), a bare Worker (B), the
vendor alone (C) and a plain Node server doing the same job without an audit (D). See issue 12
for the targets; each run below says how it was measured.

Run \`npm run bench\` (about 2½ minutes; loopback only). It builds the production bundle as
\`wrangler deploy\` does, runs every target in its own Miniflare instance or process, and
prepends a dated section to this file. Options: \`--label "…"\` names the run,
\`--ref <commit>\` measures a commit instead of the working tree, \`--seconds-per-phase N\`,
\`--rounds N\`, \`--users N\`, \`--no-endurance\` skips the 30-second run, \`--no-write\` only prints.

The numbers are reported, not asserted: no test depends on them. They vary with the machine and
with whatever else runs on it, so compare targets within one run, and runs on one machine.

${MARKER}
`;

export async function prependRun(path: string, section: string): Promise<void> {
  const existing = await readFile(path, "utf8").catch(() => "");
  const at = existing.indexOf(MARKER);
  // Without the marker (a hand edit lost it), everything already there is kept below the new run.
  const earlier = (at < 0 ? existing : existing.slice(at + MARKER.length)).trim();
  const header = at < 0 ? HEADER : existing.slice(0, at + MARKER.length) + "\n";
  const text = `${header}\n${section.trim()}\n${earlier ? `\n${earlier}\n` : ""}`;
  // Formatted as the repository formats it, so that `npm run format:check` passes after a run.
  await writeFile(path, await format(text, { ...(await resolveConfig(path)), filepath: path }));
}
