import { describe, expect, it } from "vitest";
import type { AuditRecord } from "../../src/audit/record";
import { AuditStore } from "../../src/audit/store";
import { complementId, issuanceIdSource, sha256Hex } from "../../src/ids";
import { issuedRecord } from "../helpers/audit-records";
import { ADMIN_TOKEN, auditKv, auditKvWith, call, uniqueUser } from "../helpers/broker";
import { mint } from "../helpers/mint";

/*
 * What one audit record costs in KV writes and reads, held to docs/kv-schema.md:
 * KV writes are most of what a mint costs the operator, so their number is part of
 * the contract, not an implementation detail.
 */

const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };

/** The real audit namespace, noting each key put and each key read. */
function countingKv() {
  const puts: string[] = [];
  const gets: string[] = [];
  const kv = auditKvWith({
    put: (key: string, ...rest: unknown[]) => {
      puts.push(key);
      return (auditKv.put as (key: string, ...rest: unknown[]) => Promise<void>)(key, ...rest);
    },
    get: (key: string, ...rest: unknown[]) => {
      gets.push(key);
      return (auditKv.get as (key: string, ...rest: unknown[]) => Promise<unknown>)(key, ...rest);
    },
  });
  return { kv, puts, gets };
}

async function auditRecordById(id: string, kv?: KVNamespace): Promise<Response> {
  return call(`/v1/audit/${id}`, { headers: admin, env: kv ? { AUDIT: kv } : {} });
}

describe("an issued key's audit record", () => {
  it("takes two KV writes: the full index entry, which holds the record, and the user's index entry", async () => {
    const { kv, puts } = countingKv();
    const response = await mint("soniox", uniqueUser(), { env: { AUDIT: kv } });
    expect(response.status).toBe(201);
    const { issuance_id: id } = (await response.json()) as { issuance_id: string };

    const descId = complementId(id);
    expect(puts).toHaveLength(2);
    expect(puts[0]).toBe(`idx2:all:${descId}`);
    expect(puts[1]).toMatch(new RegExp(`^idx2:ref:[0-9a-f]{32}:${descId}$`));
    const stored = await auditKv.getWithMetadata<AuditRecord>(`idx2:all:${descId}`, "json");
    expect(stored.value).toMatchObject({ id, outcome: "issued", vendor: "soniox" });
    expect(stored.metadata).toEqual(stored.value);
  });

  it("is read by id with one KV read of the full index entry", async () => {
    const response = await mint("soniox", uniqueUser());
    const { issuance_id: id } = (await response.json()) as { issuance_id: string };
    const { kv, gets } = countingKv();

    const read = await auditRecordById(id, kv);
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ id, outcome: "issued" });
    expect(gets).toEqual([`idx2:all:${complementId(id)}`]);
  });
});

describe("records in other shapes", () => {
  // A fresh id source with times in the past, as a record from an earlier version would carry.
  const idAt = issuanceIdSource();
  const store = new AuditStore(auditKv, 3600);

  it("reads a record too large for index metadata in full by id", async () => {
    const at = Date.UTC(2006, 0, 1);
    // The store cuts a caller's text to fit; a vendor key id it keeps whole.
    const record = issuedRecord(idAt(new Date(at)), at, uniqueUser(), "curl/8.7.1", {
      vendor_key_id: `big-key/${"x".repeat(1500)}`,
    });
    await store.write(record);
    const { metadata } = await auditKv.getWithMetadata(`idx2:all:${complementId(record.id)}`);
    expect(metadata).toEqual({ id: record.id, vendor: "soniox", partial: true });

    const read = await auditRecordById(record.id);
    expect(read.status).toBe(200);
    expect(await read.json()).toEqual(record);
  });

  it("still reads a record written by a version before the two-write layout, by id and in listings", async () => {
    // That version wrote rec:{id} with the record, and index entries with an empty value and the record
    // (or, when too large, a partial marker) as metadata.
    const at = Date.UTC(2006, 0, 2);
    const user = uniqueUser();
    const small = issuedRecord(idAt(new Date(at)), at, user, "legacy/1.0");
    const large = issuedRecord(idAt(new Date(at + 1)), at + 1, user, `legacy/${"x".repeat(1500)}`);
    const refHash = (await sha256Hex(user)).slice(0, 32);
    for (const [record, metadata] of [
      [small, small],
      [large, { id: large.id, vendor: large.vendor, partial: true }],
    ] as const) {
      const descId = complementId(record.id);
      const options = { expirationTtl: 3600, metadata };
      await auditKv.put(`rec:${record.id}`, JSON.stringify(record), { expirationTtl: 3600 });
      await auditKv.put(`idx2:all:${descId}`, "", options);
      await auditKv.put(`idx2:ref:${refHash}:${descId}`, "", options);
    }

    for (const record of [small, large]) {
      const read = await auditRecordById(record.id);
      expect(read.status).toBe(200);
      expect(await read.json()).toEqual(record);
    }
    const listing = await call(`/v1/audit?client_ref=${user}`, { headers: admin });
    expect(listing.status).toBe(200);
    expect(((await listing.json()) as { records: AuditRecord[] }).records).toEqual([large, small]);
  });

  it("answers 404 for an id with neither shape", async () => {
    const at = Date.UTC(2006, 0, 3);
    const read = await auditRecordById(idAt(new Date(at)));
    expect(read.status).toBe(404);
  });
});
