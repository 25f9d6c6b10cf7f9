import { describe, expect, it } from "vitest";
import { AuditStore, recordDeadline } from "../../src/audit/store";
import { complementId, issuanceIdSource, sha256Hex } from "../../src/ids";
import { issuedRecord } from "../helpers/audit-records";
import { auditRecordsFor } from "../helpers/audit";
import { ADMIN_TOKEN, auditKv, auditKvWith, call, captureLogs, expectError, uniqueUser } from "../helpers/broker";
import { faultUrl, receivedFor } from "../helpers/emulator";
import { kvWithHangingPuts } from "../helpers/kv-faults";
import { mint } from "../helpers/mint";

/** A `since` the export accepts on the real clock, whatever the date. */
const A_DAY_AGO = new Date(Date.now() - 86_400_000).toISOString();

const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };

/** Short enough to keep the tests quick; the audit write gets no longer than a vendor call. */
const TIMEOUT_MS = 300;

/**
 * Runs `request`, keeping its log lines, parsed. A dependency that hangs is never
 * timed here: without its bound the request would hang and the test time out.
 */
async function logged(request: () => Promise<Response>) {
  const { result, lines } = await captureLogs(request);
  return { response: result, logs: lines.map((line) => JSON.parse(line)) };
}

describe("an audit write that hangs", () => {
  it.each([
    ["every put", () => true],
    ["only the full index's put, which holds the record", (key: string) => key.startsWith("idx2:all:")],
    ["only the user index's put", (key: string) => key.startsWith("idx2:ref:")],
  ])(
    "answers 503 audit_unavailable with no key after UPSTREAM_TIMEOUT_MS when %s hangs, and logs how to revoke the key",
    async (_case, hangs) => {
      const user = uniqueUser();
      const { response, logs } = await logged(() =>
        mint("soniox", user, { env: { AUDIT: kvWithHangingPuts(hangs), UPSTREAM_TIMEOUT_MS: String(TIMEOUT_MS) } }),
      );
      const text = await response.clone().text();
      await expectError(response, 503, "audit_unavailable");
      // The vendor issued a key, and it never left the broker.
      expect(await receivedFor(user)).toHaveLength(1);
      expect(Object.keys(JSON.parse(text))).toEqual(["error"]);
      expect(text).not.toMatch(/temp:/);

      const orphan = logs.find((line) => line.msg?.startsWith("audit write failed after the vendor issued a key"));
      expect(orphan).toMatchObject({ level: "error", vendor: "soniox", error: "TimeoutError" });
      expect(orphan.key_fingerprint).toMatch(/^[0-9a-f]{16}$/);
      expect(orphan.issuance_id).toMatch(/^[0-9A-Z]{26}$/);
      expect(logs.find((line) => line.msg === "request")).toMatchObject({ status: 503, code: "audit_unavailable" });
    },
  );

  it("still answers the vendor's error, not a hang, when the failure record's write hangs", async () => {
    const user = uniqueUser();
    const { response, logs } = await logged(() =>
      mint("soniox", user, {
        env: {
          AUDIT: kvWithHangingPuts(),
          UPSTREAM_TIMEOUT_MS: String(TIMEOUT_MS),
          SONIOX_BASE_URL: faultUrl("server-error"),
        },
      }),
    );
    await expectError(response, 502, "upstream_error");
    expect(logs.find((line) => line.msg === "audit write failed for an upstream error")).toMatchObject({
      error: "TimeoutError",
    });
  });

  it("puts a deny in force and answers 503 audit_unavailable when its record's write hangs", async () => {
    const user = uniqueUser();
    const { response } = await logged(() =>
      call("/v1/admin/deny", {
        method: "POST",
        headers: admin,
        body: { client_ref: user, reason: "abuse" },
        env: { AUDIT: kvWithHangingPuts(), UPSTREAM_TIMEOUT_MS: String(TIMEOUT_MS) },
      }),
    );
    const error = await expectError(response, 503, "audit_unavailable");
    expect(error.message).toContain("took effect");
    await expectError(await mint("soniox", user), 403, "forbidden");
  });

  it("lets a write that is slow but within UPSTREAM_TIMEOUT_MS through", async () => {
    const user = uniqueUser();
    const slow = auditKvWith({
      put: async (...args: unknown[]) => {
        await new Promise((resolve) => setTimeout(resolve, 50));
        return (auditKv.put as (...a: unknown[]) => Promise<void>).apply(auditKv, args);
      },
    });
    const response = await mint("soniox", user, { env: { AUDIT: slow, UPSTREAM_TIMEOUT_MS: "2000" } });
    expect(response.status).toBe(201);
    const { issuance_id } = (await response.json()) as { issuance_id: string };
    expect((await auditRecordsFor(user)).map((record) => record.id)).toEqual([issuance_id]);
  });
});

