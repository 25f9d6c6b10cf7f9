import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { EARLIER, LATEST_END, LATEST_START, SUMMARY_END, SUMMARY_START, withRun } from "../../bench/benchmarks-file";
import { LATEST_RUN_HEADING, renderSection, renderSummary, type RunReport, TARGET_LEGEND } from "../../bench/report";
import { TARGET_ORDER, type TargetId } from "../../bench/targets";

/**
 * BENCHMARKS.md opens with a summary a user understands, then the latest run,
 * then every earlier run collapsed; `npm run bench` must keep that layout.
 */

/** A run whose every figure follows from `seed`, so that two runs differ. */
function fakeReport(seed: number, label: string): RunReport {
  const cell = (target: TargetId, connections: number) => ({
    target,
    connections,
    requests: 1000,
    errors: 0,
    reqPerSec: 100 * seed + connections,
    // The vendor alone (C) answers in 0.25 ms; everything else takes longer.
    p50Ms: target === "C" ? 0.25 : target === "A" ? 2 + seed : 1 + seed,
    p99Ms: target === "C" ? 0.5 : 5 + seed,
    cpuMsPerRequest: target === "A′" ? seed : 0.5,
    jwksFetches: 0,
    doStarts: 0,
  });
  const counts = { kvGets: 0, kvLists: 0, kvDeletes: 0, sqlRowsRead: 3, doStarts: 0, envBuilds: 0 };
  return {
    startedAt: new Date(Date.UTC(2030, 0, seed)),
    seconds: 150,
    commit: `c0ffee${seed}`,
    label,
    command: `npm run bench -- --label "${label}"`,
    machine: {
      cpu: "test CPU",
      cores: 2,
      memoryGiB: 8,
      kernel: "Linux",
      node: "v20",
      wrangler: "4",
      miniflare: "4",
      workerd: "1",
      autocannon: "9",
    },
    settings: {
      rounds: 3,
      secondsPerPhase: 1.5,
      connections: [1, 10, 50],
      users: 1000,
      enduranceSeconds: null,
      compatibilityDate: "2026-04-20",
      storageRoot: "/dev/shm",
    },
    bundle: {
      bytes: 150 * 1024,
      gzipBytes: 50 * 1024 + seed * 102,
      wranglerTotal: "150 KiB",
      wranglerGzip: "50 KiB",
      bytesByOrigin: { "the broker's own code": 70 * 1024 },
      stackOnlyGzipBytes: 24 * 1024,
    },
    targets: TARGET_ORDER.map((id) => ({
      id,
      label: id,
      description: `target ${id} as run`,
      request: { url: "http://127.0.0.1/", method: "GET", headers: {}, bearer: false },
      pids: [],
      warmupRequests: 0,
    })),
    cells: TARGET_ORDER.flatMap((id) => [1, 10, 50].map((c) => cell(id, c))),
    operations: [
      {
        target: "A′",
        ok: 1000,
        errors: 0,
        counts: { ...counts, requests: 1000, kvPuts: 2000, doCalls: 1000, sqlRowsWritten: 1000 },
      },
    ],
    firstMints: cell("A′", 10),
  };
}

const run = (seed: number, label: string) => {
  const report = fakeReport(seed, label);
  return { summary: renderSummary(report), section: renderSection(report) };
};

/** The part of a page between two markers. */
const between = (page: string, start: string, end: string) =>
  page.slice(page.indexOf(start) + start.length, page.indexOf(end));
const summaryLines = (page: string) =>
  between(page, SUMMARY_START, SUMMARY_END)
    .trim()
    .split("\n")
    .filter((line) => line.trim() !== "");

describe("the bench's summary", () => {
  const summary = renderSummary(fakeReport(3, "a run"));

  it("is five lines: latency added, CPU per mint, cost per million mints, bundle, and how it was measured", () => {
    const lines = summary.split("\n");
    expect(lines.map((line) => /^- \*\*(.+?):\*\*/.exec(line)?.[1])).toEqual([
      "Latency added",
      "CPU per mint",
      "Cost per million mints",
      "Bundle",
      "How",
    ]);
    // p50 of the broker (1 + 3) minus the vendor's (0.25), CPU 3 ms, 2 KV writes at $5 per million and more.
    expect(lines[0]).toContain("3.75 ms at the median");
    expect(lines[1]).toContain("3.00 ms");
    expect(lines[2]).toMatch(/\$11\.\d\d/);
    expect(lines[3]).toContain("50.3 KiB gzipped");
    expect(lines[4]).toContain("commit c0ffee3");
  });

  it("names no target letter and no issue", () => {
    expect(summary).not.toMatch(/(^|[\s(/])[A-G]′?(?=[\s)/,.:]|$)/m);
    expect(summary).not.toMatch(/issue|target/i);
  });
});

