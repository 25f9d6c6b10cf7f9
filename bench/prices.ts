/**
 * Cloudflare's published unit prices used for the cost per million mints:
 * marginal prices beyond each plan's monthly inclusions, in US dollars per
 * million units. Copied on PRICES_COPIED_ON from issue 12 (Workers requests,
 * CPU, KV writes) and Cloudflare's pricing pages (the rest):
 *   https://developers.cloudflare.com/workers/platform/pricing/
 *   https://developers.cloudflare.com/kv/platform/pricing/
 *   https://developers.cloudflare.com/durable-objects/platform/pricing/
 * Update the table and the date together.
 */
export const PRICES_COPIED_ON = "2026-11-23";

export interface Price {
  item: string;
  /** US dollars per million units. */
  usdPerMillion: number;
  /** What is counted, in the plural. */
  units: string;
}

export const PRICES = {
  workerRequest: { item: "Workers requests", usdPerMillion: 0.3, units: "requests" },
  cpuMs: { item: "Workers CPU time", usdPerMillion: 0.02, units: "CPU ms" },
  kvWrite: { item: "KV writes", usdPerMillion: 5.0, units: "writes" },
  kvRead: { item: "KV reads", usdPerMillion: 0.5, units: "reads" },
  kvList: { item: "KV lists", usdPerMillion: 5.0, units: "lists" },
  kvDelete: { item: "KV deletes", usdPerMillion: 5.0, units: "deletes" },
  doRequest: { item: "Durable Objects requests (each RPC call)", usdPerMillion: 0.15, units: "requests" },
  sqlRowWritten: { item: "SQLite-backed DO rows written", usdPerMillion: 1.0, units: "rows" },
  sqlRowRead: { item: "SQLite-backed DO rows read", usdPerMillion: 0.001, units: "rows" },
} satisfies Record<string, Price>;

export type PricedItem = keyof typeof PRICES;

/** What one mint uses of each priced item. */
export type Usage = Record<PricedItem, number>;

export interface CostLine {
  price: Price;
  perMint: number;
  /** US dollars per million mints. */
  usdPerMillionMints: number;
}

/** Cost per million mints = Σ units per mint × price per million units. */
export function costPerMillionMints(usage: Usage): { lines: CostLine[]; totalUsd: number } {
  const lines = (Object.keys(PRICES) as PricedItem[]).map((key) => ({
    price: PRICES[key],
    perMint: usage[key],
    usdPerMillionMints: usage[key] * PRICES[key].usdPerMillion,
  }));
  return { lines, totalUsd: lines.reduce((sum, line) => sum + line.usdPerMillionMints, 0) };
}
