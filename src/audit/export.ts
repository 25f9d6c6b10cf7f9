import * as z from "zod/mini";
import {
  blockEnd,
  blockSpanMs,
  commonPrefixLength,
  ID_CHARS,
  idTimeMs,
  lastIdAt,
  MAX_ID_TIME_MS,
  nextId,
} from "./id-space";
import type { AuditRecord } from "./record";
import {
  type AuditStore,
  type IndexEntry,
  type IndexReader,
  KV_LIST_PAGE_SIZE,
  RECORD_READ_KV_READS,
  RECORD_WRITE_DEADLINE_MS,
} from "./store";

/**
 * The audit export: every record in a time range, oldest first, for a SIEM or
 * a data warehouse (GET /v1/audit/export).
 *
 * The index lists newest first, and KV lists only ascending from the start of
 * a prefix, so the export walks the range in windows: a window is the block of
 * issuance ids that share a prefix (one millisecond, 32 ms, about a second, ...,
 * see id-space.ts), which is one KV prefix. A window is listed (newest first),
 * held, and returned reversed; the next window starts right after it. Memory is
 * bounded by one window, never the range. A window that holds more than
 * `WINDOW_MAX_KEYS` entries is not read further but split: the walk retries
 * with the smaller block that starts at the same position. Window sizes follow
 * the density of the records already read, so a quiet stretch is read in few
 * large windows and a busy one in many small ones.
 *
 * The position is an issuance id (or any 26-character id-order position):
 * every matching record up to it has been returned. A record's own id is
 * therefore a valid position to resume after, and so is the cursor the stream
 * ends with, which may lie past the last record when the range after it held
 * nothing matching.
 */

/**
 * Most KV reads one export response makes: list calls, and gets of records whose
 * index entry lacks them, each charged the most it may take (RECORD_READ_KV_READS).
 */
export const MAX_EXPORT_KV_READS = 50;
/** Largest and default `limit`: records one export response streams. */
export const MAX_EXPORT_RECORDS = 10_000;
/** How long KV may take to list a key it has stored, everywhere. */
const KV_LISTING_DELAY_MS = 60_000;
/**
 * How old the newest exported record must be, in seconds: `until` defaults to
 * now minus this and may not be later. A record is written within
 * `RECORD_WRITE_DEADLINE_MS` of its id's time or not at all (the store refuses
 * it, and the mint fails closed), and KV may take a minute more to list it, so
 * a resumed export never passes over a record that became visible late.
 */
export const EXPORT_SETTLE_SECONDS = (RECORD_WRITE_DEADLINE_MS + KV_LISTING_DELAY_MS) / 1000;
/** Index entries one window may hold before it is split; memory is bounded by this plus one KV page. */
export const WINDOW_MAX_KEYS = KV_LIST_PAGE_SIZE;
/** KV pages one window may take (KV may return short pages) before it is split. */
export const WINDOW_MAX_PAGES = 4;
/** Entries a window is sized for, from the density already read: half of what it may hold, so a busier stretch rarely overflows it. */
const WINDOW_TARGET_KEYS = WINDOW_MAX_KEYS / 2;

/** The last line of an export that ended normally. */
export const exportEndLineSchema = z.object({
  /** Where the next request resumes: send it as `cursor`. */
  cursor: z.string(),
  /** True when every record up to `until` was sent; false when this response reached its limit. */
  complete: z.boolean(),
});

/** The last line of an export that failed after it started streaming. */
export const exportErrorLineSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), request_id: z.string() }),
  /** The position after the last record sent: resume with it, nothing is lost or repeated. */
  cursor: z.string(),
});

export interface ExportRange {
  /** Inclusive, epoch milliseconds; undefined when only `after` bounds the start. */
  since?: number;
  /** Exclusive, epoch milliseconds. */
  until: number;
  /** Exclusive position: only records with a greater id (the caller's cursor). */
  after?: string;
  clientRef?: string;
  vendor?: string;
  /** Records this response may return. */
  limit: number;
}

/** A window read to the end: its entries in the range, oldest first, and how dense they were. */
type WindowRead =
  | { kind: "read"; entries: IndexEntry[]; density: number }
  | { kind: "split"; density: number; oldest: string }
  | { kind: "budget" };

export class AuditExport {
  /** Every matching record at or before this position has been returned; the cursor to resume from. */
  position: string;
  /** True once every record up to `until` has been returned. */
  complete = false;
  private readonly hi: string | null;
  private reads = 0;
  private returned = 0;

