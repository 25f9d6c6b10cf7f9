import { expect } from "vitest";
import { auditRecordsFor } from "./audit";

/**
 * Checks what a mint refused with `vendor_credential_refused` left behind: exactly one audit
 * record, with the credential's fingerprint (and AceData's key id), and an error log line among
 * `lines` that gives the operator what they need to revoke it. Returns the record.
 */
export async function expectWithheldCredential(
  vendor: string,
  user: string,
  lines: string[],
): Promise<Record<string, unknown> | undefined> {
  const [record, ...more] = await auditRecordsFor(user);
  expect(more).toHaveLength(0);
  expect(record).toMatchObject({ outcome: "upstream_error", error_code: "vendor_credential_refused" });
  expect(record?.key_fingerprint).toMatch(/^[0-9a-f]{16}$/);
  if (vendor === "acedata") expect(record?.vendor_key_id).toMatch(/^[0-9a-f-]{36}$/);

  const revokeLine = lines
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .find((line) => line.msg !== "request");
  expect(revokeLine).toMatchObject({
    level: "error",
    vendor,
    issuance_id: record?.id,
    vendor_key_id: record?.vendor_key_id,
    key_fingerprint: record?.key_fingerprint,
  });
  expect(String(revokeLine?.msg)).toContain("revoke");
  return record;
}
