import type { Bundle } from "./bundle";
import { CLOCK_TICKS_PER_SECOND } from "./cpu";
import type { Machine } from "./machine";
import { costPerMillionMints, PRICES_COPIED_ON } from "./prices";
import type { Cell, OperationCounts, WrapperCounts } from "./stats";
import { TARGET_ORDER, type Target, type TargetId } from "./targets";

/** Everything one run measured, and how. */
export interface RunReport {
  startedAt: Date;
  /** How long the whole run took, build and start-up included. */
  seconds: number;
  commit: string;
  label: string;
  command: string;
  machine: Machine;
  settings: {
    rounds: number;
    secondsPerPhase: number;
    connections: number[];
    users: number;
    enduranceSeconds: number | null;
    compatibilityDate: string;
    /** Where Miniflare's local KV and Durable Object storage lived. */
    storageRoot: string;
  };
  bundle: Omit<Bundle, "code" | "root"> & {
    /** gzip -9 of the stack's libraries alone (bench/workers/stack-only.js). */
    stackOnlyGzipBytes: number;
  };
  targets: Target[];
  cells: Cell[];
  /** KV, Durable Object and SQLite operations per request of the broker targets. */
  operations: OperationCounts[];
  /** A′ for users never seen before: each mint starts a new Durable Object. */
  firstMints: Cell;
  /** A′ at the highest connection count for `enduranceSeconds`. */
  endurance?: Cell;
}

/** The connection count the cost and the CPU-per-mint target are read at. */
const COST_CONNECTIONS = 10;

/**
 * Each target in plain words: what it is and what comparing with it shows.
 * A Record, so that a new target cannot go without its line in the legend.
 */
export const TARGET_LEGEND: Record<TargetId, string> = {
  A: "the broker as deployed: a real mint through the production bundle, its audit written to Miniflare's local KV",
  "A′": "the same mint with the audit kept in memory, so that the local KV simulator's own cost is left out; the summary's latency, CPU and cost are this target's",
  B: "an empty Worker: what any Worker costs before it does anything",
  C: "the vendor alone: the mint's request sent straight to the vendor, as an app holding the vendor's key would",
  D: "a plain Node.js server doing the broker's job without an audit: verify the token, call the vendor",
  E: "the broker answering a read that calls no vendor (`GET /v1/vendors`): token check and configuration",
  F: "a Worker that only calls the vendor and passes its answer on: the floor for anything between an app and the vendor",
  G: "F plus the one call to the user's quota Durable Object that every mint makes: the floor for a broker with quotas and denies",
  L: "the broker minting a credential it signs itself (LiveKit): A′'s checks, quota and audit, and no vendor call",
};

/** The ratios of req/s each run reports, with what each one compares. */
const RATIOS: readonly { top: TargetId; bottom: TargetId; meaning: string }[] = [
  { top: "A′", bottom: "F", meaning: "the broker against a Worker that only calls the vendor" },
  { top: "A′", bottom: "G", meaning: "the broker against the floor with a quota" },
  { top: "G", bottom: "F", meaning: "what the quota's Durable Object call costs the floor" },
  { top: "E", bottom: "B", meaning: "token check and configuration against an empty Worker" },
  { top: "A′", bottom: "D", meaning: "the broker against a plain Node.js server" },
  { top: "A", bottom: "A′", meaning: "the local KV simulator's share" },
  { top: "L", bottom: "A′", meaning: "a mint the broker signs itself against one the vendor mints" },
  {
    top: "L",
    bottom: "G",
    meaning: "a signed mint against the floor for any mint that calls a vendor (above 1: faster)",
  },
];

/** The heading of the newest run in BENCHMARKS.md; earlier runs are collapsed under their title. */
export const LATEST_RUN_HEADING = "## Latest run";

/** A run's date, commit and label, e.g. for the `<summary>` of an earlier run. */
export function runTitle(report: Pick<RunReport, "startedAt" | "commit" | "label">): string {
  return `${report.startedAt.toISOString()} — ${report.commit} — ${report.label}`;
}

