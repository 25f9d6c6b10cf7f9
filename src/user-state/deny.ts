import { callerFields } from "../audit/record";
import { configuredAuditStore } from "../audit/store";
import type { BrokerConfig } from "../config";
import { brokerError } from "../errors";
import type { Caller } from "../http/caller";
import { newIssuanceId } from "../ids";
import { logLine } from "../log";
import { currentDeny, denyUser, liftDeny } from "./client";
import type { DenyState } from "./types";

/**
 * Stopping and restarting new keys for one user. The deny lives in the user's
 * Durable Object, so it holds from the user's next request (KV could be up to
 * 60 s stale); each action is also an audit record under that client_ref.
 *
 * When the audit store fails, each action fails towards the safe side: a deny
 * takes effect before its record is written, a lift only after.
 */

export interface AdminAction {
  config: BrokerConfig;
  now: Date;
  /** The audit record's deadline, started when `now` was read (`recordDeadline`). */
  deadline: AbortSignal;
  caller: Caller;
  /** Who acts (`c.var.admin.actor`), for the audit record and the deny itself. */
  actor: string;
}

/** What the admin API answers about one user. */
export function denyAnswer(clientRef: string, state: DenyState | null) {
  return {
    client_ref: clientRef,
    denied: state !== null,
    reason: state?.reason ?? null,
    until: state?.until ?? null,
    since: state?.since ?? null,
    actor: state?.actor ?? null,
  };
}

export async function deny(clientRef: string, deny: { reason: string; until: string | null }, action: AdminAction) {
  const store = configuredAuditStore(action.config);
  const inForce = await denyUser(action.config.userStateNamespace(), clientRef, {
    ...deny,
    actor: action.actor,
    now: action.now,
  });
  await record(store, action, clientRef, "denied", deny);
  return denyAnswer(clientRef, inForce);
}

export async function lift(clientRef: string, action: AdminAction) {
  const store = configuredAuditStore(action.config);
  const userStates = action.config.userStateNamespace();
  const inForce = await currentDeny(userStates, clientRef, action.now);
  if (inForce) {
    await record(store, action, clientRef, "deny_lifted", inForce);
    await liftDeny(userStates, clientRef, action.now);
  }
  return denyAnswer(clientRef, null);
}

async function record(
  store: ReturnType<typeof configuredAuditStore>,
  action: AdminAction,
  clientRef: string,
  outcome: "denied" | "deny_lifted",
  deny: { reason: string; until: string | null },
): Promise<void> {
  try {
    await store.write(
      {
        id: newIssuanceId(action.now),
        at: action.now.toISOString(),
        vendor: null,
        client_ref: clientRef,
        issuer: null,
        subject: null,
        outcome,
        ttl_seconds: null,
        expires_at: null,
        options: {},
        upstream_status: null,
        error_code: null,
        key_fingerprint: null,
        vendor_key_id: null,
        ...callerFields(action.caller),
        reason: deny.reason,
        deny_until: deny.until,
        actor: action.actor,
      },
      action.deadline,
    );
  } catch (error) {
    logLine("error", {
      msg: `audit write failed for ${outcome}`,
      client_ref: clientRef,
      error: error instanceof Error ? error.name : "unknown",
    });
    throw brokerError(
      "audit_unavailable",
      outcome === "denied"
        ? "the deny took effect but could not be recorded for audit; repeat it to record it"
        : "the deny could not be recorded as lifted, so it was not lifted; retry later",
    );
  }
}
