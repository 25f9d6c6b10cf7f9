import { beforeAll, describe, expect, it } from "vitest";
import * as z from "zod/mini";
import {
  EXPORT_SETTLE_SECONDS,
  exportEndLineSchema,
  exportErrorLineSchema,
  MAX_EXPORT_KV_READS,
  WINDOW_MAX_KEYS,
  WINDOW_MAX_PAGES,
} from "../../src/audit/export";
import { type AuditRecord, auditRecordSchema } from "../../src/audit/record";
import { AuditStore } from "../../src/audit/store";
import { issuanceIdSource } from "../../src/ids";
import { issuedRecord } from "../helpers/audit-records";
import { ADMIN_TOKEN, auditKv as realKv, auditKvWith, call, expectError, uniqueUser } from "../helpers/broker";
import { EXPORT_CHUNK_RECORDS } from "../../src/routes/audit-export";
import { bearer } from "../helpers/tokens";

/*
 * The export is read through the real route against the real local KV
 * namespace. Records are written through the AuditStore with chosen times, far
 * in the past (2011 to 2013), each test with its own client_ref, so that records
 * of other tests never fall inside a range. Each test makes its own ids, in
 * ascending time, as the broker does.
 */

const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };
const store = new AuditStore(realKv, 3600);
/** Records written at once; bounded so the local KV is not flooded. */
const WRITE_BATCH = 100;
const MINUTE = 60_000;

type Line = Record<string, unknown>;

interface Export {
  records: AuditRecord[];
  /** The last line: the end line or the error line. */
  last: Line;
}

function recordMaker() {
  const nextId = issuanceIdSource();
  return (at: number, clientRef: string, overrides: Partial<AuditRecord> = {}): AuditRecord =>
    issuedRecord(nextId(new Date(at)), at, clientRef, "export-test/1.0", overrides);
}

