import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { BrokerError, createKeyClient, type MintedKey, type VendorId } from "../../src/client/index";
import { jwt } from "./jwt";

interface Call {
  url: string;
  authorization: string | null;
  body: unknown;
}

/** A fake broker: answers each call with the next scripted response and records what it was sent. */
function fakeBroker(...script: Array<(call: Call) => Response | Promise<Response>>) {
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
      vendor: call.url.split("/").pop() as VendorId,
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

/** A promise settled from outside, to hold a response back while the test acts. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

function networkFailure(): Response {
  throw new TypeError("Failed to fetch");
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
    await client.getKey("soniox", { usage_type: "tts_rt" });
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

  it("never caches or shares a key the broker marks single-use though the caller did not ask", async () => {
    // AssemblyAI and ElevenLabs tokens work once whatever the request says; the broker answers single_use: true.
    const broker = fakeBroker(minted(60, { single_use: true }));
    const client = createKeyClient({ baseUrl: "https://b", getIdToken: () => "t", fetch: broker.fetch });
    const [a, b, c] = await Promise.all([
      client.getKey("assemblyai"),
      client.getKey("assemblyai"),
      client.getKey("assemblyai"),
    ]);
    const d = await client.getKey("assemblyai");
    expect(new Set([a.key, b.key, c.key, d.key]).size).toBe(4);
    expect(broker.calls).toHaveLength(4);
  });

  it("shares one in-flight request among concurrent callers with the same arguments", async () => {
    const broker = fakeBroker(minted());
    const client = createKeyClient({ baseUrl: "https://b", getIdToken: () => "t", fetch: broker.fetch });
    const keys = await Promise.all([client.getKey("soniox"), client.getKey("soniox"), client.getKey("soniox")]);
    expect(new Set(keys.map((k) => k.key)).size).toBe(1);
    expect(broker.calls).toHaveLength(1);
  });

  it("calls getIdToken for every getKey, so a refreshed token is used", async () => {
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

  describe("scoped to the signed-in user", () => {
    const issuer = "https://id.example";
    const alice = jwt({ iss: issuer, sub: "alice", iat: 1_700_000_000, exp: 1_700_003_600 });
    const aliceRefreshed = jwt({ iss: issuer, sub: "alice", iat: 1_700_003_000, exp: 1_700_006_600 });
    const bob = jwt({ iss: issuer, sub: "bob", iat: 1_700_000_000, exp: 1_700_003_600 });

    it("never hands one user's cached key to the next, and keeps it across a token refresh", async () => {
      const broker = fakeBroker(minted());
      let token = alice;
      const client = createKeyClient({ baseUrl: "https://b", getIdToken: () => token, fetch: broker.fetch });
      const alicesKey = await client.getKey("speechmatics");

      token = bob; // alice signed out, bob signed in on the same page
      const bobsKey = await client.getKey("speechmatics");
      expect(bobsKey.key).not.toBe(alicesKey.key);
      expect(broker.calls.map((c) => c.authorization)).toEqual([`Bearer ${alice}`, `Bearer ${bob}`]);

      token = aliceRefreshed; // same iss and sub, new iat and exp
      expect(await client.getKey("speechmatics")).toBe(alicesKey);
      expect(broker.calls).toHaveLength(2);
    });

    it("tells users apart by issuer as well as subject", async () => {
      const broker = fakeBroker(minted());
      let token = alice;
      const client = createKeyClient({ baseUrl: "https://b", getIdToken: () => token, fetch: broker.fetch });
      await client.getKey("speechmatics");
      token = jwt({ iss: "https://other-id.example", sub: "alice" });
      await client.getKey("speechmatics");
      expect(broker.calls).toHaveLength(2);
    });

    it("uses a token that is not a JWT as the identity itself", async () => {
      const broker = fakeBroker(minted());
      let token = "opaque-session-1";
      const client = createKeyClient({ baseUrl: "https://b", getIdToken: () => token, fetch: broker.fetch });
      const first = await client.getKey("speechmatics");
      expect(await client.getKey("speechmatics")).toBe(first);
      token = "opaque-session-2";
      expect((await client.getKey("speechmatics")).key).not.toBe(first.key);
      expect(broker.calls.map((c) => c.authorization)).toEqual(["Bearer opaque-session-1", "Bearer opaque-session-2"]);
    });

    it("does not let one user join another user's request in flight", async () => {
      const broker = fakeBroker(minted());
      const getIdToken = vi.fn<() => string>().mockReturnValueOnce(alice).mockReturnValueOnce(bob);
      const client = createKeyClient({ baseUrl: "https://b", getIdToken, fetch: broker.fetch });
      const [alicesKey, bobsKey] = await Promise.all([client.getKey("soniox"), client.getKey("soniox")]);
      expect(bobsKey.key).not.toBe(alicesKey.key);
      expect(broker.calls.map((c) => c.authorization)).toEqual([`Bearer ${alice}`, `Bearer ${bob}`]);
    });

    it("reads the ID token once per getKey and sends it on every attempt", async () => {
      const broker = fakeBroker(failure(503, "auth_unavailable"), failure(504, "upstream_timeout"), minted());
      let issued = 0;
      const getIdToken = vi.fn(() => `token-${++issued}`);
      const client = createKeyClient({ baseUrl: "https://b", getIdToken, fetch: broker.fetch });
      const pending = client.getKey("soniox");
      await vi.runAllTimersAsync();
      await pending;
      expect(getIdToken).toHaveBeenCalledTimes(1);
      expect(broker.calls.map((c) => c.authorization)).toEqual(Array(3).fill("Bearer token-1"));
    });

    it("passes a getIdToken failure through without calling the broker", async () => {
      const broker = fakeBroker(minted());
      const signedOut = new Error("no user is signed in");
      const client = createKeyClient({
        baseUrl: "https://b",
        getIdToken: () => Promise.reject(signedOut),
        fetch: broker.fetch,
      });
      await expect(client.getKey("soniox")).rejects.toBe(signedOut);
      expect(broker.calls).toHaveLength(0);
    });

    it.each([
      ["network_error", networkFailure],
      ["unexpected_response", () => new Response("<html>bad gateway</html>", { status: 400 })],
    ])("never puts the token into its own %s message", async (code, answer) => {
      const broker = fakeBroker(answer);
      const client = createKeyClient({ baseUrl: "https://b", getIdToken: () => alice, fetch: broker.fetch });
      const pending = client.getKey("soniox").catch((error: unknown) => error);
      await vi.runAllTimersAsync();
      const error = (await pending) as BrokerError;
      expect(error).toMatchObject({ code });
      expect(`${error.message}\n${error.stack}`).not.toContain(alice.split(".")[1]);
    });
  });

  describe("invalidate() while a request is in flight", () => {
    /** Mints once `held` opens. */
    function heldMint(held: ReturnType<typeof gate>) {
      return async (call: Call) => {
        await held.opened;
        return minted()(call);
      };
    }

    it("keeps that request's key out of the cache", async () => {
      const held = gate();
      const broker = fakeBroker(heldMint(held), minted());
      const client = createKeyClient({ baseUrl: "https://b", getIdToken: () => "t", fetch: broker.fetch });
      const first = client.getKey("speechmatics");
      await vi.waitFor(() => expect(broker.calls).toHaveLength(1));
      client.invalidate();
      held.open();
      const stale = await first; // the caller who asked still gets it
      expect((await client.getKey("speechmatics")).key).not.toBe(stale.key);
      expect(broker.calls).toHaveLength(2);
    });

    it("starts a new request for later callers, which then share it", async () => {
      const [firstHeld, secondHeld] = [gate(), gate()];
      const broker = fakeBroker(heldMint(firstHeld), heldMint(secondHeld), minted());
      const client = createKeyClient({ baseUrl: "https://b", getIdToken: () => "t", fetch: broker.fetch });
      const first = client.getKey("speechmatics");
      await vi.waitFor(() => expect(broker.calls).toHaveLength(1));
      client.invalidate("speechmatics");
      const second = client.getKey("speechmatics");
      await vi.waitFor(() => expect(broker.calls).toHaveLength(2));

      firstHeld.open();
      const stale = await first;
      const third = client.getKey("speechmatics"); // the second request is still in flight
      secondHeld.open();
      const [secondKey, thirdKey] = await Promise.all([second, third]);
      expect(secondKey.key).not.toBe(stale.key);
      expect(thirdKey).toBe(secondKey);
      expect(await client.getKey("speechmatics")).toBe(secondKey);
      expect(broker.calls).toHaveLength(2);
    });
  });

  it.each([
    ["429 rate_limited", failure(429, "rate_limited")],
    ["429 upstream_rate_limited", failure(429, "upstream_rate_limited")],
    ["503 auth_unavailable", failure(503, "auth_unavailable")],
    ["504 upstream_timeout", failure(504, "upstream_timeout")],
    ["502 upstream_error", failure(502, "upstream_error")],
    ["a network failure", networkFailure],
  ])("retries %s and succeeds", async (_, firstAnswer) => {
    const broker = fakeBroker(firstAnswer, minted());
    const client = createKeyClient({ baseUrl: "https://b", getIdToken: () => "t", fetch: broker.fetch });
    const pending = client.getKey("soniox");
    await vi.runAllTimersAsync();
    expect((await pending).key).toMatch(/^key-/);
    expect(broker.calls).toHaveLength(2);
  });

  it.each([
    [400, "invalid_request"],
    [401, "unauthenticated"],
    [403, "forbidden"],
    [404, "vendor_not_configured"],
    [502, "upstream_rejected"],
    [502, "upstream_auth_failed"],
    [500, "misconfigured"],
    [503, "audit_unavailable"], // the vendor already issued a credential; a retry would issue another
    [500, "internal_error"],
  ])("never retries %i %s", async (status, code) => {
    const broker = fakeBroker(failure(status, code), minted());
    const client = createKeyClient({ baseUrl: "https://b", getIdToken: () => "t", fetch: broker.fetch });
    const pending = client.getKey("soniox").catch((error: unknown) => error);
    await vi.runAllTimersAsync();
    expect(await pending).toMatchObject({ status, code, message: `${code} happened` });
    expect(broker.calls).toHaveLength(1);
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
    const broker = fakeBroker(failure(503, "auth_unavailable"));
    const client = createKeyClient({ baseUrl: "https://b", getIdToken: () => "t", fetch: broker.fetch });
    const pending = client.getKey("soniox").catch((error: unknown) => error);
    await vi.runAllTimersAsync();
    const error = await pending;
    expect(error).toBeInstanceOf(BrokerError);
    expect(error).toMatchObject({ status: 503, code: "auth_unavailable", requestId: "req-503" });
    expect(broker.calls).toHaveLength(3);
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
