import { describe, expect, it } from "vitest";
import { call, expectError, kvWithFailingWrites, uniqueUser } from "../helpers/broker";
import { faultUrl } from "../helpers/emulator";
import { bearer } from "../helpers/tokens";
import { admin, HOUR_MS, mintAt, outcomesIn, ownHour, stats } from "./helpers";

const refuseAll = { limit: async () => ({ success: false }) } as unknown as RateLimit;

describe("counting mint requests per hour, vendor and outcome", () => {
  it("counts an issued key, each refusal, a vendor failure and a broker error under its own label", async () => {
    const at = ownHour();
    const user = uniqueUser("counted");
    expect((await mintAt(at, "deepgram", user)).status).toBe(201);
    expect((await mintAt(at, "deepgram", user)).status).toBe(201);
    // The quota: a cap of 2 keys a day, already used.
    await expectError(await mintAt(at, "deepgram", user, { env: { DAILY_MINT_QUOTA: "2" } }), 429, "quota_exceeded");
    // The burst limit.
    await expectError(
      await mintAt(at, "deepgram", user, { env: { MINT_RATE_LIMITER: refuseAll } }),
      429,
      "rate_limited",
    );
    // POLICY: a disabled vendor, and a claim gate.
    const disabled = JSON.stringify({ deepgram: { enabled: false } });
    await expectError(await mintAt(at, "deepgram", user, { env: { POLICY: disabled } }), 403, "forbidden");
    const gated = JSON.stringify({ deepgram: { require_claim: { claim: "plan", in: ["gold"] } } });
    await expectError(await mintAt(at, "deepgram", user, { env: { POLICY: gated } }), 403, "forbidden");
    // An invalid body.
    await expectError(await mintAt(at, "deepgram", user, { body: { ttl_seconds: "soon" } }), 400, "invalid_request");
    // Vendor failures, each under its error code.
    const failing = (fault: string) => ({ env: { DEEPGRAM_BASE_URL: faultUrl(fault) } });
    await expectError(await mintAt(at, "deepgram", user, failing("server-error")), 502, "upstream_error");
    await expectError(await mintAt(at, "deepgram", user, failing("rate-limited")), 429, "upstream_rate_limited");
    // The broker's own failure: the audit store is down, so the key is withheld.
    const auditDown = { env: { AUDIT: kvWithFailingWrites() } };
    await expectError(await mintAt(at, "deepgram", user, auditDown), 503, "audit_unavailable");
    // No verified user: not counted at all.
    await expectError(
      await mintAt(at, "deepgram", user, { headers: { Authorization: "Bearer nope" } }),
      401,
      "unauthenticated",
    );

    expect(await outcomesIn(at, "deepgram")).toEqual({
      issued: 2,
      refused_quota: 1,
      refused_burst: 1,
      refused_policy: 2,
      refused_invalid: 1,
      upstream_error: 1,
      upstream_rate_limited: 1,
      error: 1,
    });
  });

  it("counts a denied user as refused_deny, not as a policy refusal", async () => {
    const at = ownHour();
    const user = uniqueUser("denied");
    const denied = await call("/v1/admin/deny", {
      method: "POST",
      headers: admin,
      body: { client_ref: user, reason: "counted refusal" },
      now: () => at,
    });
    expect(denied.status).toBe(200);
    await expectError(await mintAt(at, "speechmatics", user), 403, "forbidden");
    expect(await outcomesIn(at, "speechmatics")).toEqual({ refused_deny: 1 });
  });

  it("counts a path that names no vendor under unknown, and each vendor apart", async () => {
    const at = ownHour();
    const user = uniqueUser();
    await expectError(await mintAt(at, "no-such-vendor", user), 404, "unknown_vendor");
    expect((await mintAt(at, "deepgram", user)).status).toBe(201);
    expect(await outcomesIn(at, "deepgram")).toEqual({ issued: 1 });
    const hour = new Date(Math.floor(at.getTime() / HOUR_MS) * HOUR_MS);
    const all = await stats({ since: hour.toISOString(), until: new Date(hour.getTime() + HOUR_MS).toISOString() });
    expect(all.hours).toEqual([
      { hour: hour.toISOString(), vendor: "deepgram", outcome: "issued", count: 1 },
      { hour: hour.toISOString(), vendor: "unknown", outcome: "refused_invalid", count: 1 },
    ]);
  });
});

