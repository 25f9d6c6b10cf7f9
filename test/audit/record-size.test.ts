import { beforeAll, describe, expect, it } from "vitest";
import { MAX_EXPORT_KV_READS } from "../../src/audit/export";
import { boundedText, fitRecord, jsonBytes } from "../../src/audit/fit";
import type { AuditRecord } from "../../src/audit/record";
import { AuditStore, MAX_LISTING_KV_READS } from "../../src/audit/store";
import { MAX_AUDIT_HEADER_BYTES } from "../../src/constants";
import { complementId, issuanceIdSource, sha256Hex } from "../../src/ids";
import { ACCESS_ENV, signAccessToken } from "../helpers/access";
import { issuedRecord } from "../helpers/audit-records";
import { ADMIN_TOKEN, auditKv, call, uniqueUser } from "../helpers/broker";
import { kvCountingOperations } from "../helpers/kv-faults";
import { mint } from "../helpers/mint";

/*
 * Audit cost that no caller can inflate. KV keeps a record in its index entries'
 * metadata only when the metadata's JSON takes at most 1,024 bytes of UTF-8
 * (https://developers.cloudflare.com/kv/platform/limits/); a record that does not
 * fit costs a listing one more read. Text a caller chose must therefore be bounded
 * by those bytes, not by its length: 256 `"` take 514 of them.
 */

/** KV's limit on a key's metadata, from Cloudflare's limits page, restated rather than imported. */
const KV_METADATA_LIMIT_BYTES = 1024;

const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };

/** Text as costly in JSON as a caller can make it, as HTTP delivers it (a lone surrogate arrives as U+FFFD). */
const HOSTILE_HEADERS: [string, string][] = [
  ["256 quotes", '"'.repeat(256)],
  ["4 KiB of backslashes", "\\".repeat(4096)],
  ["control characters", "\x01\x1f\x7f".repeat(100)],
  ["two-byte characters", "é".repeat(300)],
  ["three-byte characters", "€".repeat(300)],
  ["emoji", "😀".repeat(300)],
  ["a mix", `Mozilla/5.0 "\x02é€😀\\`.repeat(40)],
];

/** Text no header can carry, as claims and a store's other callers may: lone surrogates among it. */
const HOSTILE_TEXT: [string, string][] = [
  ...HOSTILE_HEADERS,
  ["lone high surrogates", "\ud800".repeat(300)],
  ["lone low surrogates", "a\udfff".repeat(300)],
  ["newlines and tabs", "\n\t\r\b\f".repeat(300)],
];

/** A surrogate that is not half of a pair: it has no UTF-8 form. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function hasLoneSurrogate(text: string | null): boolean {
  return text !== null && new RegExp(LONE_SURROGATE.source).test(text);
}

/** `text` as the broker keeps it: each lone surrogate replaced by U+FFFD. */
function wellFormed(text: string): string {
  return text.replace(LONE_SURROGATE, "\ufffd");
}

describe("caller text bounded by its encoded size", () => {
  it.each(HOSTILE_TEXT)("cuts %s to the bound, at whole characters, ending in …", (_case, text) => {
    for (const bound of [5, 6, 7, 8, 9, 64, 255, MAX_AUDIT_HEADER_BYTES]) {
      const cut = boundedText(text, bound);
      expect(jsonBytes(cut), `bound ${bound}`).toBeLessThanOrEqual(bound);
      expect(hasLoneSurrogate(cut)).toBe(false);
      expect(cut.endsWith("…")).toBe(true);
      const kept = cut.slice(0, -1);
      expect(wellFormed(text).startsWith(kept)).toBe(true);
      // The longest that fits: one more character would not.
      const next = [...wellFormed(text).slice(kept.length)][0] as string;
      expect(jsonBytes(`${kept}${next}…`)).toBeGreaterThan(bound);
    }
  });

  it("measures bytes, not characters: 256 quotes, which take 514 bytes, keep 125", () => {
    expect(boundedText('"'.repeat(256), 256)).toBe(`${'"'.repeat(125)}…`);
    expect(boundedText("x".repeat(256), 256)).toBe(`${"x".repeat(251)}…`);
  });

  it("keeps text that fits whole, and never splits a surrogate pair", () => {
    expect(boundedText("curl/8.7.1", 256)).toBe("curl/8.7.1");
    expect(boundedText("a😀😀", 11)).toBe("a😀😀");
    expect(boundedText("a😀😀😀", 11)).toBe("a😀…");
    expect(boundedText("a😀😀😀", 9)).toBe("a…");
  });

  it("replaces lone surrogates, which no UTF-8 reader accepts, even when nothing is cut", () => {
    // Compared as JSON: a lone surrogate in a failure message would break the test runner's own UTF-8.
    expect(JSON.stringify(boundedText("a\ud800b\udc00", 256))).toBe(JSON.stringify("a\ufffdb\ufffd"));
  });
});

