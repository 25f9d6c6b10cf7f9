import "uplot/dist/uPlot.min.css";
import "./console.css";
import { adminToken, ApiError, getJson } from "./api";
import { AuditTable } from "./audit";
import { renderChart } from "./chart";
import { byId, el, shortTime } from "./dom";
import { type Filters, filtersQuery, hourRange, readFilters, timeRange } from "./filters";
import { renderHealth } from "./health";
import { renderTiles } from "./tiles";
import type { StatsAnswer } from "./types";
import { UsersTable } from "./users";

/**
 * The operator console: signs in (Cloudflare Access, else ADMIN_TOKEN in sessionStorage),
 * then shows the tiles, chart, users, audit and health for the filters in the URL.
 */
let filters = readFilters();
const users = new UsersTable(
  (clientRef) => filtersQuery({ ...filters, client_ref: clientRef }),
  () => refresh(),
);
const audit = new AuditTable();
users.fail = audit.fail = showError;

function showError(error: unknown): void {
  if (error instanceof ApiError && error.needsSignIn) return askForToken(error);
  const text = error instanceof ApiError ? `${error.code}: ${error.message}` : String(error);
  byId("status").textContent = `Error: ${text}`;
  byId("status").className = "error";
}

function askForToken(error: ApiError | undefined): void {
  const hadToken = adminToken.get() !== null;
  adminToken.clear();
  byId("main").hidden = true;
  byId("sign-out").hidden = true;
  byId("sign-in").hidden = false;
  byId("status").textContent = "Signed out.";
  byId("status").className = "";
  byId("sign-in-error").textContent =
    error && hadToken ? `The broker refused the token (${error.status} ${error.code}): ${error.message}` : "";
  byId("admin-token").focus();
}

async function refresh(): Promise<void> {
  byId("status").textContent = "Loading…";
  byId("status").className = "";
  const range = timeRange(filters);
  // One admin request first: without sign-in, one 401 asks for the token, not four.
  fillVendorChoices(await renderHealth());
  const [stats] = await Promise.all([
    getJson<StatsAnswer>("/v1/admin/stats", { ...range, vendor: filters.vendor }),
    users.load(),
    audit.show({ ...range, vendor: filters.vendor, client_ref: filters.client_ref }),
  ]);
  byId("sign-in").hidden = true;
  byId("main").hidden = false;
  byId("sign-out").hidden = adminToken.get() === null;
  renderTiles(byId("tiles"), stats);
  renderChart(byId("chart"), byId("chart-legend"), stats, (from, to) => {
    setFilters({ ...filters, window: "custom", ...hourRange(from, to) });
  });
  byId("window-text").textContent = `From ${shortTime(stats.since)} to ${shortTime(stats.until)}${
    filters.vendor ? `, ${filters.vendor} only` : ""
  }${filters.client_ref ? `; audit of ${filters.client_ref}` : ""}.`;
  byId("status").textContent = `Updated ${shortTime(new Date().toISOString())}.`;
}

function fillVendorChoices(vendorIds: string[]): void {
  const select = byId<HTMLSelectElement>("filter-vendor");
  select.replaceChildren(
    el("option", { value: "" }, "All vendors"),
    ...vendorIds.map((id) => el("option", { value: id }, id)),
  );
  select.value = filters.vendor ?? "";
}

function showFilters(): void {
  byId<HTMLSelectElement>("window").value = filters.window;
  byId<HTMLSelectElement>("filter-vendor").value = filters.vendor ?? "";
  byId<HTMLInputElement>("filter-client-ref").value = filters.client_ref ?? "";
}

/** Puts the filters in the URL (a new history entry) and shows them. */
function setFilters(next: Filters): void {
  filters = next;
  history.pushState(null, "", filtersQuery(filters));
  showFilters();
  refresh().catch(showError);
}

byId("filters").addEventListener("submit", (event) => {
  event.preventDefault();
  const chosen = byId<HTMLSelectElement>("window").value as Filters["window"];
  setFilters({
    ...filters,
    window: chosen,
    ...(chosen === "custom" ? {} : { since: undefined, until: undefined }),
    vendor: byId<HTMLSelectElement>("filter-vendor").value || undefined,
    client_ref: byId<HTMLInputElement>("filter-client-ref").value.trim() || undefined,
  });
});
byId("clear-filters").addEventListener("click", () => setFilters({ window: "24h" }));
byId("sign-in").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = byId<HTMLInputElement>("admin-token");
  adminToken.set(input.value.trim());
  input.value = "";
  refresh().catch(showError);
});
byId("sign-out").addEventListener("click", () => askForToken(undefined));
window.addEventListener("popstate", () => {
  filters = readFilters();
  showFilters();
  refresh().catch(showError);
});

showFilters();
// Behind Cloudflare Access this first request is already signed in; without it, a 401 asks for the token.
refresh().catch(showError);
