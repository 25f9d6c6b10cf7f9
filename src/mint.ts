import { type AuditStore, configuredAuditStore, recordDeadline } from "./audit/store";
import { keyFingerprint } from "./audit/fingerprint";
import { type AuditRecord, callerFields } from "./audit/record";
import type { EndUser } from "./auth/end-user";
import type { BrokerConfig } from "./config";
import type { Caller } from "./http/caller";
import { brokerError } from "./errors";
import { newIssuanceId } from "./ids";
import { logLine } from "./log";
import { admitMint } from "./policy/admit";
import { holdMintSlot } from "./user-state/client";
import { outlivesTtl } from "./vendors/expiry";
import type { VendorId } from "./vendors/registry";
import { configuredSecrets } from "./secrets";
import type { Connect } from "./vendors/connect";
import type { AppliedOptions, MintedKey } from "./vendors/types";
import { RefusedCredential, UpstreamFailure, vendorSender } from "./vendors/upstream";

export interface MintContext {
  config: BrokerConfig;
  rateLimiter: RateLimit | undefined;
  fetch: typeof fetch;
  now: () => Date;
  user: EndUser;
  caller: Caller;
}

/** The `201` answer: the applied options beside these fields. */
export interface MintResponse {
  [option: string]: AppliedOptions[string] | Connect;
  vendor: string;
  key: string;
  /** Only for vendors that issue a ready-to-connect URL; a secret like the key. */
  url?: string;
  expires_at: string;
  ttl_seconds: number;
  client_ref: string;
  issuance_id: string;
  /** How the client presents the key; names places only, so it is neither logged nor audited. */
  connect: Connect;
}

/**
 * The mint flow: admit the request (configuration, policy, body), then the
 * caller checks, the burst limit, the user's deny and quota, the vendor call,
 * and the audit record before answering. No key leaves without its audit
 * record, and nothing refused before the vendor call counts against a quota.
 */
