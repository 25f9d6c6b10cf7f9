/**
 * A failure the broker reported, or one with no answer from it (status 0): code
 * `network_error` when it could not be reached, `not_signed_in` when there was
 * no ID token to send.
 */
export class BrokerError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId: string | null,
  ) {
    super(message);
    this.name = "BrokerError";
  }
}

/** Reads the broker's `{"error":{"code","message","request_id"}}` envelope, tolerating anything else. */
export async function errorFromResponse(response: Response): Promise<BrokerError> {
  const requestId = response.headers.get("x-request-id");
  try {
    const body = (await response.json()) as { error?: { code?: unknown; message?: unknown; request_id?: unknown } };
    const { code, message, request_id } = body.error ?? {};
    if (typeof code === "string" && typeof message === "string") {
      return new BrokerError(response.status, code, message, typeof request_id === "string" ? request_id : requestId);
    }
  } catch {
    // not the broker's envelope; fall through
  }
  return new BrokerError(response.status, "unexpected_response", `broker answered ${response.status}`, requestId);
}

/**
 * `fetch` itself failed. In a browser that is also how a refused origin looks:
 * the broker answers `403` without CORS headers, and the browser hides that
 * answer from the page, so the message names the setting to check.
 */
export function networkError(cause: unknown): BrokerError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  const origin = pageOrigin();
  const page = origin === undefined ? "the page's origin" : `this page's origin (${origin})`;
  return new BrokerError(
    0,
    "network_error",
    `broker unreachable: ${reason}. In a browser, a refused origin (CORS) looks the same: check that ${page} is in the broker's ALLOWED_ORIGINS`,
    null,
  );
}

/** `getIdToken` gave no token: the user is not signed in, so there is nothing to send. */
export function notSignedIn(token: unknown): BrokerError {
  const what =
    token === ""
      ? "an empty string"
      : token === null || token === undefined
        ? String(token)
        : `a value of type ${typeof token}`;
  return new BrokerError(
    0,
    "not_signed_in",
    `getIdToken returned ${what}, not an ID token: sign the user in before asking for a key`,
    null,
  );
}

/** The origin of the page the client runs in; browsers and web workers have one, React Native and Node do not. */
function pageOrigin(): string | undefined {
  const origin = (globalThis as { location?: { origin?: unknown } }).location?.origin;
  return typeof origin === "string" ? origin : undefined;
}
