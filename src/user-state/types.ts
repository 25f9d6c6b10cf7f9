/**
 * What the Worker and the per-user `UserState` Durable Object exchange over RPC.
 * Types only (no `cloudflare:workers` import), so any module may import this cheaply.
 */

/** A cap, or null for none. */
export interface DailyLimits {
  /** Keys one client_ref may receive per UTC day, across all vendors. */
  total: number | null;
  /** Keys one client_ref may receive per UTC day from the vendor being minted. */
  vendor: number | null;
}

/** A deny in force on a client_ref. Times are ISO-8601 (UTC). */
export interface DenyState {
  reason: string;
  /** When the deny stops applying; null: until lifted. */
  until: string | null;
  /** When the deny was set. */
  since: string;
  /** Who set it (`c.var.admin.actor`); null for a deny set before actors were recorded. */
  actor: string | null;
}

export type Reservation =
  | { outcome: "reserved" }
  | { outcome: "denied"; deny: DenyState }
  | { outcome: "quota_exceeded"; scope: "total" | "vendor" };

/** Mints counted on one UTC day, those under way included. */
export interface DayUsage {
  total: number;
  vendors: Record<string, number>;
}

export interface ReserveInput {
  /** UTC day "YYYY-MM-DD", from the Worker's clock. */
  day: string;
  vendor: string;
  limits: DailyLimits;
  /** Epoch milliseconds, from the Worker's clock. */
  now: number;
}

/** The mint to uncount: its day and vendor, as reserved. */
export interface Release {
  day: string;
  vendor: string;
}

export interface DenyInput {
  reason: string;
  /** ISO-8601 time the deny ends, or null for a deny that lasts until lifted. */
  until: string | null;
  /** Who sets it: an Access identity's email, or "admin-token". */
  actor: string;
  /** Epoch milliseconds, from the Worker's clock. */
  now: number;
}

/** The RPC surface of `UserState`, as a caller sees it (every call returns a promise). */
export interface UserStateApi {
  /** Checks the deny, then the quotas, and counts one mint. */
  reserve(input: ReserveInput): Promise<Reservation>;
  /** Uncounts one reserved mint for which the vendor issued nothing; a count never goes below 0. */
  release(mint: Release): Promise<void>;
  /** Mints counted on that UTC day. */
  usage(day: string, now: number): Promise<DayUsage>;
  /** Sets (or replaces) the deny; one whose `until` has passed changes nothing. Returns the deny in force after. */
  deny(input: DenyInput): Promise<DenyState | null>;
  /** Removes the deny; returns what was in force, or null if nothing was. */
  lift(now: number): Promise<DenyState | null>;
  /** The deny in force now: null when none, or when its `until` <= now. */
  denyState(now: number): Promise<DenyState | null>;
}
