import { brokerError } from "../errors";
import { sha256Hex } from "../ids";

/**
 * The listing cursor handed to operators: base64url of
 * `{"f": <filter hash>, "page"?: <KV cursor>, "after"?: <last index key returned>}`.
 * It is bound to the filters it was made for, so reusing it with other filters
 * is refused instead of silently answering a wrong page. See docs/kv-schema.md.
 */

/** Where a listing continues. */
export interface ListPosition {
  /** KV's cursor for the page to read; undefined for the first page. */
  page?: string;
  /** Last index key already returned from that page. */
  after?: string;
}

/** The filters a cursor is bound to; `limit` is not one of them, so pages may change size. */
export interface ListFilters {
  clientRef?: string;
  vendor?: string;
  since?: Date;
  until?: Date;
}

/** Hex characters of SHA-256 kept in a cursor: enough to tell filter sets apart; it guards against mistakes, not attackers. */
const FILTER_HASH_CHARS = 16;
const FILTER_HASH_PATTERN = new RegExp(`^[0-9a-f]{${FILTER_HASH_CHARS}}$`);

/** A short hash of the normalized filters: times as epoch milliseconds, so `Z` and `+00:00` spellings agree. */
export async function filterHash(filters: ListFilters): Promise<string> {
  const normalized = JSON.stringify([
    filters.clientRef ?? null,
    filters.vendor ?? null,
    filters.since?.getTime() ?? null,
    filters.until?.getTime() ?? null,
  ]);
  return (await sha256Hex(normalized)).slice(0, FILTER_HASH_CHARS);
}

export function encodeCursor(filters: string, position: ListPosition): string {
  const bytes = new TextEncoder().encode(JSON.stringify({ f: filters, ...position }));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

/** The position in `cursor`; `400 invalid_request` if it is malformed or was made for other filters. */
export function decodeCursor(cursor: string, filters: string): ListPosition {
  const fields = parseCursor(cursor);
  if (fields === null) throw brokerError("invalid_request", "cursor is not one this API returned");
  if (fields.f !== filters) {
    throw brokerError(
      "invalid_request",
      "cursor was returned for other filters; send it with the same client_ref, vendor, since and until, or start again without a cursor",
    );
  }
  return { page: fields.page, after: fields.after };
}

function parseCursor(cursor: string): { f: string; page?: string; after?: string } | null {
  let json: unknown;
  try {
    const binary = atob(cursor.replace(/-/g, "+").replace(/_/g, "/"));
    json = JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))));
  } catch {
    return null;
  }
  if (!json || typeof json !== "object" || Array.isArray(json)) return null;
  const { f, page, after, ...rest } = json as Record<string, unknown>;
  if (Object.keys(rest).length > 0) return null;
  if (typeof f !== "string" || !FILTER_HASH_PATTERN.test(f)) return null;
  if (page !== undefined && (typeof page !== "string" || page === "")) return null;
  if (after !== undefined && (typeof after !== "string" || after === "")) return null;
  return { f, page, after };
}
