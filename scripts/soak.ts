/**
 * `npm run soak [-- --seconds 60 --max-requests 20000 --concurrency 8 --users 2000 --no-write]`:
 * runs the broker under `wrangler dev` with the emulator (loopback only) and
 * drives mixed traffic at it for a set time and a bounded number of requests:
 * valid mints, invalid bodies, bad tokens, vendors that fail, and a user who
 * runs into the daily quota. It reports the status mix, the error-free rate
 * (each request answered as its kind should be), p50 and p99 latency and the
 * broker's memory, then checks the audit against what the client saw: every
 * key returned has its `issued` record with the key's fingerprint, and no
 * `issued` record exists for a key that was not returned. The figures go into
 * RELIABILITY.md, between its soak markers, unless `--no-write`. Exits 1 when
 * a request was answered unexpectedly or the audit does not match.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { devToken } from "../dev/dev-token";
import { startDevStack } from "../dev/stack";

const { values: flags } = parseArgs({
  options: {
    seconds: { type: "string", default: "60" },
    "max-requests": { type: "string", default: "20000" },
    concurrency: { type: "string", default: "8" },
    users: { type: "string", default: "2000" },
    "no-write": { type: "boolean", default: false },
  },
});
const SECONDS = Number(flags.seconds);
const MAX_REQUESTS = Number(flags["max-requests"]);
const CONCURRENCY = Number(flags.concurrency);

/** Ports away from `npm run dev`'s and the tests'. */
const BROKER_PORT = 18827;
const DEV_PORT = 18828;
/** Users the valid traffic is spread over; by default enough that no one of them meets the burst limit. */
const USERS = Number(flags.users);
/** The one user who keeps minting: the daily quota stops them. */
const QUOTA_USER = "soak-quota-hog";
const DAILY_QUOTA = 25;
const HEALTHY_VENDORS = ["soniox", "speechmatics", "openai", "elevenlabs"] as const;

/** Each kind of request, how often it is sent, and the statuses it may be answered with. */
const KINDS = {
  valid: { weight: 50, expected: [201] },
  "invalid-body": { weight: 10, expected: [400] },
  "bad-token": { weight: 10, expected: [401] },
  "vendor-5xx": { weight: 10, expected: [502] },
  "vendor-reset": { weight: 10, expected: [502] },
  "quota-hit": { weight: 10, expected: [201, 429] },
} as const;
type Kind = keyof typeof KINDS;

interface Outcome {
  kind: Kind;
  status: number;
  /** The error code of a refusal. */
  code?: string;
  ms: number;
  issued?: { id: string; fingerprint: string };
}

const scratch = await mkdtemp(join(tmpdir(), "ekb-soak-"));
const stack = await startDevStack({
  brokerPort: BROKER_PORT,
  devPort: DEV_PORT,
  persistTo: join(scratch, "state"),
  readDevVars: false,
  vars: (devUrl) => ({
    DEEPGRAM_BASE_URL: `${devUrl}/fault/status-503`,
    ASSEMBLYAI_BASE_URL: `${devUrl}/fault/reset`,
    DAILY_MINT_QUOTA: String(DAILY_QUOTA),
  }),
});

