/** A failure the broker reported, or a network failure (status 0, code `network_error`). */
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

/** `fetch` itself failed: the broker could not be reached. */
export function networkError(cause: unknown): BrokerError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new BrokerError(0, "network_error", `broker unreachable: ${reason}`, null);
}
