import { runInDurableObject } from "cloudflare:test";
import { env as workerEnv } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import { brokerError, ERROR_CODES, type ErrorCode } from "../../src/errors";
import type { MintStats } from "../../src/stats/object";
import { MINT_OUTCOMES, mintOutcome } from "../../src/stats/outcome";
import type { MintCount, MintStatsApi } from "../../src/stats/types";
import { UserDenied } from "../../src/user-state/client";
import { rejection } from "../user-state/stub";

const DAY_MS = 24 * 60 * 60 * 1000;
const namespace = (workerEnv as unknown as Env).MINT_STATS;

/** An object of the class that is none of the broker's shards, so that its pruning touches no other test's counts. */
function ownObject() {
  return namespace.get(namespace.idFromName(`test-${crypto.randomUUID()}`));
}

const mint = (at: number, clientRef: string, retentionDays = 3): MintCount => ({
  at,
  vendor: "soniox",
  outcome: "issued",
  clientRef,
  retentionDays,
});

describe("a MintStats shard", () => {
  it("drops the hours and the users' days older than the retention when it counts", async () => {
    const stub = ownObject() as unknown as MintStatsApi;
    const day0 = Date.parse("2026-06-01T10:00:00Z");
    await stub.count(mint(day0, "old-user"));
    const read = async () =>
      (await stub.stats({ since: day0 - DAY_MS, until: day0 + 10 * DAY_MS, days: ["2026-06-01"] })).distinctUsers;

    // Three days later the first day is still within a 3-day retention.
    await stub.count(mint(day0 + 3 * DAY_MS, "new-user"));
    expect(await read()).toEqual({ "2026-06-01": 1 });
    expect(await stub.users({ day: "2026-06-01", after: null, limit: 10 })).toHaveLength(1);

    // Four days later it is not, and both its tables' rows are gone.
    await stub.count(mint(day0 + 4 * DAY_MS, "new-user"));
    expect(await read()).toEqual({ "2026-06-01": 0 });
    expect(await stub.users({ day: "2026-06-01", after: null, limit: 10 })).toEqual([]);
    const { hours } = await stub.stats({ since: day0 - DAY_MS, until: day0 + 10 * DAY_MS, days: [] });
    expect(hours.map((row) => row.hour)).toEqual([
      new Date(day0 + 3 * DAY_MS).toISOString(),
      new Date(day0 + 4 * DAY_MS).toISOString(),
    ]);
  });

  it("writes two SQLite rows for a count (the billed unit)", async () => {
    const stub = ownObject();
    const written = await runInDurableObject(stub, async (object) => {
      const instance = object as unknown as MintStats;
      const sql = (object as unknown as { sql: SqlStorage }).sql;
      const exec = sql.exec.bind(sql);
      let rows = 0;
      const cursors: SqlStorageCursor<Record<string, SqlStorageValue>>[] = [];
      sql.exec = ((query: string, ...bindings: unknown[]) => {
        const cursor = exec(query, ...bindings);
        cursors.push(cursor);
        return cursor;
      }) as typeof sql.exec;
      const measure = async (count: MintCount) => {
        cursors.length = 0;
        await instance.count(count);
        rows = cursors.reduce((sum, cursor) => sum + cursor.rowsWritten, 0);
        return rows;
      };
      const at = Date.parse("2026-06-01T10:00:00Z");
      // The first count of an object also prunes (nothing); measure the steady state after it.
      await measure(mint(at, "warm-up", 90));
      return {
        newUser: await measure(mint(at, "alice", 90)),
        sameUser: await measure(mint(at + 1000, "alice", 90)),
      };
    });
    expect(written).toEqual({ newUser: 2, sameUser: 2 });
  });

  it("refuses a count it cannot read", async () => {
    const stub = ownObject() as unknown as MintStatsApi;
    const at = Date.parse("2026-06-01T10:00:00Z");
    expect((await rejection(() => stub.count({ ...mint(at, "a"), outcome: "nonsense" as never }))).message).toBe(
      "outcome is not a known label",
    );
    expect((await rejection(() => stub.count(mint(Number.NaN, "a")))).message).toBe("times must be epoch milliseconds");
    expect((await rejection(() => stub.count(mint(at, "a", 0)))).message).toBe("retentionDays must be >= 1");
    expect((await rejection(() => stub.count({ ...mint(at, "a"), vendor: "a,b" }))).message).toBe("vendor is invalid");
    for (const clientRef of [null, ""]) {
      expect((await rejection(() => stub.count({ ...mint(at, "a"), clientRef: clientRef as never }))).message).toBe(
        "clientRef must be a non-empty string",
      );
    }
  });
});

describe("the outcome label of a finished mint request", () => {
  const cases: [string, number, unknown, string][] = [
    ["a key", 201, undefined, "issued"],
    ["a deny", 403, new UserDenied(), "refused_deny"],
    ["a POLICY refusal", 403, brokerError("forbidden", "disabled by policy"), "refused_policy"],
    ["a spent quota", 429, brokerError("quota_exceeded", "quota"), "refused_quota"],
    ["the burst limit", 429, brokerError("rate_limited", "burst"), "refused_burst"],
    ["a bad body", 400, brokerError("invalid_request", "bad"), "refused_invalid"],
    ["a body too large", 413, brokerError("payload_too_large", "big"), "refused_invalid"],
    ["an unconfigured vendor", 404, brokerError("vendor_not_configured", "off"), "refused_invalid"],
    ["a store down", 503, brokerError("quota_unavailable", "down"), "error"],
    ["an unexpected throw", 500, new TypeError("bug"), "error"],
  ];
  it.each(cases)("labels %s", (_, status, error, label) => {
    expect(mintOutcome(status, error)).toBe(label);
  });

  it("labels every vendor failure with its own error code, and every label is one the API documents", () => {
    const vendorCodes: ErrorCode[] = [
      "upstream_error",
      "upstream_rejected",
      "upstream_auth_failed",
      "upstream_rate_limited",
      "upstream_timeout",
      "vendor_credential_refused",
    ];
    for (const code of vendorCodes) {
      expect(mintOutcome(ERROR_CODES[code], brokerError(code, "vendor"))).toBe(code);
      expect(MINT_OUTCOMES).toContain(code);
    }
  });
});