/**
 * The five lines BENCHMARKS.md opens with: what a user pays for the broker in
 * latency, CPU, money and bundle size, and how that was measured.
 */
export function renderSummary(report: RunReport): string {
  const { settings, machine, bundle } = report;
  const [lowest] = settings.connections;
  const broker = lowest === undefined ? undefined : cellOf(report, "A′", lowest);
  const withKv = lowest === undefined ? undefined : cellOf(report, "A", lowest);
  const vendor = lowest === undefined ? undefined : cellOf(report, "C", lowest);
  const cost = costOf(report);
  const cpuCell = cost ? cellOf(report, "A′", cost.connections) : undefined;
  const biggest = cost?.lines.reduce((a, b) => (b.usdPerMillionMints > a.usdPerMillionMints ? b : a));
  const requests = (n: number) => (n === 1 ? "one request" : `${n} requests`);
  return [
    `- **Latency added:** ${ms((broker?.p50Ms ?? NaN) - (vendor?.p50Ms ?? NaN))} ms at the median, ` +
      `${ms((broker?.p99Ms ?? NaN) - (vendor?.p99Ms ?? NaN))} ms at the 99th percentile: a mint through the broker ` +
      `against the same request sent straight to the vendor, ${requests(lowest ?? NaN)} at a time ` +
      `(${ms((withKv?.p50Ms ?? NaN) - (vendor?.p50Ms ?? NaN))} ms at the median with the audit in the local KV simulator). ` +
      "On Cloudflare, the network time of the awaited audit write and of the quota's Durable Object call comes on top.",
    `- **CPU per mint:** ${ms(cpuCell?.cpuMsPerRequest ?? NaN)} ms at ${requests(cost?.connections ?? NaN)} at a time, ` +
      "counted for the whole local runtime, so what Cloudflare bills is at most this.",
    `- **Cost per million mints:** ${cost ? usd(cost.totalUsd) : "n/a"} at Cloudflare's list prices copied on ${PRICES_COPIED_ON}` +
      (biggest && cost
        ? `, ${pct(biggest.usdPerMillionMints / cost.totalUsd)} of it ${biggest.price.item} ` +
          `(${num(biggest.perMint, 0)} ${biggest.price.units} per mint)`
        : "") +
      "; the Workers Paid plan's $5 a month and its inclusions are left out.",
    `- **Bundle:** ${(bundle.gzipBytes / 1024).toFixed(1)} KiB gzipped (${(bundle.bytes / 1024).toFixed(1)} KiB minified), ` +
      "the Worker as `wrangler deploy` builds it; a new isolate loads all of it.",
    `- **How:** \`npm run bench\` on ${report.startedAt.toISOString().slice(0, 10)} at commit ${report.commit}: the production ` +
      `bundle in Miniflare's workerd on a ${machine.cores}-core machine, the vendor and the identity provider on loopback, ` +
      `${int(settings.users)} signed-in users. Figures move with the machine: compare within one run.`,
  ].join("\n");
}

