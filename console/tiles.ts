import { el } from "./dom";
import type { StatsAnswer } from "./types";

/** The chart's and tiles' groups of the counted outcomes (docs/operations.md, "Console"). */
export type OutcomeGroup = "issued" | "refused" | "vendor_error" | "error";

export const GROUP_LABELS: Record<OutcomeGroup, string> = {
  issued: "issued",
  refused: "refused",
  vendor_error: "vendor error",
  error: "broker error",
};

export function groupOf(outcome: string): OutcomeGroup {
  if (outcome === "issued") return "issued";
  if (outcome.startsWith("refused_")) return "refused";
  if (outcome.startsWith("upstream_") || outcome === "vendor_credential_refused") return "vendor_error";
  return "error";
}

/** Mints, refusals by reason, distinct users and the vendor error rate, each as text. */
export function renderTiles(container: HTMLElement, stats: StatsAnswer): void {
  const byGroup: Record<OutcomeGroup, number> = { issued: 0, refused: 0, vendor_error: 0, error: 0 };
  const refusals = new Map<string, number>();
  const vendorCalls = new Map<string, { calls: number; failures: number }>();
  for (const { vendor, outcome, count } of stats.hours) {
    const group = groupOf(outcome);
    byGroup[group] += count;
    if (group === "refused") {
      const reason = outcome.slice("refused_".length);
      refusals.set(reason, (refusals.get(reason) ?? 0) + count);
    }
    if (vendor !== null && (group === "issued" || group === "vendor_error")) {
      const entry = vendorCalls.get(vendor) ?? { calls: 0, failures: 0 };
      entry.calls += count;
      if (group === "vendor_error") entry.failures += count;
      vendorCalls.set(vendor, entry);
    }
  }
  const requests = Object.values(byGroup).reduce((sum, n) => sum + n, 0);
  const calls = byGroup.issued + byGroup.vendor_error;
  const busiest = stats.distinct_users.reduce((best, day) => (day.count > best.count ? day : best), {
    day: "",
    count: 0,
  });
  const worst = [...vendorCalls.entries()]
    .filter(([, v]) => v.failures > 0)
    .sort(([, a], [, b]) => b.failures / b.calls - a.failures / a.calls)[0];

  container.replaceChildren(
    tile("tile-mints", "Keys issued", String(byGroup.issued), [`of ${requests} mint requests`]),
    tile(
      "tile-refusals",
      "Refusals",
      String(byGroup.refused),
      [...refusals.entries()].sort(([, a], [, b]) => b - a).map(([reason, n]) => `${reason}: ${n}`),
    ),
    tile("tile-users", "Distinct users", String(busiest.count), [
      busiest.day ? `most in one UTC day (${busiest.day})` : "no users in this window",
    ]),
    tile("tile-error-rate", "Vendor error rate", calls === 0 ? "—" : percent(byGroup.vendor_error, calls), [
      `${byGroup.vendor_error} vendor failures of ${calls} vendor calls`,
      ...(worst ? [`worst: ${worst[0]} (${percent(worst[1].failures, worst[1].calls)})`] : []),
    ]),
  );
}

function tile(id: string, label: string, value: string, details: string[]): HTMLElement {
  return el(
    "div",
    { class: "tile", id },
    el("h3", {}, label),
    el("p", { class: "tile-value" }, value),
    el("ul", {}, ...details.map((text) => el("li", {}, text))),
  );
}

function percent(part: number, whole: number): string {
  return `${((100 * part) / whole).toFixed(1)} %`;
}