describe("a run written to BENCHMARKS.md", () => {
  const first = withRun("", run(1, "first"));
  const second = withRun(first, run(2, "second"));
  const third = withRun(second, run(3, "third"));

  it("opens the page with its summary, then its section as the latest run", () => {
    expect(third.indexOf(SUMMARY_START)).toBeLessThan(third.indexOf(LATEST_RUN_HEADING));
    expect(third.split("\n").filter((line) => line === LATEST_RUN_HEADING)).toHaveLength(1);
    expect(summaryLines(third)).toEqual(run(3, "third").summary.split("\n"));
    expect(between(third, LATEST_START, LATEST_END)).toContain("commit c0ffee3: third.");
  });

  it("collapses the runs it replaces under the earlier runs, newest first, each titled by date, commit and label", () => {
    const earlier = third.slice(third.indexOf(EARLIER));
    const titles = [...earlier.matchAll(/<summary>(.*)<\/summary>/g)].map((m) => m[1]);
    expect(titles).toEqual([
      "2030-01-02T00:00:00.000Z — c0ffee2 — second",
      "2030-01-01T00:00:00.000Z — c0ffee1 — first",
    ]);
    expect(earlier.match(/<details>/g)).toHaveLength(2);
    expect(earlier.match(/<\/details>/g)).toHaveLength(2);
    expect(earlier).not.toMatch(/^## /m);
    expect(earlier).toMatch(/^#### Targets$/m);
  });

  it("keeps the page's hand-written opening and whatever the earlier runs hold", () => {
    const edited = second
      .replace("# Benchmarks\n", "# Benchmarks\n\nA hand-written note.\n")
      .replace(EARLIER, `${EARLIER}\n\n<details>\n<summary>hand-written</summary>\n\nkept\n\n</details>`);
    const next = withRun(edited, run(3, "third"));
    expect(next).toContain("A hand-written note.");
    expect(next).toContain("<summary>hand-written</summary>");
    expect(next.indexOf("c0ffee2 — second")).toBeLessThan(next.indexOf("<summary>hand-written</summary>"));
  });
});

describe("BENCHMARKS.md", async () => {
  const page = await readFile(new URL("../../BENCHMARKS.md", import.meta.url), "utf8");

  it("is in the layout npm run bench keeps: summary, latest run, earlier runs collapsed", () => {
    for (const marker of [LATEST_START, SUMMARY_START, SUMMARY_END, LATEST_END, EARLIER]) {
      expect(page.split(marker), marker).toHaveLength(2);
    }
    expect(summaryLines(page).map((line) => /^- \*\*(.+?):\*\*/.exec(line)?.[1])).toEqual([
      "Latency added",
      "CPU per mint",
      "Cost per million mints",
      "Bundle",
      "How",
    ]);
    expect(page.split("\n").filter((line) => line === LATEST_RUN_HEADING)).toHaveLength(1);
    const earlier = page.slice(page.indexOf(EARLIER));
    expect(earlier).not.toMatch(/^## /m);
    expect(earlier.match(/<details>/g)?.length).toBe(earlier.match(/<\/details>/g)?.length);
  });

  it("opens with a summary that names no target letter and no issue", () => {
    const opening = page.slice(0, page.indexOf(SUMMARY_END));
    expect(opening).not.toMatch(/(^|[\s(/])[A-G]′?(?=[\s)/,.:]|$)/m);
    expect(opening).not.toMatch(/issue \d|#\d/i);
  });

  it("explains every target of the latest run in plain words", () => {
    const latest = between(page, LATEST_START, LATEST_END);
    for (const id of TARGET_ORDER) {
      expect(latest, id).toContain(TARGET_LEGEND[id]);
    }
  });
});