/** The newest run's section of BENCHMARKS.md; also what the bench prints. */
export function renderSection(report: RunReport): string {
  const out: string[] = [];
  const { settings, machine } = report;
  out.push(LATEST_RUN_HEADING, "", `<!-- bench:title ${runTitle(report)} -->`, "");
  out.push(`Run ${report.startedAt.toISOString()}, commit ${report.commit}: ${report.label}.`, "");
  out.push(
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.kernel}; Node ${machine.node}, ` +
      `wrangler ${machine.wrangler}, Miniflare ${machine.miniflare}, workerd ${machine.workerd}, autocannon ${machine.autocannon}.`,
    "",
    `Command: \`${report.command}\` (${settings.rounds} round${settings.rounds === 1 ? "" : "s"} × connections ${settings.connections.join(", ")} × ` +
      `${TARGET_ORDER.length} targets × ${settings.secondsPerPhase} s, ${int(settings.users)} users` +
      (settings.enduranceSeconds === null ? ", no endurance run" : `, then A′ for ${settings.enduranceSeconds} s`) +
      `; compatibility date ${settings.compatibilityDate}; ${report.seconds} s in all).`,
    "",
  );

  out.push("### Targets", "");
  out.push(
    "Each target is measured on its own, interleaved with the others; the broker is A and A′, the rest are what it is compared with.",
    "",
    "| target | in plain words | what runs; whose CPU is counted |",
    "|---|---|---|",
  );
  for (const target of report.targets) {
    out.push(`| ${target.label} | ${TARGET_LEGEND[target.id]} | ${target.description} |`);
  }
  out.push("");

  out.push("### Throughput, latency and CPU per request", "");
  out.push("| target | conns | req/s | p50 ms | p99 ms | errors | CPU ms/req |", "|---|---:|---:|---:|---:|---:|---:|");
  for (const id of TARGET_ORDER) {
    for (const cell of report.cells.filter((c) => c.target === id)) {
      out.push(
        `| ${labelOf(report, id)} | ${cell.connections} | ${int(cell.reqPerSec)} | ${ms(cell.p50Ms)} | ${ms(cell.p99Ms)} | ` +
          `${cell.errors} | ${cpu(cell.cpuMsPerRequest)} |`,
      );
    }
  }
  out.push("");

  out.push("### Ratios of req/s", "");
  out.push("Requests per second of one target over another's: 1.00 would mean as fast.", "");
  out.push(`| ratio | compares | ${settings.connections.map((c) => `${c} conn${c === 1 ? "" : "s"}`).join(" | ")} |`);
  out.push(`|---|---|${settings.connections.map(() => "---:").join("|")}|`);
  for (const { top, bottom, meaning } of RATIOS) {
    const ratios = settings.connections.map((c) => ratio(cellOf(report, top, c), cellOf(report, bottom, c)));
    out.push(`| ${top}/${bottom} | ${meaning} | ${ratios.join(" | ")} |`);
  }
  out.push("");

  out.push("### Facts", "");
  const [lowest] = settings.connections;
  const p50Gap =
    lowest === undefined
      ? "n/a"
      : `${ms((cellOf(report, "A′", lowest)?.p50Ms ?? NaN) - (cellOf(report, "C", lowest)?.p50Ms ?? NaN))} ms`;
  out.push(`- p50(A′) − p50(C) at ${lowest} connection${lowest === 1 ? "" : "s"}: ${p50Gap}.`);
  const { bundle } = report;
  const byOrigin = Object.entries(bundle.bytesByOrigin)
    .sort(([, a], [, b]) => b - a)
    .map(([origin, size]) => `${origin} ${(size / 1024).toFixed(1)} KiB`);
  out.push(
    `- Bundle as \`wrangler deploy\` builds it: wrangler prints "Total Upload: ${bundle.wranglerTotal} / gzip: ${bundle.wranglerGzip}"; ` +
      `the module is ${bytes(bundle.bytes)}, ${bytes(bundle.gzipBytes)} with gzip -9. ` +
      `By origin (minified, esbuild's metafile): ${byOrigin.join(", ")}. ` +
      `Hono, zod/mini and jose alone, with the APIs the broker uses of them (bench/workers/stack-only.js), ` +
      `bundle to ${bytes(bundle.stackOnlyGzipBytes)} with gzip -9.`,
  );
  out.push(`- ${jwksLine(report)}`);
  const aPrime = countsOf(report, "A′");
  const a = countsOf(report, "A");
  const e = countsOf(report, "E");
  if (aPrime) {
    out.push(
      `- Per mint (A′, ${int(aPrime.requests)} mints, every one completed): ${per(aPrime.kvPuts, aPrime)} KV writes, ` +
        `${per(aPrime.kvGets, aPrime)} KV reads, ${per(aPrime.kvLists, aPrime)} KV lists, ` +
        `${per(aPrime.doCalls, aPrime)} Durable Object calls, ${per(aPrime.sqlRowsWritten, aPrime)} SQLite rows written ` +
        `and ${per(aPrime.sqlRowsRead, aPrime)} read.` +
        (a
          ? ` A (local KV, ${int(a.requests)} mints): ${per(a.kvPuts, a)} KV writes, ${per(a.doCalls, a)} Durable Object calls.`
          : "") +
        (e
          ? ` E (${int(e.requests)} listings): ${per(e.kvPuts + e.kvGets + e.kvLists, e)} KV operations, ${per(e.doCalls, e)} Durable Object calls.`
          : ""),
    );
  }
  const failed = report.operations.filter((o) => o.errors > 0).map((o) => `${o.target} ${o.errors}`);
  if (failed.length > 0) out.push(`- Errors while counting operations: ${failed.join(", ")}.`);
  const envBuilds = [a, aPrime, e].reduce((sum, c) => sum + (c?.envBuilds ?? 0), 0);
  if (envBuilds > 0) out.push(`- The broker's env was rebuilt ${envBuilds} times while counting (expected 0).`);
  const highest = settings.connections.at(-1);
  if (highest !== undefined) {
    const errors = TARGET_ORDER.map((id) => `${id} ${cellOf(report, id, highest)?.errors ?? "n/a"}`).join(", ");
    out.push(`- Errors at ${highest} connections: ${errors}.`);
  }
  const started = report.cells
    .filter((c) => c.target === "A" || c.target === "A′")
    .reduce((sum, c) => sum + c.doStarts, 0);
  out.push(
    `- Durable Objects started during the measured phases of A and A′: ${started} (expected 0: the warm-up starts ` +
      "every user's object and eviction is turned off, see Method).",
  );
  const first = report.firstMints;
  const steady = cellOf(report, "A′", first.connections);
  out.push(
    `- A user's first mint (A′, ${int(first.requests)} users never seen before, ${first.connections} connections, ` +
      `${int(first.doStarts)} new Durable Objects): ${int(first.reqPerSec)} req/s, p50 ${ms(first.p50Ms)} ms, ` +
      `${cpu(first.cpuMsPerRequest)} CPU ms/mint` +
      (steady ? ` (steady state at ${first.connections} connections: ${cpu(steady.cpuMsPerRequest)})` : "") +
      `, ${first.errors} errors.`,
  );
  if (report.endurance) {
    const e = report.endurance;
    out.push(
      `- Endurance, A′ at ${e.connections} connections for ${settings.enduranceSeconds} s: ${int(e.requests)} mints, ` +
        `${int(e.reqPerSec)} req/s, p50 ${ms(e.p50Ms)} ms, p99 ${ms(e.p99Ms)} ms, **${e.errors} errors**, ${cpu(e.cpuMsPerRequest)} CPU ms/mint.`,
    );
  }
  out.push("");

  out.push(...costSection(report), "");
  out.push(...methodSection(report), "");
  return out.join("\n");
}