describe("a record fitted to KV's index metadata", () => {
  const idAt = issuanceIdSource();
  const at = Date.UTC(2015, 0, 1);
  const base = issuedRecord(idAt(new Date(at)), at, "alice", "curl/8.7.1");

  it("is the record itself when it fits", () => {
    expect(fitRecord(base, KV_METADATA_LIMIT_BYTES)).toBe(base);
  });

  it.each(HOSTILE_TEXT)("fits whatever every caller field holds: %s", (_case, text) => {
    const record: AuditRecord = {
      ...base,
      outcome: "upstream_error",
      error_code: "upstream_error",
      user_agent: text,
      origin: text,
      ip: text,
      caller_request_id: "r".repeat(128),
      reason: text,
      issuer: text.slice(0, 256),
      subject: text.slice(0, 256),
    };
    const fitted = fitRecord(record, KV_METADATA_LIMIT_BYTES);
    expect(jsonBytes(fitted)).toBeLessThanOrEqual(KV_METADATA_LIMIT_BYTES);
    for (const value of [fitted.user_agent, fitted.origin, fitted.ip, fitted.reason]) {
      expect(hasLoneSurrogate(value)).toBe(false);
    }
    // Nothing but the caller's text and the claims is touched.
    const { user_agent, origin, ip, caller_request_id, reason, issuer, subject, ...kept } = fitted;
    expect(record).toMatchObject(kept);
  });

  it("cuts the longest text first and leaves short text whole", () => {
    const record = { ...base, origin: "https://app.example.com", user_agent: '"'.repeat(4096) };
    const fitted = fitRecord(record, KV_METADATA_LIMIT_BYTES);
    expect(fitted.origin).toBe("https://app.example.com");
    expect(fitted.user_agent?.endsWith("…")).toBe(true);
    // Only as much as needed: the record now fills the limit to within one cut character.
    expect(jsonBytes(fitted)).toBeGreaterThan(KV_METADATA_LIMIT_BYTES - 2);
  });

  it("keeps the issuer when dropping the longer subject is enough", () => {
    const record = { ...base, subject: '"'.repeat(256), user_agent: '"'.repeat(256) };
    const fitted = fitRecord(record, KV_METADATA_LIMIT_BYTES);
    expect(fitted.subject).toBeNull();
    expect(fitted.issuer).toBe(base.issuer);
    expect(jsonBytes(fitted)).toBeLessThanOrEqual(KV_METADATA_LIMIT_BYTES);
  });

  it("keeps a client_ref and a vendor key id whole, even when they cannot fit", () => {
    const record = { ...base, vendor_key_id: "k".repeat(KV_METADATA_LIMIT_BYTES) };
    expect(fitRecord(record, KV_METADATA_LIMIT_BYTES)).toBe(record);
  });
});

/** The record of `id` as KV holds it: the full index entry's value and metadata, and the user's entry's metadata. */
async function storedEntries(id: string, clientRef: string) {
  const descId = complementId(id);
  const full = await auditKv.getWithMetadata<AuditRecord, AuditRecord>(`idx2:all:${descId}`, "json");
  const refHash = (await sha256Hex(clientRef)).slice(0, 32);
  const ref = await auditKv.list<AuditRecord>({ prefix: `idx2:ref:${refHash}:${descId}` });
  return { value: full.value, metadata: [full.metadata, ref.keys[0]?.metadata] };
}

/** Checks that a record stored whole in both index entries' metadata, within KV's limit. */
async function expectIndexedWhole(id: string, clientRef: string): Promise<AuditRecord> {
  const { value, metadata } = await storedEntries(id, clientRef);
  expect(value).toMatchObject({ id });
  for (const entry of metadata) {
    expect(entry).toEqual(value);
    expect(jsonBytes(entry)).toBeLessThanOrEqual(KV_METADATA_LIMIT_BYTES);
  }
  return value as AuditRecord;
}

/** GET /v1/audit, counting the KV operations it makes; KV lists at most `listPageSize` keys a call when given. */
async function countedListing(query: string, listPageSize?: number) {
  const counting = kvCountingOperations(listPageSize);
  const response = await call(`/v1/audit?${query}`, { headers: admin, env: { AUDIT: counting.kv } });
  expect(response.status).toBe(200);
  const page = (await response.json()) as { records: AuditRecord[]; cursor: string | null };
  return { page, operations: counting.operations, total: counting.total() };
}

