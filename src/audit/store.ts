import { brokerError } from "../errors";
import { DESCENDING_TIME_KEY_LENGTH, descendingTimeKey, sha256Hex, timeFromDescendingKey } from "../ids";
import type { AuditPage, AuditQuery, AuditRecord } from "./record";

/**
 * The only code that knows the KV key layout (see docs/kv-schema.md):
 *
 *   rec:{id}                               the full record, for GET /v1/audit/{id}
 *   idx:all:{desc_time}:{id}               every record, newest first
 *   idx:ref:{sha256(client_ref)}:{desc_time}:{id}   one user's records, newest first
 *
 * Index entries have an empty value and carry the record in their metadata, so
 * a listing needs no further reads unless a record was too large for metadata.
 */

const RECORD_PREFIX = "rec:";
const ALL_PREFIX = "idx:all:";
const REF_PREFIX = "idx:ref:";
/** KV's limit on metadata, serialized as JSON. */
const MAX_METADATA_BYTES = 1024;
/** KV returns at most this many keys a page; always asking for it keeps page boundaries stable. */
const KV_LIST_PAGE_SIZE = 1000;
/** Bound on KV list calls one audit request makes before handing back a cursor. */
const MAX_LIST_PAGES_PER_REQUEST = 5;

/** Index metadata: the whole record, or, when it does not fit, just enough to filter on. */
type IndexMetadata = AuditRecord | { id: string; vendor: string; partial: true };

export class AuditStore {
  constructor(
    private readonly kv: KVNamespace,
    private readonly retentionSeconds: number,
  ) {}

  /** Writes the record and its index entries; resolves only when all are stored. */
  async write(record: AuditRecord): Promise<void> {
    const time = descendingTimeKey(new Date(record.at));
    const refHash = await clientRefHash(record.client_ref);
    const metadata = indexMetadata(record);
    const options = { expirationTtl: this.retentionSeconds };
    await Promise.all([
      this.kv.put(RECORD_PREFIX + record.id, JSON.stringify(record), options),
      this.kv.put(`${ALL_PREFIX}${time}:${record.id}`, "", { ...options, metadata }),
      this.kv.put(`${REF_PREFIX}${refHash}:${time}:${record.id}`, "", { ...options, metadata }),
    ]);
  }

  async get(id: string): Promise<AuditRecord | null> {
    return this.kv.get<AuditRecord>(RECORD_PREFIX + id, "json");
  }

  async list(query: AuditQuery): Promise<AuditPage> {
    const prefix = query.clientRef === undefined ? ALL_PREFIX : `${REF_PREFIX}${await clientRefHash(query.clientRef)}:`;
    let position = decodeCursor(query.cursor);
    const records: AuditRecord[] = [];

    for (let pages = 0; pages < MAX_LIST_PAGES_PER_REQUEST; pages++) {
      const page = await this.kv.list<IndexMetadata>({ prefix, cursor: position.page, limit: KV_LIST_PAGE_SIZE });
      for (const key of page.keys) {
        if (position.after !== undefined && key.name <= position.after) continue;
        const at = timeFromDescendingKey(key.name.slice(prefix.length, prefix.length + DESCENDING_TIME_KEY_LENGTH));
        if (query.since && at < query.since.getTime()) return { records, cursor: null };
        if (query.until && at > query.until.getTime()) continue;
        if (query.vendor && key.metadata?.vendor !== query.vendor) continue;
        const record = await this.resolve(key.name, key.metadata);
        if (record) records.push(record);
        if (records.length === query.limit) {
          return { records, cursor: encodeCursor({ page: position.page, after: key.name }) };
        }
      }
      if (page.list_complete) return { records, cursor: null };
      position = { page: page.cursor };
    }
    return { records, cursor: encodeCursor(position) };
  }

  private async resolve(name: string, metadata: IndexMetadata | null | undefined): Promise<AuditRecord | null> {
    if (metadata && !("partial" in metadata)) return metadata;
    return this.get(name.slice(name.lastIndexOf(":") + 1));
  }
}

function indexMetadata(record: AuditRecord): IndexMetadata {
  const full = JSON.stringify(record);
  return new TextEncoder().encode(full).byteLength <= MAX_METADATA_BYTES
    ? record
    : { id: record.id, vendor: record.vendor, partial: true };
}

/** Hashing keeps index keys short and free of whatever characters a client_ref holds. */
async function clientRefHash(clientRef: string): Promise<string> {
  return (await sha256Hex(clientRef)).slice(0, 32);
}

interface ListPosition {
  /** KV's cursor for the page to read; undefined for the first page. */
  page?: string;
  /** Last index key already returned on that page. */
  after?: string;
}

function encodeCursor(position: ListPosition): string {
  return btoa(JSON.stringify(position)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function decodeCursor(cursor: string | undefined): ListPosition {
  if (cursor === undefined) return {};
  try {
    const json: unknown = JSON.parse(atob(cursor.replace(/-/g, "+").replace(/_/g, "/")));
    if (json && typeof json === "object") {
      const { page, after } = json as Record<string, unknown>;
      if ((page === undefined || typeof page === "string") && (after === undefined || typeof after === "string")) {
        return { page, after };
      }
    }
  } catch {
    // fall through to the error below
  }
  throw brokerError("invalid_request", "cursor is not one this API returned");
}
