import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import type { EndUser } from "../auth/end-user";
import type { BrokerConfig } from "../config";
import { logLine } from "../log";
import { type VendorId, vendorIds } from "../vendors/registry";
import { mintOutcome } from "./outcome";
import { countInShard, type FinishedMint, type MintCounter, UNKNOWN_VENDOR } from "./shards";

const knownVendors: ReadonlySet<string> = new Set(vendorIds);

/**
 * Counts each finished mint request of a verified user after its answer is made, through
 * `waitUntil`: the count is never on the mint's path, so a counter that throws, rejects or never
 * settles changes nothing the caller gets, nor when. Goes first on the route, so it sees every
 * refusal that follows sign-in. A request with no verified user is not counted at all: anyone
 * can send those, and counting them would let an anonymous flood cost a Durable Object call
 * each and crowd out the real users' counts.
 * `counter` is the app's `deps.countMint`, the `MINT_STATS` shards when it is unset. `routeVendor`
 * names the vendor of a route that mints for one only (LiveKit's token endpoint).
 */
export function countMints(counter: MintCounter | undefined, routeVendor?: VendorId): MiddlewareHandler<AppEnv> {
  const count = counter ?? countInShard;
  return async (c, next) => {
    await next();
    try {
      const user = c.get("user") as EndUser | undefined;
      if (user === undefined) return;
      const vendor = routeVendor ?? c.req.param("vendor");
      const mint: FinishedMint = {
        at: c.var.deps.now(),
        vendor: vendor !== undefined && knownVendors.has(vendor) ? vendor : UNKNOWN_VENDOR,
        outcome: mintOutcome(c.res.status, c.error),
        clientRef: user.clientRef,
      };
      c.executionCtx.waitUntil(countQuietly(count, mint, c.var.config, c.var.requestId));
    } catch (error) {
      uncounted(c.var.requestId, error);
    }
  };
}

async function countQuietly(
  counter: MintCounter,
  mint: FinishedMint,
  config: BrokerConfig,
  requestId: string,
): Promise<void> {
  try {
    await counter(mint, config);
  } catch (error) {
    uncounted(requestId, error);
  }
}

/** A lost count is the operator's to know about, never the caller's. */
function uncounted(requestId: string, error: unknown): void {
  logLine("warn", {
    msg: "a mint request could not be counted; its answer was not affected",
    request_id: requestId,
    error: error instanceof Error ? error.name : "unknown",
  });
}