describe("a request with hostile headers", () => {
  // The longest host name DNS allows, so the longest origin an operator can allow.
  const longOrigin = `https://${["a", "b", "c"].map((c) => c.repeat(63)).join(".")}.${"d".repeat(56)}.test`;

  it.each(HOSTILE_HEADERS)(
    "keeps its record whole in index metadata, listed without a read, for a User-Agent of %s",
    async (_case, userAgent) => {
      const user = uniqueUser();
      const response = await mint("soniox", user, {
        headers: {
          "User-Agent": userAgent,
          Origin: longOrigin,
          "CF-Connecting-IP": userAgent,
          "X-Request-Id": "r".repeat(128),
        },
        env: { ALLOWED_ORIGINS: longOrigin },
      });
      expect(response.status).toBe(201);
      const { issuance_id: id } = (await response.json()) as { issuance_id: string };

      const record = await expectIndexedWhole(id, user);
      for (const header of [record.user_agent, record.origin, record.ip]) {
        expect(jsonBytes(header)).toBeLessThanOrEqual(MAX_AUDIT_HEADER_BYTES);
        expect(header?.endsWith("…")).toBe(true);
      }
      expect(userAgent.startsWith((record.user_agent as string).slice(0, -1))).toBe(true);
      expect(longOrigin.startsWith((record.origin as string).slice(0, -1))).toBe(true);

      const { page, operations, total } = await countedListing(`client_ref=${user}`);
      expect(page.records).toEqual([record]);
      expect(operations.list).toBe(1);
      expect(total).toBe(1);
    },
  );

  it(`cuts a User-Agent to ${MAX_AUDIT_HEADER_BYTES} bytes even when the record has room for more`, async () => {
    const user = uniqueUser();
    const response = await mint("soniox", user, { headers: { "User-Agent": '"'.repeat(300) } });
    expect(response.status).toBe(201);
    const { issuance_id: id } = (await response.json()) as { issuance_id: string };
    const record = await expectIndexedWhole(id, user);
    expect(record.user_agent).toBe(`${'"'.repeat(125)}…`);
  });

  it("keeps a deny's record within the limit whatever its reason and headers", async () => {
    const user = uniqueUser();
    const response = await call("/v1/admin/deny", {
      method: "POST",
      headers: { ...admin, "User-Agent": '"'.repeat(1000), "X-Request-Id": "r".repeat(128) },
      body: { client_ref: user, reason: "😀".repeat(250) },
    });
    expect(response.status).toBe(200);
    const { page, total } = await countedListing(`client_ref=${user}`);
    const [record] = page.records;
    expect(record).toMatchObject({ outcome: "denied", client_ref: user });
    expect(record?.reason?.endsWith("…")).toBe(true);
    await expectIndexedWhole((record as AuditRecord).id, user);
    expect(total).toBe(1);
  });

  it("keeps a deny's record within the limit, and its actor whole, for the longest Access identity", async () => {
    const user = uniqueUser();
    // The most an actor may hold: 256 characters, in an email.
    const actor = `${"o".repeat(256 - "@example.com".length)}@example.com`;
    const response = await call("/v1/admin/deny", {
      method: "POST",
      headers: {
        "Cf-Access-Jwt-Assertion": await signAccessToken(actor),
        "User-Agent": '"'.repeat(1000),
        "X-Request-Id": "r".repeat(128),
      },
      body: { client_ref: user, reason: "😀".repeat(250) },
      env: ACCESS_ENV,
    });
    expect(response.status).toBe(200);
    const { page, total } = await countedListing(`client_ref=${user}`);
    const [record] = page.records;
    expect(record).toMatchObject({ outcome: "denied", actor });
    await expectIndexedWhole((record as AuditRecord).id, user);
    expect(total).toBe(1);
  });
});

/** Writes `record` as a version before the two-write layout did, too large for metadata: reading it takes two gets. */
async function writeLegacyPartial(record: AuditRecord): Promise<void> {
  const descId = complementId(record.id);
  const refHash = (await sha256Hex(record.client_ref)).slice(0, 32);
  const options = { expirationTtl: 3600, metadata: { id: record.id, vendor: record.vendor, partial: true } };
  await auditKv.put(`rec:${record.id}`, JSON.stringify(record), { expirationTtl: 3600 });
  await auditKv.put(`idx2:all:${descId}`, "", options);
  await auditKv.put(`idx2:ref:${refHash}:${descId}`, "", options);
}

