/**
 * How long a pending quota reservation holds its slot when it is neither committed nor
 * released (a Worker that died mid-mint). Longer than the largest upstream timeout (60 s)
 * plus the audit write, so a live mint never loses its slot.
 */
export const RESERVATION_TTL_MS = 5 * 60 * 1000;

/** Committed counts of days more than this many days before the day being reserved are dropped. */
export const USAGE_RETENTION_DAYS = 2;
