import { CORS_MAX_AGE_SECONDS } from "../constants";
import { ERROR_CODES, type ErrorCode } from "../errors";
import { ALLOWED_HEADERS, ALLOWED_METHODS, EXPOSED_HEADERS } from "../http/cors";
import { MAX_RETRY_AFTER_SECONDS } from "../vendors/retry-after";
import { EXAMPLE_REQUEST_ID, errorExample } from "./examples";
import type { Json } from "./json-schema";

/**
 * The HTTP layer every operation shares, as OpenAPI components: the response
 * headers the middleware in src/index.ts and src/http/cors.ts sets, one
 * response per error status, the security schemes, and the link from a mint
 * to its audit record.
 */

const EXAMPLE_ORIGIN = "https://app.example.com";

export const HEADERS: Record<string, Json> = {
  "X-Request-Id": {
    description:
      "The broker's id for this request, on every answer; error bodies repeat it as `request_id` and audit records as `request_id`. Always the broker's own: a caller's `X-Request-Id` is kept beside it, never in its place.",
    required: true,
    schema: { type: "string", format: "uuid" },
    example: EXAMPLE_REQUEST_ID,
  },
  "Cache-Control": {
    description: "Every answer, error or not, is `no-store`: keys and audit data must never sit in a cache.",
    required: true,
    schema: { type: "string", const: "no-store" },
    example: "no-store",
  },
  Vary: {
    description: "Every answer depends on the request's `Origin` (CORS).",
    required: true,
    schema: { type: "string", const: "Origin" },
    example: "Origin",
  },
  "Access-Control-Allow-Origin": {
    description:
      "The request's `Origin`, echoed when it is in `ALLOWED_ORIGINS`; absent without an `Origin`. `*` is never sent.",
    required: false,
    schema: { type: "string", format: "uri" },
    example: EXAMPLE_ORIGIN,
  },
  "Access-Control-Expose-Headers": {
    description: "The headers a browser script may read, sent with `Access-Control-Allow-Origin`.",
    required: false,
    schema: { type: "string", const: EXPOSED_HEADERS },
    example: EXPOSED_HEADERS,
  },
  "Retry-After": {
    description: `Seconds to wait before asking again (at most ${MAX_RETRY_AFTER_SECONDS}): 60 for \`rate_limited\`, the seconds until 00:00 UTC for \`quota_exceeded\`, and the vendor's own for \`upstream_rate_limited\`, which is absent when the vendor sent none.`,
    required: false,
    schema: { type: "integer", minimum: 0, maximum: MAX_RETRY_AFTER_SECONDS },
    example: 60,
  },
  Allow: {
    description: "The methods this path answers, besides a CORS preflight.",
    required: true,
    schema: { type: "string", pattern: "^(GET|POST|DELETE)(, (GET|POST|DELETE))*$" },
    example: "GET, DELETE",
  },
};

const headerRef = (name: keyof typeof HEADERS & string) => ({ $ref: `#/components/headers/${name}` });

/** The headers on every answer, success or error, from src/index.ts and src/http/cors.ts. */
export function everyAnswerHeaders(): Record<string, Json> {
  return Object.fromEntries(
    ["X-Request-Id", "Cache-Control", "Vary", "Access-Control-Allow-Origin", "Access-Control-Expose-Headers"].map(
      (name) => [name, headerRef(name)],
    ),
  );
}

/** Each error status's shared response, by status. */
const ERROR_RESPONSE_NAMES: Record<number, string> = {
  400: "BadRequest",
  401: "Unauthenticated",
  403: "Forbidden",
  404: "NotFound",
  405: "MethodNotAllowed",
  413: "PayloadTooLarge",
  415: "UnsupportedMediaType",
  429: "TooManyRequests",
  500: "InternalServerError",
  502: "BadGateway",
  503: "ServiceUnavailable",
  504: "GatewayTimeout",
};

const ERROR_RESPONSE_TEXT: Record<number, string> = {
  400: "The request is malformed; the message names the field or parameter.",
  401: "No valid bearer token.",
  403: "The caller may not do this.",
  404: "Nothing here: `not_found` for a path the broker does not have (or a missing audit record), `unknown_vendor` for `POST /v1/keys/{vendor}` with a vendor id the broker does not have.",
  405: "The path does not answer this method; `Allow` lists those it does.",
  413: "The request body is too large.",
  415: "The request body is not JSON.",
  429: "Too many requests; wait `Retry-After` seconds.",
  500: "A setting the operation needs is wrong (`misconfigured`, naming it), or an unexpected failure (`internal_error`, no details).",
  502: "The vendor failed or refused; nothing was handed out.",
  503: "A service the broker depends on is unavailable; retry later.",
  504: "The vendor did not answer in time.",
};

function codesOf(status: number): ErrorCode[] {
  return (Object.keys(ERROR_CODES) as ErrorCode[]).filter((code) => ERROR_CODES[code] === status);
}

/** One response per error status: the Error envelope, an example per code, and its headers. */
export function errorResponseComponents(): Record<string, Json> {
  return Object.fromEntries(
    Object.entries(ERROR_RESPONSE_NAMES).map(([status, name]) => {
      const extra: Record<string, Json> = {};
      if (status === "429") extra["Retry-After"] = headerRef("Retry-After");
      if (status === "405") extra.Allow = headerRef("Allow");
      const examples = Object.fromEntries(
        codesOf(Number(status)).map((code) => [code, { summary: code, value: errorExample(code) }]),
      );
      return [
        name,
        {
          description: ERROR_RESPONSE_TEXT[Number(status)],
          headers: { ...everyAnswerHeaders(), ...extra },
          content: { "application/json": { schema: { $ref: "#/components/schemas/Error" }, examples } },
        },
      ];
    }),
  );
}