/** Follows a listing's cursors, checking each request's KV operations; returns the ids listed and the requests made. */
async function listAllCounted(query: string, listPageSize?: number) {
  const ids: string[] = [];
  let cursor: string | null = null;
  let requests = 0;
  do {
    const next = await countedListing(`${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, listPageSize);
    expect(next.total).toBeLessThanOrEqual(MAX_LISTING_KV_READS);
    expect(next.operations.put + next.operations.delete).toBe(0);
    ids.push(...next.page.records.map((record) => record.id));
    cursor = next.page.cursor;
    requests += 1;
  } while (cursor && requests < 50);
  expect(cursor, "listing did not end").toBeNull();
  return { ids, requests };
}

describe("listing and export, whatever the records hold", () => {
  const start = Date.UTC(2016, 0, 1);
  const user = uniqueUser("costly");
  /** Newest first, as the listing promises. */
  let expected: string[] = [];

  beforeAll(async () => {
    const store = new AuditStore(auditKv, 3600);
    const idAt = issuanceIdSource();
    const written: AuditRecord[] = [];
    for (let i = 0; i < 150; i++) {
      const at = start + i;
      const record = issuedRecord(idAt(new Date(at)), at, user, HOSTILE_TEXT[i % HOSTILE_TEXT.length]?.[1] as string);
      written.push(record);
      if (i % 3 === 0) {
        // Fitted by the store: indexed whole.
        await store.write(record);
      } else if (i % 3 === 1) {
        // A vendor key id the record must keep whole, too long for metadata: the listing reads its value.
        await store.write({ ...record, vendor_key_id: `key-${"k".repeat(KV_METADATA_LIMIT_BYTES)}` });
      } else {
        await writeLegacyPartial(record);
      }
    }
    expected = written.map((record) => record.id).reverse();
  }, 60_000);

  it(`a listing request makes at most ${MAX_LISTING_KV_READS} KV operations, then hands back a cursor; every record comes once`, async () => {
    const { ids, requests } = await listAllCounted(`client_ref=${user}&limit=1000`);
    // 100 records need a read of their own, 50 of them two gets: more than one request's budget.
    expect(requests).toBeGreaterThan(2);
    expect(ids).toEqual(expected);
  });

  it("keeps to the bound when KV answers in short pages, and the budget runs out between pages", async () => {
    // Only records that take two gets each, 12 to a KV page: two pages spend the whole budget.
    const legacyUser = uniqueUser("legacy");
    const idAt = issuanceIdSource();
    const legacy = Array.from({ length: 40 }, (_, i) => {
      const at = start + 10_000 + i;
      return issuedRecord(idAt(new Date(at)), at, legacyUser, "legacy/1.0");
    });
    for (const record of legacy) await writeLegacyPartial(record);
    const { ids, requests } = await listAllCounted(`client_ref=${legacyUser}&limit=1000`, 12);
    expect(requests).toBeGreaterThan(1);
    expect(ids).toEqual(legacy.map((record) => record.id).reverse());
    // The same with a page size that leaves the budget mid-page.
    expect((await listAllCounted(`client_ref=${legacyUser}&limit=1000`, 7)).ids).toEqual(ids);
  });

  it(`an export response makes at most ${MAX_EXPORT_KV_READS} KV operations; every record comes once`, async () => {
    const ids: string[] = [];
    let cursor: string | undefined;
    let requests = 0;
    const range = `client_ref=${user}&since=${new Date(start).toISOString()}&until=${new Date(start + 1000).toISOString()}`;
    let complete = false;
    do {
      const counting = kvCountingOperations();
      const response = await call(`/v1/audit/export?${range}${cursor ? `&cursor=${cursor}` : ""}`, {
        headers: admin,
        env: { AUDIT: counting.kv },
        // The broker's clock a day after the range, so the range is settled whatever the date.
        now: () => new Date(start + 86_400_000),
      });
      expect(response.status).toBe(200);
      const lines = new TextDecoder()
        .decode(await response.arrayBuffer())
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as { id?: string; cursor?: string; complete?: boolean });
      const last = lines.pop();
      expect(counting.total()).toBeLessThanOrEqual(MAX_EXPORT_KV_READS);
      ids.push(...lines.map((line) => line.id as string));
      cursor = last?.cursor;
      complete = last?.complete === true;
      requests += 1;
    } while (!complete && requests < 20);
    expect(complete).toBe(true);
    expect(requests).toBeGreaterThan(2);
    expect(ids).toEqual([...expected].reverse());
  });
});