/** A′'s cost per million mints, with the connection count its CPU was read at; undefined without A′ mints. */
function costOf(report: RunReport): (ReturnType<typeof costPerMillionMints> & { connections: number }) | undefined {
  const connections = report.settings.connections.includes(COST_CONNECTIONS)
    ? COST_CONNECTIONS
    : (report.settings.connections[Math.floor(report.settings.connections.length / 2)] as number);
  const cell = cellOf(report, "A′", connections);
  const counts = countsOf(report, "A′");
  if (!cell || !counts || counts.requests === 0) return undefined;
  const perMint = (n: number) => n / counts.requests;
  const cost = costPerMillionMints({
    workerRequest: 1,
    cpuMs: cell.cpuMsPerRequest,
    kvWrite: perMint(counts.kvPuts),
    kvRead: perMint(counts.kvGets),
    kvList: perMint(counts.kvLists),
    kvDelete: perMint(counts.kvDeletes),
    doRequest: perMint(counts.doCalls),
    sqlRowWritten: perMint(counts.sqlRowsWritten),
    sqlRowRead: perMint(counts.sqlRowsRead),
  });
  return { ...cost, connections };
}

function costSection(report: RunReport): string[] {
  const cost = costOf(report);
  if (!cost) return ["### Cost per million mints", "", "Not computed: no A′ mints."];
  const { lines, totalUsd, connections } = cost;
  const out = [
    "### Cost per million mints",
    "",
    `Units per mint counted over A′'s counted mints; CPU is A′'s workerd CPU per mint at ${connections} connections.`,
    "",
    "| item | per mint | price, USD per million | USD per million mints | share |",
    "|---|---:|---:|---:|---:|",
  ];
  for (const line of lines) {
    out.push(
      `| ${line.price.item} | ${num(line.perMint, 3)} ${line.price.units} | ` +
        `${line.price.usdPerMillion} | ${usd(line.usdPerMillionMints)} | ${pct(line.usdPerMillionMints / totalUsd)} |`,
    );
  }
  out.push(`| **total** | | | **${usd(totalUsd)}** | |`, "");
  out.push(
    `Prices from Cloudflare's pricing pages (Workers, KV, Durable Objects), copied on ${PRICES_COPIED_ON} ` +
      "into bench/prices.ts; verify against Cloudflare's pricing pages before relying on them. Marginal prices: the Workers Paid " +
      "plan's monthly inclusions and its $5 base are left out. Not counted: Durable Object duration (GB-s while an object is " +
      "active), storage, and KV's own rounding. workerd CPU is an upper bound of billed CPU: it includes Miniflare's entry " +
      "worker, the runtime's I/O threads and the local KV and Durable Object simulators.",
  );
  return out;
}