describe("GET /v1/admin/stats", () => {
  it("reads 7 days of hours in one request, in hour, vendor and outcome order", async () => {
    const late = ownHour();
    const early = new Date(late.getTime() - 6 * 24 * HOUR_MS);
    const user = uniqueUser();
    expect((await mintAt(early, "gladia", user)).status).toBe(201);
    expect((await mintAt(late, "gladia", user)).status).toBe(201);
    await expectError(await mintAt(late, "gladia", user, { body: { ttl_seconds: -1 } }), 400, "invalid_request");

    const until = new Date(Math.floor(late.getTime() / HOUR_MS) * HOUR_MS + HOUR_MS);
    const since = new Date(until.getTime() - 7 * 24 * HOUR_MS);
    const answer = await stats({ since: since.toISOString(), until: until.toISOString(), vendor: "gladia" });
    const floor = (d: Date) => new Date(Math.floor(d.getTime() / HOUR_MS) * HOUR_MS).toISOString();
    expect(answer).toMatchObject({ since: since.toISOString(), until: until.toISOString() });
    expect(answer.hours).toEqual([
      { hour: floor(early), vendor: "gladia", outcome: "issued", count: 1 },
      { hour: floor(late), vendor: "gladia", outcome: "issued", count: 1 },
      { hour: floor(late), vendor: "gladia", outcome: "refused_invalid", count: 1 },
    ]);
    // Every UTC day the window touches, each with its users of that vendor.
    expect(answer.distinct_users.map((d) => d.day)).toHaveLength(until.getUTCHours() === 0 ? 7 : 8);
    expect(answer.distinct_users.at(-1)).toEqual({ day: floor(late).slice(0, 10), count: 1 });
  });

  it("counts an hour that overlaps the window and leaves out those that do not", async () => {
    const at = ownHour();
    const user = uniqueUser();
    expect((await mintAt(at, "cartesia", user)).status).toBe(201);
    const hour = Math.floor(at.getTime() / HOUR_MS) * HOUR_MS;
    const window = (since: number, until: number) =>
      stats({ since: new Date(since).toISOString(), until: new Date(until).toISOString(), vendor: "cartesia" });
    expect((await window(hour + 60_000, hour + 120_000)).hours).toHaveLength(1);
    expect((await window(hour - HOUR_MS, hour)).hours).toHaveLength(0);
    expect((await window(hour + HOUR_MS, hour + 2 * HOUR_MS)).hours).toHaveLength(0);
  });

  it("defaults to the 24 hours up to now, the current hour included", async () => {
    const now = new Date("2026-05-05T10:20:00.000Z");
    const answer = await stats({}, { now: () => now });
    expect(answer.since).toBe("2026-05-04T11:00:00.000Z");
    expect(answer.until).toBe("2026-05-05T10:20:00.000Z");
    expect(answer.distinct_users.map((d) => d.day)).toEqual(["2026-05-04", "2026-05-05"]);
  });

  it.each([
    [
      "since after until",
      { since: "2026-05-05T00:00:00Z", until: "2026-05-04T00:00:00Z" },
      "since must be before until",
    ],
    ["since equal to until", { since: "2026-05-05T00:00:00Z", until: "2026-05-05T00:00:00Z" }, "since must be before"],
    ["over 7 days", { since: "2026-05-01T00:00:00Z", until: "2026-05-08T00:00:01Z" }, "at most 7 days"],
    ["a bad time", { since: "yesterday" }, "since"],
    ["an unknown vendor", { vendor: "nope" }, "vendor"],
    ["an unknown parameter", { client_ref: "alice" }, "unknown field client_ref"],
  ])("answers 400 invalid_request for %s", async (_, query, message) => {
    const response = await call(`/v1/admin/stats?${new URLSearchParams(query)}`, { headers: admin });
    expect((await expectError(response, 400, "invalid_request")).message).toContain(message);
  });

  it("takes exactly 7 days", async () => {
    const answer = await stats({ since: "2026-05-01T00:00:00Z", until: "2026-05-08T00:00:00Z" });
    expect(answer.distinct_users).toHaveLength(7);
  });

  it("is for the operator only", async () => {
    await expectError(await call("/v1/admin/stats"), 401, "unauthenticated");
    await expectError(
      await call("/v1/admin/users", { headers: { Authorization: "Bearer wrong" } }),
      401,
      "unauthenticated",
    );
  });

  it("answers 503 stats_unavailable when a shard cannot be read, and 500 naming MINT_STATS when unbound", async () => {
    const broken = { idFromName: () => ({}), get: () => ({ stats: () => Promise.reject(new Error("down")) }) };
    const down = await call("/v1/admin/stats", { headers: admin, env: { MINT_STATS: broken as never } });
    await expectError(down, 503, "stats_unavailable");
    const unbound = await call("/v1/admin/stats", { headers: admin, env: { MINT_STATS: undefined as never } });
    expect((await expectError(unbound, 500, "misconfigured")).message).toContain("MINT_STATS");
  });
});

describe("counting LiveKit's token endpoint", () => {
  it("counts POST /v1/livekit/token under livekit, as a mint through /v1/keys/livekit is", async () => {
    const at = ownHour();
    const iat = Math.floor(at.getTime() / 1000);
    const headers = await bearer(uniqueUser("livekit-counted"), { claims: { iat, exp: iat + 600 } });
    const token = (body: object) => call("/v1/livekit/token", { method: "POST", headers, body, now: () => at });
    expect((await token({ room_name: "counted" })).status).toBe(201);
    await expectError(await token({ participant_identity: "mallory" }), 400, "invalid_request");
    expect(await outcomesIn(at, "livekit")).toEqual({ issued: 1, refused_invalid: 1 });
  });
});
