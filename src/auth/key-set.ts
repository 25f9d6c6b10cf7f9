import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from "jose";
import * as z from "zod/mini";
import { JWKS_MAX_AGE_MS, JWKS_REFETCH_COOLDOWN_MS, MAX_JWKS_BODY_BYTES } from "../constants";
import { readCappedText } from "../http/capped-text";
import { readSharedKeySet, writeSharedKeySet } from "./shared-key-set";

/**
 * The identity provider's public keys, cached per JWKS URL per isolate, and shared
 * between the isolates of a location through the Cache API (see shared-key-set.ts).
 *
 * - The key set is loaded again once it is older than JWKS_MAX_AGE_MS: from the location's copy when
 *   another isolate has fetched a newer one, else from the provider.
 * - A token that names an unknown `kid` makes the isolate fetch from the provider itself, past the
 *   location's copy (which may be the very set without that key), and store what it gets there.
 * - One fetch per URL at a time, and none within JWKS_REFETCH_COOLDOWN_MS of the previous one ending,
 *   whether it worked (the unknown-`kid` cooldown) or failed (the backoff).
 * - A failed fetch keeps the last good keys; without any, the caller gets KeySetUnavailable. With
 *   them, a token whose `kid` is still unknown after the refetch is refused as jose refuses it
 *   (JWKSNoMatchingKey), whether the refetch worked, failed or was skipped.
 * - A request cannot await I/O started by another one on Workers, so a fetch is marked as started
 *   before its first `await`; a request that needs its result polls the cache, for at most the
 *   fetch timeout.
 */

/** The key set could not be loaded: the identity provider's fault, not the token's. */
export class KeySetUnavailable extends Error {
  constructor(readonly reason: string) {
    super("JWKS unavailable");
  }
}

export interface KeySetDeps {
  fetch: typeof fetch;
  now: () => Date;
  /** How long one JWKS fetch may take, body included. */
  timeoutMs: number;
  /** The location's cache that isolates share key sets through; without it, each isolate fetches its own. */
  sharedCache?: () => Cache;
}

interface CachedKeySet {
  /** Verification keys from the last good fetch, and when it ended. */
  keys?: { verify: JWTVerifyGetKey; fetchedAt: number };
  /** Why the last fetch failed; undefined once one works. */
  failure?: string;
  /** The fetch under way, marked synchronously when it starts. */
  fetching?: { startedAt: number };
  /** When the last fetch ended, good or bad: the cooldown and the backoff count from here. */
  lastFetchEndedAt?: number;
  /** Counts fetches that ended, so a waiting request can tell when one has. */
  fetchesEnded: number;
}

/** How often a request waiting for another request's fetch looks at the cache. */
const POLL_INTERVAL_MS = 25;

const ACCEPT = "application/json, application/jwk-set+json";

const jwksSchema = z.object({ keys: z.array(z.looseObject({ kty: z.string() })) });

/** One entry per JWKS URL, for the life of the isolate. */
const cache = new Map<string, CachedKeySet>();

