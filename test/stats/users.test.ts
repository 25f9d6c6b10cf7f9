import { describe, expect, it } from "vitest";
import { buildOpenApiDocument } from "../../src/openapi/document";
import { shardOf } from "../../src/stats/shards";
import { type CallOptions, call, expectError, uniqueUser } from "../helpers/broker";
import { answerProblems, type OpenApiDocument } from "../helpers/openapi-document";
import { admin, HOUR_MS, mintAt, stats } from "./helpers";

const DAY_MS = 24 * HOUR_MS;

interface UserRow {
  client_ref: string;
  mints: number;
  refusals: number;
  last_mint_at: string | null;
  vendors: string[];
  daily_quota: number | null;
  deny: { reason: string; until: string | null; actor: string | null } | null;
}

/**
 * Each test's own UTC day, weeks back and within the retention, so its users are the only
 * ones counted on it (the other files' tests run in workerds of their own).
 */
let daysBack = 10;
function ownDay(): Date {
  return new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS - daysBack++ * DAY_MS + 12 * HOUR_MS);
}

async function usersPage(query: Record<string, string>, now?: () => Date) {
  const response = await call(`/v1/admin/users?${new URLSearchParams(query)}`, { headers: admin, now });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`users: ${response.status} ${text}`);
  return JSON.parse(text) as { day: string; users: UserRow[]; cursor: string | null };
}

describe("GET /v1/admin/users", () => {
  it("gives each user's keys, refusals, last mint, vendors, quota and deny with its actor", async () => {
    const at = ownDay();
    const day = at.toISOString().slice(0, 10);
    const user = uniqueUser("row");
    expect((await mintAt(at, "deepgram", user)).status).toBe(201);
    const later = new Date(at.getTime() + 60_000);
    expect((await mintAt(later, "gladia", user)).status).toBe(201);
    await expectError(await mintAt(later, "cartesia", user, { body: { ttl_seconds: -1 } }), 400, "invalid_request");
    const denied = await call("/v1/admin/deny", {
      method: "POST",
      headers: admin,
      body: { client_ref: user, reason: "seen on the console" },
      now: () => later,
    });
    expect(denied.status).toBe(200);
    await expectError(await mintAt(later, "deepgram", user), 403, "forbidden");

    const page = await usersPage({ day }, () => later);
    expect(page).toEqual({
      day,
      users: [
        {
          client_ref: user,
          mints: 2,
          refusals: 2,
          last_mint_at: later.toISOString(),
          vendors: ["cartesia", "deepgram", "gladia"],
          daily_quota: 500,
          deny: { reason: "seen on the console", until: null, actor: "admin-token" },
        },
      ],
      cursor: null,
    });
  });

  it("counts a day's distinct users exactly across shards, and pages them in client_ref order with the cursor", async () => {
    const at = ownDay();
    const day = at.toISOString().slice(0, 10);
    const users = Array.from({ length: 23 }, () => uniqueUser("many"));
    for (const user of users) expect((await mintAt(at, "deepgram", user)).status).toBe(201);
    // A second mint and a refusal count each user once.
    expect((await mintAt(at, "deepgram", users[0] as string)).status).toBe(201);
    await expectError(
      await mintAt(at, "deepgram", users[1] as string, { body: { ttl_seconds: -1 } }),
      400,
      "invalid_request",
    );
    // The users really are spread: no single shard holds them all.
    expect(new Set(users.map(shardOf)).size).toBeGreaterThan(3);

    const answer = await stats({
      since: new Date(Date.parse(`${day}T00:00:00Z`)).toISOString(),
      until: new Date(Date.parse(`${day}T00:00:00Z`) + DAY_MS).toISOString(),
    });
    expect(answer.distinct_users).toEqual([{ day, count: 23 }]);
    expect(answer.hours).toEqual([
      expect.objectContaining({ vendor: "deepgram", outcome: "issued", count: 24 }),
      expect.objectContaining({ vendor: "deepgram", outcome: "refused_invalid", count: 1 }),
    ]);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await usersPage({ day, limit: "5", ...(cursor ? { cursor } : {}) });
      expect(page.users.length).toBeLessThanOrEqual(5);
      seen.push(...page.users.map((row) => row.client_ref));
      cursor = page.cursor;
      pages++;
    } while (cursor !== null);
    expect(pages).toBe(5);
    expect(seen).toEqual([...users].sort());
  });

  it("defaults to today, UTC", async () => {
    const now = new Date("2026-02-03T23:59:00Z");
    expect(await usersPage({}, () => now)).toEqual({ day: "2026-02-03", users: [], cursor: null });
  });

  it.each([
    ["a malformed day", { day: "2026-02-30" }, "day"],
    ["a limit over 100", { limit: "101" }, "limit must be an integer from 1 to 100"],
    ["a limit of 0", { limit: "0" }, "limit"],
    ["a malformed cursor", { cursor: "!!" }, "cursor is not one this API returned"],
    ["another day's cursor", { day: "2026-02-04", cursor: btoa('["2026-02-03","a"]') }, "another day"],
    ["an unknown parameter", { vendor: "soniox" }, "unknown field vendor"],
  ])("answers 400 invalid_request for %s", async (_, query, message) => {
    const response = await call(`/v1/admin/users?${new URLSearchParams(query)}`, { headers: admin });
    expect((await expectError(response, 400, "invalid_request")).message).toContain(message);
  });
});

describe("the counts routes, held to the OpenAPI document", () => {
  it("answer 200, 400, 401 and 503 as documented", async () => {
    const document = (await buildOpenApiDocument()) as unknown as OpenApiDocument;
    const at = ownDay();
    const day = at.toISOString().slice(0, 10);
    const user = uniqueUser("documented");
    expect((await mintAt(at, "deepgram", user)).status).toBe(201);
    await call("/v1/admin/deny", { method: "POST", headers: admin, body: { client_ref: user, reason: "documented" } });
    const since = `${day}T00:00:00Z`;
    const broken = { idFromName: () => ({}), get: () => ({ stats: () => Promise.reject(new Error("down")) }) };
    const cases: [string, string, CallOptions, number][] = [
      ["/v1/admin/stats", `/v1/admin/stats?since=${since}&until=${day}T23:00:00Z`, { headers: admin }, 200],
      ["/v1/admin/stats", "/v1/admin/stats?vendor=nope", { headers: admin }, 400],
      ["/v1/admin/stats", "/v1/admin/stats", {}, 401],
      ["/v1/admin/stats", "/v1/admin/stats", { headers: admin, env: { MINT_STATS: broken as never } }, 503],
      ["/v1/admin/users", `/v1/admin/users?day=${day}&limit=1`, { headers: admin }, 200],
      ["/v1/admin/users", "/v1/admin/users?limit=many", { headers: admin }, 400],
    ];
    for (const [path, url, options, status] of cases) {
      const response = await call(url, options);
      expect(response.status, url).toBe(status);
      expect(await answerProblems(document, path, "GET", response.clone()), url).toEqual([]);
    }
    const page = (await (await call(`/v1/admin/users?day=${day}`, { headers: admin })).json()) as { users: UserRow[] };
    expect(page.users.find((row) => row.client_ref === user)?.deny).toMatchObject({ reason: "documented" });
  });
});