function methodSection(report: RunReport): string[] {
  const { settings } = report;
  return [
    "### Method",
    "",
    `- Repeat with \`${report.command}\`. Everything runs on 127.0.0.1 on one machine: load generator, targets and upstream ` +
      "share its cores, so compare targets within a run, not across machines.",
    "- The bundle is `wrangler deploy --dry-run --outdir` of the tree measured (wrangler.toml honoured, `minify` included), run " +
      `as one ES module. Each Worker target has its own Miniflare instance (wrangler's Miniflare ${report.machine.miniflare}, ` +
      `workerd ${report.machine.workerd}) and so its own workerd process; requests reach it through Miniflare's entry worker, ` +
      "the same for every Worker target. Never `wrangler dev`, whose proxy is several times slower than the Worker. " +
      `Miniflare's local KV, Durable Object and cache storage live under ${settings.storageRoot}: on a tmpfs when there ` +
      "is one, since on a disk each SQLite transaction waits on fsync and the run would measure the disk.",
    "- The broker (A, A′, E) runs with wrangler.toml's [vars], JWKS mode against a loopback RS256 identity provider, Soniox " +
      "pointed at a loopback vendor, DAILY_MINT_QUOTA at its maximum (1,000,000, never reached), without the " +
      "MINT_RATE_LIMITER binding (the burst limit of 30 mints a minute per user would refuse much of the load, up to " +
      "about one mint a second per user; a deployed broker keeps it, and its one call per mint is not measured here), " +
      "and the USER_STATE and MINT_STATS (the mint counts, written after each answer) SQLite Durable Objects as shipped, kept in " +
      "memory (Miniflare's `unsafePreventEviction`): workerd evicts an object idle for about 10 s, and interleaving leaves " +
      "each target idle longer, so otherwise each phase's mints would start their users' objects afresh, more or fewer " +
      "with the phase length. The rounds measure warm objects; a user's first mint, which starts a new object, is " +
      "measured apart, with users never seen before. A bench-only " +
      "wrapper (bench/workers/broker-wrapper.js), the same for A, A′ and E, hands the bundle AUDIT (Miniflare's local KV for " +
      "A, an in-memory KV for A′ and E) and counts KV calls, Durable Object RPC calls and SQLite rows (`rowsRead`, " +
      "`rowsWritten` of each cursor). The counts per request come from a fixed number of requests sent after the rounds " +
      `(${report.operations.map((o) => `${o.target} ${o.counts.requests}`).join(", ")}; 10 connections), every one ` +
      "completed, not from the timed phases, which end by dropping the requests in flight.",
    `- Load is spread over ${int(settings.users)} users: one RS256 token per \`sub\`, signed before the run and used in turn, one per ` +
      "request across all connections, so that no single user's Durable Object is the bottleneck.",
    "- The upstream (JWKS and the Soniox temporary-key endpoint) is one child process using the dev emulator's Soniox " +
      "handler, answering at once; unlike the dev emulator server it keeps no request log and no issued keys, which would " +
      "grow under load. D is a child process; the load generator (autocannon) is a child process of its own.",
    `- Each round runs, for each connection count, ${TARGET_ORDER.join(" ")} for ${settings.secondsPerPhase} s each, so drift hits all ` +
      `targets alike; each target is first warmed up unmeasured (the broker targets, D and G with ${int(settings.users)} requests, one ` +
      "per user, so JWKS fetches and Durable Object creation happen before). Results add up the rounds: req/s is 2xx answers " +
      "÷ phase wall time; p50 and p99 are nearest-rank over every round's raw 2xx latencies (sub-millisecond); errors are " +
      "non-2xx answers plus socket errors and timeouts (10 s).",
    "- CPU per request is the change in utime + stime of the target's processes (/proc/<pid>/stat) over each phase, summed " +
      `over rounds, ÷ 2xx answers: workerd for Worker targets, the Node server for D, the upstream for C. A clock tick is ` +
      `${1000 / CLOCK_TICKS_PER_SECOND} ms, so a phase is exact to one tick; phases serve hundreds to thousands of requests. ` +
      "For A and A′ it includes the USER_STATE Durable Object's own work and the local KV simulator, which run in the same " +
      "workerd process here but are billed apart (Durable Object requests and duration, KV operations) on Cloudflare.",
    "- JWKS fetches are counted at the identity provider during the measured phases of A, A′ and E.",
    "- Numbers are reported, not asserted; another process on the machine makes them noisy.",
  ];
}