describe("an audit listing whose KV list throws", () => {
  // A binding that throws at the call, rather than returning a rejected promise; rejections are covered in
  // test/routes/audit.test.ts, test/audit/listing.test.ts and test/audit/export.test.ts.
  const throwing = auditKvWith({
    list: () => {
      throw new TypeError("simulated KV binding failure");
    },
  });

  it.each([
    ["every record", "/v1/audit"],
    ["one user's records", `/v1/audit?client_ref=${uniqueUser()}`],
    ["the export", `/v1/audit/export?since=${A_DAY_AGO}`],
  ])("answers 503 audit_unavailable for %s, in the error envelope", async (_case, path) => {
    const response = await call(path, { headers: admin, env: { AUDIT: throwing } });
    const error = await expectError(response, 503, "audit_unavailable");
    expect(error.message).toBe("the audit store could not be read; retry later");
  });
});

describe("an audit read that hangs", () => {
  // Without a bound, the request would hang and the test time out.
  const hanging = auditKvWith({ list: () => new Promise(() => {}), get: () => new Promise(() => {}) });

  it.each([
    ["every record", "/v1/audit"],
    ["one user's records", `/v1/audit?client_ref=${uniqueUser()}`],
    ["one record", "/v1/audit/01KA0000000000000000000000"],
    ["the export", `/v1/audit/export?since=${A_DAY_AGO}`],
  ])("answers 503 audit_unavailable for %s after UPSTREAM_TIMEOUT_MS", async (_case, path) => {
    const response = await call(path, {
      headers: admin,
      env: { AUDIT: hanging, UPSTREAM_TIMEOUT_MS: String(TIMEOUT_MS) },
    });
    const error = await expectError(response, 503, "audit_unavailable");
    expect(error.message).toBe("the audit store could not be read; retry later");
  });
});

describe("an audit listing page that hangs after a cursor", () => {
  it("answers 503 audit_unavailable, never a 400 telling the caller to drop a good cursor", async () => {
    const user = uniqueUser();
    expect((await mint("deepgram", user)).status).toBe(201);
    // Every first page says there is more, behind a KV cursor whose page then hangs;
    // a fresh first-page list (the store's probe of a cursor it was refused) answers at once.
    const kv = auditKvWith({
      list: async (options?: KVNamespaceListOptions) => {
        if (options?.cursor === "next-page") return new Promise(() => {});
        return { ...(await auditKv.list(options)), list_complete: false, cursor: "next-page" };
      },
    });
    const env = { AUDIT: kv, UPSTREAM_TIMEOUT_MS: String(TIMEOUT_MS) };
    const first = await call(`/v1/audit?client_ref=${user}&limit=1`, { headers: admin, env });
    const { cursor } = (await first.json()) as { cursor: string };
    const response = await call(`/v1/audit?client_ref=${user}&limit=1&cursor=${encodeURIComponent(cursor)}`, {
      headers: admin,
      env,
    });
    await expectError(response, 503, "audit_unavailable");
  });
});

describe("a record written too late for the export's settle window", () => {
  // The export passes a position once it is older than RECORD_WRITE_DEADLINE_MS plus KV's listing delay;
  // a record written later than that would sit behind a cursor already handed out, unseen forever.
  // The deadline is a timer the request starts when it takes the record's time, so these records
  // may carry any time: the request's clock is never compared with another.
  const limits = { timeoutMs: 5_000 };
  const idAt = issuanceIdSource();
  const recordAt = (at: number) => issuedRecord(idAt(new Date(at)), at, uniqueUser(), "deadline-test/1.0");
  const YEARS_AGO = Date.UTC(1999, 0, 1);

  it("is refused on the request path once its deadline has fired, and nothing of it is stored", async () => {
    const record = recordAt(YEARS_AGO);
    const fired = AbortSignal.abort();
    await expect(new AuditStore(auditKv, 3600, limits).write(record, fired)).rejects.toMatchObject({
      name: "TimeoutError",
    });
    expect((await auditKv.list({ prefix: `idx2:all:${complementId(record.id)}` })).keys).toEqual([]);
    const refHash = (await sha256Hex(record.client_ref)).slice(0, 32);
    expect((await auditKv.list({ prefix: `idx2:ref:${refHash}:` })).keys).toEqual([]);
  });

  it("gives a hanging write only the time left before the deadline, however long the timeout", async () => {
    // Without the deadline this write would wait the full ten minutes and the test time out.
    const store = new AuditStore(kvWithHangingPuts(), 3600, { timeoutMs: 600_000 });
    await expect(store.write(recordAt(YEARS_AGO), AbortSignal.timeout(200))).rejects.toMatchObject({
      name: "TimeoutError",
    });
  });

  it("is stored while its deadline runs, whatever time the record carries", async () => {
    for (const at of [YEARS_AGO, Date.UTC(2199, 0, 1)]) {
      const record = recordAt(at);
      await new AuditStore(auditKv, 3600, limits).write(record, recordDeadline());
      expect(await auditKv.get(`idx2:all:${complementId(record.id)}`, "json")).toEqual(record);
    }
  });

  it("is never written on the request path without a deadline", async () => {
    const record = recordAt(YEARS_AGO);
    await expect(new AuditStore(auditKv, 3600, limits).write(record)).rejects.toThrow("deadline");
    expect((await auditKv.list({ prefix: `idx2:all:${complementId(record.id)}` })).keys).toEqual([]);
  });
});
