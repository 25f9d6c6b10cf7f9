import { readFile, writeFile } from "node:fs/promises";
import { format, resolveConfig } from "prettier";
import { LATEST_RUN_HEADING } from "./report";

/**
 * BENCHMARKS.md, as `npm run bench` keeps it:
 *
 *   the page's opening (hand-written, kept as it is)
 *   SUMMARY_START … SUMMARY_END   the five-line summary of the newest run
 *   LATEST_START … LATEST_END     the newest run, under "## Latest run"
 *   ## Earlier runs
 *   EARLIER                       every earlier run, newest first, each in a collapsed <details>
 *
 * A new run replaces the summary and the latest run, and the run it replaces
 * is collapsed at the top of the earlier runs, so before and after figures
 * stay on the page.
 */
export const SUMMARY_START = "<!-- bench:summary:start -->";
export const SUMMARY_END = "<!-- bench:summary:end -->";
export const LATEST_START = "<!-- bench:latest:start -->";
export const LATEST_END = "<!-- bench:latest:end -->";
export const EARLIER = "<!-- bench:earlier: newest first; `npm run bench` moves the latest run here -->";
/** Written by report.ts's renderSection at the top of a run: the run's date, commit and label. */
const TITLE = /<!-- bench:title (.*?) -->/;

const OPENING = `# Benchmarks

What the broker adds to a mint, in latency, CPU, money and bundle size, measured side by side with the
vendor alone and with the least any Worker in between could do. \`npm run bench\` writes this page
([running it](CONTRIBUTING.md#benchmarks)); the numbers are reported, not asserted, and no test depends on them.
`;

const EARLIER_HEADING = "## Earlier runs";

/** What one run adds to the page. */
export interface RunText {
  /** The five summary lines (report.ts, renderSummary). */
  summary: string;
  /** The run itself, starting with "## Latest run" (report.ts, renderSection). */
  section: string;
}

/** The page with `run` as its latest run, and the run it had before collapsed among the earlier runs. */
export function withRun(existing: string, run: RunText): string {
  const latestAt = existing.indexOf(LATEST_START);
  const latestEnd = existing.indexOf(LATEST_END);
  const earlierAt = existing.indexOf(EARLIER);
  let opening = OPENING;
  let earlier: string;
  if (latestAt >= 0 && latestEnd > latestAt && earlierAt > latestEnd) {
    opening = existing.slice(0, latestAt);
    const previous = existing.slice(latestAt + LATEST_START.length, latestEnd);
    const runAt = previous.indexOf(LATEST_RUN_HEADING);
    const collapsed = runAt >= 0 ? collapse(previous.slice(runAt)) : "";
    earlier = [collapsed, existing.slice(earlierAt + EARLIER.length).trim()].filter(Boolean).join("\n\n");
  } else {
    // Not this layout (a hand edit lost a marker): everything already there is kept, below the earlier runs' marker.
    earlier = existing.trim();
  }
  return [
    opening.trim(),
    "",
    LATEST_START,
    "",
    SUMMARY_START,
    "",
    run.summary.trim(),
    "",
    SUMMARY_END,
    "",
    run.section.trim(),
    "",
    LATEST_END,
    "",
    EARLIER_HEADING,
    "",
    EARLIER,
    ...(earlier ? ["", earlier] : []),
    "",
  ].join("\n");
}

/** A run that was the latest, as a collapsed section titled by its date, commit and label. */
export function collapse(section: string): string {
  const title = TITLE.exec(section)?.[1] ?? "an earlier run";
  const body = section
    .replace(LATEST_RUN_HEADING, "")
    .replace(TITLE, "")
    .trim()
    // Its subsections sit one level below the run, as they did under "## Latest run".
    .replace(/^### /gm, "#### ");
  return `<details>\n<summary>${escapeHtml(title)}</summary>\n\n${body}\n\n</details>`;
}

const escapeHtml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export async function prependRun(path: string, run: RunText): Promise<void> {
  const existing = await readFile(path, "utf8").catch(() => "");
  // Formatted as the repository formats it, so that `npm run format:check` passes after a run.
  const text = withRun(existing, run);
  await writeFile(path, await format(text, { ...(await resolveConfig(path)), filepath: path }));
}
