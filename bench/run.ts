/**
 * `npm run bench [-- --label "…" --ref <commit> --seconds-per-phase 1.5 --rounds 3
 *   --connections 1,10,50 --users 1000 --endurance-seconds 30 --no-endurance --no-write --storage-dir <dir>]`
 *
 * Measures the broker's production bundle against seven other targets, all on
 * loopback, interleaved so that drift hits them alike, and prepends the results
 * to BENCHMARKS.md: a five-line summary and the run as the latest, the run it
 * replaces collapsed below (see benchmarks-file.ts; the method is written out
 * with each run by report.ts). Bounded: every phase has a fixed duration, and every
 * process and Miniflare instance it starts is stopped at the end, on error and
 * on Ctrl-C.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { prependRun } from "./benchmarks-file";
import { buildBundle, exportCommit, readRunConfig, stackOnlyGzipBytes } from "./bundle";
import { type Helper, startHelper } from "./children";
import { cleanUp, onCleanUp, removeOnExit, stopEverythingOnExit } from "./cleanup";
import { describeCommit, describeMachine } from "./machine";
import { checkAnswers, countPhase, loadPhase, measurePhase } from "./phases";
import { renderSection, renderSummary, type RunReport } from "./report";
import { aggregate, type Cell, type OperationCounts, type Sample } from "./stats";
import {
  startTargets,
  TARGET_ORDER,
  type StartedTargets,
  type Target,
  type TargetId,
  type UpstreamReady,
} from "./targets";

const { values: flags } = parseArgs({
  options: {
    "seconds-per-phase": { type: "string", default: "1.5" },
    rounds: { type: "string", default: "3" },
    connections: { type: "string", default: "1,10,50" },
    users: { type: "string", default: "1000" },
    "endurance-seconds": { type: "string", default: "30" },
    "no-endurance": { type: "boolean", default: false },
    "no-write": { type: "boolean", default: false },
    label: { type: "string", default: "run" },
    ref: { type: "string" },
    "storage-dir": { type: "string" },
  },
});
const SECONDS_PER_PHASE = positive("seconds-per-phase");
const ROUNDS = positive("rounds");
const USERS = positive("users");
const CONNECTIONS = (flags.connections as string).split(",").map((c) => positiveNumber("connections", c));
const ENDURANCE_SECONDS = flags["no-endurance"] ? null : positive("endurance-seconds");
/** For the progress lines' timestamps. */
const STARTED = performance.now();
const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));
const BENCHMARKS_FILE = join(REPO_ROOT, "BENCHMARKS.md");
/**
 * Where Miniflare keeps local KV, Durable Object and cache storage. On a disk,
 * every SQLite transaction waits on fsync: the Durable Object calls of a mint
 * then cost three times the CPU and a third of the throughput they cost in
 * memory, which measures the disk, not the broker. A tmpfs is used when there
 * is one; the report says which.
 */
const STORAGE_ROOT = flags["storage-dir"] ?? (existsSync("/dev/shm") ? "/dev/shm" : tmpdir());

/** Requests sent, all completed, to count each broker target's operations (A's local KV is slow). */
const COUNTED_REQUESTS: [TargetId, number][] = [
  ["A", 200],
  ["A′", USERS],
  ["E", 500],
];

stopEverythingOnExit();

try {
  const report = await measure();
  const summary = renderSummary(report);
  const section = renderSection(report);
  console.log(`\n${summary}\n\n${section}`);
  if (!flags["no-write"]) {
    await prependRun(BENCHMARKS_FILE, { summary, section });
    console.log(`written to ${BENCHMARKS_FILE}`);
  }
} catch (error) {
  console.error(`bench failed: ${(error as Error).stack ?? error}`);
  process.exitCode = 1;
} finally {
  await cleanUp();
}

