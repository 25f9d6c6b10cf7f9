import * as fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { AuditRecord } from "../../src/audit/record";
import { AuditStore, MAX_LIST_PAGES_PER_REQUEST } from "../../src/audit/store";
import { MAX_AUDIT_PAGE_SIZE } from "../../src/constants";
import { issuanceIdSource } from "../../src/ids";
import { vendorIds } from "../../src/vendors/registry";
import { issuedRecord } from "../helpers/audit-records";
import { ADMIN_TOKEN, auditKv, auditKvWith, call } from "../helpers/broker";
import { fuzzParameters, fuzzSeed, PROPERTY_TIMEOUT_MS } from "./runs";

/*
 * GET /v1/audit against a reference model. A few random record sets are written
 * through the AuditStore into the real local KV, each in its own window of time
 * far in the past and with its own client_refs, so that no other test's records
 * can match; then each run lists one of them with random filters and random page
 * sizes, following cursors until `null`, and compares with the model: the same
 * records, newest first by issuance id, none twice, none missing.
 *
 * Each run also gives KV a random page size (KV may return fewer keys than asked),
 * so that KV page boundaries and the broker's 5-list-calls-per-request bound fall
 * anywhere without writing thousands of records.
 */

const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };
const store = new AuditStore(auditKv, 3600);

/** Record sets written once and queried by every run. */
const DATASETS = 5;
/** Time between two record sets' windows; a window spans at most `MAX_SPAN_MS`. */
const WINDOW_GAP_MS = 60_000;
const MAX_SPAN_MS = 3_000;
/** Records written at once, so that the local KV is not flooded. */
const WRITE_BATCH = 100;

interface Dataset {
  /** client_refs with records, and one with none. */
  clientRefs: string[];
  start: number;
  end: number;
  records: AuditRecord[];
}

interface RecordShape {
  offset: number;
  ref: number;
  vendor: string | null;
  large: boolean;
}

const datasetShapeArb = fc
  .tuple(fc.constantFrom(0, 3, 40, 400, MAX_SPAN_MS), fc.integer({ min: 20, max: 300 }))
  .chain(([span, size]) =>
    fc.array(
      fc.record({
        offset: fc.integer({ min: 0, max: span }),
        ref: fc.integer({ min: 0, max: 2 }),
        vendor: fc.option(fc.constantFrom("soniox", "speechmatics", "deepgram"), { nil: null, freq: 8 }),
        large: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
      }),
      { minLength: size, maxLength: size },
    ),
  );

/** Writes one record set at `start`: ids come from a fresh source, in time order, as the broker makes them. */
async function writeDataset(label: string, start: number, shapes: RecordShape[]): Promise<Dataset> {
  const clientRefs = [0, 1, 2, 3].map((n) => `${label}-ref${n}`);
  const nextId = issuanceIdSource();
  const records = [...shapes]
    .sort((a, b) => a.offset - b.offset)
    .map((shape) => {
      const at = start + shape.offset;
      const clientRef = clientRefs[shape.ref] as string;
      const overrides: Partial<AuditRecord> =
        shape.vendor === null
          ? { vendor: null, outcome: "denied", ttl_seconds: null, expires_at: null, options: {}, reason: "fuzz" }
          : { vendor: shape.vendor as AuditRecord["vendor"] };
      // A vendor key id (kept whole) over KV's 1024-byte metadata limit: the index keeps a partial entry and
      // the listing reads the full index entry's value, within its budget of KV reads.
      const vendorKeyId = shape.large ? `fuzz-key/${"x".repeat(1500)}` : null;
      return issuedRecord(nextId(new Date(at)), at, clientRef, "fuzz-listing/1.0", {
        ...overrides,
        vendor_key_id: vendorKeyId,
      });
    });
  for (let i = 0; i < records.length; i += WRITE_BATCH) {
    await Promise.all(records.slice(i, i + WRITE_BATCH).map((record) => store.write(record)));
  }
  const end = start + Math.max(0, ...shapes.map((shape) => shape.offset));
  return { clientRefs, start, end, records };
}

interface ListingQuery {
  dataset: number;
  clientRef?: string;
  vendor?: string;
  since?: number;
  until?: number;
  /** One limit per request, used in turn; undefined means the default. */
  limits: (number | undefined)[];
  /** Offset (minutes) each request spells its times with; the cursor must not care. */
  offsets: number[];
  /** Keys KV hands back per list call at most. */
  kvPageSize: number;
}

