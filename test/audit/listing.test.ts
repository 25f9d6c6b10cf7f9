import { beforeAll, describe, expect, it } from "vitest";
import type { AuditRecord } from "../../src/audit/record";
import { AuditStore, KV_LIST_PAGE_SIZE, MAX_LIST_PAGES_PER_REQUEST } from "../../src/audit/store";
import { newIssuanceId } from "../../src/ids";
import { issuedRecord } from "../helpers/audit-records";
import { ADMIN_TOKEN, auditKv as realKv, auditKvWith, call, expectError, uniqueUser } from "../helpers/broker";

/*
 * Listings that need many records, or records written in one millisecond, are
 * set up through the AuditStore itself with a chosen `now` and read back through
 * the real route. Each test owns a client_ref and a time window far in the past,
 * so records of other tests (written at the real time) never fall inside it.
 * Ids come from the broker's own per-isolate source, which never goes back in
 * time, so the tests here write at ascending times (2003, 2004, 2005).
 */

const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };
const store = new AuditStore(realKv, 3600);
/** Records written at once; bounded so the local KV is not flooded. */
const WRITE_BATCH = 100;

interface AuditPage {
  records: AuditRecord[];
  cursor: string | null;
}

function auditRecord(at: number, clientRef: string, overrides: Partial<AuditRecord> = {}): AuditRecord {
  return issuedRecord(newIssuanceId(new Date(at)), at, clientRef, "listing-test/1.0", overrides);
}

async function writeAll(records: AuditRecord[]): Promise<void> {
  for (let i = 0; i < records.length; i += WRITE_BATCH) {
    await Promise.all(records.slice(i, i + WRITE_BATCH).map((record) => store.write(record)));
  }
}

/** Ids in the order the API promises: descending by the whole id. */
function newestFirst(records: AuditRecord[]): string[] {
  return records.map((record) => record.id).sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
}

async function auditPage(query: string, kv?: KVNamespace): Promise<Response> {
  return call(`/v1/audit?${query}`, { headers: admin, env: kv ? { AUDIT: kv } : {} });
}

async function page(query: string): Promise<AuditPage> {
  const response = await auditPage(query);
  if (response.status !== 200) throw new Error(`GET /v1/audit?${query}: ${response.status} ${await response.text()}`);
  return (await response.json()) as AuditPage;
}

