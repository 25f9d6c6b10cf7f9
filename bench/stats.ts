import type { PhaseResult } from "./load-protocol";
import type { TargetId } from "./targets";

/** What the broker wrapper counted (bench/workers/broker-wrapper.js), as a difference over one phase. */
export interface WrapperCounts {
  requests: number;
  kvPuts: number;
  kvGets: number;
  kvLists: number;
  kvDeletes: number;
  doCalls: number;
  sqlRowsRead: number;
  sqlRowsWritten: number;
  doStarts: number;
  envBuilds: number;
}

/** The operations of a fixed number of requests to one broker target, every one completed. */
export interface OperationCounts {
  target: TargetId;
  /** 2xx answers. */
  ok: number;
  errors: number;
  counts: WrapperCounts;
}

/** One measured phase: one target at one connection count for one round. */
export interface Sample {
  target: TargetId;
  connections: number;
  result: PhaseResult;
  /** CPU of the target's processes over the phase. */
  cpuMs: number;
  /** JWKS fetches the identity provider served during the phase. */
  jwksFetches: number;
  /** Durable Objects started during the phase (broker targets). */
  doStarts?: number;
}

/** One cell of the results: a target at a connection count, over all its rounds. */
export interface Cell {
  target: TargetId;
  connections: number;
  /** 2xx answers. */
  requests: number;
  errors: number;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  cpuMsPerRequest: number;
  jwksFetches: number;
  doStarts: number;
}

/**
 * Sums over rounds: requests, errors, seconds and CPU are added before
 * dividing (so one round's clock-tick rounding weighs by its requests), and
 * percentiles come from every round's raw latencies merged.
 */
export function aggregate(samples: readonly Sample[]): Cell {
  const first = samples[0];
  if (!first) throw new Error("no samples to aggregate");
  let requests = 0;
  let errors = 0;
  let seconds = 0;
  let cpuMs = 0;
  let jwksFetches = 0;
  let doStarts = 0;
  const latencies: number[] = [];
  for (const sample of samples) {
    requests += sample.result.ok;
    errors += sample.result.non2xx + sample.result.socketErrors;
    seconds += sample.result.seconds;
    cpuMs += sample.cpuMs;
    jwksFetches += sample.jwksFetches;
    doStarts += sample.doStarts ?? 0;
    for (const ms of sample.result.latencies) latencies.push(ms);
  }
  latencies.sort((x, y) => x - y);
  return {
    target: first.target,
    connections: first.connections,
    requests,
    errors,
    reqPerSec: seconds > 0 ? requests / seconds : 0,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    cpuMsPerRequest: requests > 0 ? cpuMs / requests : Number.NaN,
    jwksFetches,
    doStarts,
  };
}

/** Nearest-rank percentile of sorted values; NaN when there are none. */
export function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil(fraction * sorted.length));
  return sorted[rank - 1] as number;
}

export function subtractCounts(after: WrapperCounts, before: WrapperCounts): WrapperCounts {
  const result = { ...after };
  for (const key of Object.keys(result) as (keyof WrapperCounts)[]) result[key] = after[key] - before[key];
  return result;
}
