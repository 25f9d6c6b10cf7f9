import { errorFromResponse, networkError } from "./errors.js";
import { identityOf } from "./identity.js";
import { waitToRetry } from "./retry.js";
import type { VendorId, VendorOptions } from "./vendor-types.js";

export { BrokerError } from "./errors.js";
export type { VendorId, VendorOptions } from "./vendor-types.js";
// Helpers for the vendors' own SDKs, one file each.
export * from "./sdk/assemblyai.js";
export * from "./sdk/deepgram.js";
export * from "./sdk/elevenlabs.js";
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
  [option: string]: unknown;
}

export interface KeyClientOptions {
  /** The broker's URL, e.g. `https://keys.example.com`. */
  baseUrl: string;
  /**
   * Returns the signed-in user's current ID token. Called once per `getKey`, so
   * refreshed tokens are used; its `iss` and `sub` (or the whole token, if it is
   * not a JWT) decide whose cached keys that call may see.
   */
  getIdToken: () => string | Promise<string>;
  /** Defaults to the global `fetch`. */
  fetch?: typeof fetch;
  /** Stop reusing a cached key this long before it expires. Default: the lesser of 30 s and 10% of its TTL. */
  refreshMarginSeconds?: number;
}

export interface KeyClient {
  /** A key for `vendor`: a cached multi-use key of the same user while it is fresh, otherwise a new one. */
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

export function createKeyClient(options: KeyClientOptions): KeyClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, "");
  /** Both keyed by the user's identity, the vendor and the options, so no user ever sees another's key. */
  const cache = new Map<string, CachedKey>();
  const inFlight = new Map<string, PendingKey>();
  /** Bumped by `invalidate()`; a request started under an older generation must not fill the cache. */
  let generation = 0;

  /**
   * Every attempt sends the token read at the start of `getKey`. The key is cached
   * under that token's identity, so it must be minted as that identity: reading
   * the token again between attempts could mint for whoever signed in meanwhile
   * and file the key under the previous user. Retries span seconds; if the token
   * expires meanwhile, the broker answers 401 and the next `getKey` reads a new one.
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
      const token = await options.getIdToken();
      // A single-use key serves one connection, so it is never cached or shared.
      if (keyOptions.single_use === true) return (await mint(vendor, keyOptions, token)) as MintedKey<V>;

      const scope = JSON.stringify([identityOf(token), vendor, stableJson(keyOptions)]);
      const cached = cache.get(scope);
      if (cached && Date.now() < cached.reuseUntil) return cached.key as MintedKey<V>;
      cache.delete(scope);

      const pending = inFlight.get(scope);
      if (pending) {
        const shared = await pending.request;
        // A key that turns out single-use belongs to the caller who asked first; the others mint their own.
        return (shared.single_use === true ? await mint(vendor, keyOptions, token) : shared) as MintedKey<V>;
      }
      const startedIn = generation;
      const request = mint(vendor, keyOptions, token)
        .then((key) => {
          if (startedIn === generation && key.single_use !== true) {
            cache.set(scope, { vendor, key, reuseUntil: reuseUntil(key) });
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
      for (const entries of [cache, inFlight]) {
        for (const [scope, entry] of entries) {
          if (vendor === undefined || entry.vendor === vendor) entries.delete(scope);
        }
      }
    },
  };
}

/** JSON with sorted keys, so `{a,b}` and `{b,a}` share a cache entry. */
function stableJson(value: AnyOptions): string {
  return JSON.stringify(Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1))));
}
