import { BrokerError, errorFromResponse } from "./errors.js";

export { BrokerError } from "./errors.js";

/**
 * A small client for edge-key-broker. It needs nothing but `fetch`, so it runs
 * in browsers, React Native and Node 20+.
 */

/** What the broker returns for a minted key (vendor options applied are included as extra fields). */
export interface MintedKey {
  vendor: string;
  key: string;
  expires_at: string;
  ttl_seconds: number;
  client_ref: string;
  issuance_id: string;
  [option: string]: unknown;
}

export type KeyOptions = Record<string, string | number | boolean>;

export interface KeyClientOptions {
  /** The broker's URL, e.g. `https://keys.example.com`. */
  baseUrl: string;
  /** Returns the signed-in user's current ID token. Called for every request, so refreshed tokens are used. */
  getIdToken: () => string | Promise<string>;
  /** Defaults to the global `fetch`. */
  fetch?: typeof fetch;
  /** Stop reusing a cached key this long before it expires. Default: the lesser of 30 s and 10% of its TTL. */
  refreshMarginSeconds?: number;
}

export interface KeyClient {
  /** A key for `vendor`: a cached multi-use key while it is fresh, otherwise a new one. */
  getKey(vendor: string, options?: KeyOptions): Promise<MintedKey>;
  /** Forgets cached keys, for one vendor or all. */
  invalidate(vendor?: string): void;
}

/** Attempts per `getKey` call, the first included. */
const MAX_ATTEMPTS = 3;
/** Statuses worth retrying: rate limits and the broker's or vendor's transient failures. */
const RETRYABLE_STATUSES = new Set([429, 502, 503, 504]);
const BASE_BACKOFF_MS = 300;
/** A `Retry-After` longer than this is not waited for; the error is thrown instead. */
const MAX_RETRY_AFTER_MS = 30_000;
const DEFAULT_MARGIN_MAX_SECONDS = 30;
const DEFAULT_MARGIN_TTL_FRACTION = 0.1;

interface CachedKey {
  key: MintedKey;
  /** Epoch ms after which the key is no longer handed out. */
  reuseUntil: number;
}

export function createKeyClient(options: KeyClientOptions): KeyClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, "");
  const cache = new Map<string, CachedKey>();
  const inFlight = new Map<string, Promise<MintedKey>>();

  async function mintOnce(vendor: string, body: KeyOptions): Promise<Response> {
    const doFetch = options.fetch ?? fetch;
    const token = await options.getIdToken();
    return doFetch(`${baseUrl}/v1/keys/${encodeURIComponent(vendor)}`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
  }

  async function mintWithRetries(vendor: string, body: KeyOptions): Promise<MintedKey> {
    for (let attempt = 1; ; attempt++) {
      let response: Response;
      try {
        response = await mintOnce(vendor, body);
      } catch (cause) {
        if (attempt >= MAX_ATTEMPTS) {
          throw new BrokerError(0, "network_error", `broker unreachable: ${describe(cause)}`, null);
        }
        await sleep(backoffMs(attempt));
        continue;
      }
      if (response.ok) return (await response.json()) as MintedKey;
      const error = await errorFromResponse(response);
      const wait = retryDelayMs(response, attempt);
      if (!RETRYABLE_STATUSES.has(response.status) || attempt >= MAX_ATTEMPTS || wait === undefined) throw error;
      await sleep(wait);
    }
  }

  function reuseUntil(key: MintedKey): number {
    const expiresAt = Date.parse(key.expires_at);
    const marginSeconds =
      options.refreshMarginSeconds ??
      Math.min(DEFAULT_MARGIN_MAX_SECONDS, key.ttl_seconds * DEFAULT_MARGIN_TTL_FRACTION);
    return expiresAt - marginSeconds * 1000;
  }

  return {
    async getKey(vendor, keyOptions = {}) {
      // A single-use key serves one connection, so it is never cached or shared.
      if (keyOptions.single_use === true) return mintWithRetries(vendor, keyOptions);

      const cacheKey = `${vendor}\n${stableJson(keyOptions)}`;
      const cached = cache.get(cacheKey);
      if (cached && Date.now() < cached.reuseUntil) return cached.key;
      cache.delete(cacheKey);

      const pending = inFlight.get(cacheKey);
      if (pending) return pending;
      const request = mintWithRetries(vendor, keyOptions)
        .then((key) => {
          if (key.single_use !== true) cache.set(cacheKey, { key, reuseUntil: reuseUntil(key) });
          return key;
        })
        .finally(() => inFlight.delete(cacheKey));
      inFlight.set(cacheKey, request);
      return request;
    },

    invalidate(vendor) {
      for (const cacheKey of [...cache.keys()]) {
        if (vendor === undefined || cacheKey.startsWith(`${vendor}\n`)) cache.delete(cacheKey);
      }
    },
  };
}

/** Waits for `Retry-After` when the broker sent one, else backs off exponentially with jitter. */
function retryDelayMs(response: Response, attempt: number): number | undefined {
  const header = response.headers.get("retry-after");
  if (header !== null && /^\d+$/.test(header.trim())) {
    const ms = Number(header) * 1000;
    return ms <= MAX_RETRY_AFTER_MS ? ms : undefined;
  }
  return backoffMs(attempt);
}

function backoffMs(attempt: number): number {
  const base = BASE_BACKOFF_MS * 2 ** (attempt - 1);
  return base + Math.floor(Math.random() * base * 0.5);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** JSON with sorted keys, so `{a,b}` and `{b,a}` share a cache entry. */
function stableJson(value: KeyOptions): string {
  return JSON.stringify(Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1))));
}

function describe(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
