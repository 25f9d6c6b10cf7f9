import type { AppliedOptions } from "../vendors/types";

/** One issuance attempt that reached a vendor. Never holds the key, a vendor secret or the JWT. */
export interface AuditRecord {
  /** The issuance id; sorts by time. */
  id: string;
  at: string;
  vendor: string;
  client_ref: string;
  issuer: string | null;
  subject: string | null;
  outcome: "issued" | "upstream_error";
  ttl_seconds: number;
  expires_at: string | null;
  options: AppliedOptions;
  upstream_status: number | null;
  /** Our error code when the outcome is `upstream_error`. */
  error_code: string | null;
  /** First 16 hex characters of SHA-256 of the minted key; identifies a leaked key without storing it. */
  key_fingerprint: string | null;
  vendor_key_id: string | null;
  ip: string | null;
  origin: string | null;
  user_agent: string | null;
  request_id: string;
}

export interface AuditQuery {
  clientRef?: string;
  vendor?: string;
  since?: Date;
  until?: Date;
  limit: number;
  cursor?: string;
}

export interface AuditPage {
  records: AuditRecord[];
  cursor: string | null;
}
