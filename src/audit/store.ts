import type { BrokerConfig } from "../config";
import { brokerError } from "../errors";
import { before, within } from "../timeout";
import { complementId, ISSUANCE_ID_PATTERN, issuanceIdTime, sha256Hex } from "../ids";
import { decodeCursor, encodeCursor, filterHash, type ListPosition } from "./cursor";
import { fitRecord, utf8Bytes } from "./fit";
import type { AuditPage, AuditQuery, AuditRecord } from "./record";

/**
 * The only code that knows the KV key layout (see docs/kv-schema.md):
 *
 *   idx2:all:{desc_id}                        every record, newest first; its value is the record,
 *                                             which GET /v1/audit/{id} reads by complementing the id
 *   idx2:ref:{sha256(client_ref)}:{desc_id}   one user's records, newest first
 *
 * Two writes a record: the full index entry doubles as the record, because its key
 * follows from the id. Versions before it wrote the record a third time, under
 * `rec:{id}`; `get` still reads those for records older than the upgrade.
 *
 * `{desc_id}` is the issuance id with every base32 digit complemented, so KV's
 * ascending listing runs in descending order of the whole id: newest first, and
 * exactly so within one millisecond. Index entries carry the record in their
 * metadata, so a listing needs no further reads unless a record was too large
 * for metadata; the full index entry's value is the record, the user's is empty.
 * A record is made to fit before it is written (fit.ts), so only one whose
 * client_ref or vendor key id is very long, or one written before that, costs a
 * read; each request has a fixed budget of KV reads, whatever the records hold.
 *
 * The export (src/audit/export.ts) reads the same index oldest first, block of ids
 * by block of ids, through `indexReader`, which lists one `{desc_id}` prefix.
 *
 * The `idx2:` prefix replaced `idx:` (`idx:all:{desc_time}:{id}`), whose keys
 * sorted ascending within a millisecond; old keys are never listed and expire.
 */

/** Where versions before the two-write layout kept each record; only read, for their records. */
const LEGACY_RECORD_PREFIX = "rec:";
const ALL_PREFIX = "idx2:all:";
const REF_PREFIX = "idx2:ref:";
/** KV's limit on metadata, serialized as JSON. */
const MAX_METADATA_BYTES = 1024;
/** Keys asked of KV per list call, KV's own maximum; always asking for it keeps page boundaries stable. */
export const KV_LIST_PAGE_SIZE = 1000;
/**
 * How long after its id's time a record may still be written. The export
 * passes a position only once it is older than this plus KV's listing delay,
 * so a record written late is refused here rather than skipped there.
 */
export const RECORD_WRITE_DEADLINE_MS = 240_000;
/**
 * The deadline of a record whose id time is being taken now: it fires `RECORD_WRITE_DEADLINE_MS`
 * later. A timer rather than a second look at a clock, so the request keeps the one time it read
 * (its injected `now`) and the deadline still runs in real time, whatever that clock says.
 */
export function recordDeadline(): AbortSignal {
  return AbortSignal.timeout(RECORD_WRITE_DEADLINE_MS);
}

/** Bound on KV list calls one audit request makes before handing back a cursor. */
export const MAX_LIST_PAGES_PER_REQUEST = 5;
/**
 * Most KV reads (list calls, and gets of records whose index entry lacks them) one
 * listing request makes before handing back a cursor; Cloudflare allows 1,000 an invocation.
 */
export const MAX_LISTING_KV_READS = 50;
/** KV gets `get(id)` makes at most: the full index entry, then the key of versions before the two-write layout. */
export const RECORD_READ_KV_READS = 2;

/** Index metadata: the whole record, or, when it does not fit, just enough to filter on. */
type IndexMetadata = StoredRecord | { id: string; vendor: string | null; partial: true };

/** One index entry, as the export walks them (see src/audit/export.ts). */
export interface IndexEntry {
  id: string;
  vendor: string | null;
  /** The record from the entry's metadata; null when it was too large to fit, so `get(id)` reads it. */
  record: AuditRecord | null;
}

/** One KV page of index entries whose ids start with a given prefix, newest first. */
export interface IndexPage {
  entries: IndexEntry[];
  /** KV's cursor for the next page of the same prefix; null when the prefix has no more. */
  cursor: string | null;
}

/**
 * Reads one index (all records, or one client_ref's) by id prefix: the block of
 * issuance ids that start with `idPrefix`, newest first, as KV lists it. Each
 * call is one KV list.
 */
export type IndexReader = (idPrefix: string, cursor?: string) => Promise<IndexPage>;

/**
 * Bounds on the KV calls made while a request waits: each may take `timeoutMs`
 * (`UPSTREAM_TIMEOUT_MS`), so a stalled KV cannot hold the request, and a write
 * must also end before the record's deadline (`recordDeadline`).
 */
