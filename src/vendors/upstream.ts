import type { z } from "zod/mini";
import { safeParse } from "zod/mini";
import { keyFingerprint } from "../audit/fingerprint";
import { MAX_UPSTREAM_BODY_BYTES } from "../constants";
import { BrokerError, ERROR_CODES, type ErrorCode } from "../errors";
import { readCappedText } from "../http/capped-text";
import { retryAfterSeconds } from "./retry-after";
import { safeVendorText } from "./vendor-text";

/**
 * The one way the broker talks to a vendor: a timeout, no redirects (our
 * credentials must never reach another host), a cap on the body it reads, and
 * one translation of vendor failures into broker errors. Vendor bodies and
 * headers are never passed through; only a short validation message may be.
 */

export interface VendorRequest {
  /** POST unless said otherwise; a GET carries no body. */
  method?: "POST" | "GET";
  url: string;
  headers: Record<string, string>;
  body?: string;
}

export interface VendorReply {
  status: number;
  text: string;
  /** The vendor's `Retry-After` in whole seconds, whether it sent seconds or an IMF-fixdate. */
  retryAfter?: string;
}

/** What an adapter reads from a vendor's failure body. */
export interface VendorFailureReading {
  /** A short, human-readable message that is safe to show the caller. */
  message?: string;
  /** The vendor says our own credentials are wrong, whatever its status code. */
  credentialsRejected?: boolean;
}

export type ReadVendorFailure = (status: number, text: string) => VendorFailureReading;

export type SendToVendor = (request: VendorRequest) => Promise<VendorReply>;

/** A broker error caused by a vendor, carrying the vendor's status for the audit record. */
export class UpstreamFailure extends BrokerError {
  constructor(
    code: ErrorCode & (`upstream_${string}` | "vendor_credential_refused"),
    message: string,
    readonly upstreamStatus: number | null,
    internal: string,
    headers?: Record<string, string>,
  ) {
    super(ERROR_CODES[code], code, message, internal, headers);
  }
}

/** A credential a vendor's answer held, as far as the broker could read it. */
export interface HeldCredential {
  /** The credential itself, as secret as any key. */
  key: string;
  /** The vendor's id for it, when the answer gave one. */
  vendorKeyId?: string;
  /** The vendor's expiry, when it gave one the broker read; null when it said the key never expires. */
  expiresAt?: Date | null;
}

/**
 * The vendor answered 2xx with a credential that the broker will not hand out: an expiry past
 * the TTL, a signed URL to somewhere else, an answer that breaks the vendor's documented shape
 * around a credential. The credential exists at the vendor, so the mint flow keeps its quota slot
 * and records its fingerprint, and clients do not retry: each retry would leave one more.
 * The credential stays private to this error; only its fingerprint leaves it.
 */
export class RefusedCredential extends UpstreamFailure {
  readonly #key: string;
  readonly vendorKeyId: string | undefined;
  readonly expiresAt: Date | null | undefined;

  constructor(vendor: string, upstreamStatus: number | null, why: string, held: HeldCredential) {
    super(
      "vendor_credential_refused",
      `${vendor} issued a credential that the broker refused, so it was not handed out: ${why}`,
      upstreamStatus,
      why,
    );
    this.#key = held.key;
    this.vendorKeyId = held.vendorKeyId;
    this.expiresAt = held.expiresAt;
  }

