/** The kinds of phase the bench runs against a target, through the load generator (load.ts). */
import type { Helper } from "./children";
import { cpuMs } from "./cpu";
import type { PhaseRequest, PhaseResult } from "./load-protocol";
import { type OperationCounts, type Sample, subtractCounts, type WrapperCounts } from "./stats";
import type { Target, UpstreamReady } from "./targets";

/**
 * One measured phase, for a time or a number of requests: CPU, JWKS fetches
 * and Durable Object starts read just before and just after the load.
 */
export async function measurePhase(
  load: Helper<unknown>,
  upstream: Helper<UpstreamReady>,
  target: Target,
  connections: number,
  length: { seconds: number } | { amount: number },
): Promise<Sample> {
  const countsBefore = target.countsUrl ? await wrapperCounts(target.countsUrl) : undefined;
  const jwksBefore = await jwksFetches(upstream);
  const cpuBefore = cpuMs(target.pids);
  const result = await loadPhase(load, target, { connections, ...length });
  const cpuAfter = cpuMs(target.pids);
  const jwksAfter = await jwksFetches(upstream);
  const countsAfter = target.countsUrl ? await wrapperCounts(target.countsUrl) : undefined;
  return {
    target: target.id,
    connections,
    result,
    cpuMs: cpuAfter - cpuBefore,
    jwksFetches: jwksAfter - jwksBefore,
    doStarts: countsBefore && countsAfter ? countsAfter.doStarts - countsBefore.doStarts : undefined,
  };
}

/**
 * What each request costs in KV, Durable Object and SQLite operations, read
 * from the broker wrapper around a fixed number of requests. Not from the timed
 * phases: those end by dropping the requests still in flight, which have done
 * part of their work, and would blur a count that should come out whole.
 */
export async function countPhase(load: Helper<unknown>, target: Target, amount: number): Promise<OperationCounts> {
  const url = target.countsUrl as string;
  const before = await wrapperCounts(url);
  const result = await loadPhase(load, target, { connections: 10, amount });
  const counts = subtractCounts(await wrapperCounts(url), before);
  return { target: target.id, ok: result.ok, errors: result.non2xx + result.socketErrors, counts };
}

export function loadPhase(
  load: Helper<unknown>,
  target: Target,
  shape: Pick<PhaseRequest, "connections" | "seconds" | "amount">,
): Promise<PhaseResult> {
  return load
    .ask<{ result: PhaseResult }>({ type: "run", phase: { ...target.request, ...shape } }, "result")
    .then((answer) => answer.result);
}

/** One request by hand before any load, so a misconfigured target fails with its answer instead of a count. */
export async function checkAnswers(target: Target, token: string): Promise<void> {
  const { url, method, headers, body, bearer } = target.request;
  const response = await fetch(url, {
    method,
    headers: { ...headers, ...(bearer ? { authorization: `Bearer ${token}` } : {}) },
    body,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${target.label} answered ${response.status}: ${text.slice(0, 500)}`);
}

async function wrapperCounts(url: string): Promise<WrapperCounts> {
  return (await (await fetch(url)).json()) as WrapperCounts;
}

async function jwksFetches(upstream: Helper<UpstreamReady>): Promise<number> {
  return (await upstream.ask<{ jwksFetches: number }>({ type: "counts" }, "counts")).jwksFetches;
}
