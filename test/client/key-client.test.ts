import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { BrokerError, createKeyClient, type MintedKey } from "../../src/client/index";

interface Call {
  url: string;
  authorization: string | null;
  body: unknown;
}

/** A fake broker: answers each call with the next scripted response and records what it was sent. */
function fakeBroker(...script: Array<(call: Call) => Response>) {
  const calls: Call[] = [];
  const fetch = vi.fn(async (input: string | URL | Request, init?: RequestInit) => {
    const headers = new Headers(init?.headers);
    const call = {
      url: String(input),
      authorization: headers.get("authorization"),
      body: JSON.parse(String(init?.body)),
    };
    calls.push(call);
    const next = script[Math.min(calls.length - 1, script.length - 1)];
    if (!next) throw new Error("no scripted response");
    return next(call);
  });
  return { fetch: fetch as unknown as typeof globalThis.fetch, calls };
}

let keyCounter = 0;
function minted(ttlSeconds = 300, extra: Record<string, unknown> = {}) {
  return (call: Call): Response => {
    const key: MintedKey = {
      vendor: call.url.split("/").pop() as string,
      key: `key-${++keyCounter}`,
      expires_at: new Date(Date.now() + ttlSeconds * 1000).toISOString(),
      ttl_seconds: ttlSeconds,
      client_ref: "alice",
      issuance_id: `id-${keyCounter}`,
      ...extra,
    };
    return Response.json(key, { status: 201 });
  };
}

function failure(status: number, code: string, headers: Record<string, string> = {}) {
  return () =>
    Response.json(
      { error: { code, message: `${code} happened`, request_id: `req-${status}` } },
      { status, headers: { "x-request-id": `req-${status}`, ...headers } },
    );
}

beforeEach(() => {
  vi.useFakeTimers({ now: new Date("2026-11-22T09:00:00Z") });
});
afterEach(() => {
  vi.useRealTimers();
});

