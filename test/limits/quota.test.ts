import { describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import { call, expectError, uniqueUser } from "../helpers/broker";
import { faultUrl, taggedBaseUrl } from "../helpers/emulator";
import { mint } from "../helpers/mint";
import { bearer } from "../helpers/tokens";

/** A clock the test sets, with tokens valid on it. */
function clockAt(iso: string) {
  let ms = Date.parse(iso);
  return {
    now: () => new Date(ms),
    advance: (seconds: number) => {
      ms += seconds * 1000;
    },
    token: () => {
      const seconds = Math.floor(ms / 1000);
      return { claims: { iat: seconds, exp: seconds + 600 } };
    },
  };
}

/** Speechmatics, whose expiry the broker computes, so a test clock far from the vendor's is fine. */
async function mintOn(clock: ReturnType<typeof clockAt>, user: string, env: Partial<Env> = {}) {
  return mint("speechmatics", user, { env, now: clock.now, token: clock.token() });
}

describe("DAILY_MINT_QUOTA", () => {
  it("hands out exactly the quota under concurrent mints, and no more vendor keys", async () => {
    const clock = clockAt("2026-11-23T23:59:00.000Z");
    const user = uniqueUser();
    const { baseUrl, received } = taggedBaseUrl();
    const env = { DAILY_MINT_QUOTA: "3", SPEECHMATICS_BASE_URL: baseUrl };
    const responses = await Promise.all(Array.from({ length: 12 }, () => mintOn(clock, user, env)));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(3);
    expect(statuses.filter((s) => s === 429)).toHaveLength(9);
    const refused = responses.find((r) => r.status === 429) as Response;
    // Seconds until the next UTC midnight.
    expect(refused.headers.get("retry-after")).toBe("60");
    const error = await expectError(refused, 429, "quota_exceeded");
    expect(error.message).toContain("daily quota of 3 keys");
    expect(await received()).toHaveLength(3);
  });

  it("counts only issued keys: a failed vendor call releases its slot", async () => {
    const clock = clockAt("2026-11-23T12:00:00.000Z");
    const user = uniqueUser();
    const env = { DAILY_MINT_QUOTA: "1" };
    await expectError(
      await mintOn(clock, user, { ...env, SPEECHMATICS_BASE_URL: faultUrl("server-error") }),
      502,
      "upstream_error",
    );
    expect((await mintOn(clock, user, env)).status).toBe(201);
    await expectError(await mintOn(clock, user, env), 429, "quota_exceeded");
  });

  it("never touches the quota for a request refused before the vendor call", async () => {
    const clock = clockAt("2026-11-23T12:00:00.000Z");
    const user = uniqueUser();
    const env = { DAILY_MINT_QUOTA: "1" };
    const invalid = await mint("speechmatics", user, {
      env,
      now: clock.now,
      token: clock.token(),
      body: { ttl_seconds: 5 },
    });
    await expectError(invalid, 400, "invalid_request");
    expect((await mintOn(clock, user, env)).status).toBe(201);
  });

  it("never touches the quota for a refusal by the vendor's own pre-checks (AmiVoice's IP rule)", async () => {
    const clock = clockAt("2026-11-23T12:00:00.000Z");
    const user = uniqueUser();
    const env = { DAILY_MINT_QUOTA: "1", AMIVOICE_REQUIRE_IP_BINDING: "true" };
    const at = (ip: string) =>
      mint("amivoice", user, { env, now: clock.now, token: clock.token(), headers: { "CF-Connecting-IP": ip } });
    await expectError(await at("2001:db8::1"), 403, "forbidden");
    expect((await at("203.0.113.7")).status).toBe(201);
  });

  it("never touches the quota for a configuration problem", async () => {
    const clock = clockAt("2026-11-23T12:00:00.000Z");
    const user = uniqueUser();
    const env = { DAILY_MINT_QUOTA: "1" };
    await expectError(await mintOn(clock, user, { ...env, AUDIT_RETENTION_DAYS: "lots" }), 500, "misconfigured");
    await expectError(await mintOn(clock, user, { ...env, UPSTREAM_TIMEOUT_MS: "soon" }), 500, "misconfigured");
    expect((await mintOn(clock, user, env)).status).toBe(201);
  });

  it("starts again on the next UTC day", async () => {
    const clock = clockAt("2026-11-23T23:59:30.000Z");
    const user = uniqueUser();
    const env = { DAILY_MINT_QUOTA: "1" };
    expect((await mintOn(clock, user, env)).status).toBe(201);
    const refused = await mintOn(clock, user, env);
    expect(refused.headers.get("retry-after")).toBe("30");
    await expectError(refused, 429, "quota_exceeded");
    clock.advance(31);
    expect((await mintOn(clock, user, env)).status).toBe(201);
  });

  it("is per user", async () => {
    const clock = clockAt("2026-11-23T12:00:00.000Z");
    const env = { DAILY_MINT_QUOTA: "1" };
    expect((await mintOn(clock, uniqueUser(), env)).status).toBe(201);
    expect((await mintOn(clock, uniqueUser(), env)).status).toBe(201);
  });

  it("is off with 0", async () => {
    const clock = clockAt("2026-11-23T12:00:00.000Z");
    const user = uniqueUser();
    for (let i = 0; i < 3; i++) expect((await mintOn(clock, user, { DAILY_MINT_QUOTA: "0" })).status).toBe(201);
  });

  it.each(["-1", "1.5", "lots"])(
    "refuses DAILY_MINT_QUOTA=%s as misconfigured, before any vendor call",
    async (value) => {
      const { baseUrl, received } = taggedBaseUrl();
      const error = await expectError(
        await mint("speechmatics", uniqueUser(), { env: { DAILY_MINT_QUOTA: value, SPEECHMATICS_BASE_URL: baseUrl } }),
        500,
        "misconfigured",
      );
      expect(error.message).toContain("DAILY_MINT_QUOTA");
      expect(await received()).toHaveLength(0);
    },
  );
});

describe("a vendor's daily_quota in POLICY", () => {
  it("caps that vendor alone, and /v1/me/usage reports it", async () => {
    const clock = clockAt("2026-11-23T12:00:00.000Z");
    const user = uniqueUser();
    const env = { POLICY: JSON.stringify({ speechmatics: { daily_quota: 1 } }) };
    expect((await mintOn(clock, user, env)).status).toBe(201);
    const refused = await mintOn(clock, user, env);
    expect(refused.headers.get("retry-after")).toBe(String(12 * 3600));
    const error = await expectError(refused, 429, "quota_exceeded");
    expect(error.message).toContain("daily quota of 1 speechmatics keys");
    const amivoice = await mint("amivoice", user, { env, now: clock.now, token: clock.token() });
    expect(amivoice.status).toBe(201);

    const usage = await call("/v1/me/usage", { headers: await bearer(user, clock.token()), env, now: clock.now });
    expect(await usage.json()).toMatchObject({
      mints: 2,
      vendors: { speechmatics: { mints: 1, quota: 1 }, amivoice: { mints: 1, quota: null } },
    });
  });
});

describe("the per-user store", () => {
  it("fails closed with 503 quota_unavailable and no vendor call when it cannot be reached", async () => {
    const unreachable = {
      idFromName: () => ({}),
      get: () => ({
        reserve: () => Promise.reject(new Error("simulated Durable Object outage")),
      }),
    };
    const { baseUrl, received } = taggedBaseUrl();
    await expectError(
      await mint("speechmatics", uniqueUser(), {
        env: { USER_STATE: unreachable as unknown as Env["USER_STATE"], SPEECHMATICS_BASE_URL: baseUrl },
      }),
      503,
      "quota_unavailable",
    );
    expect(await received()).toHaveLength(0);
  });

  it("answers 500 misconfigured naming USER_STATE when the binding is missing", async () => {
    const { baseUrl, received } = taggedBaseUrl();
    const error = await expectError(
      await mint("speechmatics", uniqueUser(), { env: { USER_STATE: undefined, SPEECHMATICS_BASE_URL: baseUrl } }),
      500,
      "misconfigured",
    );
    expect(error.message).toContain("USER_STATE");
    expect(await received()).toHaveLength(0);
  });
});

describe("the burst limit", () => {
  it("is checked only after the vendor's own pre-checks (AmiVoice's IP rule)", async () => {
    let counted = 0;
    const countingLimiter = {
      limit: async () => {
        counted += 1;
        return { success: true };
      },
    };
    const env = { AMIVOICE_REQUIRE_IP_BINDING: "true", MINT_RATE_LIMITER: countingLimiter as unknown as RateLimit };
    const ipv6 = { "CF-Connecting-IP": "2001:db8::1" };
    await expectError(await mint("amivoice", uniqueUser(), { env, headers: ipv6 }), 403, "forbidden");
    expect(counted).toBe(0);
    expect((await mint("amivoice", uniqueUser(), { env, headers: { "CF-Connecting-IP": "203.0.113.7" } })).status).toBe(
      201,
    );
    expect(counted).toBe(1);
  });
});

describe("GET /v1/me/usage", () => {
  it("reports the caller's own mints today against the quota", async () => {
    const clock = clockAt("2026-11-23T12:00:00.000Z");
    const user = uniqueUser();
    const env = { DAILY_MINT_QUOTA: "5" };
    for (let i = 0; i < 2; i++) expect((await mintOn(clock, user, env)).status).toBe(201);
    expect((await mintOn(clock, uniqueUser(), env)).status).toBe(201);
    const response = await call("/v1/me/usage", { headers: await bearer(user, clock.token()), env, now: clock.now });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      client_ref: user,
      day: "2026-11-23",
      mints: 2,
      quota: 5,
      remaining: 3,
      vendors: { speechmatics: { mints: 2, quota: null } },
    });
  });

  it("needs an end-user token", async () => {
    await expectError(await call("/v1/me/usage"), 401, "unauthenticated");
  });
});
