import { describe, expect, it } from "vitest";
import { EXPORT_SETTLE_SECONDS } from "../../src/audit/export";
import type { AuditRecord } from "../../src/audit/record";
import { ADMIN_TOKEN, call, expectError, uniqueUser } from "../helpers/broker";
import { mint } from "../helpers/mint";
import { bearer } from "../helpers/tokens";

/**
 * The broker decides on its injected clock alone: a clock years away from the
 * real one, either way, runs the whole path (quota, deny, audit write, listing,
 * export, usage) exactly as on today's date.
 */
const YEAR_MS = 365 * 24 * 3600 * 1000;
const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };

/** A clock `offsetMs` from the real one, moved only by the test, with tokens valid on it. */
function clockOffBy(offsetMs: number) {
  // Noon UTC on that day, so that a few minutes' moves stay within it.
  const day = new Date(Date.now() + offsetMs).toISOString().slice(0, 10);
  let ms = Date.parse(`${day}T12:00:00.000Z`);
  return {
    day,
    now: () => new Date(ms),
    ms: () => ms,
    advance: (seconds: number) => {
      ms += seconds * 1000;
    },
    token: () => ({ claims: { iat: Math.floor(ms / 1000), exp: Math.floor(ms / 1000) + 600 } }),
  };
}

describe.each([
  ["twenty years ahead of the real date", 20 * YEAR_MS],
  ["twenty years behind the real date", -20 * YEAR_MS],
])("on a clock %s", (_, offsetMs) => {
  it("mints within the quota, records, lists, exports, reports usage and denies on that clock", async () => {
    const clock = clockOffBy(offsetMs);
    const start = clock.ms();
    const user = uniqueUser("any-date");
    const env = { DAILY_MINT_QUOTA: "2" };
    const mintNow = () => mint("speechmatics", user, { env, now: clock.now, token: clock.token() });

    const issued: string[] = [];
    for (let i = 0; i < 2; i++) {
      const response = await mintNow();
      expect(response.status).toBe(201);
      const body = (await response.json()) as { issuance_id: string; expires_at: string; ttl_seconds: number };
      expect(Date.parse(body.expires_at)).toBe(clock.ms() + body.ttl_seconds * 1000);
      issued.push(body.issuance_id);
      clock.advance(1);
    }
    const refused = await mintNow();
    expect(refused.headers.get("retry-after")).toBe(String(12 * 3600 - 2));
    await expectError(refused, 429, "quota_exceeded");

    const usage = await call("/v1/me/usage", { now: clock.now, headers: await bearer(user, clock.token()), env });
    expect(await usage.json()).toMatchObject({ day: clock.day, mints: 2, quota: 2, remaining: 0 });

    const listing = await call(`/v1/audit?client_ref=${user}`, { headers: admin, now: clock.now });
    expect(listing.status).toBe(200);
    const { records } = (await listing.json()) as { records: AuditRecord[] };
    expect(records.map((record) => record.id)).toEqual([...issued].reverse());
    expect(records.map((record) => Date.parse(record.at))).toEqual([start + 1000, start]);

    clock.advance(EXPORT_SETTLE_SECONDS + 1);
    const exported = await call(`/v1/audit/export?client_ref=${user}&since=${new Date(start).toISOString()}`, {
      headers: admin,
      now: clock.now,
    });
    expect(exported.status).toBe(200);
    const lines = (await exported.text())
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.slice(0, -1).map((line) => line.id)).toEqual(issued);
    expect(lines.at(-1)).toMatchObject({ complete: true });

    // The next UTC day on that clock opens the quota again; a deny until an hour later closes it.
    clock.advance(12 * 3600);
    const until = new Date(clock.ms() + 3600_000).toISOString();
    const denied = await call("/v1/admin/deny", {
      headers: admin,
      now: clock.now,
      body: { client_ref: user, reason: "any-date test", until },
    });
    expect(denied.status).toBe(200);
    await expectError(await mintNow(), 403, "forbidden");
    clock.advance(3601);
    expect((await mintNow()).status).toBe(201);
  });
});