describe("createKeyClient", () => {
  it("posts to /v1/keys/{vendor} with the current ID token and the options", async () => {
    const broker = fakeBroker(minted());
    const client = createKeyClient({
      baseUrl: "https://broker.example/",
      getIdToken: () => "token-1",
      fetch: broker.fetch,
    });
    const key = await client.getKey("soniox", { ttl_seconds: 300 });
    expect(key.key).toBe("key-1");
    expect(broker.calls).toEqual([
      { url: "https://broker.example/v1/keys/soniox", authorization: "Bearer token-1", body: { ttl_seconds: 300 } },
    ]);
  });

  it("reuses a multi-use key until 30 s before it expires", async () => {
    const broker = fakeBroker(minted(600));
    const client = createKeyClient({ baseUrl: "https://b", getIdToken: () => "t", fetch: broker.fetch });
    const first = await client.getKey("speechmatics");
    vi.advanceTimersByTime(569_000);
    expect(await client.getKey("speechmatics")).toBe(first);
    vi.advanceTimersByTime(1_000);
    expect((await client.getKey("speechmatics")).key).not.toBe(first.key);
    expect(broker.calls).toHaveLength(2);
  });

  it("uses 10% of the TTL as the margin for short keys", async () => {
    const broker = fakeBroker(minted(100));
    const client = createKeyClient({ baseUrl: "https://b", getIdToken: () => "t", fetch: broker.fetch });
    await client.getKey("soniox");
    vi.advanceTimersByTime(89_999);
    await client.getKey("soniox");
    expect(broker.calls).toHaveLength(1);
    vi.advanceTimersByTime(1);
    await client.getKey("soniox");
    expect(broker.calls).toHaveLength(2);
  });

  it("keeps separate cache entries per vendor and options, whatever the key order", async () => {
    const broker = fakeBroker(minted());
    const client = createKeyClient({ baseUrl: "https://b", getIdToken: () => "t", fetch: broker.fetch });
    await client.getKey("speechmatics", { type: "batch", region: "eu" });
    await client.getKey("speechmatics", { region: "eu", type: "batch" });
    await client.getKey("speechmatics", { type: "rt" });
    await client.getKey("soniox", { type: "rt" });
    expect(broker.calls).toHaveLength(3);
  });

  it("never caches or shares a single-use key", async () => {
    const broker = fakeBroker(minted(300, { single_use: true }));
    const client = createKeyClient({ baseUrl: "https://b", getIdToken: () => "t", fetch: broker.fetch });
    const [a, b] = await Promise.all([
      client.getKey("soniox", { single_use: true }),
      client.getKey("soniox", { single_use: true }),
    ]);
    const c = await client.getKey("soniox", { single_use: true });
    expect(new Set([a.key, b.key, c.key]).size).toBe(3);
    expect(broker.calls).toHaveLength(3);
  });

  it("shares one in-flight request among concurrent callers with the same arguments", async () => {
    const broker = fakeBroker(minted());
    const client = createKeyClient({ baseUrl: "https://b", getIdToken: () => "t", fetch: broker.fetch });
    const keys = await Promise.all([client.getKey("soniox"), client.getKey("soniox"), client.getKey("soniox")]);
    expect(new Set(keys.map((k) => k.key)).size).toBe(1);
    expect(broker.calls).toHaveLength(1);
  });

  it("calls getIdToken for every request, so a refreshed token is used", async () => {
    const broker = fakeBroker(minted(60));
    let token = "old-token";
    const client = createKeyClient({ baseUrl: "https://b", getIdToken: async () => token, fetch: broker.fetch });
    await client.getKey("soniox");
    token = "refreshed-token";
    client.invalidate("soniox");
    await client.getKey("soniox");
    expect(broker.calls.map((c) => c.authorization)).toEqual(["Bearer old-token", "Bearer refreshed-token"]);
  });

  it("invalidate() forgets one vendor's keys or all of them", async () => {
    const broker = fakeBroker(minted());
    const client = createKeyClient({ baseUrl: "https://b", getIdToken: () => "t", fetch: broker.fetch });
    await client.getKey("soniox");
    await client.getKey("speechmatics");
    client.invalidate("soniox");
    await client.getKey("soniox");
    await client.getKey("speechmatics");
    expect(broker.calls).toHaveLength(3);
    client.invalidate();
    await client.getKey("soniox");
    await client.getKey("speechmatics");
    expect(broker.calls).toHaveLength(5);
  });

  it.each([429, 502, 503, 504])("retries %i and succeeds", async (status) => {
    const broker = fakeBroker(failure(status, "transient"), minted());
    const client = createKeyClient({ baseUrl: "https://b", getIdToken: () => "t", fetch: broker.fetch });
    const pending = client.getKey("soniox");
    await vi.runAllTimersAsync();
    expect((await pending).key).toMatch(/^key-/);
    expect(broker.calls).toHaveLength(2);
  });

  it("honours Retry-After before retrying", async () => {
    const broker = fakeBroker(failure(429, "upstream_rate_limited", { "retry-after": "7" }), minted());
    const client = createKeyClient({ baseUrl: "https://b", getIdToken: () => "t", fetch: broker.fetch });
    const pending = client.getKey("soniox");
    await vi.advanceTimersByTimeAsync(6_999);
    expect(broker.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(broker.calls).toHaveLength(2);
    await expect(pending).resolves.toMatchObject({ vendor: "soniox" });
  });

  it("gives up after 3 attempts with a typed BrokerError", async () => {
    const broker = fakeBroker(failure(503, "audit_unavailable"));
    const client = createKeyClient({ baseUrl: "https://b", getIdToken: () => "t", fetch: broker.fetch });
    const pending = client.getKey("soniox").catch((error: unknown) => error);
    await vi.runAllTimersAsync();
    const error = await pending;
    expect(error).toBeInstanceOf(BrokerError);
    expect(error).toMatchObject({ status: 503, code: "audit_unavailable", requestId: "req-503" });
    expect(broker.calls).toHaveLength(3);
  });

  it.each([
    [400, "invalid_request"],
    [401, "unauthenticated"],
    [403, "forbidden"],
    [404, "vendor_not_configured"],
    [500, "misconfigured"],
  ])("never retries %i", async (status, code) => {
    const broker = fakeBroker(failure(status, code));
    const client = createKeyClient({ baseUrl: "https://b", getIdToken: () => "t", fetch: broker.fetch });
    await expect(client.getKey("soniox")).rejects.toMatchObject({ status, code, message: `${code} happened` });
    expect(broker.calls).toHaveLength(1);
  });

  it("does not cache a failure", async () => {
    const broker = fakeBroker(failure(400, "invalid_request"), minted());
    const client = createKeyClient({ baseUrl: "https://b", getIdToken: () => "t", fetch: broker.fetch });
    await expect(client.getKey("soniox")).rejects.toBeInstanceOf(BrokerError);
    await expect(client.getKey("soniox")).resolves.toMatchObject({ key: expect.any(String) });
  });

  it("retries network failures, then reports network_error", async () => {
    const fetch = vi.fn(async () => {
      throw new TypeError("Failed to fetch");
    }) as unknown as typeof globalThis.fetch;
    const client = createKeyClient({ baseUrl: "https://b", getIdToken: () => "t", fetch });
    const pending = client.getKey("soniox").catch((error: unknown) => error);
    await vi.runAllTimersAsync();
    expect(await pending).toMatchObject({ status: 0, code: "network_error" });
    expect(fetch).toHaveBeenCalledTimes(3);
  });

  it("reports a non-broker error body with its status", async () => {
    const broker = fakeBroker(() => new Response("<html>bad gateway</html>", { status: 400 }));
    const client = createKeyClient({ baseUrl: "https://b", getIdToken: () => "t", fetch: broker.fetch });
    await expect(client.getKey("soniox")).rejects.toMatchObject({ status: 400, code: "unexpected_response" });
  });
});
