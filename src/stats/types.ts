/**
 * What the Worker and the `MintStats` Durable Object shards exchange over RPC.
 * Types only (no `cloudflare:workers` import), so any module may import this cheaply.
 */
import type { MintOutcome } from "./outcome";

/** One finished mint request, as counted. */
export interface MintCount {
  /** Epoch milliseconds the request finished, from the Worker's clock. */
  at: number;
  /** A vendor id, or `UNKNOWN_VENDOR` when the path named none. */
  vendor: string;
  outcome: MintOutcome;
  /** The verified user: requests without one are not counted. */
  clientRef: string;
  /** `AUDIT_RETENTION_DAYS`: counts older than this many days are dropped. */
  retentionDays: number;
}

/** A count for one UTC hour, vendor and outcome. `hour` is the hour's start, ISO-8601. */
export interface HourCount {
  hour: string;
  vendor: string;
  outcome: MintOutcome;
  count: number;
}

export interface StatsRange {
  /** Epoch milliseconds: hours that start before `until` and end after `since`. */
  since: number;
  until: number;
  vendor?: string;
  /** UTC days `YYYY-MM-DD` whose distinct users to count. */
  days: string[];
}

export interface ShardStats {
  hours: HourCount[];
  /** Distinct client_refs counted in this shard per day of `days`; shards hold disjoint users, so the sums are exact. */
  distinctUsers: Record<string, number>;
}

/** One user's row for one UTC day. */
export interface UserDay {
  client_ref: string;
  /** Keys issued. */
  mints: number;
  /** Requests refused (the `refused_*` outcomes). */
  refusals: number;
  /** When the last key was issued, ISO-8601; null when none was. */
  last_mint_at: string | null;
  /** The vendors the user asked for that day, whatever the outcome, sorted. */
  vendors: string[];
}

export interface UsersPage {
  day: string;
  /** Rows with a client_ref after this one, in client_ref order. */
  after: string | null;
  limit: number;
}

/** The RPC surface of one `MintStats` shard, as a caller sees it. */
export interface MintStatsApi {
  count(mint: MintCount): Promise<void>;
  stats(range: StatsRange): Promise<ShardStats>;
  users(page: UsersPage): Promise<UserDay[]>;
}
