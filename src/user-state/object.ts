import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { USAGE_RETENTION_DAYS } from "./constants";
import type { DayUsage, DenyInput, DenyState, Release, Reservation, ReserveInput, UserStateApi } from "./types";

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * One per client_ref (`idFromName(client_ref)`): its exact daily mint quotas and its deny.
 *
 * Every method body is synchronous (SQLite calls only, no `await`), so each call runs to
 * completion before the object takes the next one: a count and the insert that follows it
 * cannot interleave with another call, which is what keeps the quota exact under concurrency.
 * Time comes only from the caller's `now`, never from the object's own clock.
 *
 * A mint is counted when it is reserved, in the one call a mint makes before the vendor,
 * and uncounted by `release` only when the vendor issued nothing. A mint whose Worker died
 * in between stays counted: the vendor may have issued its key, and a quota errs on the side
 * of counting a key that may exist.
 *
 * Tables:
 * - `minted`: mints per UTC day and vendor; days older than `USAGE_RETENTION_DAYS` are dropped.
 * - `deny`: at most one row, the current deny (`until_ms` null: until lifted) and who set it.
 * - `pending` is dropped: versions that counted a mint only at a second call kept their
 *   reservations there.
 */
export class UserState extends DurableObject<Env> implements UserStateApi {
  private readonly sql: SqlStorage;
  /** The oldest day this instance last kept when it dropped older counts; pruning once a day is enough. */
  private keptFrom: string | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec("DROP TABLE IF EXISTS pending");
    this.sql.exec(
      `CREATE TABLE IF NOT EXISTS minted (
        day TEXT NOT NULL,
        vendor TEXT NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (day, vendor)
      )`,
    );
    this.sql.exec(
      `CREATE TABLE IF NOT EXISTS deny (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        reason TEXT NOT NULL,
        until_ms INTEGER,
        since_ms INTEGER NOT NULL,
        actor TEXT
      )`,
    );
    // Objects made before denies named their actor have the table without the column; their deny keeps a null actor.
    const columns = this.sql.exec<{ name: string }>("PRAGMA table_info(deny)").toArray();
    if (!columns.some((column) => column.name === "actor")) this.sql.exec("ALTER TABLE deny ADD COLUMN actor TEXT");
  }

  async reserve(input: ReserveInput): Promise<Reservation> {
    const { day, vendor, limits, now } = input;
    const dayStartMs = parseDay(day);
    checkNow(now);
    if (typeof vendor !== "string" || vendor === "") throw new TypeError("vendor must be a non-empty string");
    const total = checkLimit("total", limits.total);
    const perVendor = checkLimit("vendor", limits.vendor);

    const deny = this.denyInForce(now);
    if (deny) return { outcome: "denied", deny };

    return this.ctx.storage.transactionSync((): Reservation => {
      const oldestKept = new Date(dayStartMs - USAGE_RETENTION_DAYS * DAY_MS).toISOString().slice(0, 10);
      if (this.keptFrom !== oldestKept) {
        this.sql.exec("DELETE FROM minted WHERE day < ?", oldestKept);
        this.keptFrom = oldestKept;
      }

      const used = this.sql
        .exec<{ total: number; vendor: number }>(
          `SELECT COALESCE(SUM(count), 0) AS total, COALESCE(SUM(CASE WHEN vendor = ? THEN count END), 0) AS vendor
           FROM minted WHERE day = ?`,
          vendor,
          day,
        )
        .one();
      if (total !== null && used.total >= total) return { outcome: "quota_exceeded", scope: "total" };
      if (perVendor !== null && used.vendor >= perVendor) return { outcome: "quota_exceeded", scope: "vendor" };

      this.sql.exec(
        `INSERT INTO minted (day, vendor, count) VALUES (?, ?, 1)
         ON CONFLICT (day, vendor) DO UPDATE SET count = count + 1`,
        day,
        vendor,
      );
      return { outcome: "reserved" };
    });
  }

  async release({ day, vendor }: Release): Promise<void> {
    parseDay(day);
    this.sql.exec("UPDATE minted SET count = count - 1 WHERE day = ? AND vendor = ? AND count > 0", day, vendor);
  }

  async usage(day: string, now: number): Promise<DayUsage> {
    parseDay(day);
    checkNow(now);
    const vendors: Record<string, number> = {};
    let total = 0;
    for (const row of this.sql.exec<{ vendor: string; count: number }>(
      "SELECT vendor, count FROM minted WHERE day = ? ORDER BY vendor",
      day,
    )) {
      vendors[row.vendor] = row.count;
      total += row.count;
    }
    return { total, vendors };
  }

  async deny(input: DenyInput): Promise<DenyState | null> {
    const { reason, until, actor, now } = input;
    checkNow(now);
    if (typeof reason !== "string") throw new TypeError("reason must be a string");
    if (typeof actor !== "string") throw new TypeError("actor must be a string");
    let untilMs: number | null = null;
    if (until !== null) {
      untilMs = typeof until === "string" ? Date.parse(until) : Number.NaN;
      if (Number.isNaN(untilMs)) throw new RangeError("until must be an ISO-8601 time or null");
    }
    // A deny that has already run out denies nothing, and so must not end one in force either.
    if (untilMs !== null && untilMs <= now) return this.denyInForce(now);
    // Otherwise it replaces any earlier deny: the last deny set is the one that counts.
    this.sql.exec(
      "INSERT OR REPLACE INTO deny (id, reason, until_ms, since_ms, actor) VALUES (1, ?, ?, ?, ?)",
      reason,
      untilMs,
      now,
      actor,
    );
    return toDenyState({ reason, until_ms: untilMs, since_ms: now, actor });
  }

  async lift(now: number): Promise<DenyState | null> {
    checkNow(now);
    const lifted = this.denyInForce(now);
    this.sql.exec("DELETE FROM deny");
    return lifted;
  }

  async denyState(now: number): Promise<DenyState | null> {
    checkNow(now);
    return this.denyInForce(now);
  }

  private denyInForce(now: number): DenyState | null {
    const [row] = this.sql
      .exec<DenyRow>("SELECT reason, until_ms, since_ms, actor FROM deny WHERE until_ms IS NULL OR until_ms > ?", now)
      .toArray();
    return row ? toDenyState(row) : null;
  }
}

interface DenyRow extends Record<string, SqlStorageValue> {
  reason: string;
  until_ms: number | null;
  since_ms: number;
  actor: string | null;
}

function toDenyState(row: DenyRow): DenyState {
  return {
    reason: row.reason,
    until: row.until_ms === null ? null : new Date(row.until_ms).toISOString(),
    since: new Date(row.since_ms).toISOString(),
    actor: row.actor,
  };
}

/** Start of a UTC day "YYYY-MM-DD" in epoch ms; throws on anything else. */
function parseDay(day: string): number {
  const start = /^\d{4}-\d{2}-\d{2}$/.test(day) ? Date.parse(`${day}T00:00:00Z`) : Number.NaN;
  if (Number.isNaN(start) || new Date(start).toISOString().slice(0, 10) !== day) {
    throw new RangeError("day must be a UTC day YYYY-MM-DD");
  }
  return start;
}

function checkNow(now: number): void {
  if (!Number.isFinite(now)) throw new RangeError("now must be epoch milliseconds");
}

/** A cap (0 allows nothing) or null for none; anything else is a caller bug. */
function checkLimit(name: string, limit: number | null): number | null {
  if (limit === null) return null;
  if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`limits.${name} must be null or an integer >= 0`);
  return limit;
}