/** The model: filter, then newest first by the whole issuance id. */
function expected(dataset: Dataset, query: ListingQuery): AuditRecord[] {
  return dataset.records
    .filter((record) => query.clientRef === undefined || record.client_ref === query.clientRef)
    .filter((record) => query.vendor === undefined || record.vendor === query.vendor)
    .filter((record) => query.since === undefined || Date.parse(record.at) >= query.since)
    .filter((record) => query.until === undefined || Date.parse(record.at) <= query.until)
    .sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
}

/** An ISO-8601 time with the given UTC offset in minutes, e.g. `1994-03-01T05:30:00.123+05:30`. */
function spell(ms: number, offsetMinutes: number): string {
  if (offsetMinutes === 0) return new Date(ms).toISOString();
  const local = new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, -1);
  const sign = offsetMinutes < 0 ? "-" : "+";
  const abs = Math.abs(offsetMinutes);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

function queryArb(datasets: Dataset[]): fc.Arbitrary<ListingQuery> {
  return fc.integer({ min: 0, max: datasets.length - 1 }).chain((index) => {
    const dataset = datasets[index] as Dataset;
    // Times that matter: each record's, one either side, and the window's edges.
    const times = [...new Set(dataset.records.flatMap((record) => [-1, 0, 1].map((d) => Date.parse(record.at) + d)))];
    const timeArb = fc.oneof(
      fc.constantFrom(...times, dataset.start - 1000, dataset.end + 1000),
      fc.integer({ min: dataset.start - 1000, max: dataset.end + 1000 }),
    );
    return fc
      .record({
        clientRef: fc.option(fc.constantFrom(...dataset.clientRefs), { nil: undefined, freq: 3 }),
        vendor: fc.option(fc.constantFrom(...vendorIds), { nil: undefined, freq: 2 }),
        since: fc.option(timeArb, { nil: undefined, freq: 3 }),
        until: fc.option(timeArb, { nil: undefined, freq: 3 }),
        inverted: fc.integer({ min: 0, max: 19 }).map((n) => n === 0),
        offsets: fc.array(fc.constantFrom(0, 0, 330, -600, 60), { minLength: 1, maxLength: 3 }),
        kvPageSize: fc.oneof(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 1000 }), fc.constant(1000)),
        globalKvPageSize: fc.oneof(fc.integer({ min: 100, max: 1000 }), fc.constant(1000)),
        // Mostly small pages, so that a listing takes several requests; sometimes up to 1000.
        limitChoice: fc.array(fc.tuple(fc.constantFrom(5, 5, 30, MAX_AUDIT_PAGE_SIZE), fc.nat()), {
          minLength: 1,
          maxLength: 4,
        }),
        defaultLimit: fc.integer({ min: 0, max: 7 }).map((n) => n === 0),
      })
      .map(
        ({ clientRef, since, until, inverted, limitChoice, defaultLimit, kvPageSize, globalKvPageSize, ...rest }) => {
          // Without a client_ref the global index holds everyone's records: stay inside this set's window,
          // and read KV in pages large enough to pass over the other tests' records in a few requests.
          const scoped = clientRef === undefined;
          let from = since ?? (scoped ? dataset.start - 1000 : undefined);
          let to = until ?? (scoped ? dataset.end + 1000 : undefined);
          if (from !== undefined && to !== undefined && from > to !== inverted) [from, to] = [to, from];
          const query: ListingQuery = {
            dataset: index,
            clientRef,
            since: from,
            until: to,
            limits: [],
            kvPageSize: scoped ? globalKvPageSize : kvPageSize,
            ...rest,
          };
          // Page sizes from 1 to 1000, but never so small that one listing takes more than ~40 requests.
          const floor = Math.max(1, Math.ceil(expected(dataset, query).length / 40));
          query.limits = limitChoice.map(([range, n], i) =>
            defaultLimit && i === 0 ? undefined : Math.min(MAX_AUDIT_PAGE_SIZE, floor + (n % range)),
          );
          return query;
        },
      );
  });
}

/** The real namespace, handing back at most `pageSize` keys per list call, as KV may; counts list calls. */
function kvWithPageSize(pageSize: number): { kv: KVNamespace; listCalls: () => number } {
  let calls = 0;
  const kv = auditKvWith({
    list: (options?: KVNamespaceListOptions) => {
      calls += 1;
      return auditKv.list({ ...options, limit: Math.min(options?.limit ?? 1000, pageSize) });
    },
  });
  return { kv, listCalls: () => calls };
}

