import type { BrokerConfig } from "../config";
import type { MintOutcome } from "./outcome";
import type { HourCount, MintStatsApi, UserDay } from "./types";

/**
 * The mint counts are spread over this many `MintStats` objects, so that no single object
 * sees every mint: one shard takes about 1,000 counts a second (Cloudflare's soft limit per
 * object), so 8 shards take about 8,000 mints a second (docs/operations.md, "Counts").
 * Changing it moves users to other shards: their counts for the current days would split.
 */
export const MINT_STATS_SHARDS = 8;

/** The vendor a request is counted under when its path names no vendor the broker knows. */
export const UNKNOWN_VENDOR = "unknown";

/** One finished mint request, as the counting middleware hands it to the counter. */
export interface FinishedMint {
  at: Date;
  vendor: string;
  outcome: MintOutcome;
  /** The verified user: requests without one are not counted (src/stats/counting.ts). */
  clientRef: string;
}

/** Counts one finished mint; runs after the answer, and its failure changes nothing (src/stats/counting.ts). */
export type MintCounter = (mint: FinishedMint, config: BrokerConfig) => Promise<void>;

/** The production counter: one RPC call to the user's shard. */
export const countInShard: MintCounter = async (mint, config) => {
  const namespace = config.mintStatsNamespace();
  await shard(namespace, shardOf(mint.clientRef)).count({
    at: mint.at.getTime(),
    vendor: mint.vendor,
    outcome: mint.outcome,
    clientRef: mint.clientRef,
    retentionDays: config.auditRetentionSeconds() / 86_400,
  });
};

/** The counts of every shard, merged: hours in time, vendor and outcome order, distinct users summed per day. */
export async function readStats(
  namespace: DurableObjectNamespace,
  range: { since: Date; until: Date; vendor?: string; days: string[] },
): Promise<{ hours: HourCount[]; distinctUsers: { day: string; count: number }[] }> {
  const shards = await Promise.all(
    allShards(namespace).map((stub) =>
      stub.stats({
        since: range.since.getTime(),
        until: range.until.getTime(),
        vendor: range.vendor,
        days: range.days,
      }),
    ),
  );
  const hours = new Map<string, HourCount>();
  for (const { hours: rows } of shards) {
    for (const row of rows) {
      const key = `${row.hour}|${row.vendor}|${row.outcome}`;
      const merged = hours.get(key);
      if (merged) merged.count += row.count;
      else hours.set(key, { ...row });
    }
  }
  return {
    hours: [...hours.values()].sort(
      (a, b) => compare(a.hour, b.hour) || compare(a.vendor, b.vendor) || compare(a.outcome, b.outcome),
    ),
    distinctUsers: range.days.map((day) => ({
      day,
      count: shards.reduce((sum, { distinctUsers }) => sum + (distinctUsers[day] ?? 0), 0),
    })),
  };
}

/**
 * One page of a day's users in client_ref order: each shard's first `limit` rows after the
 * cursor, merged, so the page is exact. `more` says whether any row follows the page.
 */
export async function readUsers(
  namespace: DurableObjectNamespace,
  page: { day: string; after: string | null; limit: number },
): Promise<{ users: UserDay[]; more: boolean }> {
  const rows = (await Promise.all(allShards(namespace).map((stub) => stub.users(page)))).flat();
  rows.sort((a, b) => compare(a.client_ref, b.client_ref));
  return { users: rows.slice(0, page.limit), more: rows.length > page.limit };
}

/** FNV-1a over the UTF-16 code units: cheap, stable and even enough to spread users. */
export function shardOf(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % MINT_STATS_SHARDS;
}

/** Typed by its RPC interface, as workers-types' mapped RPC types lose some results. */
function shard(namespace: DurableObjectNamespace, index: number): MintStatsApi {
  return namespace.get(namespace.idFromName(`shard-${index}`)) as unknown as MintStatsApi;
}

function allShards(namespace: DurableObjectNamespace): MintStatsApi[] {
  return Array.from({ length: MINT_STATS_SHARDS }, (_, index) => shard(namespace, index));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