  constructor(
    private readonly store: AuditStore,
    private readonly range: ExportRange,
  ) {
    const beforeSince = lastIdAt(Math.max(range.since ?? 0, 1) - 1);
    this.position = range.after !== undefined && range.after > beforeSince ? range.after : beforeSince;
    const lastMs = Math.min(range.until - 1, MAX_ID_TIME_MS);
    this.hi = lastMs >= 0 ? lastIdAt(lastMs) : null;
  }

  /** The matching records after `position`, oldest first, until the range, the limit or the read budget ends. */
  async *records(): AsyncGenerator<AuditRecord, void> {
    const read = await this.store.indexReader(this.range.clientRef);
    /**
     * Blocks found too large to read as one window: a block that held at least
     * `WINDOW_MAX_KEYS` entries from `through` to its end is too large for as
     * long as the position has not passed `through`.
     */
    let tooLarge: { prefix: string; through: string }[] = [];
    let level: number | undefined;
    for (;;) {
      const lo = this.hi === null ? null : nextId(this.position);
      if (lo === null || this.hi === null || lo > this.hi) {
        this.complete = true;
        return;
      }
      if (this.returned >= this.range.limit) return;
      tooLarge = tooLarge.filter((block) => lo.startsWith(block.prefix) && lo <= block.through);
      // Never coarser than the block holding both ends, nor than a block known to be too large.
      const floor = Math.max(commonPrefixLength(lo, this.hi), ...tooLarge.map((block) => block.prefix.length + 1));
      level = Math.min(ID_CHARS, Math.max(level ?? floor, floor));
      const prefix = lo.slice(0, level);
      const window = await this.readWindow(read, prefix, lo);
      if (window.kind === "budget") return;
      if (window.kind === "split") {
        tooLarge.push({ prefix, through: window.oldest });
        level = sizedLevel(window.density, level + 1);
        continue;
      }
      for (const entry of window.entries) {
        if (this.returned >= this.range.limit) return;
        if (this.range.vendor !== undefined && entry.vendor !== this.range.vendor) {
          this.position = entry.id;
          continue;
        }
        let record = entry.record;
        if (record === null) {
          if (this.reads + RECORD_READ_KV_READS > MAX_EXPORT_KV_READS) return;
          this.reads += RECORD_READ_KV_READS;
          record = await this.store.get(entry.id);
        }
        this.position = entry.id;
        if (record) {
          this.returned++;
          yield record;
        }
      }
      const last = blockEnd(prefix);
      this.position = last < this.hi ? last : this.hi;
      // Grow by at most one level a window, and only as far as the density read suggests.
      level = sizedLevel(window.density, level - 1);
    }
  }

  /**
   * Lists the block `prefix` from its newest entry down to `lo`, keeping the
   * entries in `[lo, hi]`. KV lists the block newest first, so reaching an entry
   * older than `lo` means every entry the export still needs has been read.
   */
  private async readWindow(read: IndexReader, prefix: string, lo: string): Promise<WindowRead> {
    const hi = this.hi as string;
    const held: IndexEntry[] = [];
    let scanned = 0;
    let newest: string | undefined;
    let oldest = lo;
    let cursor: string | undefined;
    for (let pages = 1; ; pages++) {
      if (this.reads >= MAX_EXPORT_KV_READS) return { kind: "budget" };
      this.reads++;
      const page = await read(prefix, cursor);
      let reachedLo = false;
      for (const entry of page.entries) {
        if (entry.id < lo) {
          reachedLo = true;
          break;
        }
        scanned++;
        newest ??= entry.id;
        oldest = entry.id;
        if (entry.id <= hi) held.push(entry);
      }
      if (reachedLo || page.cursor === null) {
        const spanMs = idTimeMs(blockEnd(prefix) < hi ? blockEnd(prefix) : hi) - idTimeMs(lo) + 1;
        return { kind: "read", entries: held.reverse(), density: held.length / spanMs };
      }
      if (prefix.length < ID_CHARS && (scanned >= WINDOW_MAX_KEYS || pages >= WINDOW_MAX_PAGES)) {
        const spanMs = newest === undefined ? 1 : idTimeMs(newest) - idTimeMs(oldest) + 1;
        return { kind: "split", density: scanned / spanMs, oldest };
      }
      cursor = page.cursor;
    }
  }
}

/**
 * The coarsest prefix length, not below `atLeast`, whose block would hold about
 * `WINDOW_TARGET_KEYS` entries at `density` (entries per millisecond).
 */
function sizedLevel(density: number, atLeast: number): number {
  const start = Math.max(0, Math.min(atLeast, ID_CHARS));
  if (!(density > 0)) return start;
  const spanMs = WINDOW_TARGET_KEYS / density;
  for (let level = start; level < ID_CHARS; level++) {
    if (blockSpanMs(level) <= spanMs) return level;
  }
  return ID_CHARS;
}
