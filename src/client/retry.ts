import type { BrokerError } from "./errors.js";

/** Attempts per `getKey` call, the first included. */
const MAX_ATTEMPTS = 3;
/** First backoff when the broker sent no `Retry-After`; it doubles on each attempt, plus up to 50% jitter. */
const BASE_BACKOFF_MS = 300;
/** A `Retry-After` longer than this is not waited for; the error is thrown instead. */
const MAX_RETRY_AFTER_MS = 30_000;

/**
 * Whether repeating the request can succeed and costs nothing if it fails again.
 * Only transient failures qualify. A failure after the vendor issued a credential
 * (`audit_unavailable`, `vendor_credential_refused`) is not retried: each retry would
 * make the vendor issue another credential that nobody can use, and use another of
 * the user's daily quota. Refusals and configuration errors
 * (`upstream_rejected`, `upstream_auth_failed`, `misconfigured`, other 4xx and
 * 5xx) would fail the same way again.
 */
export function isRetryable(error: BrokerError): boolean {
  switch (error.status) {
    case 0: // the broker could not be reached
    case 429: // rate limited, by the broker or the vendor
    case 504: // the vendor or a gateway timed out
      return true;
    case 502:
      return error.code === "upstream_error"; // the vendor failed, and issued no credential
    case 503:
      return error.code === "auth_unavailable"; // the identity provider's keys could not be fetched
    default:
      return false;
  }
}

/**
 * Called after failed attempt number `attempt`: waits until the next attempt may
 * start, or throws `error` when it must not be retried.
 */
export async function waitToRetry(error: BrokerError, retryAfter: string | null, attempt: number): Promise<void> {
  const ms = retryDelayMs(error, retryAfter, attempt);
  if (ms === undefined) throw error;
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * How long to wait before the next attempt, or `undefined` to give up: the
 * broker's `Retry-After` (whole seconds) when it sent one, else an exponential
 * backoff with jitter.
 */
function retryDelayMs(error: BrokerError, retryAfter: string | null, attempt: number): number | undefined {
  if (attempt >= MAX_ATTEMPTS || !isRetryable(error)) return undefined;
  if (retryAfter !== null && /^\d+$/.test(retryAfter.trim())) {
    const ms = Number(retryAfter) * 1000;
    return ms <= MAX_RETRY_AFTER_MS ? ms : undefined;
  }
  const base = BASE_BACKOFF_MS * 2 ** (attempt - 1);
  return base + Math.floor(Math.random() * base * 0.5);
}
