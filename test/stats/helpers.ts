import { ADMIN_TOKEN, call, type CallOptions } from "../helpers/broker";
import { mint, type MintCall } from "../helpers/mint";

export const HOUR_MS = 60 * 60 * 1000;
export const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };

/**
 * Each test's own hour, so that counts from other tests in the file (which share the storage)
 * never land in it: whole hours counted back from the real one, half past, a different one per call.
 */
let hoursBack = 1;
export function ownHour(): Date {
  return new Date(Math.floor(Date.now() / HOUR_MS) * HOUR_MS - hoursBack++ * HOUR_MS + HOUR_MS / 2);
}

/** A mint with the broker's clock at `at`, and a token issued then. */
export function mintAt(at: Date, vendor: string, user: string, options: MintCall = {}): Promise<Response> {
  const iat = Math.floor(at.getTime() / 1000);
  return mint(vendor, user, {
    ...options,
    now: () => at,
    token: { ...options.token, claims: { iat, exp: iat + 600, ...options.token?.claims } },
  });
}

export interface HourCount {
  hour: string;
  vendor: string;
  outcome: string;
  count: number;
}

/** GET /v1/admin/stats as the operator; the answer's JSON, asserting 200. */
export async function stats(query: Record<string, string>, options: CallOptions = {}) {
  const response = await call(`/v1/admin/stats?${new URLSearchParams(query)}`, { headers: admin, ...options });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`stats: ${response.status} ${text}`);
  return JSON.parse(text) as {
    since: string;
    until: string;
    hours: HourCount[];
    distinct_users: { day: string; count: number }[];
  };
}

/** The counts of the one hour that holds `at`, as `{outcome: count}` for one vendor. */
export async function outcomesIn(at: Date, vendor: string): Promise<Record<string, number>> {
  const hour = Math.floor(at.getTime() / HOUR_MS) * HOUR_MS;
  const answer = await stats({
    since: new Date(hour).toISOString(),
    until: new Date(hour + HOUR_MS).toISOString(),
    vendor,
  });
  return Object.fromEntries(answer.hours.map((row) => [row.outcome, row.count]));
}