/** Requests after which a listing counts as endless; far above what any generated query needs. */
const MAX_REQUESTS_PER_LISTING = 500;

interface Page {
  records: AuditRecord[];
  cursor: string | null;
}

class ListingMismatch extends Error {
  constructor(problem: string, query: ListingQuery, detail: unknown) {
    super(`${problem}\n  query: ${JSON.stringify(query)}\n  ${JSON.stringify(detail).slice(0, 1500)}`);
    this.name = "ListingMismatch";
  }
}

let datasets: Dataset[] = [];

beforeAll(async () => {
  // A window unique to this run (not derived from the seed, so that a replay never meets an earlier run's records).
  const base = Date.UTC(1990, 0, 1) + Math.floor(Math.random() * 8 * 365 * 86_400) * 1000;
  const label = `fuzz-listing-${crypto.randomUUID().slice(0, 8)}`;
  const shapes = fc.sample(datasetShapeArb, { seed: fuzzSeed, numRuns: DATASETS });
  datasets = [];
  for (const [i, shape] of shapes.entries()) {
    datasets.push(await writeDataset(`${label}-d${i}`, base + i * WINDOW_GAP_MS, shape));
  }
}, 120_000);

describe("GET /v1/audit against a reference model", () => {
  it(
    "lists exactly the matching records, newest first, none twice and none missing, across pages",
    async () => {
      let requests = 0;
      await fc.assert(
        fc.asyncProperty(queryArb(datasets), async (query) => {
          const dataset = datasets[query.dataset] as Dataset;
          const want = expected(dataset, query);
          const { kv, listCalls } = kvWithPageSize(query.kvPageSize);
          const pages: Page[] = [];
          let cursor: string | null = null;
          do {
            const i = pages.length;
            const offset = query.offsets[i % query.offsets.length] as number;
            const limit = query.limits[i % query.limits.length];
            const params = new URLSearchParams();
            if (query.clientRef !== undefined) params.set("client_ref", query.clientRef);
            if (query.vendor !== undefined) params.set("vendor", query.vendor);
            if (query.since !== undefined) params.set("since", spell(query.since, offset));
            if (query.until !== undefined) params.set("until", spell(query.until, offset));
            if (limit !== undefined) params.set("limit", String(limit));
            if (cursor !== null) params.set("cursor", cursor);
            const callsBefore = listCalls();
            const response = await call(`/v1/audit?${params}`, { headers: admin, env: { AUDIT: kv } });
            requests += 1;
            if (listCalls() - callsBefore > MAX_LIST_PAGES_PER_REQUEST) {
              throw new ListingMismatch("one request made more than 5 KV list calls", query, {
                calls: listCalls() - callsBefore,
              });
            }
            const body = (await response.json()) as Page & { error?: { code: string } };
            if (query.since !== undefined && query.until !== undefined && query.since > query.until) {
              if (response.status !== 400 || body.error?.code !== "invalid_request") {
                throw new ListingMismatch("since after until was not refused", query, body);
              }
              return;
            }
            if (response.status !== 200) throw new ListingMismatch(`status ${response.status}`, query, body);
            if (body.records.length > (limit ?? 100))
              throw new ListingMismatch("a page holds more than limit", query, body);
            pages.push(body);
            cursor = body.cursor;
            if (pages.length > MAX_REQUESTS_PER_LISTING) {
              throw new ListingMismatch("the listing did not end", query, { pages: pages.length });
            }
          } while (cursor !== null);

          const ids = pages.flatMap((page) => page.records.map((record) => record.id));
          const wantIds = want.map((record) => record.id);
          if (new Set(ids).size !== ids.length) throw new ListingMismatch("a record was listed twice", query, ids);
          const missing = wantIds.filter((id) => !ids.includes(id));
          if (missing.length > 0) throw new ListingMismatch("records are missing", query, { missing, ids });
          const extra = ids.filter((id) => !wantIds.includes(id));
          if (extra.length > 0) throw new ListingMismatch("records that do not match were listed", query, { extra });
          if (ids.join() !== wantIds.join()) throw new ListingMismatch("not newest first", query, { ids, wantIds });
          expect(pages.flatMap((page) => page.records)).toEqual(want);
        }),
        fuzzParameters(),
      );
      console.log(`${requests} listing requests over ${datasets.map((d) => d.records.length).join("+")} records`);
    },
    PROPERTY_TIMEOUT_MS,
  );
});
