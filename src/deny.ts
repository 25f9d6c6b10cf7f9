import type { AuditRecord } from "./audit/record";
import { AuditStore } from "./audit/store";
import type { BrokerConfig } from "./config";
import { MAX_USER_AGENT_CHARS } from "./constants";
import { brokerError } from "./errors";
import { newIssuanceId } from "./ids";
import { logLine } from "./log";
import type { DenyState } from "./user-state/types";
import { denyUser, liftDeny } from "./user-limits";

/**
 * Stopping and restarting new keys for one user. The deny lives in the user's
 * Durable Object, so it holds from the user's next request (KV could be up to
 * 60 s stale); each action is also an audit record under that client_ref.
 */

export interface AdminRequest {
  config: BrokerConfig;
  now: Date;
  requestId: string;
  callerRequestId: string | null;
  ip: string | null;
  origin: string | null;
  userAgent: string | null;
}

/** What the admin API answers about one user. */
export interface DenyAnswer {
  client_ref: string;
  denied: boolean;
  reason: string | null;
  until: string | null;
  since: string | null;
}

export function denyAnswer(clientRef: string, state: DenyState | null): DenyAnswer {
  return {
    client_ref: clientRef,
    denied: state !== null,
    reason: state?.reason ?? null,
    until: state?.until ?? null,
    since: state?.since ?? null,
  };
}

export async function deny(
  clientRef: string,
  deny: { reason: string; until: string | null },
  request: AdminRequest,
): Promise<DenyAnswer> {
  const store = auditStore(request.config);
  const state = await denyUser(request.config.userStateNamespace(), clientRef, { ...deny, now: request.now });
  await record(store, request, clientRef, "denied", deny);
  // A deny whose `until` has passed denies nothing.
  const inForce = deny.until === null || Date.parse(deny.until) > request.now.getTime();
  return denyAnswer(clientRef, inForce ? state : null);
}

export async function lift(clientRef: string, request: AdminRequest): Promise<DenyAnswer> {
  const store = auditStore(request.config);
  const lifted = await liftDeny(request.config.userStateNamespace(), clientRef, request.now);
  if (lifted) await record(store, request, clientRef, "deny_lifted", lifted);
  return denyAnswer(clientRef, null);
}

function auditStore(config: BrokerConfig): AuditStore {
  return new AuditStore(config.auditNamespace(), config.auditRetentionSeconds());
}

/** The action is already in force when this runs: a user must not stay mintable because KV failed. */
async function record(
  store: AuditStore,
  request: AdminRequest,
  clientRef: string,
  outcome: "denied" | "deny_lifted",
  deny: { reason: string; until: string | null },
): Promise<void> {
  const entry: AuditRecord = {
    id: newIssuanceId(request.now),
    at: request.now.toISOString(),
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
    ip: request.ip,
    origin: request.origin,
    user_agent: request.userAgent?.slice(0, MAX_USER_AGENT_CHARS) ?? null,
    request_id: request.requestId,
    caller_request_id: request.callerRequestId,
    reason: deny.reason,
    deny_until: deny.until,
  };
  try {
    await store.write(entry);
  } catch (error) {
    logLine("error", {
      msg: `${outcome} is in force but its audit record could not be written`,
      client_ref: clientRef,
      error: error instanceof Error ? error.name : "unknown",
    });
    throw brokerError(
      "audit_unavailable",
      `the ${outcome === "denied" ? "deny" : "lift"} took effect but could not be recorded for audit; repeat it`,
    );
  }
}