async function measure(): Promise<RunReport> {
  const startedAt = new Date();
  const scratch = await mkdtemp(join(tmpdir(), "ekb-bench-"));
  removeOnExit(scratch);
  onCleanUp(() => rm(scratch, { recursive: true, force: true }));

  progress("building the bundle with wrangler deploy --dry-run");
  const root = flags.ref ? await exportCommit(REPO_ROOT, flags.ref, scratch) : REPO_ROOT;
  const bundle = await buildBundle(root, join(scratch, "out"));
  const config = await readRunConfig(root);
  progress(`bundle: ${bundle.wranglerTotal} / gzip ${bundle.wranglerGzip}`);
  const stackOnly = await stackOnlyGzipBytes();

  const upstream = await helper<UpstreamReady>("upstream.ts");
  const load = await helper<Record<string, never>>("load.ts");
  let firstToken = "";
  for (const [set, prefix] of [
    ["users", "bench-user-"],
    ["new-users", "bench-new-user-"],
  ] as const) {
    const subs = Array.from({ length: USERS }, (_, i) => `${prefix}${i}`);
    const { tokens } = await upstream.ask<{ tokens: string[] }>({ type: "sign", subs }, "signed");
    await load.ask({ type: "tokens", set, tokens }, "tokens-set");
    firstToken ||= tokens[0] as string;
  }

  progress("starting the targets");
  const storage = await mkdtemp(join(STORAGE_ROOT, "ekb-bench-storage-"));
  removeOnExit(storage);
  onCleanUp(() => rm(storage, { recursive: true, force: true }));
  const started: StartedTargets = await startTargets(bundle, config, upstream.ready, USERS, storage);
  onCleanUp(started.stop);
  const targets = TARGET_ORDER.map((id) => started.targets.get(id) as Target);
  // C's server is the upstream itself.
  (started.targets.get("C") as Target).pids.push(upstream.pid);

  for (const target of targets) {
    await checkAnswers(target, firstToken);
    const warm = await loadPhase(load, target, { connections: 10, amount: target.warmupRequests });
    const errors = warm.non2xx + warm.socketErrors;
    if (errors > 0) {
      throw new Error(`${target.label}: ${errors} errors in the warm-up: ${JSON.stringify(warm.failures)}`);
    }
    progress(`warmed up ${target.label} (${warm.ok} requests)`);
  }

  const samples: Sample[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    for (const connections of CONNECTIONS) {
      for (const target of targets) {
        const sample = await measurePhase(load, upstream, target, connections, { seconds: SECONDS_PER_PHASE });
        samples.push(sample);
        progress(
          `round ${round}/${ROUNDS}, ${connections} conns, ${target.label}: ` +
            `${Math.round(sample.result.ok / sample.result.seconds)} req/s, ` +
            `${sample.result.non2xx + sample.result.socketErrors} errors`,
        );
      }
    }
  }
  const cells: Cell[] = [];
  for (const target of targets) {
    for (const connections of CONNECTIONS) {
      cells.push(aggregate(samples.filter((s) => s.target === target.id && s.connections === connections)));
    }
  }

  progress("counting KV and Durable Object operations per request");
  const operations: OperationCounts[] = [];
  for (const [id, amount] of COUNTED_REQUESTS) {
    operations.push(await countPhase(load, started.targets.get(id) as Target, amount));
  }

  progress(`first mints: A′ for ${USERS} users never seen before`);
  const aPrime = started.targets.get("A′") as Target;
  const firstMints = aggregate([
    await measurePhase(load, upstream, { ...aPrime, request: { ...aPrime.request, bearer: "new-users" } }, 10, {
      amount: USERS,
    }),
  ]);

  let endurance: Cell | undefined;
  if (ENDURANCE_SECONDS !== null) {
    const connections = Math.max(...CONNECTIONS);
    progress(`endurance: A′ at ${connections} connections for ${ENDURANCE_SECONDS} s`);
    endurance = aggregate([await measurePhase(load, upstream, aPrime, connections, { seconds: ENDURANCE_SECONDS })]);
  }

  return {
    startedAt,
    seconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
    commit: describeCommit(REPO_ROOT, flags.ref),
    label: flags.label as string,
    command: commandLine(),
    machine: describeMachine(),
    settings: {
      rounds: ROUNDS,
      secondsPerPhase: SECONDS_PER_PHASE,
      connections: CONNECTIONS,
      users: USERS,
      enduranceSeconds: ENDURANCE_SECONDS,
      compatibilityDate: config.compatibilityDate,
      storageRoot: STORAGE_ROOT,
    },
    bundle: {
      bytes: bundle.bytes,
      gzipBytes: bundle.gzipBytes,
      wranglerTotal: bundle.wranglerTotal,
      wranglerGzip: bundle.wranglerGzip,
      bytesByOrigin: bundle.bytesByOrigin,
      stackOnlyGzipBytes: stackOnly,
    },
    targets,
    cells,
    operations,
    firstMints,
    endurance,
  };
}

async function helper<Ready>(file: string): Promise<Helper<Ready>> {
  const started = await startHelper<Ready>(file);
  onCleanUp(started.stop);
  return started;
}

function commandLine(): string {
  const args = process.argv.slice(2).map((arg) => (/^[\w./=-]+$/.test(arg) ? arg : `"${arg.replace(/"/g, '\\"')}"`));
  return args.length === 0 ? "npm run bench" : `npm run bench -- ${args.join(" ")}`;
}

function progress(message: string): void {
  console.error(`[bench ${((performance.now() - STARTED) / 1000).toFixed(1).padStart(5)} s] ${message}`);
}

function positive(name: string): number {
  return positiveNumber(name, flags[name as keyof typeof flags] as string);
}

function positiveNumber(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number, not ${text}`);
  return value;
}
