import { getJson } from "./api";
import { byId, el } from "./dom";
import type { HealthAnswer, VendorState } from "./types";

const STATE_TEXT: Record<VendorState["state"], string> = {
  configured: "configured",
  not_configured: "not configured (no secret set)",
  misconfigured: "misconfigured (see the problems above)",
  disabled: "disabled by POLICY",
};

/** GET /healthz's problems and each vendor's state (GET /v1/admin/vendors); returns the vendor ids. */
export async function renderHealth(): Promise<string[]> {
  const [health, { vendors }] = await Promise.all([
    // 503 degraded is an answer here, not a failure.
    fetch("/healthz").then((response) => response.json() as Promise<HealthAnswer>),
    getJson<{ vendors: VendorState[] }>("/v1/admin/vendors"),
  ]);
  byId("health-status").textContent =
    health.status === "ok"
      ? "Configuration: ok."
      : `Configuration: degraded, ${health.problems?.length ?? 0} problem(s).`;
  byId("health-problems").replaceChildren(
    ...(health.problems ?? []).map(({ variable, problem }) => el("li", {}, `${variable}: ${problem}`)),
  );
  byId("vendors")
    .querySelector("tbody")!
    .replaceChildren(
      ...vendors.map((vendor) =>
        el(
          "tr",
          {},
          el("td", {}, vendor.id),
          el(
            "td",
            { class: vendor.state === "configured" ? "outcome-ok" : "outcome-bad" },
            // Plain http is accepted only for loopback hosts: the emulator under `npm run dev`.
            `${STATE_TEXT[vendor.state]}${vendor.loopback ? ", emulated (loopback base URL)" : ""}`,
          ),
        ),
      ),
    );
  return vendors.map((vendor) => vendor.id);
}