export interface RequestLimits {
  timeoutMs: number;
}

/** The audit store as configured; a missing `AUDIT` binding is `misconfigured`. */
export function configuredAuditStore(config: BrokerConfig): AuditStore {
  return new AuditStore(config.auditNamespace(), config.auditRetentionSeconds(), {
    timeoutMs: config.upstreamTimeoutMs(),
  });
}

export class AuditStore {
  constructor(
    private readonly kv: KVNamespace,
    private readonly retentionSeconds: number,
    /** Every request passes these; only a store that imports or seeds past records goes without. */
    private readonly requestLimits?: RequestLimits,
  ) {}

  /**
   * Writes the record and its index entries; resolves only when all are stored. With write
   * limits, it rejects with a `TimeoutError` when they are not stored in time, or when the
   * record's `deadline` has passed. A put still under way then may land later: a record
   * for a key that was not handed out errs on the safe side.
   */
  async write(record: AuditRecord, deadline?: AbortSignal): Promise<void> {
    if (!ISSUANCE_ID_PATTERN.test(record.id)) throw new Error("audit record id is not an issuance id");
    const userKey = await userIndexKey(record.client_ref, record.id);
    const { json, metadata } = storedForm(record);
    const options = { expirationTtl: this.retentionSeconds };
    if (this.requestLimits && !deadline) throw new Error("a request's audit write needs its record's deadline");
    const tooLate = "audit record is too late for the export's settle window";
    if (deadline?.aborted) throw new DOMException(tooLate, "TimeoutError");
    const puts = Promise.all([
      this.kv.put(ALL_PREFIX + complementId(record.id), json, { ...options, metadata }),
      this.kv.put(userKey, "", { ...options, metadata }),
    ]);
    const bounded = deadline ? before(deadline, puts, tooLate) : puts;
    if (this.requestLimits) await within(bounded, this.requestLimits.timeoutMs, "audit write");
    else await bounded;
  }

  /** A KV call, bounded by the request limits when there are any. */
  private bounded<T>(work: Promise<T>, what: string): Promise<T> {
    return this.requestLimits ? within(work, this.requestLimits.timeoutMs, what) : work;
  }

  async get(id: string): Promise<AuditRecord | null> {
    // Read as text: the full index entries of versions before the two-write layout have an empty value.
    const text = await this.bounded(this.kv.get(ALL_PREFIX + complementId(id), "text"), "audit read");
    if (text) return withActor(JSON.parse(text) as StoredRecord);
    const legacy = await this.bounded(this.kv.get<StoredRecord>(LEGACY_RECORD_PREFIX + id, "json"), "audit read");
    return legacy && withActor(legacy);
  }

  async list(query: AuditQuery): Promise<AuditPage> {
    const prefix = query.clientRef === undefined ? ALL_PREFIX : `${REF_PREFIX}${await clientRefHash(query.clientRef)}:`;
    const filters = await filterHash(query);
    let position: ListPosition = query.cursor === undefined ? {} : decodeCursor(query.cursor, filters);
    const records: AuditRecord[] = [];
    /** KV reads so far; a record read from its value is charged the most it may take. */
    let reads = 0;

    for (let pages = 0; pages < MAX_LIST_PAGES_PER_REQUEST; pages++) {
      if (reads >= MAX_LISTING_KV_READS) return { records, cursor: encodeCursor(filters, position) };
      reads += 1;
      const page = await this.listPage(prefix, position.page, pages === 0 && query.cursor !== undefined);
      for (const [index, key] of page.keys.entries()) {
        if (position.after !== undefined && key.name <= position.after) continue;
        const id = idFromIndexKey(key.name, prefix);
        if (id === null) continue;
        const at = issuanceIdTime(id);
        if (query.since && at < query.since.getTime()) return { records, cursor: null };
        if (query.until && at > query.until.getTime()) continue;
        if (query.vendor && key.metadata?.vendor !== query.vendor) continue;
        let record = indexedRecord(key.metadata);
        if (record === null) {
          if (reads + RECORD_READ_KV_READS > MAX_LISTING_KV_READS) {
            // Out of reads: the next request starts at this key.
            const after = index > 0 ? page.keys[index - 1]?.name : position.after;
            return { records, cursor: encodeCursor(filters, { page: position.page, after }) };
          }
          reads += RECORD_READ_KV_READS;
          record = await this.get(id);
        }
        if (record) records.push(record);
        if (records.length === query.limit) {
          const next: ListPosition | null =
            index < page.keys.length - 1
              ? { page: position.page, after: key.name }
              : page.list_complete
                ? null
                : { page: page.cursor };
          return { records, cursor: next && encodeCursor(filters, next) };
        }
      }
      if (page.list_complete) return { records, cursor: null };
      position = { page: page.cursor };
    }
    return { records, cursor: encodeCursor(filters, position) };
  }

