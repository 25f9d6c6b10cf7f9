/** The answers the console reads, as docs/api.md and /openapi.json state them. */

export interface StatsAnswer {
  since: string;
  until: string;
  hours: { hour: string; vendor: string | null; outcome: string; count: number }[];
  distinct_users: { day: string; count: number }[];
}

export interface DenyState {
  reason: string;
  until: string | null;
  actor: string;
}

export interface UserRow {
  client_ref: string;
  mints: number;
  refusals: number;
  last_mint_at: string | null;
  vendors: string[];
  daily_quota: number | null;
  deny: DenyState | null;
}

export interface UsersAnswer {
  day: string;
  users: UserRow[];
  cursor: string | null;
}

export type AuditRecord = Record<string, unknown> & {
  id: string;
  at: string;
  vendor: string | null;
  client_ref: string;
  ttl_seconds: number | null;
  expires_at: string | null;
  outcome: string;
  request_id: string;
  vendor_key_id: string | null;
  error_code: string | null;
};

export interface AuditAnswer {
  records: AuditRecord[];
  cursor: string | null;
}

export interface VendorState {
  id: string;
  state: "configured" | "not_configured" | "misconfigured" | "disabled";
  loopback: boolean;
}

export interface HealthAnswer {
  status: "ok" | "degraded";
  problems?: { variable: string; problem: string }[];
}
