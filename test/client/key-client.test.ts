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

/** The clients' clock (their `now` option), in epoch ms; it never needs to agree with the real one. */
let clock = 0;
const now = () => clock;

/**
 * The `client_ref` a broker with `CLIENT_REF_CLAIM=claim` derives from the call's
 * token, as the real one does; an opaque token stands for itself.
 */
function clientRefOf(call: Call, claim: string): string {
  const token = call.authorization?.replace(/^Bearer /, "") ?? "";
  const payload = token.split(".")[1];
  if (payload === undefined) return token;
  const value = (JSON.parse(Buffer.from(payload, "base64url").toString()) as Record<string, unknown>)[claim];
  if (typeof value !== "string") throw new Error(`the token has no string claim ${claim}`);
  return value;
}

let keyCounter = 0;
function minted(ttlSeconds = 300, extra: Record<string, unknown> = {}, { clientRefClaim = "sub" } = {}) {
  return (call: Call): Response => {
    const key: MintedKey = {
      vendor: call.url.split("/").pop() as VendorId,
      key: `key-${++keyCounter}`,
      expires_at: new Date(clock + ttlSeconds * 1000).toISOString(),
      ttl_seconds: ttlSeconds,
      client_ref: clientRefOf(call, clientRefClaim),
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

const YEAR_MS = 365 * 24 * 3600 * 1000;

beforeEach(() => {
  // Fake timers for the retry backoff; the cache reads only `clock`, set far from the real date on purpose.
  vi.useFakeTimers();
  clock = Date.now() - 7 * YEAR_MS;
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe("createKeyClient", () => {
  it("posts to /v1/keys/{vendor} with the current ID token and the options", async () => {
    const broker = fakeBroker(minted());
    const client = createKeyClient({
      baseUrl: "https://broker.example/",
      now,
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
    const client = createKeyClient({ baseUrl: "https://b", now, getIdToken: () => "t", fetch: broker.fetch });
    const first = await client.getKey("speechmatics");
    clock += 569_000;
    expect(await client.getKey("speechmatics")).toBe(first);
    clock += 1_000;
    expect((await client.getKey("speechmatics")).key).not.toBe(first.key);
    expect(broker.calls).toHaveLength(2);
  });

  it("uses 10% of the TTL as the margin for short keys", async () => {
    const broker = fakeBroker(minted(100));
    const client = createKeyClient({ baseUrl: "https://b", now, getIdToken: () => "t", fetch: broker.fetch });
    await client.getKey("soniox");
    clock += 89_999;
    await client.getKey("soniox");
    expect(broker.calls).toHaveLength(1);
    clock += 1;
    await client.getKey("soniox");
    expect(broker.calls).toHaveLength(2);
  });

  it("keeps separate cache entries per vendor and options, whatever the key order", async () => {
    const broker = fakeBroker(minted());
    const client = createKeyClient({ baseUrl: "https://b", now, getIdToken: () => "t", fetch: broker.fetch });
    await client.getKey("speechmatics", { type: "batch", region: "eu" });
    await client.getKey("speechmatics", { region: "eu", type: "batch" });
    await client.getKey("speechmatics", { type: "rt" });
    await client.getKey("soniox", { usage_type: "tts_rt" });
    expect(broker.calls).toHaveLength(3);
  });

  it("never caches or shares a single-use key", async () => {
    const broker = fakeBroker(minted(300, { single_use: true }));
    const client = createKeyClient({ baseUrl: "https://b", now, getIdToken: () => "t", fetch: broker.fetch });
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
    const client = createKeyClient({ baseUrl: "https://b", now, getIdToken: () => "t", fetch: broker.fetch });
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
    const client = createKeyClient({ baseUrl: "https://b", now, getIdToken: () => "t", fetch: broker.fetch });
    const keys = await Promise.all([client.getKey("soniox"), client.getKey("soniox"), client.getKey("soniox")]);
    expect(new Set(keys.map((k) => k.key)).size).toBe(1);
    expect(broker.calls).toHaveLength(1);
  });

  it("calls getIdToken for every getKey, so a refreshed token is used", async () => {
    const broker = fakeBroker(minted(60));
    let token = "old-token";
    const client = createKeyClient({ baseUrl: "https://b", now, getIdToken: async () => token, fetch: broker.fetch });
    await client.getKey("soniox");
    token = "refreshed-token";
    client.invalidate("soniox");
    await client.getKey("soniox");
    expect(broker.calls.map((c) => c.authorization)).toEqual(["Bearer old-token", "Bearer refreshed-token"]);
  });

  it("invalidate() forgets one vendor's keys or all of them", async () => {
    const broker = fakeBroker(minted());
    const client = createKeyClient({ baseUrl: "https://b", now, getIdToken: () => "t", fetch: broker.fetch });
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
      const client = createKeyClient({ baseUrl: "https://b", now, getIdToken: () => token, fetch: broker.fetch });
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
      const client = createKeyClient({ baseUrl: "https://b", now, getIdToken: () => token, fetch: broker.fetch });
      await client.getKey("speechmatics");
      token = jwt({ iss: "https://other-id.example", sub: "alice" });
      await client.getKey("speechmatics");
      expect(broker.calls).toHaveLength(2);
    });

    it("uses a token that is not a JWT as the identity itself", async () => {
      const broker = fakeBroker(minted());
      let token = "opaque-session-1";
      const client = createKeyClient({ baseUrl: "https://b", now, getIdToken: () => token, fetch: broker.fetch });
      const first = await client.getKey("speechmatics");
      expect(await client.getKey("speechmatics")).toBe(first);
      token = "opaque-session-2";
      expect((await client.getKey("speechmatics")).key).not.toBe(first.key);
      expect(broker.calls.map((c) => c.authorization)).toEqual(["Bearer opaque-session-1", "Bearer opaque-session-2"]);
    });

    it("does not let one user join another user's request in flight", async () => {
      const broker = fakeBroker(minted());
      const getIdToken = vi.fn<() => string>().mockReturnValueOnce(alice).mockReturnValueOnce(bob);
      const client = createKeyClient({ baseUrl: "https://b", now, getIdToken, fetch: broker.fetch });
      const [alicesKey, bobsKey] = await Promise.all([client.getKey("soniox"), client.getKey("soniox")]);
      expect(bobsKey.key).not.toBe(alicesKey.key);
      expect(broker.calls.map((c) => c.authorization)).toEqual([`Bearer ${alice}`, `Bearer ${bob}`]);
    });

    it("reads the ID token once per getKey and sends it on every attempt", async () => {
      const broker = fakeBroker(failure(503, "auth_unavailable"), failure(504, "upstream_timeout"), minted());
      let issued = 0;
      const getIdToken = vi.fn(() => `token-${++issued}`);
      const client = createKeyClient({ baseUrl: "https://b", now, getIdToken, fetch: broker.fetch });
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
        now,
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
      const client = createKeyClient({ baseUrl: "https://b", now, getIdToken: () => alice, fetch: broker.fetch });
      const pending = client.getKey("soniox").catch((error: unknown) => error);
      await vi.runAllTimersAsync();
      const error = (await pending) as BrokerError;
      expect(error).toMatchObject({ code });
      expect(`${error.message}\n${error.stack}`).not.toContain(alice.split(".")[1]);
    });
  });

  describe("scoped to the client_ref the broker answered", () => {
    const iss = "https://id.example";
    /** A broker with CLIENT_REF_CLAIM=org_id: one client_ref per organisation, whoever the user. */
    const orgBroker = () => fakeBroker(minted(300, {}, { clientRefClaim: "org_id" }));
    const aliceIn = (org: string, iat = 1_700_000_000) => jwt({ iss, sub: "alice", org_id: org, iat, exp: iat + 3600 });

    it("never hands a key minted for org A to the same user's org B token, and keeps org A's across a refresh", async () => {
      const broker = orgBroker();
      let token = aliceIn("org-a");
      const client = createKeyClient({ baseUrl: "https://b", now, getIdToken: () => token, fetch: broker.fetch });
      const orgAKey = await client.getKey("speechmatics");
      expect(orgAKey.client_ref).toBe("org-a");

      token = aliceIn("org-b"); // same iss and sub, another organisation
      const orgBKey = await client.getKey("speechmatics");
      expect(orgBKey).toMatchObject({ client_ref: "org-b" });
      expect(broker.calls).toHaveLength(2);

      token = aliceIn("org-a", 1_700_003_000); // refreshed: new iat and exp
      expect(await client.getKey("speechmatics")).toBe(orgAKey);
      token = aliceIn("org-b", 1_700_003_000);
      expect(await client.getKey("speechmatics")).toBe(orgBKey);
      expect(broker.calls).toHaveLength(2);
    });

    it("does not let an org B token join an org A request in flight", async () => {
      const broker = orgBroker();
      const getIdToken = vi
        .fn<() => string>()
        .mockReturnValueOnce(aliceIn("org-a"))
        .mockReturnValueOnce(aliceIn("org-b"));
      const client = createKeyClient({ baseUrl: "https://b", now, getIdToken, fetch: broker.fetch });
      const [orgAKey, orgBKey] = await Promise.all([client.getKey("soniox"), client.getKey("soniox")]);
      expect([orgAKey.client_ref, orgBKey.client_ref]).toEqual(["org-a", "org-b"]);
      expect(broker.calls).toHaveLength(2);
    });

    it("never shares a key between two users of one client_ref, whose claims the broker checks one by one", async () => {
      const broker = orgBroker();
      const bob = jwt({ iss, sub: "bob", org_id: "org-a" });
      let token = aliceIn("org-a");
      const client = createKeyClient({ baseUrl: "https://b", now, getIdToken: () => token, fetch: broker.fetch });
      const alicesKey = await client.getKey("speechmatics");
      token = bob;
      const bobsKey = await client.getKey("speechmatics");
      expect(bobsKey).toMatchObject({ client_ref: "org-a" });
      expect(bobsKey.key).not.toBe(alicesKey.key);
      token = aliceIn("org-a");
      expect(await client.getKey("speechmatics")).toBe(alicesKey);
      token = bob;
      expect(await client.getKey("speechmatics")).toBe(bobsKey);
      expect(broker.calls).toHaveLength(2);
    });

    it("stops handing out keys filed under a client_ref the broker no longer answers for the token", async () => {
      let clientRef = "alice"; // then the operator sets CLIENT_REF_SECRET: pseudonyms from now on
      const broker = fakeBroker((call) => minted(300, { client_ref: clientRef })(call));
      const client = createKeyClient({ baseUrl: "https://b", now, getIdToken: () => "t", fetch: broker.fetch });
      const before = await client.getKey("soniox");
      clientRef = "u_pseudonym";
      await client.getKey("speechmatics");
      const after = await client.getKey("soniox");
      expect(after).toMatchObject({ client_ref: "u_pseudonym" });
      expect(after.key).not.toBe(before.key);
      expect(broker.calls).toHaveLength(3);
    });

    it("never caches a key whose answer has no string client_ref", async () => {
      const broker = fakeBroker(minted(300, { client_ref: null }));
      let token = "opaque-1";
      const client = createKeyClient({ baseUrl: "https://b", now, getIdToken: () => token, fetch: broker.fetch });
      await client.getKey("speechmatics");
      token = "opaque-2";
      await client.getKey("speechmatics");
      await client.getKey("speechmatics");
      expect(broker.calls).toHaveLength(3);
    });
  });

  describe("fails fast on bad input, without a request", () => {
    it.each([
      ["undefined", undefined],
      ["null", null],
      ["an empty string", ""],
    ])("getIdToken returning %s is not_signed_in", async (what, token) => {
      const broker = fakeBroker(minted());
      for (const getIdToken of [() => token, async () => token]) {
        const client = createKeyClient({ baseUrl: "https://b", now, getIdToken, fetch: broker.fetch });
        const error = await client.getKey("soniox").catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(BrokerError);
        expect(error).toMatchObject({ status: 0, code: "not_signed_in", requestId: null });
        expect((error as BrokerError).message).toContain(`getIdToken returned ${what}`);
      }
      expect(broker.calls).toHaveLength(0);
    });

    it.each([
      "keys.example.com",
      "//keys.example.com",
      "/v1",
      "",
      "ftp://keys.example.com",
      "wss://keys.example.com",
      "https://",
      "https://user:secret@keys.example.com",
      "https://keys.example.com?tenant=1",
      "https://keys.example.com/#top",
    ])("createKeyClient refuses the baseUrl %j", (baseUrl) => {
      const broker = fakeBroker(minted());
      expect(() => createKeyClient({ baseUrl, getIdToken: () => "t", fetch: broker.fetch })).toThrow(
        /baseUrl must be the broker's http:\/\/ or https:\/\/ URL/,
      );
      expect(broker.calls).toHaveLength(0);
    });

    it.each([
      "https://keys.example.com",
      "http://127.0.0.1:8787/",
      "HTTPS://Keys.Example.com",
      "https://example.com/broker/",
    ])("createKeyClient accepts the baseUrl %j", async (baseUrl) => {
      const broker = fakeBroker(minted());
      const client = createKeyClient({ baseUrl, now, getIdToken: () => "t", fetch: broker.fetch });
      await client.getKey("soniox");
      expect(broker.calls[0]?.url).toBe(`${baseUrl.replace(/\/+$/, "")}/v1/keys/soniox`);
    });
  });

  describe("its clock", () => {
    it.each([
      ["years ahead of", 10 * YEAR_MS],
      ["years behind", -10 * YEAR_MS],
    ])("is the now option alone, even %s the real one", async (_, offset) => {
      clock = Date.now() + offset;
      const broker = fakeBroker(minted(300));
      const client = createKeyClient({ baseUrl: "https://b", now, getIdToken: () => "t", fetch: broker.fetch });
      const first = await client.getKey("speechmatics");
      clock += 269_999;
      expect(await client.getKey("speechmatics")).toBe(first);
      clock += 1;
      expect((await client.getKey("speechmatics")).key).not.toBe(first.key);
      expect(broker.calls).toHaveLength(2);
    });

    it("defaults to the real clock", async () => {
      const broker = fakeBroker(minted(300));
      clock = Date.now(); // the fake broker's expiry; the client itself is given no clock
      const client = createKeyClient({ baseUrl: "https://b", getIdToken: () => "t", fetch: broker.fetch });
      const first = await client.getKey("speechmatics");
      vi.setSystemTime(clock + 269_999);
      expect(await client.getKey("speechmatics")).toBe(first);
      vi.setSystemTime(clock + 270_000);
      expect((await client.getKey("speechmatics")).key).not.toBe(first.key);
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
      const client = createKeyClient({ baseUrl: "https://b", now, getIdToken: () => "t", fetch: broker.fetch });
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
      const client = createKeyClient({ baseUrl: "https://b", now, getIdToken: () => "t", fetch: broker.fetch });
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
    const client = createKeyClient({ baseUrl: "https://b", now, getIdToken: () => "t", fetch: broker.fetch });
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
    [502, "vendor_credential_refused"], // the same: the vendor issued one the broker refused
    [500, "internal_error"],
  ])("never retries %i %s", async (status, code) => {
    const broker = fakeBroker(failure(status, code), minted());
    const client = createKeyClient({ baseUrl: "https://b", now, getIdToken: () => "t", fetch: broker.fetch });
    const pending = client.getKey("soniox").catch((error: unknown) => error);
    await vi.runAllTimersAsync();
    expect(await pending).toMatchObject({ status, code, message: `${code} happened` });
    expect(broker.calls).toHaveLength(1);
  });

  it("honours Retry-After before retrying", async () => {
    const broker = fakeBroker(failure(429, "upstream_rate_limited", { "retry-after": "7" }), minted());
    const client = createKeyClient({ baseUrl: "https://b", now, getIdToken: () => "t", fetch: broker.fetch });
    const pending = client.getKey("soniox");
    await vi.advanceTimersByTimeAsync(6_999);
    expect(broker.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(broker.calls).toHaveLength(2);
    await expect(pending).resolves.toMatchObject({ vendor: "soniox" });
  });

  it("gives up after 3 attempts with a typed BrokerError", async () => {
    const broker = fakeBroker(failure(503, "auth_unavailable"));
    const client = createKeyClient({ baseUrl: "https://b", now, getIdToken: () => "t", fetch: broker.fetch });
    const pending = client.getKey("soniox").catch((error: unknown) => error);
    await vi.runAllTimersAsync();
    const error = await pending;
    expect(error).toBeInstanceOf(BrokerError);
    expect(error).toMatchObject({ status: 503, code: "auth_unavailable", requestId: "req-503" });
    expect(broker.calls).toHaveLength(3);
  });

  it("does not cache a failure", async () => {
    const broker = fakeBroker(failure(400, "invalid_request"), minted());
    const client = createKeyClient({ baseUrl: "https://b", now, getIdToken: () => "t", fetch: broker.fetch });
    await expect(client.getKey("soniox")).rejects.toBeInstanceOf(BrokerError);
    await expect(client.getKey("soniox")).resolves.toMatchObject({ key: expect.any(String) });
  });

  it("retries network failures, then reports network_error", async () => {
    const fetch = vi.fn(async () => {
      throw new TypeError("Failed to fetch");
    }) as unknown as typeof globalThis.fetch;
    const client = createKeyClient({ baseUrl: "https://b", now, getIdToken: () => "t", fetch });
    const pending = client.getKey("soniox").catch((error: unknown) => error);
    await vi.runAllTimersAsync();
    expect(await pending).toMatchObject({ status: 0, code: "network_error" });
    expect(fetch).toHaveBeenCalledTimes(3);
  });

  it("says in its network_error that a refused origin looks the same, and names ALLOWED_ORIGINS", async () => {
    const fetch = vi.fn(async () => {
      throw new TypeError("Failed to fetch");
    }) as unknown as typeof globalThis.fetch;
    const messages: string[] = [];
    for (const page of [undefined, { origin: "http://localhost:5173" }]) {
      vi.stubGlobal("location", page);
      const client = createKeyClient({ baseUrl: "https://b", now, getIdToken: () => "t", fetch });
      const pending = client.getKey("soniox").catch((error: unknown) => error);
      await vi.runAllTimersAsync();
      messages.push(((await pending) as BrokerError).message);
    }
    expect(messages).toEqual([
      "broker unreachable: Failed to fetch. In a browser, a refused origin (CORS) looks the same: check that the page's origin is in the broker's ALLOWED_ORIGINS",
      "broker unreachable: Failed to fetch. In a browser, a refused origin (CORS) looks the same: check that this page's origin (http://localhost:5173) is in the broker's ALLOWED_ORIGINS",
    ]);
  });

  it("reports a non-broker error body with its status", async () => {
    const broker = fakeBroker(() => new Response("<html>bad gateway</html>", { status: 400 }));
    const client = createKeyClient({ baseUrl: "https://b", now, getIdToken: () => "t", fetch: broker.fetch });
    await expect(client.getKey("soniox")).rejects.toMatchObject({ status: 400, code: "unexpected_response" });
  });
});
