import { realClock } from "./clock.js";
import { errorFromResponse, networkError, notSignedIn } from "./errors.js";
import { identityOf } from "./identity.js";
import { waitToRetry } from "./retry.js";
import type { Connect, VendorId, VendorOptions } from "./vendor-types.js";

export { BrokerError } from "./errors.js";
export type { Connect, VendorId, VendorOptions } from "./vendor-types.js";
export { type ConnectableKey, type WebSocketForOptions, type WebSocketTarget, webSocketFor } from "./connect.js";
// Helpers for the vendors' own SDKs, one file each.
export * from "./sdk/assemblyai.js";
export * from "./sdk/azure.js";
export * from "./sdk/cartesia.js";
export * from "./sdk/deepgram.js";
export * from "./sdk/elevenlabs.js";
export * from "./sdk/gemini.js";
export * from "./sdk/gladia.js";
export * from "./sdk/openai.js";
export * from "./sdk/soniox.js";
export * from "./sdk/speechmatics.js";

/**
 * A small client for edge-key-broker. It needs nothing but `fetch`, so it runs
 * in browsers, React Native and Node 20+.
 */

/** What the broker returns for a minted key (vendor options applied are included as extra fields). */
export interface MintedKey<V extends VendorId = VendorId> {
  vendor: V;
  key: string;
  expires_at: string;
  ttl_seconds: number;
  client_ref: string;
  issuance_id: string;
  /** Only for vendors that issue a ready-to-connect URL (ElevenLabs agents): the URL, with `key` the credential inside it. */
  url?: string;
  /** True when the key opens one connection only; such a key is never cached or shared. */
  single_use?: boolean;
  /** How to present the key: the endpoint, and where the key goes (`webSocketFor` turns it into a WebSocket's arguments). */
  connect?: Connect;
  [option: string]: unknown;
}

export interface KeyClientOptions {
  /** The broker's URL, `http://` or `https://`, e.g. `https://keys.example.com`. Anything else throws here. */
  baseUrl: string;
  /**
   * Returns the signed-in user's current ID token. Called once per `getKey`, so
   * refreshed tokens are used. No token (`undefined`, `null` or `""`) fails that
   * `getKey` with `not_signed_in`, without a request.
   */
  getIdToken: () => string | null | undefined | Promise<string | null | undefined>;
  /** Defaults to the global `fetch`. */
  fetch?: typeof fetch;
  /** Stop reusing a cached key this long before it expires. Default: the lesser of 30 s and 10% of its TTL. */
  refreshMarginSeconds?: number;
  /** The current time in epoch milliseconds, which decides when a cached key is stale. Defaults to the real clock. */
  now?: () => number;
}

export interface KeyClient {
  /** A key for `vendor`: a cached multi-use key of the same `client_ref` while it is fresh, otherwise a new one. */
  getKey<V extends VendorId>(vendor: V, options?: VendorOptions[V]): Promise<MintedKey<V>>;
  /** Forgets cached keys, for one vendor or all, including those still being requested. */
  invalidate(vendor?: VendorId): void;
}

const DEFAULT_MARGIN_MAX_SECONDS = 30;
const DEFAULT_MARGIN_TTL_FRACTION = 0.1;

/** A request body as the client handles it, whatever the vendor. */
type AnyOptions = Record<string, unknown>;

interface CachedKey {
  vendor: VendorId;
  key: MintedKey;
  /** Epoch ms after which the key is no longer handed out. */
  reuseUntil: number;
}

interface PendingKey {
  vendor: VendorId;
  request: Promise<MintedKey>;
}

/**
 * `http(s)://` and a host, then an optional path: a relative or scheme-less URL would
 * otherwise fail only at the first request, as a network error after three attempts.
 * Checked by pattern, because React Native's `URL` lacks `protocol`.
 */