/** A key resolver for `jwtVerify` backed by the isolate's cache for `url`. */
export function cachedKeySet(url: URL, deps: KeySetDeps): JWTVerifyGetKey {
  let state = cache.get(url.href);
  if (!state) {
    state = { fetchesEnded: 0 };
    cache.set(url.href, state);
  }
  const cached = state;
  return async (header, token) => {
    if (!cached.keys) await refetch(cached, url, deps, { waitForOthers: true, fromProvider: false });
    else if (ageMs(cached.keys.fetchedAt, deps) >= JWKS_MAX_AGE_MS) {
      // Old keys are still good enough while someone else refreshes them, or when the refresh fails.
      await refetch(cached, url, deps, { waitForOthers: false, fromProvider: false });
    }
    const current = cached.keys;
    if (!current) throw new KeySetUnavailable(cached.failure ?? "no key set fetched yet");
    try {
      return await current.verify(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
      await refetch(cached, url, deps, { waitForOthers: true, fromProvider: true });
      // No newer keys (the refetch failed or was not due): the kid is unknown, not the key set unavailable.
      if (!cached.keys || cached.keys === current) throw error;
      return cached.keys.verify(header, token);
    }
  };
}

/**
 * Loads the key set, unless a load is under way: from the location's fresh copy when there is
 * one and `fromProvider` is false, else from the provider, unless one fetch from the provider
 * ended within the cooldown.
 */
async function refetch(
  cached: CachedKeySet,
  url: URL,
  deps: KeySetDeps,
  { waitForOthers, fromProvider }: { waitForOthers: boolean; fromProvider: boolean },
): Promise<void> {
  const running = cached.fetching;
  // A fetch older than the timeout belongs to a request that was cancelled: it will never end.
  if (running && ageMs(running.startedAt, deps) < deps.timeoutMs) {
    if (waitForOthers) await fetchEnd(cached, deps.timeoutMs - ageMs(running.startedAt, deps));
    return;
  }
  const coolingDown =
    cached.lastFetchEndedAt !== undefined && ageMs(cached.lastFetchEndedAt, deps) < JWKS_REFETCH_COOLDOWN_MS;
  // Looked up only here, when keys are loaded: a request with cached keys has no use for it.
  const sharedCache = deps.sharedCache?.();
  if (coolingDown && (fromProvider || !sharedCache)) return;

  // Marked before the first await, so that concurrent requests see it and start no fetch of their own.
  const mine = { startedAt: deps.now().getTime() };
  cached.fetching = mine;
  let askedProvider = false;
  try {
    const shared =
      sharedCache && !fromProvider
        ? await readSharedKeySet(sharedCache, url, deps.now().getTime(), deps.timeoutMs)
        : null;
    const verify = shared && sharedVerificationKeys(shared.text);
    if (shared && verify) {
      cached.keys = { verify, fetchedAt: shared.fetchedAt };
      cached.failure = undefined;
      return;
    }
    if (coolingDown) return;
    askedProvider = true;
    const text = await download(url, deps);
    const keys = { verify: verificationKeys(text), fetchedAt: deps.now().getTime() };
    cached.keys = keys;
    cached.failure = undefined;
    if (sharedCache)
      await writeSharedKeySet(sharedCache, url, { text, fetchedAt: keys.fetchedAt }, keys.fetchedAt, deps.timeoutMs);
  } catch (error) {
    cached.failure = error instanceof KeySetUnavailable ? error.reason : "unexpected error";
  } finally {
    if (cached.fetching === mine) cached.fetching = undefined;
    if (askedProvider) cached.lastFetchEndedAt = deps.now().getTime();
    cached.fetchesEnded++;
  }
}

/** Keys from the location's copy; null when it no longer parses, so the provider is asked instead. */
function sharedVerificationKeys(text: string): JWTVerifyGetKey | null {
  try {
    return verificationKeys(text);
  } catch {
    return null;
  }
}

/** Waits, at most `budgetMs`, for the fetch under way to end. */
async function fetchEnd(cached: CachedKeySet, budgetMs: number): Promise<void> {
  const seen = cached.fetchesEnded;
  for (let waited = 0; waited < budgetMs && cached.fetchesEnded === seen; waited += POLL_INTERVAL_MS) {
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

/** One GET of the key set: a timeout, no redirects, and at most MAX_JWKS_BODY_BYTES read. */
async function download(url: URL, { fetch, timeoutMs }: KeySetDeps): Promise<string> {
  // One signal covers connecting and reading the body.
  const signal = AbortSignal.timeout(timeoutMs);
  let status: number;
  let text: string | undefined;
  try {
    const response = await fetch(url.href, { headers: { Accept: ACCEPT }, redirect: "manual", signal });
    status = response.status;
    if (status === 200) text = await readCappedText(response, MAX_JWKS_BODY_BYTES);
    else await response.body?.cancel();
  } catch (error) {
    if (signal.aborted) throw new KeySetUnavailable(`timeout after ${timeoutMs} ms`);
    throw new KeySetUnavailable(`network error: ${error instanceof Error ? error.name : "unknown"}`);
  }
  if (status !== 200) throw new KeySetUnavailable(`JWKS answered ${status}`);
  if (text === undefined) throw new KeySetUnavailable(`JWKS body over ${MAX_JWKS_BODY_BYTES} bytes`);
  return text;
}

function verificationKeys(text: string): JWTVerifyGetKey {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new KeySetUnavailable("JWKS body is not JSON");
  }
  const parsed = z.safeParse(jwksSchema, json);
  if (!parsed.success) throw new KeySetUnavailable("JWKS body is not a JSON Web Key Set");
  try {
    return createLocalJWKSet(parsed.data as JSONWebKeySet);
  } catch {
    throw new KeySetUnavailable("JWKS body is not a JSON Web Key Set");
  }
}

function ageMs(since: number, { now }: KeySetDeps): number {
  return now().getTime() - since;
}
