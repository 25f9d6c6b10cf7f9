/** Largest request body the broker reads; larger ones get `413`. */
export const MAX_REQUEST_BODY_BYTES = 16 * 1024;

/**
 * How much more of a request body that passes `MAX_REQUEST_BODY_BYTES` without
 * having declared it in `Content-Length` the broker reads and drops, so that the
 * client's connection stays usable; past this it cancels the body, and the
 * runtime closes the connection.
 */
export const MAX_DISCARDED_REQUEST_BYTES = 1024 * 1024;

/** Largest vendor response body the broker reads before giving up with `upstream_error`. */
export const MAX_UPSTREAM_BODY_BYTES = 64 * 1024;

/** Default for `UPSTREAM_TIMEOUT_MS`: how long one vendor call, JWKS fetch or audit KV call may take. */
export const DEFAULT_UPSTREAM_TIMEOUT_MS = 5_000;

/** Default for `AUDIT_RETENTION_DAYS`. */
export const DEFAULT_AUDIT_RETENTION_DAYS = 90;

/** Clock skew allowed between the identity provider and the broker. */
export const JWT_CLOCK_TOLERANCE_SECONDS = 60;

/** Shortest `AUTH_HS256_SECRET` accepted (RFC 7518 §3.2 asks for a key at least as long as the hash). */
export const MIN_HS256_SECRET_BYTES = 32;

/** Shortest `ADMIN_TOKEN` accepted, so that a guessable admin token cannot be deployed. */
export const MIN_ADMIN_TOKEN_CHARS = 32;

/** Longest `client_ref` accepted; Soniox's `client_reference_id` allows 256 characters. */
export const MAX_CLIENT_REF_CHARS = 256;

/** How long a browser may cache a CORS preflight answer. */
export const CORS_MAX_AGE_SECONDS = 600;

/** Audit listing: default and largest page size. */
export const DEFAULT_AUDIT_PAGE_SIZE = 100;
export const MAX_AUDIT_PAGE_SIZE = 1000;

/** How far past `now + ttl_seconds` a vendor's expiry may fall (clock skew) before its key is refused. */
export const VENDOR_EXPIRY_SLACK_SECONDS = 60;

/** Largest JWKS body the broker reads; a larger key set is treated as unavailable (`503 auth_unavailable`). */
export const MAX_JWKS_BODY_BYTES = 64 * 1024;

/** How long a fetched JWKS is used before it is fetched again (as jose did: 10 minutes). */
export const JWKS_MAX_AGE_MS = 10 * 60 * 1000;

/**
 * Shortest time between two JWKS fetches for one URL in one isolate: the cooldown
 * after a fetch when a token names an unknown `kid`, and the backoff after a failed fetch.
 */
export const JWKS_REFETCH_COOLDOWN_MS = 30_000;

/** Longest `iss` or `sub` kept in an audit record; a longer or non-string claim is recorded as null. */
export const MAX_AUDIT_CLAIM_CHARS = 256;

/** Default for `DAILY_MINT_QUOTA`: keys one client_ref may receive per UTC day, across vendors. */
export const DEFAULT_DAILY_MINT_QUOTA = 500;

/** Largest `DAILY_MINT_QUOTA` accepted. */
export const MAX_DAILY_MINT_QUOTA = 1_000_000;

/**
 * Most bytes a header kept in an audit record (`User-Agent`, `Origin`, `CF-Connecting-IP`)
 * takes in the record's JSON, in UTF-8, as KV measures metadata; a longer one is cut.
 */
export const MAX_AUDIT_HEADER_BYTES = 256;

/** Longest reason an operator may give for denying a user. */
export const MAX_DENY_REASON_CHARS = 500;

/** GET /v1/admin/stats: the longest window one request reads (7 days of hours). */
export const MAX_STATS_WINDOW_MS = 7 * 24 * 60 * 60 * 1000;

/** GET /v1/admin/users: default and largest page size; each row is one deny lookup. */
export const DEFAULT_USERS_PAGE_SIZE = 50;
export const MAX_USERS_PAGE_SIZE = 100;
