/**
 * The one error type the broker throws on purpose. `app.onError` renders it as
 * `{"error":{"code","message","request_id"}}`; anything else becomes a generic
 * `internal_error` with no details.
 *
 * `message` goes to the client and must never contain a token, a key or a
 * secret value. `internal` is for logs only and must follow the same rule.
 */
export class BrokerError extends Error {
  constructor(
    readonly status: ErrorStatus,
    readonly code: ErrorCode,
    message: string,
    readonly internal?: string,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = "BrokerError";
  }
}

export const ERROR_CODES = {
  invalid_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  unknown_vendor: 404,
  vendor_not_configured: 404,
  method_not_allowed: 405,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  quota_exceeded: 429,
  upstream_rate_limited: 429,
  misconfigured: 500,
  internal_error: 500,
  upstream_auth_failed: 502,
  upstream_rejected: 502,
  upstream_error: 502,
  vendor_credential_refused: 502,
  audit_unavailable: 503,
  quota_unavailable: 503,
  auth_unavailable: 503,
  stats_unavailable: 503,
  upstream_timeout: 504,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;
type ErrorStatus = (typeof ERROR_CODES)[ErrorCode];

/** Builds the error for `code` with its fixed status. */
export function brokerError(
  code: ErrorCode,
  message: string,
  options: { internal?: string; headers?: Record<string, string> } = {},
): BrokerError {
  return new BrokerError(ERROR_CODES[code], code, message, options.internal, options.headers);
}

/** A configuration problem, tied to the variable (or binding) at fault so that health checks can list it. */
export class ConfigProblem extends BrokerError {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(ERROR_CODES.misconfigured, "misconfigured", message);
  }
}

/** A configuration problem; the message names variables, never their values. */
export function misconfigured(variable: string, message: string): ConfigProblem {
  return new ConfigProblem(variable, message);
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; request_id: string };
}

export function errorBody(error: BrokerError, requestId: string): ErrorBody {
  return { error: { code: error.code, message: error.message, request_id: requestId } };
}