try {
  const tokens = new Map<string, string>();
  const tokenFor = async (user: string): Promise<string> => {
    let token = tokens.get(user);
    if (!token) {
      token = await devToken(stack.devUrl, user);
      tokens.set(user, token);
    }
    return token;
  };

  const startedAt = new Date();
  const memoryAtStart = brokerMemoryKiB(stack.wranglerPid);
  const outcomes: Outcome[] = [];
  const deadline = Date.now() + SECONDS * 1000;
  let sent = 0;

  const worker = async () => {
    while (Date.now() < deadline && sent < MAX_REQUESTS) {
      sent++;
      outcomes.push(await send(pickKind(), sent));
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const memoryAtEnd = brokerMemoryKiB(stack.wranglerPid);
  const audit = await auditMatches(outcomes, startedAt);
  const report = summary(outcomes, memoryAtStart, memoryAtEnd, audit);
  console.log(report);
  if (!flags["no-write"]) await writeReliability(report);
  const unexpected = outcomes.filter((o) => !(KINDS[o.kind].expected as readonly number[]).includes(o.status));
  process.exitCode = unexpected.length === 0 && audit.missing === 0 && audit.orphaned === 0 ? 0 : 1;

  async function send(kind: Kind, n: number): Promise<Outcome> {
    const user = kind === "quota-hit" ? QUOTA_USER : `soak-user-${n % USERS}`;
    const vendor = kind === "vendor-5xx" ? "deepgram" : kind === "vendor-reset" ? "assemblyai" : HEALTHY_VENDORS[n % 4];
    const token = kind === "bad-token" ? badToken(await tokenFor(user), n) : await tokenFor(user);
    const body = kind === "invalid-body" ? JSON.stringify({ ttl_seconds: -n }) : "{}";
    const started = performance.now();
    const response = await fetch(`${stack.brokerUrl}/v1/keys/${vendor}`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body,
    });
    const text = await response.text();
    const outcome: Outcome = { kind, status: response.status, ms: performance.now() - started };
    if (response.status >= 400) outcome.code = (JSON.parse(text) as { error: { code: string } }).error.code;
    if (response.status === 201) {
      const minted = JSON.parse(text) as { issuance_id: string; key: string };
      outcome.issued = { id: minted.issuance_id, fingerprint: fingerprint(minted.key) };
    }
    return outcome;
  }

  /** Every issued record of the soak's window, read through the admin API. */
  async function auditMatches(all: Outcome[], since: Date): Promise<{ missing: number; orphaned: number }> {
    const returned = new Map(all.flatMap((o) => (o.issued ? [[o.issued.id, o.issued.fingerprint] as const] : [])));
    const recorded = new Map<string, string | null>();
    const until = new Date(Date.now() + 1000).toISOString();
    let cursor: string | null = null;
    do {
      const query = new URLSearchParams({ since: since.toISOString(), until, limit: "1000" });
      if (cursor) query.set("cursor", cursor);
      const response = await fetch(`${stack.brokerUrl}/v1/audit?${query}`, {
        headers: { authorization: `Bearer ${stack.adminToken}` },
      });
      const page = (await response.json()) as {
        records: { id: string; outcome: string; key_fingerprint: string | null }[];
        cursor: string | null;
      };
      for (const record of page.records) {
        if (record.outcome === "issued") recorded.set(record.id, record.key_fingerprint);
      }
      cursor = page.cursor;
    } while (cursor);
    let missing = 0;
    for (const [id, print] of returned) if (recorded.get(id) !== print) missing++;
    let orphaned = 0;
    for (const id of recorded.keys()) if (!returned.has(id)) orphaned++;
    return { missing, orphaned };
  }
} finally {
  await stack.stop();
  await rm(scratch, { recursive: true, force: true });
}

function pickKind(): Kind {
  const total = Object.values(KINDS).reduce((sum, kind) => sum + kind.weight, 0);
  let roll = Math.random() * total;
  for (const [name, kind] of Object.entries(KINDS) as [Kind, (typeof KINDS)[Kind]][]) {
    roll -= kind.weight;
    if (roll < 0) return name;
  }
  return "valid";
}

/** A token that must be refused: garbage, unsigned, or a good one with its signature altered. */
function badToken(good: string, n: number): string {
  const [header, payload] = good.split(".");
  switch (n % 3) {
    case 0:
      return "not-a-jwt";
    case 1:
      return `${Buffer.from('{"alg":"none"}').toString("base64url")}.${payload}.`;
    default:
      return `${header}.${payload}.${"A".repeat(342)}`;
  }
}

/** The audit's key fingerprint: the first 16 hex characters of the key's SHA-256. */
function fingerprint(key: string): string {
  return createHash("sha256").update(key).digest("hex").slice(0, 16);
}

/** Resident memory of the workerd processes under `wrangler dev`, in KiB; undefined where /proc is not there. */
function brokerMemoryKiB(wranglerPid: number | undefined): number | undefined {
  if (wranglerPid === undefined) return undefined;
  try {
    const parents = new Map<number, number>();
    const names = new Map<number, string>();
    for (const entry of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
        const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
        const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
        parents.set(Number(entry), parent);
        names.set(Number(entry), name);
      } catch {
        // the process ended while we looked
      }
    }
    const descends = (pid: number): boolean => {
      for (let at = parents.get(pid); at !== undefined && at > 1; at = parents.get(at)) {
        if (at === wranglerPid) return true;
      }
      return false;
    };
    let total = 0;
    for (const [pid, name] of names) {
      if (name !== "workerd" || !descends(pid)) continue;
      const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
      total += Number(rss?.[1] ?? 0);
    }
    return total;
  } catch {
    return undefined;
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

function summary(
  all: Outcome[],
  memoryAtStart: number | undefined,
  memoryAtEnd: number | undefined,
  audit: { missing: number; orphaned: number },
): string {
  const latencies = all.map((o) => o.ms).sort((a, b) => a - b);
  const expected = all.filter((o) => (KINDS[o.kind].expected as readonly number[]).includes(o.status));
  const mix = new Map<string, number>();
  for (const o of all) {
    const answer = `${o.kind} → ${o.status}${o.code ? ` ${o.code}` : ""}`;
    mix.set(answer, (mix.get(answer) ?? 0) + 1);
  }
  const memory = (kib: number | undefined) => (kib === undefined ? "n/a" : `${(kib / 1024).toFixed(0)} MiB`);
  return [
    `Soak: ${all.length} requests in ${SECONDS} s (at most ${MAX_REQUESTS}), ${CONCURRENCY} at a time, through \`wrangler dev\` on loopback.`,
    "",
    "| request kind → status and code | count |",
    "| --- | --- |",
    ...[...mix.entries()].sort().map(([key, count]) => `| ${key} | ${count} |`),
    "",
    "| measure | value |",
    "| --- | --- |",
    `| answered as expected (error-free rate) | ${((100 * expected.length) / Math.max(1, all.length)).toFixed(2)} % |`,
    `| latency p50 / p99 | ${percentile(latencies, 50).toFixed(1)} ms / ${percentile(latencies, 99).toFixed(1)} ms |`,
    `| keys returned without their issued record | ${audit.missing} |`,
    `| issued records without a returned key | ${audit.orphaned} |`,
    "",
    // Last, so that RELIABILITY.md's explanation, right after the soak markers, follows the figure.
    `**Memory.** The workerd processes under \`wrangler dev\` held ${memory(memoryAtStart)} at the start and ` +
      `${memory(memoryAtEnd)} at the end (resident, summed): growth of the local runtime, not of the broker, as follows.`,
  ].join("\n");
}

/** Replaces what lies between RELIABILITY.md's soak markers. */
async function writeReliability(report: string): Promise<void> {
  const path = new URL("../RELIABILITY.md", import.meta.url);
  const text = await readFile(path, "utf8");
  const start = "<!-- soak:start -->";
  const end = "<!-- soak:end -->";
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from === -1 || to === -1) throw new Error("RELIABILITY.md has no soak markers");
  await writeFile(path, `${text.slice(0, from + start.length)}\n${report}\n${text.slice(to)}`);
  console.log("RELIABILITY.md updated");
}