  /**
   * The index of every record, or of one client_ref's records, read by issuance-id
   * prefix: complementing the prefix gives the `{desc_id}` prefix of exactly those
   * ids, which KV lists newest first.
   */
  async indexReader(clientRef?: string): Promise<IndexReader> {
    const prefix = clientRef === undefined ? ALL_PREFIX : `${REF_PREFIX}${await clientRefHash(clientRef)}:`;
    return async (idPrefix, cursor) => {
      const page = await this.bounded(
        this.kv.list<IndexMetadata>({ prefix: prefix + complementId(idPrefix), cursor, limit: KV_LIST_PAGE_SIZE }),
        "audit listing",
      );
      const entries: IndexEntry[] = [];
      for (const key of page.keys) {
        const id = idFromIndexKey(key.name, prefix);
        if (id === null) continue;
        entries.push({ id, vendor: key.metadata?.vendor ?? null, record: indexedRecord(key.metadata) });
      }
      return { entries, cursor: page.list_complete ? null : page.cursor };
    };
  }

  /**
   * One KV page. KV refuses a cursor it did not issue or no longer accepts by
   * throwing; for a cursor the caller sent, that is the caller's `400`, unless a
   * first-page list fails too, which means KV itself is failing.
   */
  private async listPage(
    prefix: string,
    cursor: string | undefined,
    fromCaller: boolean,
  ): Promise<KVNamespaceListResult<IndexMetadata>> {
    try {
      return await this.bounded(
        this.kv.list<IndexMetadata>({ prefix, cursor, limit: KV_LIST_PAGE_SIZE }),
        "audit listing",
      );
    } catch (error) {
      // A slow KV is KV failing (503), never a reason to tell the caller to drop their cursor.
      const timedOut = error instanceof DOMException && error.name === "TimeoutError";
      if (!fromCaller || cursor === undefined || timedOut) throw error;
      try {
        await this.bounded(this.kv.list({ prefix, limit: 1 }), "audit listing");
      } catch {
        throw error;
      }
      throw brokerError(
        "invalid_request",
        "cursor is no longer accepted by the audit store; start again without a cursor",
      );
    }
  }
}

/** The issuance id of an index key under `prefix`, or null for a key of another shape. */
function idFromIndexKey(name: string, prefix: string): string | null {
  // A complemented id has the id's own shape: 26 Crockford base32 characters.
  const descId = name.slice(prefix.length);
  return ISSUANCE_ID_PATTERN.test(descId) ? complementId(descId) : null;
}

/** The record an index entry's metadata holds; null when it holds only the partial marker, or nothing. */
function indexedRecord(metadata: IndexMetadata | null | undefined): AuditRecord | null {
  return metadata && !("partial" in metadata) ? withActor(metadata) : null;
}

/** A record as KV may hold it: those written before `actor` existed lack it. */
type StoredRecord = Omit<AuditRecord, "actor"> & { actor?: string | null };

/** Every record read has an `actor`: null for those written before it was recorded. */
function withActor(record: StoredRecord): AuditRecord {
  return { ...record, actor: record.actor ?? null };
}

/**
 * The record as stored (its JSON) and its index metadata: the record itself when it fits, else the
 * record fitted to the limit (fit.ts), else the partial marker. The JSON is also the size KV measures
 * metadata by; a record that fits, as nearly all do, is serialized and measured once.
 */
function storedForm(record: AuditRecord): { json: string; metadata: IndexMetadata } {
  const json = JSON.stringify(record);
  if (utf8Bytes(json) <= MAX_METADATA_BYTES) return { json, metadata: record };
  const fitted = fitRecord(record, MAX_METADATA_BYTES);
  const fittedJson = JSON.stringify(fitted);
  const metadata: IndexMetadata =
    utf8Bytes(fittedJson) <= MAX_METADATA_BYTES ? fitted : { id: fitted.id, vendor: fitted.vendor, partial: true };
  return { json: fittedJson, metadata };
}

/** The key of record `id`'s entry in the index of `clientRef`'s records. */
export async function userIndexKey(clientRef: string, id: string): Promise<string> {
  return `${REF_PREFIX}${await clientRefHash(clientRef)}:${complementId(id)}`;
}

/** Hashing keeps index keys short and free of whatever characters a client_ref holds. */
async function clientRefHash(clientRef: string): Promise<string> {
  return (await sha256Hex(clientRef)).slice(0, 32);
}