  fingerprint(): Promise<string> {
    return keyFingerprint(this.#key);
  }
}

/** Vendor statuses that mean "your request is invalid", whose message may help the caller fix it. */
const VALIDATION_STATUSES = new Set([400, 422]);

export interface SenderOptions {
  vendor: string;
  fetch: typeof fetch;
  now: () => Date;
  timeoutMs: number;
  readFailure: ReadVendorFailure;
  /** Every configured secret value, removed from any vendor text the caller sees. */
  secrets: readonly string[];
}

export function vendorSender({ vendor, fetch, now, timeoutMs, readFailure, secrets }: SenderOptions): SendToVendor {
  return async (request) => {
    // One signal covers connecting and reading the body.
    const signal = AbortSignal.timeout(timeoutMs);
    let reply: VendorReply;
    try {
      const response = await fetch(request.url, {
        method: request.method ?? "POST",
        headers: request.headers,
        body: request.body,
        redirect: "manual",
        signal,
      });
      reply = {
        status: response.status,
        text: await readCapped(response, vendor),
        retryAfter: retryAfterSeconds(response.headers.get("retry-after"), now()),
      };
    } catch (error) {
      if (error instanceof UpstreamFailure) throw error;
      if (signal.aborted) {
        throw new UpstreamFailure(
          "upstream_timeout",
          `${vendor} did not answer within ${timeoutMs} ms`,
          null,
          `timeout after ${timeoutMs} ms`,
        );
      }
      throw new UpstreamFailure(
        "upstream_error",
        `${vendor} could not be reached`,
        null,
        `network error: ${error instanceof Error ? error.name : "unknown"}`,
      );
    }
    if (reply.status >= 200 && reply.status < 300) return reply;
    throw failureFor(vendor, reply, (text) => readMessage(readFailure, reply.status, text, secrets));
  };
}

async function readCapped(response: Response, vendor: string): Promise<string> {
  const text = await readCappedText(response, MAX_UPSTREAM_BODY_BYTES);
  if (text === undefined) {
    throw new UpstreamFailure(
      "upstream_error",
      `${vendor} sent an unexpected response`,
      response.status,
      `response body over ${MAX_UPSTREAM_BODY_BYTES} bytes`,
    );
  }
  return text;
}

type MessageReader = (text: string) => VendorFailureReading;

function failureFor(vendor: string, reply: VendorReply, readMessage: MessageReader): UpstreamFailure {
  const { status } = reply;
  const internal = `${vendor} answered ${status}`;
  if (status >= 300 && status < 400) {
    return new UpstreamFailure(
      "upstream_error",
      `${vendor} answered with a redirect, which the broker does not follow`,
      status,
      internal,
    );
  }
  // A 401 or 403 body is never read: it is about our credentials and may quote them.
  if (status === 401 || status === 403) return credentialsRejected(vendor, status, internal);
  if (status === 429) {
    const retryAfter = reply.retryAfter;
    return new UpstreamFailure(
      "upstream_rate_limited",
      `${vendor} is rate limiting key creation; retry later`,
      status,
      internal,
      retryAfter ? { "Retry-After": retryAfter } : undefined,
    );
  }
  if (VALIDATION_STATUSES.has(status)) {
    const reading = readMessage(reply.text);
    // Some vendors (AmiVoice) report wrong credentials as a validation error; the adapter says so.
    if (reading.credentialsRejected) return credentialsRejected(vendor, status, internal, reading.message);
    const detail = reading.message ? `: ${reading.message}` : "";
    return new UpstreamFailure("upstream_rejected", `${vendor} rejected the request${detail}`, status, internal);
  }
  return new UpstreamFailure("upstream_error", `${vendor} failed to create a key (status ${status})`, status, internal);
}

function credentialsRejected(vendor: string, status: number, internal: string, why?: string): UpstreamFailure {
  return new UpstreamFailure(
    "upstream_auth_failed",
    `${vendor} rejected the broker's credentials; the operator must check them${why ? `: ${why}` : ""}`,
    status,
    internal,
  );
}

/** The adapter's reading of a validation failure, with its message made safe to show. */
function readMessage(
  readFailure: ReadVendorFailure,
  status: number,
  text: string,
  secrets: readonly string[],
): VendorFailureReading {
  let reading: VendorFailureReading;
  try {
    reading = readFailure(status, text);
  } catch {
    return {};
  }
  const message = reading.message === undefined ? "" : safeVendorText(reading.message, secrets);
  return { ...reading, message: message === "" ? undefined : message };
}

/** The fields of a vendor's JSON answer that hold its credential and the credential's id. */
export interface CredentialFields {
  key: string;
  vendorKeyId?: string;
}

/**
 * Parses a vendor's JSON success body. An answer that breaks the schema fails with
 * `vendor_credential_refused` when it still holds a credential at `credential.key`
 * (a non-empty string), and with `upstream_error` otherwise.
 */
export function parseVendorJson<Schema extends z.ZodMiniType>(
  vendor: string,
  reply: VendorReply,
  schema: Schema,
  credential: CredentialFields,
): z.output<Schema> {
  let json: unknown;
  try {
    json = JSON.parse(reply.text);
  } catch {
    throw malformed(vendor, reply, "body is not JSON");
  }
  const result = safeParse(schema, json);
  if (result.success) return result.data;
  const why = "its answer does not match the documented shape";
  const held = heldIn(json, credential);
  throw held ? new RefusedCredential(vendor, reply.status, why, held) : malformed(vendor, reply, why);
}

function heldIn(json: unknown, fields: CredentialFields): HeldCredential | undefined {
  if (typeof json !== "object" || json === null) return undefined;
  const answer = json as Record<string, unknown>;
  const key = answer[fields.key];
  if (typeof key !== "string" || key === "") return undefined;
  const id = fields.vendorKeyId === undefined ? undefined : answer[fields.vendorKeyId];
  return { key, vendorKeyId: typeof id === "string" && id !== "" ? id : undefined };
}

export function malformed(vendor: string, reply: VendorReply, why: string): UpstreamFailure {
  return new UpstreamFailure("upstream_error", `${vendor} sent an unexpected response`, reply.status, why);
}

/** Parses JSON leniently for reading error bodies; undefined when it is not JSON. */
export function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