/** Follows cursors until the listing ends; returns every page. */
async function allPages(query: string, maxRequests = 50): Promise<AuditPage[]> {
  const pages: AuditPage[] = [];
  let cursor: string | null = null;
  do {
    const next: AuditPage = await page(`${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    pages.push(next);
    cursor = next.cursor;
  } while (cursor && pages.length < maxRequests);
  expect(cursor, "listing did not end").toBeNull();
  return pages;
}

function idsOf(pages: AuditPage[]): string[] {
  return pages.flatMap((p) => p.records.map((record) => record.id));
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

describe("audit listing order", () => {
  it("lists records written in the same millisecond newest first by whole id", async () => {
    const at = Date.UTC(2003, 0, 1, 0, 0, 0, 500);
    const user = uniqueUser("same-ms");
    // Made in time order, as the broker makes them.
    const before = auditRecord(at - 1, user);
    const sameMs = Array.from({ length: 20 }, () => auditRecord(at, user));
    const after = auditRecord(at + 1, user);
    // Written oldest first, one at a time, as a burst of mints would be.
    for (const record of [before, ...sameMs, after]) await store.write(record);
    const expected = newestFirst([before, ...sameMs, after]);
    expect(expected[0]).toBe(after.id);
    expect(expected.at(-1)).toBe(before.id);

    const byUser = await page(`client_ref=${user}`);
    expect(byUser.records.map((r) => r.id)).toEqual(expected);
    expect(byUser.cursor).toBeNull();

    const byTime = await page(`since=${iso(at - 1)}&until=${iso(at + 1)}`);
    expect(byTime.records.map((r) => r.id)).toEqual(expected);
    expect(byTime.cursor).toBeNull();

    const oneMs = await page(`since=${iso(at)}&until=${iso(at)}&limit=7`);
    expect(oneMs.records.map((r) => r.id)).toEqual(newestFirst(sameMs).slice(0, 7));
  });

  it("lists 20 records made in one millisecond in exact reverse creation order", async () => {
    const at = Date.UTC(2003, 0, 2, 0, 0, 0, 500);
    const user = uniqueUser("creation-order");
    const created = Array.from({ length: 20 }, () => auditRecord(at, user));
    // Written oldest first, so a listing in the order KV received them would fail.
    for (const record of created) await store.write(record);

    const listed = await page(`client_ref=${user}`);
    expect(listed.records.map((r) => r.id)).toEqual(created.map((r) => r.id).reverse());
    const inTheMillisecond = await page(`since=${iso(at)}&until=${iso(at)}`);
    expect(inTheMillisecond.records.map((r) => r.id)).toEqual(created.map((r) => r.id).reverse());
  });
});

describe("records too large for index metadata", () => {
  it("lists them in full, in order, and filters them by vendor and time", async () => {
    const start = Date.UTC(2004, 0, 1);
    const user = uniqueUser("large");
    const older = auditRecord(start, user);
    // A vendor key id, which the record keeps whole, over KV's 1024-byte metadata limit: the index keeps a
    // partial marker and the listing reads the full index entry's value.
    const large = auditRecord(start + 1, user, { vendor: "speechmatics", vendor_key_id: `key-${"x".repeat(1500)}` });
    const newer = auditRecord(start + 2, user);
    await writeAll([older, large, newer]);

    const byUser = await page(`client_ref=${user}`);
    expect(byUser.records).toEqual([newer, large, older]);
    const byTime = await page(`since=${iso(start)}&until=${iso(start + 2)}`);
    expect(byTime.records).toEqual([newer, large, older]);

    expect((await page(`client_ref=${user}&vendor=speechmatics`)).records).toEqual([large]);
    expect((await page(`client_ref=${user}&vendor=soniox`)).records).toEqual([newer, older]);
    expect((await page(`client_ref=${user}&since=${iso(start + 1)}&until=${iso(start + 1)}`)).records).toEqual([large]);
  });
});

describe("listings over many KV pages", () => {
  const start = Date.UTC(2005, 0, 1);
  const user = uniqueUser("many");
  /** More than one KV page of 1,000 keys. */
  const total = KV_LIST_PAGE_SIZE + 50;
  /** Positions (newest first) of the few speechmatics records; the rest are soniox. */
  const rarePositions = [0, 99, 100, 250, 999, 1000, ...Array.from({ length: 12 }, (_, i) => total - 12 + i)];
  let newestFirstRecords: AuditRecord[] = [];
  let rareIds: string[] = [];
  let end = start;

  beforeAll(async () => {
    const records: AuditRecord[] = [];
    // Oldest first; every third record shares its millisecond with the one before.
    let at = start;
    for (let i = 0; i < total; i++) {
      if (i % 3 !== 2) at += 1;
      records.push(auditRecord(at, user));
    }
    end = at;
    const byId = new Map(records.map((record) => [record.id, record]));
    newestFirstRecords = newestFirst(records).map((id) => byId.get(id) as AuditRecord);
    for (const position of rarePositions) (newestFirstRecords[position] as AuditRecord).vendor = "speechmatics";
    rareIds = rarePositions.map((position) => (newestFirstRecords[position] as AuditRecord).id);
    await writeAll(newestFirstRecords);
  }, 120_000);

  it.each([1000, 700])("pages one user's records with limit=%i across KV pages", async (limit) => {
    const pages = await allPages(`client_ref=${user}&limit=${limit}`);
    expect(idsOf(pages)).toEqual(newestFirstRecords.map((r) => r.id));
    expect(pages.slice(0, -1).every((p) => p.records.length === limit)).toBe(true);
  });

  it("pages the all-records index within a time window across KV pages", async () => {
    const pages = await allPages(`since=${iso(start)}&until=${iso(end)}&limit=1000`);
    expect(idsOf(pages)).toEqual(newestFirstRecords.map((r) => r.id));
  });

  it("pages a vendor filter with a small limit across the KV page boundary", async () => {
    const pages = await allPages(`client_ref=${user}&vendor=speechmatics&limit=3`);
    expect(idsOf(pages)).toEqual(rareIds);
    expect(pages.slice(0, -1).every((p) => p.records.length === 3)).toBe(true);
  });

  describe("the scan bound", () => {
    /**
     * The real namespace, except that `list` returns pages of at most 100 keys, as
     * KV may (it can return fewer keys than asked). Five such pages hold 500 keys,
     * so the bound is reached without writing 5,000 records. Counts list calls.
     */
    function kvWithSmallPages(): { kv: KVNamespace; listCalls: () => number } {
      let calls = 0;
      const kv = auditKvWith({
        list: (options?: KVNamespaceListOptions) => {
          calls += 1;
          return realKv.list({ ...options, limit: Math.min(options?.limit ?? KV_LIST_PAGE_SIZE, 100) });
        },
      });
      return { kv, listCalls: () => calls };
    }

    /** Follows cursors over small KV pages; checks that no request reads more than 5 KV pages. */
    async function smallPages(query: string): Promise<AuditPage[]> {
      const pages: AuditPage[] = [];
      let cursor: string | null = null;
      do {
        const { kv, listCalls } = kvWithSmallPages();
        const response = await auditPage(`${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, kv);
        expect(response.status).toBe(200);
        expect(listCalls()).toBeLessThanOrEqual(MAX_LIST_PAGES_PER_REQUEST);
        const next = (await response.json()) as AuditPage;
        pages.push(next);
        cursor = next.cursor;
      } while (cursor && pages.length < 50);
      expect(cursor, "listing did not end").toBeNull();
      return pages;
    }

    it("answers a short page with a cursor when 5 KV pages hold too few matches, then every match exactly once", async () => {
      const pages = await smallPages(`client_ref=${user}&vendor=speechmatics&limit=100`);
      // The first 500 keys hold 4 matches: the request stops there and says where to go on.
      expect(pages[0]?.records.map((r) => r.id)).toEqual(rareIds.slice(0, 4));
      expect(pages[0]?.cursor).not.toBeNull();
      const ids = idsOf(pages);
      expect(ids).toEqual(rareIds);
      expect(new Set(ids).size).toBe(ids.length);
    });

    it("answers an empty page with a cursor when 5 KV pages hold no match", async () => {
      // Only the 12 oldest records match; the keys before them are all newer than `until`.
      const until = (newestFirstRecords[total - 12] as AuditRecord).at;
      const pages = await smallPages(`client_ref=${user}&vendor=speechmatics&until=${until}`);
      expect(pages[0]?.records).toEqual([]);
      expect(pages[0]?.cursor).not.toBeNull();
      expect(idsOf(pages)).toEqual(rareIds.slice(-12));
    });
  });

  describe("a cursor KV refuses", () => {
    /** The real namespace, except that `list` fails: always, or only when given a cursor. */
    function kvFailingList(when: "always" | "with a cursor"): KVNamespace {
      return auditKvWith({
        list: (options?: KVNamespaceListOptions) =>
          when === "always" || options?.cursor !== undefined
            ? Promise.reject(new Error("simulated KV list failure"))
            : realKv.list(options),
      });
    }

    /** A cursor that holds a KV page cursor (the first 1,000 records were returned). */
    async function pageCursor(): Promise<string> {
      const first = await page(`client_ref=${user}&limit=1000`);
      expect(first.cursor).not.toBeNull();
      return encodeURIComponent(first.cursor as string);
    }

    it("answers 400 invalid_request when KV refuses the caller's cursor", async () => {
      const cursor = await pageCursor();
      const error = await expectError(
        await auditPage(`client_ref=${user}&limit=1000&cursor=${cursor}`, kvFailingList("with a cursor")),
        400,
        "invalid_request",
      );
      expect(error.message).toContain("cursor");
      // The same cursor is fine where KV accepts it.
      expect((await page(`client_ref=${user}&limit=1000&cursor=${cursor}`)).records).toHaveLength(
        total - KV_LIST_PAGE_SIZE,
      );
    });

    it("answers 503 audit_unavailable, not 400, when KV fails for every list, cursor or not", async () => {
      const cursor = await pageCursor();
      await expectError(
        await auditPage(`client_ref=${user}&limit=1000&cursor=${cursor}`, kvFailingList("always")),
        503,
        "audit_unavailable",
      );
      await expectError(await auditPage(`client_ref=${user}`, kvFailingList("always")), 503, "audit_unavailable");
    });

    it("answers 503 audit_unavailable, not 400, when KV fails on a page cursor it handed out within the request", async () => {
      // No caller cursor: the second KV page of this request fails.
      await expectError(
        await auditPage(
          `client_ref=${user}&vendor=speechmatics&until=${iso(start + 10)}`,
          kvFailingList("with a cursor"),
        ),
        503,
        "audit_unavailable",
      );
    });
  });
});