export async function mintKey(vendorId: VendorId, body: unknown, ctx: MintContext): Promise<MintResponse> {
  // Configured, enabled by POLICY, claim gate, body, vendor rules, policy option rules (src/policy/admit.ts).
  const { adapter, settings, options, ttlSeconds, policy } = admitMint(vendorId, body, ctx.config, ctx.user);
  const callerIp = ctx.caller.ip ?? undefined;
  adapter.checkCaller?.(options, settings, { ip: callerIp, clientRef: ctx.user.clientRef });

  // Every setting is read before the burst limit and the quota, so that a configuration problem
  // is answered before either counts the request.
  const userStates = ctx.config.userStateNamespace();
  const limits = { total: ctx.config.dailyMintQuota(), vendor: policy.dailyQuota ?? null };
  const send = vendorSender({
    vendor: vendorId,
    fetch: ctx.fetch,
    now: ctx.now,
    timeoutMs: ctx.config.upstreamTimeoutMs(),
    readFailure: adapter.readFailure,
    secrets: configuredSecrets(ctx.config.vars),
  });
  const store = configuredAuditStore(ctx.config);

  // Only a request that passed every check above uses the burst limit and the quota.
  await enforceRateLimit(ctx.rateLimiter, ctx.user.clientRef);
  const now = ctx.now();
  // Started with the record's time: its audit record must be stored within the deadline or not at all.
  const deadline = recordDeadline();
  const slot = await holdMintSlot({ userStates, clientRef: ctx.user.clientRef, vendor: vendorId, limits, now });
  const id = newIssuanceId(now);
  let upstreamStatus: number | null = null;
  const baseRecord = {
    id,
    at: now.toISOString(),
    vendor: vendorId,
    client_ref: ctx.user.clientRef,
    issuer: ctx.user.issuer,
    subject: ctx.user.subject,
    ttl_seconds: ttlSeconds,
    ...callerFields(ctx.caller),
    reason: null,
    deny_until: null,
    actor: null,
  };

  /**
   * A credential the vendor issued and the broker refused: never handed out, yet it exists at the
   * vendor, so its quota slot stays used, and the log line and the record say how to revoke it.
   */
  const withhold = async (refusal: RefusedCredential, applied: AppliedOptions): Promise<never> => {
    const trace = {
      vendor: vendorId,
      vendor_key_id: refusal.vendorKeyId ?? null,
      key_fingerprint: await refusal.fingerprint(),
      issuance_id: id,
    };
    const vendorExpiry = readableExpiry(refusal.expiresAt);
    logLine("error", {
      msg: "the vendor issued a credential the broker refused; it was not handed out; revoke it at the vendor",
      ...trace,
      request_id: ctx.caller.requestId,
      reason: refusal.internal ?? null,
      vendor_expires_at: vendorExpiry,
    });
    await recordFailure(store, deadline, {
      ...baseRecord,
      outcome: "upstream_error",
      expires_at: vendorExpiry,
      options: withoutUnset(applied),
      upstream_status: refusal.upstreamStatus,
      error_code: refusal.code,
      key_fingerprint: trace.key_fingerprint,
      vendor_key_id: trace.vendor_key_id,
    });
    throw refusal;
  };

  let minted: MintedKey;
  try {
    minted = await adapter.mint({
      settings,
      options,
      ttlSeconds,
      clientRef: ctx.user.clientRef,
      callerIp,
      now,
      send: async (request) => {
        const reply = await send(request);
        upstreamStatus = reply.status;
        return reply;
      },
    });
  } catch (error) {
    if (error instanceof RefusedCredential) return withhold(error, options);
    await slot.release();
    if (error instanceof UpstreamFailure) {
      await recordFailure(store, deadline, {
        ...baseRecord,
        outcome: "upstream_error",
        expires_at: null,
        options: withoutUnset(options),
        upstream_status: error.upstreamStatus,
        error_code: error.code,
        key_fingerprint: null,
        vendor_key_id: null,
      });
    }
    throw error;
  }

  // A credential that lives longer than asked (or forever) is never handed out.
  if (outlivesTtl(minted.expiresAt, now, ttlSeconds)) {
    return withhold(
      new RefusedCredential(vendorId, upstreamStatus, "it would outlive ttl_seconds", minted),
      minted.applied,
    );
  }
  const expiresAt = minted.expiresAt as Date;
  const vendorKeyId = minted.vendorKeyId ?? null;
  const fingerprint = await keyFingerprint(minted.key);
  const trace = { vendor: vendorId, vendor_key_id: vendorKeyId, key_fingerprint: fingerprint, issuance_id: id };

  const record: AuditRecord = {
    ...baseRecord,
    outcome: "issued",
    expires_at: expiresAt.toISOString(),
    options: withoutUnset(minted.applied),
    upstream_status: upstreamStatus,
    error_code: null,
    key_fingerprint: fingerprint,
    vendor_key_id: vendorKeyId,
  };
  try {
    await store.write(record, deadline);
  } catch (error) {
    // The vendor's credential exists but nobody will get it; say where to find it so it can be revoked.
    logLine("error", {
      msg: "audit write failed after the vendor issued a key; it was not handed out; revoke it at the vendor",
      ...trace,
      request_id: ctx.caller.requestId,
      error: error instanceof Error ? error.name : "unknown",
    });
    throw brokerError(
      "audit_unavailable",
      "the key could not be recorded for audit, so it was not issued; retry later",
      { internal: `audit write failed for ${id}` },
    );
  }

  return {
    ...record.options,
    vendor: vendorId,
    key: minted.key,
    expires_at: expiresAt.toISOString(),
    ttl_seconds: ttlSeconds,
    client_ref: ctx.user.clientRef,
    issuance_id: id,
    ...(minted.url === undefined ? {} : { url: minted.url }),
    connect: adapter.connect(settings, options),
  };
}

/** Options an adapter left unset are not applied, so they are neither stored nor answered. */
function withoutUnset(options: AppliedOptions): AuditRecord["options"] {
  return Object.fromEntries(
    Object.entries(options).filter((entry): entry is [string, string | number | boolean] => entry[1] !== undefined),
  );
}

/** A vendor's expiry for the record and the log; null when it gave none, said never, or gave no readable time. */
function readableExpiry(expiresAt: Date | null | undefined): string | null {
  return expiresAt && !Number.isNaN(expiresAt.getTime()) ? expiresAt.toISOString() : null;
}

/** The binding's window is 10 or 60 seconds; 60 is the safe hint when we cannot know which. */
const RATE_LIMIT_RETRY_AFTER_SECONDS = "60";

async function enforceRateLimit(limiter: RateLimit | undefined, clientRef: string): Promise<void> {
  if (!limiter) return;
  const { success } = await limiter.limit({ key: clientRef });
  if (!success) {
    throw brokerError("rate_limited", "too many keys requested for this user; retry later", {
      headers: { "Retry-After": RATE_LIMIT_RETRY_AFTER_SECONDS },
    });
  }
}

/** A failed mint is recorded too; if that write fails, the caller still gets the vendor error. */
async function recordFailure(store: AuditStore, deadline: AbortSignal, record: AuditRecord): Promise<void> {
  try {
    await store.write(record, deadline);
  } catch (writeError) {
    logLine("error", {
      msg: "audit write failed for an upstream error",
      issuance_id: record.id,
      request_id: record.request_id,
      error: writeError instanceof Error ? writeError.name : "unknown",
    });
  }
}
