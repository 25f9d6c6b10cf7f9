import { JWKS_MAX_AGE_MS } from "../constants";
import { within } from "../timeout";

/**
 * The location's copy of a key set, in the Cache API, so that a cold isolate
 * verifies its first token without a round trip to the identity provider: the
 * provider is asked once per location per JWKS_MAX_AGE_MS, not once per isolate.
 *
 * The entry is keyed by the JWKS URL (see cacheKey) and carries the time its keys were fetched,
 * so an isolate that takes it over ages them from then, not from when it read them.
 * The Cache API is best effort: any failure to read or write is a miss, never an
 * authentication failure. (On a `workers.dev` hostname it stores nothing, and every
 * isolate fetches for itself, as without it.)
 *
 * Trust: the copy is as trusted as the zone's cache. Only Workers deployed on the same
 * zone, which is the operator's own, can write it; such a Worker could plant keys here.
 */

/** Our header on the cached copy; an entry without it was put there by someone else and is not used. */
const FETCHED_AT_HEADER = "X-Key-Set-Fetched-At";

/**
 * The copy's cache key: the JWKS URL with a parameter of our own, so that it is never the
 * answer to a fetch of the URL itself, which must reach the provider (an unknown kid).
 */
function cacheKey(url: URL): string {
  const key = new URL(url);
  key.searchParams.append("edge-key-broker", "key-set");
  return key.href;
}

export interface SharedKeySet {
  /** The key set's body as the provider served it; it passed validation before it was stored. */
  text: string;
  /** When it was fetched from the provider, in epoch milliseconds. */
  fetchedAt: number;
}

/**
 * The location's copy of the key set at `url`, if one fetched less than JWKS_MAX_AGE_MS before `now`;
 * a cache that has not answered within `timeoutMs` is a miss.
 */
export async function readSharedKeySet(
  cache: Cache,
  url: URL,
  now: number,
  timeoutMs: number,
): Promise<SharedKeySet | null> {
  try {
    const response = await within(cache.match(cacheKey(url)), timeoutMs, "key set cache read");
    if (!response) return null;
    const fetchedAt = Number(response.headers.get(FETCHED_AT_HEADER));
    const age = now - fetchedAt;
    // A copy from the future (another clock) is not trusted to be fresh.
    if (!Number.isFinite(fetchedAt) || age < 0 || age >= JWKS_MAX_AGE_MS) {
      await response.body?.cancel();
      return null;
    }
    return { text: await within(response.text(), timeoutMs, "key set cache read"), fetchedAt };
  } catch {
    return null;
  }
}

/** Stores the key set for the other isolates of the location, for what is left of its max-age; waits `timeoutMs` at most. */
export async function writeSharedKeySet(
  cache: Cache,
  url: URL,
  keySet: SharedKeySet,
  now: number,
  timeoutMs: number,
): Promise<void> {
  const maxAgeSeconds = Math.floor((JWKS_MAX_AGE_MS - (now - keySet.fetchedAt)) / 1000);
  if (maxAgeSeconds <= 0) return;
  try {
    const put = cache.put(
      cacheKey(url),
      new Response(keySet.text, {
        headers: {
          "Content-Type": "application/json",
          "Cache-Control": `max-age=${maxAgeSeconds}`,
          [FETCHED_AT_HEADER]: String(keySet.fetchedAt),
        },
      }),
    );
    await within(put, timeoutMs, "key set cache write");
  } catch {
    // Best effort: the next cold isolate fetches from the provider instead.
  }
}
