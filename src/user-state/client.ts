import { BrokerError, brokerError } from "../errors";
import { logLine } from "../log";
import type { DailyLimits, DayUsage, DenyState, UserStateApi } from "./types";

/**
 * The Worker's side of the per-user Durable Object: one object per client_ref
 * holds that user's denylist entry and daily mint counts. Every failure to
 * reach it fails closed with `503 quota_unavailable`, before any vendor call.
 */

type UserStates = DurableObjectNamespace;

/** One mint counted against the user's quota; released (uncounted) if the vendor issued nothing. */
interface MintSlot {
  release(): Promise<void>;
}

interface SlotRequest {
  userStates: UserStates;
  clientRef: string;
  vendor: string;
  limits: DailyLimits;
  now: Date;
}

/**
 * A denied user's refusal: `403 forbidden` like a policy's, a class of its own only so that the
 * counts (src/stats/outcome.ts) tell the two apart. The operator's reason is for operators; the
 * user learns only that new keys are stopped.
 */
export class UserDenied extends BrokerError {
  constructor() {
    super(403, "forbidden", "new keys are suspended for this user", "client_ref denied");
  }
}

/** The UTC day a mint counts against, as `YYYY-MM-DD`. */
export function utcDay(now: Date): string {
  return now.toISOString().slice(0, 10);
}

/** Seconds until the next UTC midnight, when daily quotas reset (at least 1). */
function secondsUntilNextUtcDay(now: Date): number {
  const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  return Math.max(1, Math.ceil((next - now.getTime()) / 1000));
}

/** The user's object. Typed by its RPC interface: workers-types' mapped RPC types lose union results. */
function userState(userStates: UserStates, clientRef: string): UserStateApi {
  return userStates.get(userStates.idFromName(clientRef)) as unknown as UserStateApi;
}

/** Refuses a denied user or a spent quota; otherwise counts one mint for the user, in one call. */
export async function holdMintSlot({ userStates, clientRef, vendor, limits, now }: SlotRequest): Promise<MintSlot> {
  // Addressing the object is part of reaching it: a failure there is `quota_unavailable` too.
  const { stub, reservation } = await reach("reserve", async () => {
    const stub = userState(userStates, clientRef);
    const reservation = await stub.reserve({ day: utcDay(now), vendor, limits, now: now.getTime() });
    // An object running other code (mid-deploy) may answer anything; only an answer with an outcome is read.
    if (typeof reservation?.outcome !== "string") throw new TypeError("user state reserve answered no outcome");
    return { stub, reservation };
  });
  switch (reservation.outcome) {
    case "denied":
      throw new UserDenied();
    case "quota_exceeded": {
      const cap = reservation.scope === "vendor" ? limits.vendor : limits.total;
      const what = reservation.scope === "vendor" ? `${vendor} keys` : "keys";
      throw brokerError("quota_exceeded", `daily quota of ${cap} ${what} reached; it resets at 00:00 UTC`, {
        headers: { "Retry-After": String(secondsUntilNextUtcDay(now)) },
      });
    }
    case "reserved":
      // A lost release leaves a mint counted that issued nothing: it costs the user one key of quota, never a key.
      return { release: () => settle("release", () => stub.release({ day: utcDay(now), vendor })) };
    default:
      // An answer this Worker does not know (an object running other code mid-deploy): fail closed, before the vendor.
      throw brokerError("quota_unavailable", "the per-user quota store could not be reached; retry later", {
        internal: "user state reserve answered an unknown outcome",
      });
  }
}

export async function usageOn(userStates: UserStates, clientRef: string, now: Date): Promise<DayUsage> {
  return reach("usage", () => userState(userStates, clientRef).usage(utcDay(now), now.getTime()));
}

export async function denyUser(
  userStates: UserStates,
  clientRef: string,
  deny: { reason: string; until: string | null; actor: string; now: Date },
): Promise<DenyState | null> {
  return reach("deny", () =>
    userState(userStates, clientRef).deny({
      reason: deny.reason,
      until: deny.until,
      actor: deny.actor,
      now: deny.now.getTime(),
    }),
  );
}

export async function liftDeny(userStates: UserStates, clientRef: string, now: Date): Promise<DenyState | null> {
  return reach("lift", () => userState(userStates, clientRef).lift(now.getTime()));
}

export async function currentDeny(userStates: UserStates, clientRef: string, now: Date): Promise<DenyState | null> {
  return reach("denyState", () => userState(userStates, clientRef).denyState(now.getTime()));
}

/** One call to the user's object; any failure to reach it is `503 quota_unavailable`. */
async function reach<T>(method: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw brokerError("quota_unavailable", "the per-user quota store could not be reached; retry later", {
      internal: `user state ${method} failed: ${error instanceof Error ? error.name : "unknown"}`,
    });
  }
}

/** A release must not turn the vendor's error into another; a failure is logged for the operator. */
async function settle(method: string, call: () => Promise<void>): Promise<void> {
  try {
    await call();
  } catch (error) {
    logLine("error", {
      msg: `quota ${method} failed; the mint stays counted`,
      error: error instanceof Error ? error.name : "unknown",
    });
  }
}
