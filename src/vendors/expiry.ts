import { VENDOR_EXPIRY_SLACK_SECONDS } from "../constants";

/**
 * True when a vendor's expiry is missing (the key never expires), unreadable,
 * or later than the requested TTL allows, give or take 60 s of clock skew.
 * Such a key is never handed out.
 */
export function outlivesTtl(expiresAt: Date | null, now: Date, ttlSeconds: number): boolean {
  if (expiresAt === null || Number.isNaN(expiresAt.getTime())) return true;
  return expiresAt.getTime() > now.getTime() + (ttlSeconds + VENDOR_EXPIRY_SLACK_SECONDS) * 1000;
}