function jwksLine(report: RunReport): string {
  const broker = report.cells.filter((c) => c.target === "A" || c.target === "A′" || c.target === "E");
  const fetches = broker.reduce((sum, c) => sum + c.jwksFetches, 0);
  const requests = broker.reduce((sum, c) => sum + c.requests, 0);
  return (
    `JWKS fetches in steady state (measured phases of A, A′, E): ${num((fetches / Math.max(requests, 1)) * 1000, 3)} ` +
    `per 1,000 requests (${fetches} over ${int(requests)} requests).`
  );
}

function countsOf(report: RunReport, id: TargetId): WrapperCounts | undefined {
  return report.operations.find((o) => o.target === id)?.counts;
}

function cellOf(report: RunReport, id: TargetId, connections: number): Cell | undefined {
  return report.cells.find((c) => c.target === id && c.connections === connections);
}

function labelOf(report: RunReport, id: TargetId): string {
  return report.targets.find((t) => t.id === id)?.label ?? id;
}

function ratio(top: Cell | undefined, bottom: Cell | undefined): string {
  return top && bottom && bottom.reqPerSec > 0 ? num(top.reqPerSec / bottom.reqPerSec, 2) : "n/a";
}

function per(count: number, counts: WrapperCounts): string {
  return num(count / Math.max(counts.requests, 1), 2);
}

function num(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "n/a";
}
const int = (value: number) => (Number.isFinite(value) ? Math.round(value).toLocaleString("en-US") : "n/a");
const ms = (value: number) => num(value, 2);
const cpu = (value: number) => num(value, 3);
const usd = (value: number) => `$${num(value, 2)}`;
const pct = (value: number) => (Number.isFinite(value) ? `${(value * 100).toFixed(1)}%` : "n/a");
const bytes = (value: number) => `${value.toLocaleString("en-US")} B (${(value / 1024).toFixed(1)} KiB)`;
