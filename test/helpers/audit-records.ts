import type { AuditRecord } from "../../src/audit/record";

/**
 * An audit record of an issued Soniox key, as the broker writes one, for tests
 * that set up listings through the AuditStore with chosen times and ids.
 */
export function issuedRecord(
  id: string,
  at: number,
  clientRef: string,
  userAgent: string,
  overrides: Partial<AuditRecord> = {},
): AuditRecord {
  return {
    id,
    at: new Date(at).toISOString(),
    vendor: "soniox",
    client_ref: clientRef,
    issuer: "https://idp.test.example",
    subject: clientRef,
    outcome: "issued",
    ttl_seconds: 300,
    expires_at: new Date(at + 300_000).toISOString(),
    options: { usage_type: "transcribe_websocket" },
    upstream_status: 201,
    error_code: null,
    key_fingerprint: "0123456789abcdef",
    vendor_key_id: null,
    ip: "203.0.113.7",
    origin: null,
    user_agent: userAgent,
    request_id: crypto.randomUUID(),
    caller_request_id: null,
    reason: null,
    deny_until: null,
    actor: null,
    ...overrides,
  };
}
