import { mkdtemp, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { soniox } from "../dev/emulator/soniox";
import { MAX_DAILY_MINT_QUOTA } from "../src/constants";
import type { Bundle } from "./bundle";
import type { Helper } from "./children";
import { startHelper } from "./children";
import { startWorker, type RunningWorker, type WorkerOptions } from "./miniflare";
import type { PhaseRequest } from "./load-protocol";

/**
 * The nine targets, each served by processes of its own (whose CPU is the
 * target's), all against the same loopback upstream (upstream.ts).
 */
export type TargetId = "A" | "A′" | "B" | "C" | "D" | "E" | "F" | "G" | "L";

/** The order of every round: A and A′ side by side, then the floors, the alternatives and the broker-signed mint. */
export const TARGET_ORDER: readonly TargetId[] = ["A", "A′", "B", "C", "D", "E", "F", "G", "L"];

export interface Target {
  id: TargetId;
  label: string;
  /** One line: what is served, and whose CPU is counted. */
  description: string;
  request: Omit<PhaseRequest, "connections" | "seconds" | "amount">;
  /** The processes whose CPU is this target's. */
  pids: number[];
  /** The broker wrapper's `/__bench/counts`, for A, A′ and E. */
  countsUrl?: string;
  /** Requests of the unmeasured warm-up. */
  warmupRequests: number;
}

export interface UpstreamReady {
  url: string;
  jwksUrl: string;
  issuer: string;
  audience: string;
  sonioxApiKey: string;
}

export interface RunConfig {
  compatibilityDate: string;
  compatibilityFlags: string[];
  /** wrangler.toml's [vars]. */
  vars: Record<string, unknown>;
}

const WORKERS_DIR = fileURLToPath(new URL("./workers/", import.meta.url));
const SONIOX_PATH = soniox.path;
/** Warm-up of the targets with no per-user state. */
const PLAIN_WARMUP_REQUESTS = 500;
/**
 * The shipped UserState class as USER_STATE, kept in memory. workerd evicts a Durable Object
 * idle for about 10 s; interleaved, each target idles longer than that between its phases, so
 * whether a mint met a warm or a cold object would depend on --seconds-per-phase. The rounds
 * measure warm objects; a user's first mint (a new object) is measured on its own (run.ts, firstMints).
 */
const WARM_USER_STATE = {
  USER_STATE: { className: "UserState", useSQLite: true, unsafePreventEviction: true },
};
/** The broker targets' objects: the quota's, and the mint counts' shards (written after each answer), kept warm alike. */
const WARM_BROKER_OBJECTS = {
  ...WARM_USER_STATE,
  MINT_STATS: { className: "MintStats", useSQLite: true, unsafePreventEviction: true },
};
/** LiveKit's settings for L; the secret signs bench tokens only. */
const LIVEKIT_VARS = {
  LIVEKIT_API_KEY: "APIbench",
  LIVEKIT_API_SECRET: "bench-livekit-secret-0123456789abcdef",
  LIVEKIT_URL: "wss://bench.livekit.invalid",
};
/** Cloudflare sets this on every request; the broker records it in the audit trail. */
const CF_CONNECTING_IP = { "cf-connecting-ip": "127.0.0.1" };

export interface StartedTargets {
  targets: Map<TargetId, Target>;
  stop(): Promise<void>;
}

/**
 * Starts every target's server. `users` is the number of distinct signed-in
 * users the broker targets are warmed up with, one request each, so that every
 * user's Durable Object exists before anything is measured.
 */
export async function startTargets(
  bundle: Bundle,
  config: RunConfig,
  upstream: UpstreamReady,
  users: number,
  storageRoot: string,
): Promise<StartedTargets> {
  const workers: RunningWorker[] = [];
  const helpers: Helper<unknown>[] = [];
  const stop = async () => {
    await Promise.allSettled([...workers.map((w) => w.dispose()), ...helpers.map((h) => h.stop())]);
  };
  try {
    const source = async (name: string) => readFile(join(WORKERS_DIR, name), "utf8");
    const wrapper = await source("broker-wrapper.js");
    const memoryKv = await source("memory-kv.js");
    // Every Worker target: the tree's compatibility settings, storage of its own, stopped with the rest.
    const start = async (options: Omit<WorkerOptions, "compatibilityDate" | "compatibilityFlags" | "storageDir">) => {
      const worker = await startWorker({
        ...options,
        compatibilityDate: config.compatibilityDate,
        compatibilityFlags: config.compatibilityFlags,
        storageDir: await mkdtemp(join(storageRoot, "instance-")),
      });
      workers.push(worker);
      return worker;
    };
    const brokerVars: Record<string, unknown> = {
      ...config.vars,
      AUTH_JWKS_URL: upstream.jwksUrl,
      AUTH_ISSUER: upstream.issuer,
      AUTH_AUDIENCE: upstream.audience,
      SONIOX_API_KEY: upstream.sonioxApiKey,
      SONIOX_BASE_URL: upstream.url,
      // As high as config.ts allows, so the daily quota never refuses a bench mint.
      DAILY_MINT_QUOTA: String(MAX_DAILY_MINT_QUOTA),
    };
    // As shipped, minus MINT_RATE_LIMITER: the burst limit would refuse much of the bench's load.
    const broker = (audit: "real" | "memory", vendorVars: Record<string, string> = {}) =>
      start({
        modules: [
          { path: "wrapper.js", contents: wrapper },
          { path: "broker.js", contents: bundle.code },
          { path: "memory-kv.js", contents: memoryKv },
        ],
        bindings: { ...brokerVars, ...vendorVars, BENCH_AUDIT: audit } as Record<string, string>,
        kvNamespaces: ["AUDIT"],
        durableObjects: WARM_BROKER_OBJECTS,
      });
    const plain = async (file: string, bindings: Record<string, string> = {}) =>
      start({ modules: [{ path: file, contents: await source(file) }], bindings });
    const vendorBindings = { SONIOX_BASE_URL: upstream.url, SONIOX_API_KEY: upstream.sonioxApiKey };
    // F plus the quota's Durable Object call, on the bundle's own UserState.
    const vendorAndQuota = async () =>
      start({
        modules: [
          { path: "vendor-and-quota.js", contents: await source("vendor-and-quota.js") },
          { path: "vendor-only.js", contents: await source("vendor-only.js") },
          { path: "broker.js", contents: bundle.code },
        ],
        bindings: { ...vendorBindings, DAILY_MINT_QUOTA: String(MAX_DAILY_MINT_QUOTA) },
        durableObjects: WARM_USER_STATE,
      });

    // Started one at a time: each workerd process is found by what appeared since the last.
    const a = await broker("real");
    const aPrime = await broker("memory");
    const e = await broker("memory");
    // LiveKit on its own instance only, so that E's listing stays as in earlier runs.
    const l = await broker("memory", LIVEKIT_VARS);
    const b = await plain("bare.js");
    const f = await plain("vendor-only.js", vendorBindings);
    const g = await vendorAndQuota();
    const d = await startHelper<{ url: string }>("node-server.ts", [
      JSON.stringify({
        jwksUrl: upstream.jwksUrl,
        issuer: upstream.issuer,
        audience: upstream.audience,
        vendorUrl: `${upstream.url}${SONIOX_PATH}`,
        apiKey: upstream.sonioxApiKey,
      }),
    ]);
    helpers.push(d as Helper<unknown>);

    const mint = {
      method: "POST",
      headers: { "content-type": "application/json", ...CF_CONNECTING_IP },
      body: "{}",
    } as const;
    const list: Target[] = [
      {
        id: "A",
        label: "A",
        description: "POST /v1/keys/soniox on the bundle, Miniflare's local KV as AUDIT; CPU: its workerd",
        request: { url: `${a.url}/v1/keys/soniox`, ...mint, bearer: "users" },
        pids: a.pids,
        countsUrl: `${a.url}/__bench/counts`,
        warmupRequests: users,
      },
      {
        id: "A′",
        label: "A′ (in-memory KV, bench only)",
        description: "the same, AUDIT replaced by an in-memory KV (bench/workers/memory-kv.js); CPU: its workerd",
        request: { url: `${aPrime.url}/v1/keys/soniox`, ...mint, bearer: "users" },
        pids: aPrime.pids,
        countsUrl: `${aPrime.url}/__bench/counts`,
        warmupRequests: users,
      },
      {
        id: "B",
        label: "B",
        description: 'a bare Worker answering {"ok":true}; CPU: its workerd',
        request: { url: `${b.url}/`, method: "GET", headers: {}, bearer: false },
        pids: b.pids,
        warmupRequests: PLAIN_WARMUP_REQUESTS,
      },
      {
        id: "C",
        label: "C",
        description: "the loopback Soniox endpoint called directly, the broker's request; CPU: the upstream process",
        request: {
          url: `${upstream.url}${SONIOX_PATH}`,
          method: "POST",
          headers: { authorization: `Bearer ${upstream.sonioxApiKey}`, "content-type": "application/json" },
          body: JSON.stringify({
            usage_type: "transcribe_websocket",
            expires_in_seconds: 300,
            client_reference_id: "bench-user-0",
          }),
          bearer: false,
        },
        pids: [],
        warmupRequests: PLAIN_WARMUP_REQUESTS,
      },
      {
        id: "D",
        label: "D",
        description:
          "a node:http server: jose verify of the same token, the same vendor call, no audit; CPU: its process",
        request: { url: `${d.ready.url}/v1/keys/soniox`, ...mint, bearer: "users" },
        pids: [d.pid],
        warmupRequests: users,
      },
      {
        id: "E",
        label: "E",
        description: "GET /v1/vendors on the bundle (JWT verify and config), its own instance; CPU: its workerd",
        request: { url: `${e.url}/v1/vendors`, method: "GET", headers: { ...CF_CONNECTING_IP }, bearer: "users" },
        pids: e.pids,
        countsUrl: `${e.url}/__bench/counts`,
        warmupRequests: users,
      },
      {
        id: "F",
        label: "F",
        description: "a Worker making only the one vendor call and returning its JSON; CPU: its workerd",
        request: {
          url: `${f.url}/`,
          method: "POST",
          headers: { "content-type": "application/json" },
          body: "{}",
          bearer: false,
        },
        pids: f.pids,
        warmupRequests: PLAIN_WARMUP_REQUESTS,
      },
      {
        id: "G",
        label: "G",
        description:
          "F plus the mint's one call to the user's quota Durable Object (the bundle's UserState), no JWT verify; CPU: its workerd",
        request: { url: `${g.url}/`, ...mint, bearer: "users" },
        pids: g.pids,
        warmupRequests: users,
      },
      {
        id: "L",
        label: "L",
        description:
          "POST /v1/keys/livekit on the bundle, in-memory AUDIT as A′: a token the broker signs, no vendor call; CPU: its workerd",
        request: { url: `${l.url}/v1/keys/livekit`, ...mint, body: JSON.stringify({ room: "bench" }), bearer: "users" },
        pids: l.pids,
        countsUrl: `${l.url}/__bench/counts`,
        warmupRequests: users,
      },
    ];
    return { targets: new Map(list.map((t) => [t.id, t])), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