const BASE_URL = /^https?:\/\/[^/?#@\s]+(\/[^?#\s]*)?$/i;

export function createKeyClient(options: KeyClientOptions): KeyClient {
  if (typeof options.baseUrl !== "string" || !BASE_URL.test(options.baseUrl)) {
    throw new TypeError(
      'createKeyClient: baseUrl must be the broker\'s http:// or https:// URL, e.g. "https://keys.example.com", without credentials, query or fragment',
    );
  }
  const baseUrl = options.baseUrl.replace(/\/+$/, "");
  const now = options.now ?? realClock;
  /**
   * Cached keys, keyed by the `client_ref` the broker answered, the token identity,
   * the vendor and the options. Before a request, a token's `client_ref` is known
   * only from the latest answer for its identity (`clientRefs`); should the broker
   * answer another one (its `CLIENT_REF_CLAIM` or `CLIENT_REF_SECRET` changed), the
   * keys filed under the old one are not handed out again. The identity is in the
   * key too, so that two users of one `client_ref` (one organisation) never share
   * a key: the broker checks each user's own claims against its policy.
   */
  const cache = new Map<string, CachedKey>();
  /** The `client_ref` each token identity was last answered with (see `identityOf`). */
  const clientRefs = new Map<string, string>();
  /** Requests under way, keyed by token identity, vendor and options, so only tokens with one `client_ref` share one. */
  const inFlight = new Map<string, PendingKey>();
  /** Bumped by `invalidate()`; a request started under an older generation must not fill the cache. */
  let generation = 0;

  /**
   * Every attempt sends the token read at the start of `getKey`. The key and its
   * `client_ref` are filed under that token's identity, so it must be minted with
   * that token: reading the token again between attempts could mint for whoever
   * signed in meanwhile and hand their key to the previous user. Retries span
   * seconds; if the token expires meanwhile, the broker answers 401 and the next
   * `getKey` reads a new one.
   */
  async function mint(vendor: VendorId, body: AnyOptions, token: string): Promise<MintedKey> {
    const doFetch = options.fetch ?? fetch;
    for (let attempt = 1; ; attempt++) {
      let response: Response;
      try {
        response = await doFetch(`${baseUrl}/v1/keys/${encodeURIComponent(vendor)}`, {
          method: "POST",
          headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
          body: JSON.stringify(body),
        });
      } catch (cause) {
        await waitToRetry(networkError(cause), null, attempt);
        continue;
      }
      if (response.ok) return (await response.json()) as MintedKey;
      await waitToRetry(await errorFromResponse(response), response.headers.get("retry-after"), attempt);
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
    async getKey<V extends VendorId>(vendor: V, vendorOptions?: VendorOptions[V]): Promise<MintedKey<V>> {
      const keyOptions: AnyOptions = vendorOptions ?? {};
      const token: unknown = await options.getIdToken();
      if (typeof token !== "string" || token === "") throw notSignedIn(token);
      // A single-use key serves one connection, so it is never cached or shared.
      if (keyOptions.single_use === true) return (await mint(vendor, keyOptions, token)) as MintedKey<V>;

      const identity = identityOf(token);
      const knownRef = clientRefs.get(identity);
      if (knownRef !== undefined) {
        const cacheKey = cacheKeyOf(knownRef, identity, vendor, keyOptions);
        const cached = cache.get(cacheKey);
        if (cached && now() < cached.reuseUntil) return cached.key as MintedKey<V>;
        cache.delete(cacheKey);
      }

      const scope = JSON.stringify([identity, vendor, stableJson(keyOptions)]);
      const pending = inFlight.get(scope);
      if (pending) {
        const shared = await pending.request;
        // A key that turns out single-use belongs to the caller who asked first; the others mint their own.
        return (shared.single_use === true ? await mint(vendor, keyOptions, token) : shared) as MintedKey<V>;
      }
      const startedIn = generation;
      const request = mint(vendor, keyOptions, token)
        .then((key) => {
          if (startedIn === generation && key.single_use !== true && typeof key.client_ref === "string") {
            clientRefs.set(identity, key.client_ref);
            const cacheKey = cacheKeyOf(key.client_ref, identity, vendor, keyOptions);
            cache.set(cacheKey, { vendor, key, reuseUntil: reuseUntil(key) });
          }
          return key;
        })
        .finally(() => {
          // `invalidate()` may have replaced this entry with a newer request.
          if (inFlight.get(scope)?.request === request) inFlight.delete(scope);
        });
      inFlight.set(scope, { vendor, request });
      return (await request) as MintedKey<V>;
    },

    invalidate(vendor) {
      generation++;
      if (vendor === undefined) clientRefs.clear();
      for (const entries of [cache, inFlight]) {
        for (const [scope, entry] of entries) {
          if (vendor === undefined || entry.vendor === vendor) entries.delete(scope);
        }
      }
    },
  };
}

function cacheKeyOf(clientRef: string, identity: string, vendor: VendorId, options: AnyOptions): string {
  return JSON.stringify([clientRef, identity, vendor, stableJson(options)]);
}

/** JSON with sorted keys, so `{a,b}` and `{b,a}` share a cache entry. */
function stableJson(value: AnyOptions): string {
  return JSON.stringify(Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1))));
}
