import type { z } from "zod/mini";
import { safeParse } from "zod/mini";
import { MAX_UPSTREAM_BODY_BYTES } from "../constants";
import { BrokerError, ERROR_CODES, type ErrorCode } from "../errors";
import { readCappedText } from "../http/capped-text";

/**
 * The one way the broker talks to a vendor: a timeout, no redirects (our
 * credentials must never reach another host), a cap on the body it reads, and
 * one translation of vendor failures into broker errors. Vendor bodies and
 * headers are never passed through; only a short validation message may be.
 */

export interface VendorRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface VendorReply {
  status: number;
  text: string;
  /** The vendor's `Retry-After`, kept only when it is a plain number of seconds. */
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
    code: ErrorCode & `upstream_${string}`,
    message: string,
    readonly upstreamStatus: number | null,
    internal: string,
    headers?: Record<string, string>,
  ) {
    super(ERROR_CODES[code], code, message, internal, headers);
  }
}

const MAX_VENDOR_MESSAGE_CHARS = 300;

export interface SenderOptions {
  vendor: string;
  fetch: typeof fetch;
  timeoutMs: number;
  readFailure: ReadVendorFailure;
}

export function vendorSender({ vendor, fetch, timeoutMs, readFailure }: SenderOptions): SendToVendor {
  return async (request) => {
    // One signal covers connecting and reading the body.
    const signal = AbortSignal.timeout(timeoutMs);
    let reply: VendorReply;
    try {
      const response = await fetch(request.url, {
        method: "POST",
        headers: request.headers,
        body: request.body,
        redirect: "manual",
        signal,
      });
      reply = {
        status: response.status,
        text: await readCapped(response, vendor),
        retryAfter: retryAfterSeconds(response.headers.get("retry-after")),
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
    throw failureFor(vendor, reply, readFailure);
  };
}

function retryAfterSeconds(value: string | null): string | undefined {
  const text = value?.trim();
  return text && /^\d{1,6}$/.test(text) ? text : undefined;
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

function failureFor(vendor: string, reply: VendorReply, readFailure: ReadVendorFailure): UpstreamFailure {
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
  const reading = status >= 400 && status < 500 ? safeRead(readFailure, status, reply.text) : {};
  const detail = reading.message ? `: ${truncate(reading.message)}` : "";
  if (status === 401 || status === 403 || reading.credentialsRejected) {
    return new UpstreamFailure(
      "upstream_auth_failed",
      `${vendor} rejected the broker's credentials; the operator must check them${detail}`,
      status,
      internal,
    );
  }
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
  if (status === 400) {
    return new UpstreamFailure("upstream_rejected", `${vendor} rejected the request${detail}`, status, internal);
  }
  return new UpstreamFailure("upstream_error", `${vendor} failed to create a key (status ${status})`, status, internal);
}

function safeRead(readFailure: ReadVendorFailure, status: number, text: string): VendorFailureReading {
  try {
    return readFailure(status, text);
  } catch {
    return {};
  }
}

function truncate(message: string): string {
  const oneLine = message.replace(/\s+/g, " ").trim();
  return oneLine.length > MAX_VENDOR_MESSAGE_CHARS ? `${oneLine.slice(0, MAX_VENDOR_MESSAGE_CHARS)}…` : oneLine;
}

/** Parses a vendor's JSON success body, or fails with `upstream_error`. */
export function parseVendorJson<Schema extends z.ZodMiniType>(
  vendor: string,
  reply: VendorReply,
  schema: Schema,
): z.output<Schema> {
  let json: unknown;
  try {
    json = JSON.parse(reply.text);
  } catch {
    throw malformed(vendor, reply, "body is not JSON");
  }
  const result = safeParse(schema, json);
  if (!result.success) throw malformed(vendor, reply, "body does not match the documented shape");
  return result.data;
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
