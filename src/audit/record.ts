import * as z from "zod/mini";
import { MAX_AUDIT_HEADER_BYTES } from "../constants";
import type { Caller } from "../http/caller";
import { ISSUANCE_ID_PATTERN } from "../ids";
import { vendorIdSchema } from "../vendors/registry";
import { boundedText } from "./fit";

/**
 * One issuance attempt that reached a vendor, or one operator action on a
 * user (deny, lift). Never holds the key, a vendor secret or the JWT. The
 * schema documents the record in the OpenAPI document.
 */
export const auditRecordSchema = z.object({
  /** The issuance id; sorts by time. */
  id: z.string().check(z.regex(ISSUANCE_ID_PATTERN)),
  at: z.iso.datetime(),
  /** Null for an operator action on a user. */
  vendor: z.nullable(vendorIdSchema),
  client_ref: z.string(),
  issuer: z.nullable(z.string()),
  subject: z.nullable(z.string()),
  outcome: z.enum(["issued", "upstream_error", "denied", "deny_lifted"]),
  /** Null for an operator action on a user. */
  ttl_seconds: z.nullable(z.int()),
  expires_at: z.nullable(z.iso.datetime()),
  options: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.array(z.string())])),
  upstream_status: z.nullable(z.int()),
  /** Our error code when the outcome is `upstream_error`. */
  error_code: z.nullable(z.string()),
  /** First 16 hex characters of SHA-256 of the minted key; identifies a leaked key without storing it. */
  key_fingerprint: z.nullable(z.string()),
  vendor_key_id: z.nullable(z.string()),
  ip: z.nullable(z.string()),
  origin: z.nullable(z.string()),
  user_agent: z.nullable(z.string()),
  /** The broker's id for the request (its `X-Request-Id`). */
  request_id: z.string(),
  /** The caller's own `X-Request-Id`, when it sent one; the caller chose it, so it identifies nothing. */
  caller_request_id: z.nullable(z.string()),
  /** For `denied` and `deny_lifted`: the operator's reason, and until when the deny was set to last. */
  reason: z.nullable(z.string()),
  deny_until: z.nullable(z.iso.datetime()),
  /** For `denied` and `deny_lifted`: the operator who acted (`c.var.admin.actor`); null for a mint. */
  actor: z.nullable(z.string()),
});

export type AuditRecord = z.output<typeof auditRecordSchema>;

/**
 * The fields every record takes from the request that caused it. The headers are
 * the caller's to fill, so each is bounded by the bytes it takes in the record's
 * JSON (see fit.ts); the store may cut them further to fit the record in KV's
 * index metadata.
 */
export function callerFields(
  caller: Caller,
): Pick<AuditRecord, "ip" | "origin" | "user_agent" | "request_id" | "caller_request_id"> {
  const header = (value: string | null) => (value === null ? null : boundedText(value, MAX_AUDIT_HEADER_BYTES));
  return {
    ip: header(caller.ip),
    origin: header(caller.origin),
    user_agent: header(caller.userAgent),
    request_id: caller.requestId,
    caller_request_id: caller.callerRequestId,
  };
}

export const auditPageSchema = z.object({
  records: z.array(auditRecordSchema),
  cursor: z.nullable(z.string()),
});

export type AuditPage = z.output<typeof auditPageSchema>;

export interface AuditQuery {
  clientRef?: string;
  vendor?: string;
  since?: Date;
  until?: Date;
  limit: number;
  cursor?: string;
}