async function writeAll(records: AuditRecord[]): Promise<void> {
  for (let i = 0; i < records.length; i += WRITE_BATCH) {
    await Promise.all(records.slice(i, i + WRITE_BATCH).map((record) => store.write(record)));
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function idsOf(records: AuditRecord[]): string[] {
  return records.map((record) => record.id);
}

/** Ids in the order the export promises: ascending by the whole id. */
function oldestFirst(records: AuditRecord[]): string[] {
  return idsOf(records).sort();
}

async function exportResponse(query: string, options: { kv?: KVNamespace; now?: () => Date } = {}) {
  return call(`/v1/audit/export?${query}`, {
    headers: admin,
    env: options.kv ? { AUDIT: options.kv } : {},
    now: options.now,
  });
}

const decoder = new TextDecoder();

async function bodyText(response: Response): Promise<string> {
  return decoder.decode(await response.arrayBuffer());
}

function parse(text: string): Export {
  expect(text.endsWith("\n"), "the body ends with a newline").toBe(true);
  const lines = text
    .slice(0, -1)
    .split("\n")
    .map((line) => JSON.parse(line) as Line);
  const last = lines.pop() as Line;
  expect(last).not.toHaveProperty("id");
  for (const line of lines) expect(line).toHaveProperty("id");
  return { records: lines as unknown as AuditRecord[], last };
}

/** One export response, read to its end. */
async function exportOnce(query: string, options: { kv?: KVNamespace; now?: () => Date } = {}): Promise<Export> {
  const response = await exportResponse(query, options);
  if (response.status !== 200) {
    throw new Error(`GET /v1/audit/export?${query}: ${response.status} ${await bodyText(response)}`);
  }
  expect(response.headers.get("content-type")).toBe("application/x-ndjson");
  return parse(await bodyText(response));
}

/** Follows the end line's cursor until the export is complete; returns every response. */
async function exportAll(query: string, options: { kv?: () => KVNamespace; maxRequests?: number } = {}) {
  const responses: Export[] = [];
  let cursor: string | undefined;
  do {
    const next = await exportOnce(`${query}${cursor ? `&cursor=${cursor}` : ""}`, { kv: options.kv?.() });
    expect(z.safeParse(exportEndLineSchema, next.last).success, JSON.stringify(next.last)).toBe(true);
    responses.push(next);
    cursor = next.last.complete ? undefined : (next.last.cursor as string);
  } while (cursor && responses.length < (options.maxRequests ?? 50));
  expect(responses.at(-1)?.last.complete, "export did not complete").toBe(true);
  return { responses, records: responses.flatMap((r) => r.records) };
}

interface CountingKv {
  kv: KVNamespace;
  /** KV list calls so far. */
  lists: () => number;
  /** KV reads so far: list calls and gets. */
  reads: () => number;
  /** From now on, every list and get fails as in a KV outage. */
  fail: () => void;
  /** The most pages, and keys, one listing ran to: a first page and the pages that followed it by cursor. */
  longestListing: () => { pages: number; keys: number };
}

/**
 * The real namespace, counting reads and checking that no list asks for more
 * than one KV page. With `pageSize`, lists return pages of at most that many
 * keys, as KV may (it can return fewer keys than asked).
 */
function countingKv(pageSize?: number): CountingKv {
  let lists = 0;
  let gets = 0;
  let failing = false;
  const listing = { pages: 0, keys: 0 };
  const longest = { pages: 0, keys: 0 };
  const outage = () => Promise.reject(new Error("simulated KV outage"));
  const kv = auditKvWith({
    list: async (options?: KVNamespaceListOptions) => {
      lists += 1;
      expect(options?.limit ?? 1000).toBeLessThanOrEqual(1000);
      if (failing) return outage();
      const page = await realKv.list(pageSize === undefined ? options : { ...options, limit: pageSize });
      if (options?.cursor === undefined) Object.assign(listing, { pages: 0, keys: 0 });
      listing.pages += 1;
      listing.keys += page.keys.length;
      longest.pages = Math.max(longest.pages, listing.pages);
      longest.keys = Math.max(longest.keys, listing.keys);
      return page;
    },
    get: (...args: Parameters<KVNamespace["get"]>) => {
      gets += 1;
      if (failing) return outage();
      return (realKv.get as (...a: unknown[]) => Promise<unknown>)(...args);
    },
  });
  return {
    kv,
    lists: () => lists,
    reads: () => lists + gets,
    fail: () => {
      failing = true;
    },
    longestListing: () => ({ ...longest }),
  };
}

/** Reads a body chunk by chunk. */
function chunkReader(response: Response) {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  let text = "";
  return {
    /** Reads one more chunk; false at the end of the body. */
    async next(): Promise<boolean> {
      const { done, value } = await reader.read();
      if (!done) text += decoder.decode(value, { stream: true });
      return !done;
    },
    /** The complete lines read so far. */
    lines: () =>
      text
        .split("\n")
        .slice(0, -1)
        .map((line) => JSON.parse(line) as Line),
    text: () => text,
    cancel: () => reader.cancel(),
  };
}

describe("a range with quiet and busy stretches", () => {
  const start = Date.UTC(2011, 0, 1);
  const user = uniqueUser("export");
  const end = start + 2 * 24 * 60 * MINUTE;
  let written: AuditRecord[] = [];
  let rareIds: string[] = [];
  let largeId = "";

  beforeAll(async () => {
    const make = recordMaker();
    const records: AuditRecord[] = [];
    // Quiet: one record a minute for half an hour.
    for (let i = 0; i < 30; i++) records.push(make(start + i * MINUTE, user));
    // Busy: more records than one KV page within about a second; every third shares its millisecond.
    let at = start + 40 * MINUTE;
    for (let i = 0; i < WINDOW_MAX_KEYS + 300; i++) {
      if (i % 3 !== 2) at += 1;
      records.push(make(at, user));
    }
    // Twenty in one millisecond, and one too large for index metadata (a vendor key id is kept whole).
    for (let i = 0; i < 20; i++) records.push(make(start + 50 * MINUTE, user));
    records.push(make(start + 51 * MINUTE, user, { vendor_key_id: `big-key/${"x".repeat(1500)}` }));
    // Quiet again: one record an hour for a day.
    for (let i = 0; i < 24; i++) records.push(make(start + 60 * MINUTE + i * 60 * MINUTE, user));
    for (const index of [0, 29, 30, 500, 1000, 1299, records.length - 1]) {
      (records[index] as AuditRecord).vendor = "speechmatics";
    }
    written = records;
    rareIds = oldestFirst(records.filter((record) => record.vendor === "speechmatics"));
    largeId = (records.find((record) => record.vendor_key_id?.startsWith("big-key")) as AuditRecord).id;
    // Written newest first, so that the order KV received them in is no help.
    await writeAll([...records].reverse());
  }, 120_000);

  it("streams one user's records oldest first by whole id, each exactly as stored", async () => {
    const { records } = await exportAll(`client_ref=${user}&since=${iso(start)}&until=${iso(end)}`);
    expect(idsOf(records)).toEqual(oldestFirst(written));
    const byId = new Map(written.map((record) => [record.id, record]));
    for (const record of records) expect(record).toEqual(byId.get(record.id));
    expect(records.find((record) => record.id === largeId)?.vendor_key_id).toHaveLength(1508);
  });

  it("streams the all-records index over the same range in the same order", async () => {
    const { records } = await exportAll(`since=${iso(start)}&until=${iso(end)}`);
    expect(idsOf(records)).toEqual(oldestFirst(written));
  });

  it("answers each record exactly as GET /v1/audit lists it, and nothing else: no key", async () => {
    const response = await exportResponse(`client_ref=${user}&since=${iso(start)}&until=${iso(end)}`);
    const text = await bodyText(response);
    const { records } = parse(text);
    const listed: AuditRecord[] = [];
    let cursor: string | null = null;
    do {
      const page = (await (
        await call(`/v1/audit?client_ref=${user}&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, {
          headers: admin,
        })
      ).json()) as { records: AuditRecord[]; cursor: string | null };
      listed.push(...page.records);
      cursor = page.cursor;
    } while (cursor);
    expect(records).toEqual(listed.reverse());
    const fields = Object.keys(auditRecordSchema.def.shape).sort();
    for (const record of records) expect(Object.keys(record).sort()).toEqual(fields);
    expect(text).not.toContain('"key"');
  });

  it("filters by vendor, oldest first", async () => {
    const { records } = await exportAll(`client_ref=${user}&vendor=speechmatics&since=${iso(start)}&until=${iso(end)}`);
    expect(idsOf(records)).toEqual(rareIds);
  });

  it("answers only the end line for a user with no records in the range", async () => {
    const { records, last } = await exportOnce(`client_ref=${uniqueUser()}&since=${iso(start)}&until=${iso(end)}`);
    expect(records).toEqual([]);
    expect(last).toEqual({ cursor: expect.any(String), complete: true });
  });

  it("pages with limit and the end line's cursor, without a gap or a repeat", async () => {
    const { responses, records } = await exportAll(`client_ref=${user}&since=${iso(start)}&until=${iso(end)}&limit=97`);
    expect(idsOf(records)).toEqual(oldestFirst(written));
    expect(responses.length).toBeGreaterThan(written.length / 97);
    for (const response of responses.slice(0, -1)) {
      expect(response.records).toHaveLength(97);
      // The cursor of a response cut by its limit is its last record's id.
      expect(response.last).toEqual({ cursor: response.records.at(-1)?.id, complete: false });
    }
  });

  it("resumes after a cut connection from the id of the last line received", async () => {
    const query = `client_ref=${user}&since=${iso(start)}&until=${iso(end)}`;
    const body = chunkReader(await exportResponse(query));
    while (body.lines().length < 150 && (await body.next()));
    await body.cancel();
    // The connection broke after line 150; a partial line after it is dropped.
    const received = body.lines().slice(0, 150) as unknown as AuditRecord[];
    const rest = await exportAll(`${query}&cursor=${received.at(-1)?.id}`);
    expect([...idsOf(received), ...idsOf(rest.records)]).toEqual(oldestFirst(written));
  });

  it("resumes with the cursor alone, without since", async () => {
    const first = await exportOnce(`client_ref=${user}&since=${iso(start)}&until=${iso(end)}&limit=500`);
    const rest = await exportAll(`client_ref=${user}&until=${iso(end)}&cursor=${first.last.cursor}`);
    expect([...idsOf(first.records), ...idsOf(rest.records)]).toEqual(oldestFirst(written));
  });

  it(`makes at most ${MAX_EXPORT_KV_READS} KV reads a response, then hands back a cursor; every record comes exactly once`, async () => {
    const query = `since=${iso(start)}&until=${iso(end)}`;
    const responses: Export[] = [];
    let cursor: string | undefined;
    do {
      // KV pages of 40 keys: the range needs more than one response's reads.
      const counting = countingKv(40);
      const next = await exportOnce(`${query}${cursor ? `&cursor=${cursor}` : ""}`, { kv: counting.kv });
      expect(counting.reads()).toBeLessThanOrEqual(MAX_EXPORT_KV_READS);
      // A window that KV hands out in short pages is split after a few of them.
      expect(counting.longestListing().pages).toBeLessThanOrEqual(WINDOW_MAX_PAGES);
      responses.push(next);
      cursor = next.last.complete ? undefined : (next.last.cursor as string);
    } while (cursor && responses.length < 100);
    expect(responses.length).toBeGreaterThan(1);
    expect(responses[0]?.last.complete).toBe(false);
    expect(responses.at(-1)?.last.complete).toBe(true);
    const ids = responses.flatMap((response) => idsOf(response.records));
    expect(ids).toEqual(oldestFirst(written));
  });

  it("holds one window of index entries at a time, never the range, and reads the range in one response", async () => {
    const counting = countingKv();
    const { records, last } = await exportOnce(`since=${iso(start)}&until=${iso(end)}`, { kv: counting.kv });
    expect(idsOf(records)).toEqual(oldestFirst(written));
    expect(last.complete).toBe(true);
    // The range holds more entries than a window may: it was read in windows, each one KV page at most.
    expect(written.length).toBeGreaterThan(WINDOW_MAX_KEYS);
    expect(counting.longestListing().keys).toBeLessThanOrEqual(WINDOW_MAX_KEYS);
    expect(counting.reads()).toBeLessThanOrEqual(MAX_EXPORT_KV_READS);
  });

  it("streams: the first lines are readable before the later KV pages are listed", async () => {
    const query = `client_ref=${user}&since=${iso(start)}&until=${iso(end)}`;
    // What the first chunk alone takes: a response limited to one chunk's records.
    const firstChunkOnly = countingKv();
    await exportOnce(`${query}&limit=${EXPORT_CHUNK_RECORDS}`, { kv: firstChunkOnly.kv });

    const counting = countingKv();
    const response = await exportResponse(query, { kv: counting.kv });
    expect(response.status).toBe(200);
    const listedBeforeBody = counting.lists();
    expect(listedBeforeBody).toBe(firstChunkOnly.lists());
    const body = chunkReader(response);
    expect(await body.next()).toBe(true);
    expect(body.lines()).toHaveLength(EXPORT_CHUNK_RECORDS);
    // Nothing more was listed to hand out the first chunk, nor is read ahead while the reader waits.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(counting.lists()).toBe(listedBeforeBody);
    while (await body.next());
    expect(counting.lists()).toBeGreaterThan(listedBeforeBody);
    const { records, last } = parse(body.text());
    expect(idsOf(records)).toEqual(oldestFirst(written));
    expect(last.complete).toBe(true);
  });

  it("ends with an error line and a cursor when KV fails mid-stream; the cursor resumes without a gap or a repeat", async () => {
    const query = `client_ref=${user}&since=${iso(start)}&until=${iso(end)}`;
    const counting = countingKv();
    const response = await exportResponse(query, { kv: counting.kv });
    expect(response.status).toBe(200);
    const body = chunkReader(response);
    expect(await body.next()).toBe(true);
    counting.fail();
    while (await body.next());
    const { records, last } = parse(body.text());
    expect(records.length).toBeGreaterThan(0);
    expect(records.length).toBeLessThan(written.length);
    expect(z.safeParse(exportErrorLineSchema, last).success).toBe(true);
    expect(last).toEqual({
      error: {
        code: "audit_unavailable",
        message: "the audit store could not be read; retry later",
        request_id: response.headers.get("x-request-id"),
      },
      cursor: expect.any(String),
    });
    // At or past the last record sent: past it when the rest of its window held nothing more.
    expect((last.cursor as string) >= (records.at(-1)?.id as string)).toBe(true);
    const rest = await exportAll(`${query}&cursor=${last.cursor}`);
    expect([...idsOf(records), ...idsOf(rest.records)]).toEqual(oldestFirst(written));
  });
});

describe("the range", () => {
  it("includes since and excludes until, in any spelling of the times", async () => {
    const make = recordMaker();
    const user = uniqueUser("bounds");
    const since = Date.UTC(2012, 5, 1, 12);
    const until = since + MINUTE;
    const [beforeSince, atSince, afterSince, beforeUntil, atUntil] = [
      since - 1,
      since,
      since + 1,
      until - 1,
      until,
    ].map((at) => make(at, user)) as AuditRecord[];
    await writeAll([beforeSince, atSince, afterSince, beforeUntil, atUntil] as AuditRecord[]);

    const expected = idsOf([atSince, afterSince, beforeUntil] as AuditRecord[]);
    const exported = await exportOnce(`client_ref=${user}&since=${iso(since)}&until=${iso(until)}`);
    expect(idsOf(exported.records)).toEqual(expected);
    expect(exported.last.complete).toBe(true);
    const offsetSpelling = encodeURIComponent("2012-06-01T13:00:00+01:00");
    const sameRange = await exportOnce(`client_ref=${user}&since=${offsetSpelling}&until=${iso(until)}`);
    expect(idsOf(sameRange.records)).toEqual(expected);
    // The next range starts where this one ended: nothing twice, nothing missed.
    const next = await exportOnce(`client_ref=${user}&since=${iso(until)}&until=${iso(until + MINUTE)}`);
    expect(idsOf(next.records)).toEqual([atUntil?.id]);
    const resumed = await exportOnce(`client_ref=${user}&cursor=${exported.last.cursor}&until=${iso(until + MINUTE)}`);
    expect(idsOf(resumed.records)).toEqual([atUntil?.id]);
  });

  it(`ends ${EXPORT_SETTLE_SECONDS} seconds ago by default, and a later export takes up from its cursor`, async () => {
    const now = Date.now();
    const make = recordMaker();
    const user = uniqueUser("settle");
    const settled = make(now - 30 * MINUTE, user);
    const settling = make(now - MINUTE, user);
    await writeAll([settled, settling]);

    const first = await exportOnce(`client_ref=${user}&since=${iso(now - 60 * MINUTE)}`);
    expect(idsOf(first.records)).toEqual([settled.id]);
    expect(first.last.complete).toBe(true);
    const tenMinutesLater = () => new Date(now + 10 * MINUTE);
    const later = await exportOnce(`client_ref=${user}&cursor=${first.last.cursor}`, { now: tenMinutesLater });
    expect(idsOf(later.records)).toEqual([settling.id]);
    // A range that has not settled yet holds nothing so far, and says where to resume.
    const tooSoon = await exportOnce(`client_ref=${user}&since=${iso(now - MINUTE)}`);
    expect(tooSoon.records).toEqual([]);
    const resumed = await exportOnce(`client_ref=${user}&cursor=${tooSoon.last.cursor}`, { now: tenMinutesLater });
    expect(idsOf(resumed.records)).toEqual([settling.id]);
  });
});

describe("the export route", () => {
  const query = `since=${iso(Date.UTC(2013, 0, 1))}&until=${iso(Date.UTC(2013, 0, 2))}`;

  it("answers NDJSON, not the record route's 404, with no-store and the request id", async () => {
    const response = await exportResponse(query);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/x-ndjson");
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.headers.get("x-request-id")).toBeTruthy();
    const { last } = parse(await bodyText(response));
    expect(last.complete).toBe(true);
  });

  it.each(["POST", "PUT", "DELETE"])("answers %s with 405 and Allow: GET", async (method) => {
    const response = await call(`/v1/audit/export?${query}`, { method, headers: admin });
    expect(response.headers.get("allow")).toBe("GET");
    await expectError(response, 405, "method_not_allowed");
  });

  it("answers 503 audit_unavailable in the JSON error shape when KV fails before the body starts", async () => {
    const counting = countingKv();
    counting.fail();
    const error = await expectError(await exportResponse(query, { kv: counting.kv }), 503, "audit_unavailable");
    expect(error.message).toBe("the audit store could not be read; retry later");
  });

  it.each([
    ["", "since is required unless cursor is given"],
    ["until=2013-01-02T00:00:00Z", "since is required unless cursor is given"],
    ["since=yesterday", "since must be a valid datetime"],
    ["since=2013-01-01T00:00:00Z&until=tomorrow", "until must be a valid datetime"],
    ["since=2013-01-02T00:00:00Z&until=2013-01-01T00:00:00Z", "until must be after since"],
    ["since=2013-01-01T00:00:00Z&until=2013-01-01T01:00:00%2B01:00", "until must be after since"],
    [
      "since=2013-01-01T00:00:00Z&until=2099-01-01T00:00:00Z",
      `until must be at least ${EXPORT_SETTLE_SECONDS} seconds in the past`,
    ],
    ["cursor=not-a-cursor", "cursor must be an issuance id or a cursor this API returned"],
    ["cursor=01arz3ndektsv4rrffq69g5fav", "cursor must be an issuance id or a cursor this API returned"],
    ["since=2013-01-01T00:00:00Z&limit=0", "limit must be an integer from 1 to 10000"],
    ["since=2013-01-01T00:00:00Z&limit=10001", "limit must be an integer from 1 to 10000"],
    ["since=2013-01-01T00:00:00Z&limit=ten", "limit must be an integer from 1 to 10000"],
    ["since=2013-01-01T00:00:00Z&vendor=acme", "vendor must be one of"],
    ["since=2013-01-01T00:00:00Z&client_ref=", "client_ref is out of range"],
    ["since=2013-01-01T00:00:00Z&sort=desc", "unknown field sort"],
  ])("refuses ?%s with 400 before streaming", async (bad, message) => {
    const error = await expectError(await call(`/v1/audit/export?${bad}`, { headers: admin }), 400, "invalid_request");
    expect(error.message).toContain("invalid audit export query");
    expect(error.message).toContain(message);
  });

  it.each([
    ["no token", {}],
    ["a wrong token", { Authorization: "Bearer wrong-admin-token-of-reasonable-length-000" }],
    ["a Basic header", { Authorization: `Basic ${btoa(`admin:${ADMIN_TOKEN}`)}` }],
  ])("refuses %s with 401", async (_case, headers) => {
    await expectError(await call(`/v1/audit/export?${query}`, { headers }), 401, "unauthenticated");
  });

  it("refuses an end user's JWT", async () => {
    await expectError(
      await call(`/v1/audit/export?${query}`, { headers: await bearer("alice") }),
      401,
      "unauthenticated",
    );
  });

  it("is disabled when ADMIN_TOKEN is unset", async () => {
    const error = await expectError(
      await call(`/v1/audit/export?${query}`, { headers: admin, env: { ADMIN_TOKEN: undefined } }),
      403,
      "forbidden",
    );
    expect(error.message).toContain("ADMIN_TOKEN");
  });

  it("checks the admin token before the query", async () => {
    await expectError(await call("/v1/audit/export?sort=desc", {}), 401, "unauthenticated");
  });
});
