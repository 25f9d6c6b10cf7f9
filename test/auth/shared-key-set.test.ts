import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { JWKS_MAX_AGE_MS } from "../../src/constants";
import type { Env } from "../../src/env";
import { brokerEnv } from "../helpers/broker";
import { ManualClock } from "./clocked-broker";
import { type ProviderKey, providerKey } from "./clocked-mint";
import { TestIdentityProvider } from "./identity-provider";

/*
 * Isolates of one location share the identity provider's key set through the
 * Cache API. Each `coldIsolate` re-imports the Worker's modules, so it starts
 * with an empty key-set cache of its own, as a new isolate does; the location's
 * cache is one the test opens for itself.
 */

/** A new isolate of the broker on `clock`, sharing `location`: GET /v1/vendors with a token. */
async function coldIsolate(clock: ManualClock, location: Cache, jwksUrl: string, env: Partial<Env> = {}) {
  vi.resetModules();
  const { createApp } = await import("../../src/index");
  const app = createApp({ now: clock.now, fetch: (input, init) => fetch(input, init), sharedCache: () => location });
  return async (token: string): Promise<number> => {
    const request = new Request("https://broker.test/v1/vendors", { headers: { Authorization: `Bearer ${token}` } });
    const ctx = createExecutionContext();
    const response = await app.fetch(request, brokerEnv({ AUTH_JWKS_URL: jwksUrl, ...env }), ctx);
    await waitOnExecutionContext(ctx);
    await response.body?.cancel();
    return response.status;
  };
}

async function setup() {
  const clock = new ManualClock();
  const provider = new TestIdentityProvider();
  const key = await providerKey("RS256");
  await provider.set({ mode: "up", keys: [key.publicJwk] });
  const location = await caches.open(`location-${crypto.randomUUID()}`);
  const isolate = () => coldIsolate(clock, location, provider.jwksUrl);
  return { clock, provider, key, location, isolate };
}

describe("the key set shared by a location's isolates", () => {
  it("lets a cold isolate verify its first token without asking the identity provider", async () => {
    const { clock, provider, key, isolate } = await setup();
    expect(await (await isolate())(await key.sign(clock))).toBe(200);
    expect(await provider.fetches()).toBe(1);

    for (let i = 0; i < 3; i++) expect(await (await isolate())(await key.sign(clock))).toBe(200);
    expect(await provider.fetches()).toBe(1);
  });

  it("is what saves the fetch: isolates of different locations each ask the provider", async () => {
    const { clock, provider, key } = await setup();
    for (let i = 1; i <= 2; i++) {
      const elsewhere = await caches.open(`location-${crypto.randomUUID()}`);
      expect(await (await coldIsolate(clock, elsewhere, provider.jwksUrl))(await key.sign(clock))).toBe(200);
      expect(await provider.fetches()).toBe(i);
    }
  });

  it("is not used once older than JWKS_MAX_AGE_MS, and the fetch that replaces it is shared in turn", async () => {
    const { clock, provider, key, isolate } = await setup();
    const first = await isolate();
    expect(await first(await key.sign(clock))).toBe(200);

    clock.advance(JWKS_MAX_AGE_MS);
    expect(await (await isolate())(await key.sign(clock))).toBe(200);
    expect(await provider.fetches()).toBe(2);
    // The first isolate's keys aged out too; it takes the copy the second one fetched.
    expect(await first(await key.sign(clock))).toBe(200);
    expect(await (await isolate())(await key.sign(clock))).toBe(200);
    expect(await provider.fetches()).toBe(2);
  });

  it("does not hide a rotation: an unknown kid is fetched from the provider, and the new set is shared", async () => {
    const { clock, provider, key, isolate } = await setup();
    expect(await (await isolate())(await key.sign(clock))).toBe(200);

    const next: ProviderKey = await providerKey("ES256");
    await provider.set({ mode: "up", keys: [key.publicJwk, next.publicJwk] });
    // The location's copy, still fresh, lacks the new key: the cold isolate must ask the provider.
    expect(await (await isolate())(await next.sign(clock))).toBe(200);
    expect(await provider.fetches()).toBe(2);
    expect(await (await isolate())(await next.sign(clock))).toBe(200);
    expect(await provider.fetches()).toBe(2);
  });

  it("never fails a token because the location's cache does: a cache that throws is a miss", async () => {
    const { clock, provider, key } = await setup();
    const broken = {
      match: () => Promise.reject(new Error("cache down")),
      put: () => Promise.reject(new Error("cache down")),
    } as unknown as Cache;
    expect(await (await coldIsolate(clock, broken, provider.jwksUrl))(await key.sign(clock))).toBe(200);
    expect(await provider.fetches()).toBe(1);
  });

  it("never waits on the location's cache past UPSTREAM_TIMEOUT_MS: a cache that hangs is a miss", async () => {
    const { clock, provider, key } = await setup();
    const hanging = { match: () => new Promise(() => {}), put: () => new Promise(() => {}) } as unknown as Cache;
    // Without the bound, the request would wait forever and the test time out.
    const isolate = await coldIsolate(clock, hanging, provider.jwksUrl, { UPSTREAM_TIMEOUT_MS: "200" });
    expect(await isolate(await key.sign(clock))).toBe(200);
    expect(await provider.fetches()).toBe(1);
  });

  it("does not trust a copy dated in the future, which another clock wrote: the provider is asked", async () => {
    const { clock, provider, key, location, isolate } = await setup();
    const url = `${provider.jwksUrl}?edge-key-broker=key-set`;
    const fetchedAt = String(clock.now().getTime() + 60_000);
    const headers = { "Cache-Control": "max-age=600", "X-Key-Set-Fetched-At": fetchedAt };
    await location.put(url, new Response(JSON.stringify({ keys: [key.publicJwk] }), { headers }));
    expect(await (await isolate())(await key.sign(clock))).toBe(200);
    expect(await provider.fetches()).toBe(1);
  });

  it("ignores an entry it did not write, whose age it cannot know, and a copy that no longer parses", async () => {
    const { clock, provider, key, location, isolate } = await setup();
    const url = `${provider.jwksUrl}?edge-key-broker=key-set`;
    const foreign = new Response(JSON.stringify({ keys: [key.publicJwk] }), {
      headers: { "Cache-Control": "max-age=600" },
    });
    await location.put(url, foreign);
    expect(await (await isolate())(await key.sign(clock))).toBe(200);
    expect(await provider.fetches()).toBe(1);

    const fetchedAt = String(clock.now().getTime());
    const headers = { "Cache-Control": "max-age=600", "X-Key-Set-Fetched-At": fetchedAt };
    await location.put(url, new Response("not json", { headers }));
    expect(await (await isolate())(await key.sign(clock))).toBe(200);
    expect(await provider.fetches()).toBe(2);
  });
});
