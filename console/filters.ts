/**
 * The view's filters live in the query string, so a view can be shared as a link:
 * `window` (24h, 7d), or `since` and `until` (ISO, set by dragging across the chart),
 * `vendor` and `client_ref`. Nothing secret is ever put there.
 */
const HOUR_MS = 3_600_000;
/** GET /v1/admin/stats reads at most 7 × 24 hours. */
const WINDOW_HOURS = { "24h": 24, "7d": 7 * 24 } as const;

export type WindowName = keyof typeof WINDOW_HOURS;

export interface Filters {
  window: WindowName | "custom";
  since?: string;
  until?: string;
  vendor?: string;
  client_ref?: string;
}

export function readFilters(search = location.search): Filters {
  const params = new URLSearchParams(search);
  const value = (name: string) => params.get(name)?.trim() || undefined;
  const since = isoOrUndefined(value("since"));
  const until = isoOrUndefined(value("until"));
  const named = value("window");
  const filters: Filters = {
    window: since && until ? "custom" : named === "7d" ? "7d" : "24h",
    vendor: value("vendor"),
    client_ref: value("client_ref"),
  };
  if (filters.window === "custom") Object.assign(filters, { since, until });
  return filters;
}

export function filtersQuery(filters: Filters): string {
  const params = new URLSearchParams();
  if (filters.window === "custom" && filters.since && filters.until) {
    params.set("since", filters.since);
    params.set("until", filters.until);
  } else if (filters.window !== "24h") {
    params.set("window", filters.window);
  }
  if (filters.vendor) params.set("vendor", filters.vendor);
  if (filters.client_ref) params.set("client_ref", filters.client_ref);
  const text = params.toString();
  return text === "" ? location.pathname : `${location.pathname}?${text}`;
}

/**
 * The time range the filters name. A named window ends now (no `until`) and starts
 * on an hour boundary, so it covers exactly its number of hourly buckets.
 */
export function timeRange(filters: Filters, now = Date.now()): { since: string; until?: string } {
  if (filters.window === "custom" && filters.since && filters.until) {
    return { since: filters.since, until: filters.until };
  }
  const hours = WINDOW_HOURS[filters.window === "custom" ? "24h" : filters.window];
  const start = Math.floor(now / HOUR_MS) * HOUR_MS - (hours - 1) * HOUR_MS;
  return { since: new Date(start).toISOString() };
}

/** A dragged range, widened to whole hours: the chart's buckets. */
export function hourRange(fromMs: number, toMs: number): { since: string; until: string } {
  const since = Math.floor(fromMs / HOUR_MS) * HOUR_MS;
  const until = Math.max(Math.ceil(toMs / HOUR_MS) * HOUR_MS, since + HOUR_MS);
  return { since: new Date(since).toISOString(), until: new Date(until).toISOString() };
}

export { HOUR_MS };

function isoOrUndefined(value: string | undefined): string | undefined {
  return value !== undefined && !Number.isNaN(Date.parse(value)) ? new Date(value).toISOString() : undefined;
}
