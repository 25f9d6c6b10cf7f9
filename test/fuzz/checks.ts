import { getPath } from "hono/utils/url";
import { ERROR_CODES } from "../../src/errors";
import type { Credentials } from "./arbitraries";
import { describe, type Exchange } from "./send";

/*
 * What every answer must satisfy, whatever was asked: docs/api.md's statuses
 * and error envelope, no stack trace, no key without a valid JWT, no token
 * echoed, and no prototype touched.
 */

const ERROR_STATUSES = new Set<number>(Object.values(ERROR_CODES));

/**
 * Statuses docs/api.md documents, less 500: `misconfigured` cannot happen with
 * the sound test configuration and `internal_error` is a bug. 204 is the CORS
 * preflight; 503 also covers a degraded `/healthz`.
 */
export const DOCUMENTED_STATUSES = new Set([200, 201, 204, ...[...ERROR_STATUSES].filter((status) => status !== 500)]);

/** Signs of a stack trace or an engine error leaking out. */
const STACK_PATTERNS = [
  /(^|\n)\s*at\s+\S/,
  /\bat\s+[\w.$<>]+\s+\(/,
  /\.(?:ts|js|mjs|cjs):\d+/,
  /\b(?:TypeError|RangeError|SyntaxError|ReferenceError|EvalError|URIError|AggregateError)\b/,
  /node_modules|file:\/\/|\/src\//,
];

export class BrokerViolation extends Error {
  constructor(problem: string, exchange: Exchange) {
    super(`${problem}\n  ${describe(exchange)}`);
    this.name = "BrokerViolation";
  }
}

/** The bearer token exactly as the broker reads one (`<scheme> <token>`), else undefined. */
export function presentedToken(authorization: string | null): string | undefined {
  const match = /^(\S+)\s+(\S+)$/.exec(authorization?.trim() ?? "");
  return match?.[1]?.toLowerCase() === "bearer" ? match[2] : undefined;
}

export function carriesValidJwt(exchange: Exchange, credentials: Credentials): boolean {
  const token = presentedToken(exchange.authorization);
  return token !== undefined && credentials.valid.includes(token);
}

/** The mint route as the broker routes it: Hono decodes the path first, so `/%761/keys/soniox` is `/v1/keys/soniox`. */
const isMintRoute = (exchange: Exchange) =>
  exchange.request.method === "POST" && /^\/v1\/keys\/[a-z0-9-]+$/.test(getPath(exchange.request));

const isPreflight = (exchange: Exchange) =>
  exchange.request.method === "OPTIONS" &&
  exchange.request.headers.get("Origin") !== null &&
  exchange.request.headers.get("Access-Control-Request-Method") !== null;

/** The documented statuses, and the error envelope on every error. */
export function checkStatusAndShape(exchange: Exchange): void {
  const { status, headers, text } = exchange;
  const fail = (problem: string) => {
    throw new BrokerViolation(problem, exchange);
  };
  if (!DOCUMENTED_STATUSES.has(status)) fail(`status ${status} is not documented (or is a 500)`);
  const requestId = headers.get("X-Request-Id");
  if (!requestId || !/^[0-9a-f-]{36}$/.test(requestId)) fail("no X-Request-Id");
  if (headers.get("Cache-Control") !== "no-store") fail("no Cache-Control: no-store");
  if (status === 204) {
    if (!isPreflight(exchange)) fail("204 for something other than a CORS preflight");
    if (text !== "") fail("a 204 with a body");
    return;
  }
  if (exchange.request.method === "HEAD") {
    if (text !== "") fail("a HEAD answer with a body");
    return;
  }
  if (status < 400) return;

  if (!/^application\/json\b/.test(headers.get("Content-Type") ?? "")) fail("an error that is not JSON");
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return fail("an error body that does not parse");
  }
  const envelope = body as { error?: Record<string, unknown> };
  if (!envelope || typeof envelope !== "object" || Object.keys(envelope).join() !== "error") {
    fail("the error body is not {error}");
  }
  const error = envelope.error;
  if (!error || typeof error !== "object" || Object.keys(error).sort().join() !== "code,message,request_id") {
    return fail("the error is not {code, message, request_id}");
  }
  const code = error.code as keyof typeof ERROR_CODES;
  if (typeof code !== "string" || ERROR_CODES[code] !== status) fail(`code ${String(code)} does not go with ${status}`);
  if (typeof error.message !== "string" || error.message === "") fail("the error message is not a non-empty string");
  if (error.request_id !== requestId) fail("request_id differs from X-Request-Id");
  if (status === 405 && !headers.get("Allow")) fail("405 without Allow");
  if (status === 429 && !/^\d+$/.test(headers.get("Retry-After") ?? "")) fail("429 without Retry-After in seconds");
}

/** No stack, no key without a valid JWT, the presented token never echoed. */
export function checkNoLeak(exchange: Exchange, credentials: Credentials): void {
  const fail = (problem: string) => {
    throw new BrokerViolation(problem, exchange);
  };
  const { status, text } = exchange;
  const visible = [
    text,
    text.replace(/\\n/g, "\n"),
    ...[...exchange.headers].map(([name, value]) => `${name}: ${value}`),
  ];
  for (const pattern of STACK_PATTERNS) {
    if (visible.some((part) => pattern.test(part))) fail(`the answer shows a stack trace or engine error (${pattern})`);
  }

  const validJwt = carriesValidJwt(exchange, credentials);
  if (status === 201 && !(isMintRoute(exchange) && validJwt)) fail("201 without a valid JWT on POST /v1/keys/{vendor}");
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (body && typeof body === "object" && ("key" in body || "url" in body)) {
    if (status !== 201 || !validJwt) fail("a key in an answer to a request without a valid JWT");
  }

  const token = presentedToken(exchange.authorization) ?? exchange.authorization?.trim();
  if (token && token.length >= 20) {
    if (text.includes(token)) fail("the answer echoes the presented token");
    if (exchange.logs.some((line) => line.includes(token))) fail("a log line holds the presented token");
  }
}

/** The built-in objects a polluting merge would write to. */
const POLLUTABLE: object[] = [Object.prototype, Array.prototype, Function.prototype, String.prototype, JSON];

/** Their own property names before any request, to compare against after each one. */
export type PrototypeSnapshot = string[][];

export function prototypeSnapshot(): PrototypeSnapshot {
  return POLLUTABLE.map((target) => Reflect.ownKeys(target).map(String).sort());
}

/** Names a polluted prototype would show. */
const POLLUTION_MARKERS = ["polluted", "isAdmin", "admin", "ttl_seconds", "client_ref", "page", "alg"];

/**
 * Fails when a request left a new property on a built-in prototype, after
 * removing it, so that the runs that follow (and fast-check's shrinking) start clean.
 */
export function checkNoPollution(baseline: PrototypeSnapshot, what: string): void {
  const added = POLLUTABLE.flatMap((target, i) => {
    const before = new Set(baseline[i]);
    return Reflect.ownKeys(target)
      .filter((key) => !before.has(String(key)))
      .map((key) => ({ target, key }));
  });
  const probe = {} as Record<string, unknown>;
  const marker = POLLUTION_MARKERS.find((name) => probe[name] !== undefined || name in probe);
  if (added.length === 0 && marker === undefined) return;
  for (const { target, key } of added) Reflect.deleteProperty(target, key);
  const names = added.map(({ key }) => String(key)).join(", ") || (marker as string);
  throw new Error(`a built-in prototype was polluted with ${names}\n  ${what}`);
}
