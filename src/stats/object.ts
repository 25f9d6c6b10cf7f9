import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { MINT_OUTCOMES, type MintOutcome } from "./outcome";
import type { HourCount, MintCount, MintStatsApi, ShardStats, StatsRange, UserDay, UsersPage } from "./types";

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;
const outcomes: ReadonlySet<string> = new Set(MINT_OUTCOMES);

/** Outcomes that count as a user's refusals. */
const REFUSALS: ReadonlySet<MintOutcome> = new Set([
  "refused_quota",
  "refused_deny",
  "refused_policy",
  "refused_burst",
  "refused_invalid",
]);

/**
 * One shard of the mint counts (src/stats/shards.ts picks it from the client_ref): per UTC
 * hour, vendor and outcome, and per UTC day and user. Shards hold disjoint users, so the
 * users of a day are the sum of each shard's rows for it, exactly.
 *
 * Each method body is synchronous (SQLite only, no `await`): a read and the write that follows
 * it cannot interleave with another call. Time comes only from the caller, never the object's
 * clock. Tables are WITHOUT ROWID, so a count writes its two rows and no separate index rows
 * (rows written are what a count costs; docs/operations.md).
 *
 * Tables:
 * - `hourly`: count per hour (epoch ms of its start), vendor and outcome;
 * - `user_day`: per UTC day and client_ref, keys issued, refusals, the last issue time and the
 *   vendors asked for (comma-separated, sorted).
 * Rows older than `retentionDays` before the count's day are dropped, once a day per instance.
 */
export class MintStats extends DurableObject<Env> implements MintStatsApi {
  private readonly sql: SqlStorage;
  /** The oldest day this instance last kept; pruning once a day is enough. */
  private keptFrom = "";

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(
      `CREATE TABLE IF NOT EXISTS hourly (
        hour_ms INTEGER NOT NULL,
        vendor TEXT NOT NULL,
        outcome TEXT NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (hour_ms, vendor, outcome)
      ) WITHOUT ROWID`,
    );
    this.sql.exec(
      `CREATE TABLE IF NOT EXISTS user_day (
        day TEXT NOT NULL,
        client_ref TEXT NOT NULL,
        mints INTEGER NOT NULL,
        refusals INTEGER NOT NULL,
        last_mint_ms INTEGER,
        vendors TEXT NOT NULL,
        PRIMARY KEY (day, client_ref)
      ) WITHOUT ROWID`,
    );
  }

  async count(mint: MintCount): Promise<void> {
    const { at, vendor, outcome, clientRef, retentionDays } = mint;
    checkTime(at);
    if (typeof vendor !== "string" || vendor === "" || vendor.includes(",")) throw new TypeError("vendor is invalid");
    if (!outcomes.has(outcome)) throw new TypeError("outcome is not a known label");
    if (typeof clientRef !== "string" || clientRef === "") throw new TypeError("clientRef must be a non-empty string");
    if (!Number.isSafeInteger(retentionDays) || retentionDays < 1) throw new RangeError("retentionDays must be >= 1");
    const day = utcDay(at);

    this.ctx.storage.transactionSync(() => {
      const oldestKept = utcDay(Date.parse(`${day}T00:00:00Z`) - retentionDays * DAY_MS);
      if (oldestKept > this.keptFrom) {
        this.sql.exec("DELETE FROM hourly WHERE hour_ms < ?", Date.parse(`${oldestKept}T00:00:00Z`));
        this.sql.exec("DELETE FROM user_day WHERE day < ?", oldestKept);
        this.keptFrom = oldestKept;
      }

      this.sql.exec(
        `INSERT INTO hourly (hour_ms, vendor, outcome, count) VALUES (?, ?, ?, 1)
         ON CONFLICT (hour_ms, vendor, outcome) DO UPDATE SET count = count + 1`,
        Math.floor(at / HOUR_MS) * HOUR_MS,
        vendor,
        outcome,
      );

      const [row] = this.sql
        .exec<{ vendors: string }>("SELECT vendors FROM user_day WHERE day = ? AND client_ref = ?", day, clientRef)
        .toArray();
      const vendors = new Set(row ? row.vendors.split(",") : []);
      vendors.add(vendor);
      const issued = outcome === "issued" ? 1 : 0;
      const refused = REFUSALS.has(outcome) ? 1 : 0;
      this.sql.exec(
        `INSERT INTO user_day (day, client_ref, mints, refusals, last_mint_ms, vendors) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (day, client_ref) DO UPDATE SET
           mints = mints + excluded.mints,
           refusals = refusals + excluded.refusals,
           last_mint_ms = COALESCE(MAX(last_mint_ms, excluded.last_mint_ms), last_mint_ms, excluded.last_mint_ms),
           vendors = excluded.vendors`,
        day,
        clientRef,
        issued,
        refused,
        issued ? at : null,
        [...vendors].sort().join(","),
      );
    });
  }

  async stats(range: StatsRange): Promise<ShardStats> {
    const { since, until, vendor, days } = range;
    checkTime(since);
    checkTime(until);
    const vendorFilter = vendor === undefined ? "" : " AND vendor = ?";
    const hours: HourCount[] = [];
    for (const row of this.sql.exec<{ hour_ms: number; vendor: string; outcome: MintOutcome; count: number }>(
      `SELECT hour_ms, vendor, outcome, count FROM hourly WHERE hour_ms > ? AND hour_ms < ?${vendorFilter}`,
      since - HOUR_MS,
      until,
      ...(vendor === undefined ? [] : [vendor]),
    )) {
      hours.push({
        hour: new Date(row.hour_ms).toISOString(),
        vendor: row.vendor,
        outcome: row.outcome,
        count: row.count,
      });
    }

    const distinctUsers: Record<string, number> = {};
    for (const day of days) {
      distinctUsers[day] = this.sql
        .exec<{ users: number }>(
          `SELECT COUNT(*) AS users FROM user_day WHERE day = ?${vendor === undefined ? "" : " AND instr(',' || vendors || ',', ?) > 0"}`,
          day,
          ...(vendor === undefined ? [] : [`,${vendor},`]),
        )
        .one().users;
    }
    return { hours, distinctUsers };
  }

  async users({ day, after, limit }: UsersPage): Promise<UserDay[]> {
    return this.sql
      .exec<{ client_ref: string; mints: number; refusals: number; last_mint_ms: number | null; vendors: string }>(
        `SELECT client_ref, mints, refusals, last_mint_ms, vendors FROM user_day
         WHERE day = ? AND client_ref > ? ORDER BY client_ref LIMIT ?`,
        day,
        after ?? "",
        limit,
      )
      .toArray()
      .map((row) => ({
        client_ref: row.client_ref,
        mints: row.mints,
        refusals: row.refusals,
        last_mint_at: row.last_mint_ms === null ? null : new Date(row.last_mint_ms).toISOString(),
        vendors: row.vendors.split(","),
      }));
  }
}

function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function checkTime(ms: number): void {
  if (!Number.isFinite(ms)) throw new RangeError("times must be epoch milliseconds");
}