/** When each code is answered by one operation: the code, and why in that operation. */
export type ErrorCases = Partial<Record<ErrorCode, string>>;

/**
 * An operation's error responses: per status, the shared response with a
 * description naming each code the operation can answer with that status, and why.
 */
export function errorResponses(cases: ErrorCases): Record<string, Json> {
  const byStatus = new Map<number, string[]>();
  for (const [code, when] of Object.entries(cases) as [ErrorCode, string][]) {
    const status = ERROR_CODES[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), `\`${code}\`: ${when}.`]);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, lines]) => [
      String(status),
      { $ref: `#/components/responses/${ERROR_RESPONSE_NAMES[status]}`, description: lines.join(" ") },
    ]),
  );
}

/** The answer to a CORS preflight from an allowed origin. */
export const PREFLIGHT_RESPONSE: Json = {
  description: "A CORS preflight from an allowed origin: the browser may send the request. No body.",
  headers: {
    "X-Request-Id": headerRef("X-Request-Id"),
    "Cache-Control": headerRef("Cache-Control"),
    Vary: headerRef("Vary"),
    "Access-Control-Allow-Origin": {
      description: "The request's `Origin`, which is in `ALLOWED_ORIGINS`.",
      required: true,
      schema: { type: "string", format: "uri" },
      example: EXAMPLE_ORIGIN,
    },
    "Access-Control-Allow-Methods": {
      description: "The methods the broker answers from browsers, on any path.",
      required: true,
      schema: { type: "string", const: ALLOWED_METHODS },
      example: ALLOWED_METHODS,
    },
    "Access-Control-Allow-Headers": {
      description: "The request headers a browser may send.",
      required: true,
      schema: { type: "string", const: ALLOWED_HEADERS },
      example: ALLOWED_HEADERS,
    },
    "Access-Control-Max-Age": {
      description: "Seconds the browser may cache this preflight.",
      required: true,
      schema: { type: "integer", const: CORS_MAX_AGE_SECONDS },
      example: CORS_MAX_AGE_SECONDS,
    },
  },
};

/** Request headers of a CORS preflight. */
export const PREFLIGHT_PARAMETERS: Json[] = [
  {
    name: "Origin",
    in: "header",
    required: true,
    description: "The page's origin; must be one of `ALLOWED_ORIGINS` exactly, or the answer is `403`.",
    schema: { type: "string", format: "uri" },
    example: EXAMPLE_ORIGIN,
  },
  {
    name: "Access-Control-Request-Method",
    in: "header",
    required: true,
    description:
      "The method the browser means to send. Any method gets the same answer: the browser itself checks it against `Access-Control-Allow-Methods`. Without it, or empty, `OPTIONS` is not a preflight and gets `405`.",
    // HTTP drops the spaces and tabs around a header value, so one made only of them arrives empty.
    schema: { type: "string", pattern: "[^\\t ]" },
    example: "POST",
  },
  {
    name: "Access-Control-Request-Headers",
    in: "header",
    required: false,
    description: "The headers the browser means to send; the answer lists the ones allowed whatever this says.",
    schema: { type: "string" },
    example: "authorization, content-type",
  },
];

/** The caller's own request id, which every operation takes. */
export const CALLER_REQUEST_ID_PARAMETER: Json = {
  name: "X-Request-Id",
  in: "header",
  required: false,
  description:
    "The caller's own id for the request, kept in logs and audit records as `caller_request_id` when it is 8 to 128 of `A-Za-z0-9._:-` (ignored otherwise). The broker answers with its own `X-Request-Id`.",
  schema: { type: "string" },
  example: "checkout-7f3a9c21",
};

export const SECURITY_SCHEMES: Record<string, Json> = {
  endUserJwt: {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description:
      "The signed-in end user's token from your identity provider (`AUTH_PROVIDER`, `AUTH_JWKS_URL` or `AUTH_HS256_SECRET`); its `CLIENT_REF_CLAIM` (default `sub`) becomes `client_ref`.",
  },
  adminToken: {
    type: "http",
    scheme: "bearer",
    description:
      "The operator's `ADMIN_TOKEN`. While it and Cloudflare Access are both unset, the admin API answers `403`; audit records name this actor `admin-token`.",
  },
  cloudflareAccess: {
    type: "apiKey",
    in: "header",
    name: "Cf-Access-Jwt-Assertion",
    description:
      "The token Cloudflare Access adds to each request it lets through, while `ACCESS_TEAM_DOMAIN` and `ACCESS_AUD` are set: RS256, verified against the team's key set with `iss` `https://<ACCESS_TEAM_DOMAIN>` and `aud` `ACCESS_AUD`. Audit records name its `email` (or its `sub`) as the actor.",
  },
};

export const LINKS: Record<string, Json> = {
  AuditRecordOfMint: {
    operationId: "get_audit_record",
    parameters: { issuance_id: "$response.body#/issuance_id" },
    description: "The audit record of this issuance (with the admin token).",
  },
};
