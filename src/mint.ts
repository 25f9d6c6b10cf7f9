import { AuditStore } from "./audit/store";
import type { AuditRecord } from "./audit/record";
import type { EndUser } from "./auth/end-user";
import type { BrokerConfig } from "./config";
import { VENDOR_EXPIRY_SLACK_SECONDS } from "./constants";
import { brokerError } from "./errors";
import { parseOrThrow } from "./http/validation";
import { newIssuanceId, sha256Hex } from "./ids";
import { logLine } from "./log";
import { adapterFor, type VendorId } from "./vendors/registry";
import { configuredSecrets } from "./secrets";
import { requestSchema } from "./vendors/request-schema";
import type { AppliedOptions, MintedKey } from "./vendors/types";
import { UpstreamFailure, vendorSender } from "./vendors/upstream";

/** Longest user agent kept in an audit record. */
const MAX_USER_AGENT_CHARS = 256;

export interface MintContext {
  config: BrokerConfig;
  kv: KVNamespace;
  rateLimiter: RateLimit | undefined;
  fetch: typeof fetch;
  now: () => Date;
  user: EndUser;
  request: {
    /** The broker's own id for this request. */
    requestId: string;
    /** The caller's `X-Request-Id`, when it sent a usable one. */
    callerRequestId: string | null;
    ip: string | null;
    origin: string | null;
    userAgent: string | null;
  };
}

export interface MintResponse extends AppliedOptions {
  vendor: string;
  key: string;
  expires_at: string;
  ttl_seconds: number;
  client_ref: string;
  issuance_id: string;
}

/**
 * The mint flow: check the vendor is configured, validate the body against the
 * vendor's rules, call the vendor, and record the outcome before answering.
 * No key leaves without its audit record.
 */
export async function mintKey(vendorId: VendorId, body: unknown, ctx: MintContext): Promise<MintResponse> {
  const adapter = adapterFor(vendorId);
  const settings = adapter.settings(ctx.config.vars);
  if (settings === undefined) {
    throw brokerError("vendor_not_configured", `vendor "${vendorId}" is not configured on this broker`);
  }
  const { ttl_seconds, ...options } = parseOrThrow(requestSchema(vendorId, adapter), body, `${vendorId} request`);
  const broken = adapter.checkOptions?.(options, settings);
  if (broken) throw brokerError("invalid_request", `invalid ${vendorId} request: ${broken}`);
  const ttlSeconds = ttl_seconds ?? adapter.ttl.default;
  await enforceRateLimit(ctx.rateLimiter, ctx.user.clientRef);

  const now = ctx.now();
  const id = newIssuanceId(now);
  const callerIp = ctx.request.ip ?? undefined;
  let upstreamStatus: number | null = null;
  const send = vendorSender({
    vendor: vendorId,
    fetch: ctx.fetch,
    now: ctx.now,
    timeoutMs: ctx.config.upstreamTimeoutMs(),
    readFailure: adapter.readFailure,
    secrets: configuredSecrets(ctx.config.vars),
  });
  const store = new AuditStore(ctx.kv, ctx.config.auditRetentionSeconds());
  const baseRecord = {
    id,
    at: now.toISOString(),
    vendor: vendorId,
    client_ref: ctx.user.clientRef,
    issuer: ctx.user.issuer,
    subject: ctx.user.subject,
    ttl_seconds: ttlSeconds,
    ip: ctx.request.ip,
    origin: ctx.request.origin,
    user_agent: ctx.request.userAgent?.slice(0, MAX_USER_AGENT_CHARS) ?? null,
    request_id: ctx.request.requestId,
    caller_request_id: ctx.request.callerRequestId,
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
    if (error instanceof UpstreamFailure) {
      await recordFailure(store, {
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

  const keyFingerprint = (await sha256Hex(minted.key)).slice(0, 16);
  const vendorKeyId = minted.vendorKeyId ?? null;
  const trace = { vendor: vendorId, vendor_key_id: vendorKeyId, key_fingerprint: keyFingerprint, issuance_id: id };

  if (outlivesTtl(minted.expiresAt, now, ttlSeconds)) {
    // The vendor issued a credential that lives longer than asked (or forever): never hand it out,
    // and leave the operator what they need to revoke it at the vendor.
    logLine("error", {
      msg: "vendor issued a key that outlives the requested TTL; it was not handed out; revoke it at the vendor",
      ...trace,
      request_id: ctx.request.requestId,
      vendor_expires_at: minted.expiresAt?.toISOString() ?? null,
    });
    const failure = new UpstreamFailure(
      "upstream_error",
      `${vendorId} issued a key that would outlive ttl_seconds, so it was not handed out; retry later`,
      upstreamStatus,
      `vendor expiry ${minted.expiresAt?.toISOString() ?? "never"} beyond ttl ${ttlSeconds} s`,
    );
    await recordFailure(store, {
      ...baseRecord,
      outcome: "upstream_error",
      expires_at: minted.expiresAt?.toISOString() ?? null,
      options: withoutUnset(minted.applied),
      upstream_status: upstreamStatus,
      error_code: failure.code,
      key_fingerprint: keyFingerprint,
      vendor_key_id: vendorKeyId,
    });
    throw failure;
  }
  const expiresAt = minted.expiresAt as Date;

  const record: AuditRecord = {
    ...baseRecord,
    outcome: "issued",
    expires_at: expiresAt.toISOString(),
    options: withoutUnset(minted.applied),
    upstream_status: upstreamStatus,
    error_code: null,
    key_fingerprint: keyFingerprint,
    vendor_key_id: vendorKeyId,
  };
  try {
    await store.write(record);
  } catch (error) {
    // The vendor's credential exists but nobody will get it; say where to find it so it can be revoked.
    logLine("error", {
      msg: "audit write failed after the vendor issued a key; it was not handed out; revoke it at the vendor",
      ...trace,
      request_id: ctx.request.requestId,
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
  };
}

/** True when the vendor's expiry is missing (never expires) or later than the TTL allows. */
function outlivesTtl(expiresAt: Date | null, now: Date, ttlSeconds: number): boolean {
  if (expiresAt === null || Number.isNaN(expiresAt.getTime())) return true;
  return expiresAt.getTime() > now.getTime() + (ttlSeconds + VENDOR_EXPIRY_SLACK_SECONDS) * 1000;
}

/** Options an adapter left unset are not applied, so they are neither stored nor answered. */
function withoutUnset(options: AppliedOptions): AuditRecord["options"] {
  return Object.fromEntries(
    Object.entries(options).filter((entry): entry is [string, string | number | boolean] => entry[1] !== undefined),
  );
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
async function recordFailure(store: AuditStore, record: AuditRecord): Promise<void> {
  try {
    await store.write(record);
  } catch (writeError) {
    logLine("error", {
      msg: "audit write failed for an upstream error",
      issuance_id: record.id,
      request_id: record.request_id,
      error: writeError instanceof Error ? writeError.name : "unknown",
    });
  }
}
