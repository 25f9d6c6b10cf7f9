import { describe, expect, it } from "vitest";
import {
  ADMIN_TOKEN,
  auditKv,
  auditKvWith,
  call,
  expectError,
  kvWithFailingWrites,
  uniqueUser,
} from "../helpers/broker";
import { receivedFor } from "../helpers/emulator";
import { mint } from "../helpers/mint";

const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };

interface AuditPage {
  records: Record<string, unknown>[];
  cursor: string | null;
}

async function audit(query: string): Promise<AuditPage> {
  const response = await call(`/v1/audit${query}`, { headers: admin });
  expect(response.status).toBe(200);
  return (await response.json()) as AuditPage;
}

async function mintOk(vendor: string, user: string, body: unknown = {}, headers: Record<string, string> = {}) {
  const response = await mint(vendor, user, { body, headers });
  expect(response.status).toBe(201);
  return (await response.json()) as { key: string; issuance_id: string; expires_at: string };
}

describe("audit records", () => {
  it("records a mint with every documented field and without the key", async () => {
    const user = uniqueUser("carol");
    const minted = await mintOk(
      "soniox",
      user,
      { ttl_seconds: 120, single_use: true },
      {
        "CF-Connecting-IP": "203.0.113.7",
        Origin: "https://app.example.com",
        "User-Agent": "demo-app/1.0",
      },
    );
    const response = await call(`/v1/audit/${minted.issuance_id}`, { headers: admin });
    expect(response.status).toBe(200);
    const record = (await response.json()) as Record<string, unknown>;

    const fingerprint = [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(minted.key)))]
      .map((b) => b.toString(16).padStart(2, "0"))
      .join("")
      .slice(0, 16);
    expect(record).toEqual({
      id: minted.issuance_id,
      at: expect.stringMatching(/Z$/),
      vendor: "soniox",
      client_ref: user,
      issuer: "https://idp.test.example",
      subject: user,
      outcome: "issued",
      ttl_seconds: 120,
      expires_at: minted.expires_at,
      options: { usage_type: "transcribe_websocket", single_use: true },
      upstream_status: 201,
      error_code: null,
      key_fingerprint: fingerprint,
      vendor_key_id: null,
      ip: "203.0.113.7",
      origin: "https://app.example.com",
      user_agent: "demo-app/1.0",
      request_id: expect.any(String),
      caller_request_id: null,
      reason: null,
      deny_until: null,
      actor: null,
    });
    expect(JSON.stringify(record)).not.toContain(minted.key);
    expect(JSON.stringify(record)).not.toContain(minted.key.replace(/^temp:/, ""));
  });

  it("uses the mint's request id in the record", async () => {
    const user = uniqueUser();
    const response = await mint("speechmatics", user);
    const { issuance_id } = (await response.json()) as { issuance_id: string };
    const record = (await (await call(`/v1/audit/${issuance_id}`, { headers: admin })).json()) as {
      request_id: string;
    };
    expect(record.request_id).toBe(response.headers.get("x-request-id"));
  });

  it("answers 404 for an unknown or malformed issuance id", async () => {
    await expectError(await call("/v1/audit/01ARZ3NDEKTSV4RRFFQ69G5FAV", { headers: admin }), 404, "not_found");
    await expectError(await call("/v1/audit/not-an-id", { headers: admin }), 404, "not_found");
  });

  it("lists one user's records newest first", async () => {
    const user = uniqueUser();
    const first = await mintOk("soniox", user);
    const second = await mintOk("speechmatics", user);
    const third = await mintOk("soniox", user);
    await mintOk("soniox", uniqueUser("someone-else"));

    const page = await audit(`?client_ref=${user}`);
    expect(page.records.map((r) => r.id)).toEqual([third.issuance_id, second.issuance_id, first.issuance_id]);
    expect(page.cursor).toBeNull();
  });

  it("lists everything newest first", async () => {
    const user = uniqueUser();
    const older = await mintOk("soniox", user);
    const newer = await mintOk("soniox", user);
    const { records } = await audit("?limit=1000");
    const ids = records.map((r) => r.id as string);
    expect(ids.indexOf(newer.issuance_id)).toBeGreaterThanOrEqual(0);
    expect(ids.indexOf(newer.issuance_id)).toBeLessThan(ids.indexOf(older.issuance_id));
    expect([...ids].sort().reverse()).toEqual(ids);
  });

  it("filters by vendor", async () => {
    const user = uniqueUser();
    await mintOk("soniox", user);
    const sm = await mintOk("speechmatics", user);
    const page = await audit(`?client_ref=${user}&vendor=speechmatics`);
    expect(page.records.map((r) => r.id)).toEqual([sm.issuance_id]);
  });

  it("filters by since and until", async () => {
    const user = uniqueUser();
    const first = await mintOk("soniox", user);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const middle = await mintOk("soniox", user);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const last = await mintOk("soniox", user);
    const records = (await audit(`?client_ref=${user}`)).records;
    const at = (id: string) => records.find((r) => r.id === id)?.at as string;

    const since = await audit(`?client_ref=${user}&since=${at(middle.issuance_id)}`);
    expect(since.records.map((r) => r.id)).toEqual([last.issuance_id, middle.issuance_id]);
    const until = await audit(`?client_ref=${user}&until=${at(middle.issuance_id)}`);
    expect(until.records.map((r) => r.id)).toEqual([middle.issuance_id, first.issuance_id]);
    const window = await audit(`?client_ref=${user}&since=${at(middle.issuance_id)}&until=${at(middle.issuance_id)}`);
    expect(window.records.map((r) => r.id)).toEqual([middle.issuance_id]);
  });

  it("pages with limit and cursor without repeating or skipping", async () => {
    const user = uniqueUser();
    const minted: string[] = [];
    for (let i = 0; i < 5; i++) minted.push((await mintOk("soniox", user)).issuance_id);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: AuditPage = await audit(`?client_ref=${user}&limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      expect(page.records.length).toBeLessThanOrEqual(2);
      seen.push(...page.records.map((r) => r.id as string));
      cursor = page.cursor;
    } while (cursor && seen.length <= minted.length);
    expect(seen).toEqual(minted.reverse());
  });

  it("binds the cursor to its filters: other filters get 400, another limit is fine", async () => {
    const user = uniqueUser();
    const first = await mintOk("soniox", user);
    const second = await mintOk("speechmatics", user);
    const third = await mintOk("soniox", user);
    const { records, cursor } = await audit(`?client_ref=${user}&limit=1`);
    expect(records.map((r) => r.id)).toEqual([third.issuance_id]);
    expect(cursor).not.toBeNull();
    const c = encodeURIComponent(cursor as string);

    for (const other of [
      `?client_ref=${user}&vendor=soniox&cursor=${c}`,
      `?client_ref=${uniqueUser()}&cursor=${c}`,
      `?cursor=${c}`,
      `?client_ref=${user}&since=2020-01-01T00:00:00Z&cursor=${c}`,
      `?client_ref=${user}&until=2099-01-01T00:00:00Z&cursor=${c}`,
    ]) {
      const error = await expectError(await call(`/v1/audit${other}`, { headers: admin }), 400, "invalid_request");
      expect(error.message).toContain("cursor was returned for other filters");
    }
    const rest = await audit(`?client_ref=${user}&limit=5&cursor=${c}`);
    expect(rest.records.map((r) => r.id)).toEqual([second.issuance_id, first.issuance_id]);
    expect(rest.cursor).toBeNull();
  });

  it("accepts a cursor with the same times spelled differently", async () => {
    const user = uniqueUser();
    const older = await mintOk("soniox", user);
    const newer = await mintOk("soniox", user);
    const first = await audit(`?client_ref=${user}&since=2020-01-01T00:00:00Z&limit=1`);
    expect(first.records.map((r) => r.id)).toEqual([newer.issuance_id]);
    const since = encodeURIComponent("2020-01-01T01:00:00+01:00");
    const rest = await audit(`?client_ref=${user}&since=${since}&cursor=${encodeURIComponent(first.cursor as string)}`);
    expect(rest.records.map((r) => r.id)).toEqual([older.issuance_id]);
  });

  it("answers 503 audit_unavailable, not 400, when KV fails on the first page", async () => {
    const user = uniqueUser();
    await mintOk("soniox", user);
    await mintOk("soniox", user);
    const { cursor } = await audit(`?client_ref=${user}&limit=1`);
    const failing = { AUDIT: kvWithFailingLists() };
    const error = await expectError(
      await call(`/v1/audit?client_ref=${user}`, { headers: admin, env: failing }),
      503,
      "audit_unavailable",
    );
    expect(error.message).toBe("the audit store could not be read; retry later");
    // A cursor within the first KV page holds no KV cursor: a failure there is KV's, not the cursor's.
    await expectError(
      await call(`/v1/audit?client_ref=${user}&limit=1&cursor=${encodeURIComponent(cursor as string)}`, {
        headers: admin,
        env: failing,
      }),
      503,
      "audit_unavailable",
    );
  });

  it("answers 503 audit_unavailable when KV fails to read one record", async () => {
    const { issuance_id } = await mintOk("soniox", uniqueUser());
    const failing = { AUDIT: auditKvWith({ get: () => Promise.reject(new Error("simulated KV outage")) }) };
    const error = await expectError(
      await call(`/v1/audit/${issuance_id}`, { headers: admin, env: failing }),
      503,
      "audit_unavailable",
    );
    expect(error.message).toBe("the audit store could not be read; retry later");
  });

  it.each([
    ["limit=0", "limit must be an integer from 1 to 1000"],
    ["limit=1001", "limit must be an integer from 1 to 1000"],
    ["limit=ten", "limit must be an integer from 1 to 1000"],
    ["vendor=acme", "vendor must be one of"],
    ["since=yesterday", "since must be a valid datetime"],
    ["cursor=bm90LWEtY3Vyc29y", "cursor is not one this API returned"],
    // A cursor of the layout before cursors were bound to their filters.
    [`cursor=${btoa('{"after":"idx:all:0ZZ7EB40AX"}')}`, "cursor is not one this API returned"],
    ["since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z", "since must not be after until"],
    ["sort=asc", "unknown field sort"],
  ])("refuses ?%s with 400", async (query, message) => {
    const error = await expectError(await call(`/v1/audit?${query}`, { headers: admin }), 400, "invalid_request");
    expect(error.message).toContain(message);
  });
});

describe("audit API access", () => {
  it.each([
    ["no token", {}],
    ["a wrong token", { Authorization: "Bearer wrong-admin-token-of-reasonable-length-000" }],
    ["a Basic header", { Authorization: `Basic ${btoa(`admin:${ADMIN_TOKEN}`)}` }],
    // The whole token is compared, not the presented token's length of it.
    ["the token's first character", { Authorization: `Bearer ${ADMIN_TOKEN.slice(0, 1)}` }],
    ["the token without its last character", { Authorization: `Bearer ${ADMIN_TOKEN.slice(0, -1)}` }],
    ["the token with a character added", { Authorization: `Bearer ${ADMIN_TOKEN}0` }],
  ])("refuses %s with 401", async (_case, headers) => {
    await expectError(await call("/v1/audit", { headers }), 401, "unauthenticated");
    await expectError(await call("/v1/audit/01ARZ3NDEKTSV4RRFFQ69G5FAV", { headers }), 401, "unauthenticated");
  });

  it("refuses an end user's JWT", async () => {
    const response = await mint("soniox", uniqueUser());
    expect(response.status).toBe(201);
    const { bearer } = await import("../helpers/tokens");
    await expectError(await call("/v1/audit", { headers: await bearer("alice") }), 401, "unauthenticated");
  });

  it("is disabled when ADMIN_TOKEN is unset", async () => {
    const error = await expectError(
      await call("/v1/audit", { headers: admin, env: { ADMIN_TOKEN: undefined } }),
      403,
      "forbidden",
    );
    expect(error.message).toContain("ADMIN_TOKEN");
  });

  it("refuses a short ADMIN_TOKEN as misconfigured", async () => {
    await expectError(
      await call("/v1/audit", { headers: { Authorization: "Bearer short" }, env: { ADMIN_TOKEN: "short" } }),
      500,
      "misconfigured",
    );
  });
});

/** The real audit namespace, except that listing fails as in a KV outage. */
function kvWithFailingLists(): KVNamespace {
  return auditKvWith({ list: () => Promise.reject(new Error("simulated KV outage")) });
}

/** The real audit namespace, except that the first index write fails; the record and other writes succeed. */
function kvWithOneFailingIndexWrite(): { kv: KVNamespace; failed: () => string[] } {
  const failed: string[] = [];
  const kv = auditKvWith({
    put: (name: string, ...rest: unknown[]) => {
      if (name.startsWith("idx") && failed.length === 0) {
        failed.push(name);
        return Promise.reject(new Error("simulated KV failure"));
      }
      return (auditKv.put as (name: string, ...rest: unknown[]) => Promise<void>)(name, ...rest);
    },
  });
  return { kv, failed: () => failed };
}

describe("fail-closed audit", () => {
  it("answers 503 audit_unavailable and no key when the audit write fails", async () => {
    const user = uniqueUser();
    const response = await mint("soniox", user, { env: { AUDIT: kvWithFailingWrites() } });
    const text = await response.clone().text();
    await expectError(response, 503, "audit_unavailable");
    // The vendor did mint a key, and it never left the broker.
    const [request] = await receivedFor(user);
    expect(request).toBeDefined();
    expect(text).not.toMatch(/temp:/);
    expect(text).not.toContain('"key"');
  });

  it("answers 503 audit_unavailable and no key when only an index write fails", async () => {
    const user = uniqueUser();
    const { kv, failed } = kvWithOneFailingIndexWrite();
    const response = await mint("soniox", user, { env: { AUDIT: kv } });
    const text = await response.clone().text();
    await expectError(response, 503, "audit_unavailable");
    expect(failed()).toHaveLength(1);
    const [request] = await receivedFor(user);
    expect(request).toBeDefined();
    expect(text).not.toMatch(/temp:/);
    expect(text).not.toContain('"key"');
  });
});
