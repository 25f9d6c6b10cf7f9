/** Counts of days more than this many days before the day being reserved are dropped. */
export const USAGE_RETENTION_DAYS = 2;
