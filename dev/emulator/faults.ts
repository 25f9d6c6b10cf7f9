/**
 * The emulator's injected vendor failures, the same for every vendor: a base URL
 * of `{emulator}/fault/{fault}` makes the vendor's issuance path answer with the
 * fault instead of a key. This module decides what each fault answers; server.ts
 * does the socket work a plan asks for (a reset, a body that stalls or never ends).
 * It imports nothing, so the Worker tests can use its names and constants.
 *
 *   status-{code}                 the vendor's own error body with that status (500, 502, 503, 429, …)
 *   status-{code}-retry-seconds   the same, with `Retry-After: 17`
 *   status-{code}-retry-date      the same, with `Retry-After` an HTTP date 17 seconds ahead
 *   reset                         the connection reset (RST) once the request is read, no answer at all
 *   reset-mid-body                a 201 whose body is cut by a reset halfway through
 *   stalled-body                  a 201 whose body starts, then stalls without end
 *   slow                          the normal answer, two seconds late
 *   endless                       a 201 whose body never ends
 *   oversized                     a 201 whose body is over 64 KiB, with no Content-Length
 *   empty-200, empty-201          that status with an empty body
 *   malformed-200, malformed-201  that status with truncated JSON
 *   malformed                     the vendor's success status with a body that holds no key
 *   html-200, html-502            a proxy's HTML page with that status
 *   redirect-302, redirect-307    that redirect to the same path on another host (see server.ts)
 *   redirect                      redirect-307
 *   rate-limited, rate-limited-date, server-error, rejected, forbidden, unprocessable,
 *   echo-{400,401,403,404,422}, expiry-far, expiry-never, expiry-null, expiry-garbled,
 *   url-elsewhere                 see planFault
 *
 * Every new fault body carries FAULT_BODY_MARK, and the error pages quote the
 * credentials they were sent, as a careless vendor or proxy might: a broker that
 * passed a vendor body on would show both.
 */

/** What the emulator answers; the same shape as an EmulatorReply. */
export interface FaultReply {
  status: number;
  headers?: Record<string, string>;
  body: string;
}

/** What a fault needs from the vendor it stands in front of, and from the request. */
export interface FaultContext {
  /** The vendor's own error body with this status and message. */
  errorReply(status: number, message: string): FaultReply;
  /** The vendor's success status with a body that holds no key. */
  malformedReply: FaultReply;
  /** The vendor's normal answer to this request. */
  normal(): FaultReply;
  /** The request's headers and body, for faults that quote them. */
  received: { headers: Record<string, string | string[] | undefined>; rawBody: string };
  /** Where a redirect fault points: the same path and query on another host. */
  redirectTarget: string;
}

/** How a fault answers: a reply, or socket work server.ts does. */
export type FaultPlan =
  | { kind: "reply"; reply: FaultReply }
  | { kind: "delayed"; delayMs: number; reply: () => FaultReply }
  /** The connection is reset once the request is read; no status line is ever sent. */
  | { kind: "reset" }
  /**
   * `status` and `opening` are sent at once, with no Content-Length; then the body is padded past
   * 64 KiB and closed with `closing` (oversized), padded without end (endless), cut by a reset
   * (reset), or left hanging (stall).
   */
  | {
      kind: "partial";
      status: number;
      opening: string;
      closing: string;
      then: "oversized" | "endless" | "reset" | "stall";
    };

const NAMED_FAULTS = [
  "rate-limited",
  "rate-limited-date",
  "server-error",
  "rejected",
  "forbidden",
  "redirect",
  "redirect-302",
  "redirect-307",
  "oversized",
  "endless",
  "malformed",
  "malformed-200",
  "malformed-201",
  "empty-200",
  "empty-201",
  "html-200",
  "html-502",
  "reset",
  "reset-mid-body",
  "stalled-body",
  "slow",
  "unprocessable",
  "echo-400",
  "echo-401",
  "echo-403",
  "echo-404",
  "echo-422",
  "expiry-far",
  "expiry-never",
  "expiry-null",
  "expiry-garbled",
  "url-elsewhere",
] as const;

export type RetryAfterForm = "seconds" | "date";
/** A vendor error status, alone or with a `Retry-After` in either form. */
export type StatusFault = `status-${number}` | `status-${number}-retry-${RetryAfterForm}`;
export type Fault = (typeof NAMED_FAULTS)[number] | StatusFault;

/** Seconds sent in `Retry-After` by the rate-limited and `-retry-…` faults (a date is this far ahead). */
export const FAULT_RETRY_AFTER_SECONDS = "17";
/** A word in every new fault body, so a test can tell that no vendor body got through. */
export const FAULT_BODY_MARK = "emulator-fault-body";
/** How long the slow fault waits before answering. */
export const SLOW_FAULT_DELAY_MS = 2_000;

/** The echo faults are named this, then the status they answer with: `echo-400` answers 400. */
const ECHO_FAULT_PREFIX = "echo-";
const STATUS_FAULT = /^status-([45]\d\d)(?:-retry-(seconds|date))?$/;
/** An expiry far beyond any TTL the broker may ask for, for the expiry-far fault. */
const FAR_EXPIRY = "2099-01-01T00:00:00.000Z";
/** A lifetime far beyond any TTL the broker may ask for (ten years), for the expiry-far fault. */
const FAR_LIFETIME_SECONDS = 315_360_000;
/** Answer fields that hold an expiry as a time: ISO 8601 text, or epoch seconds (OpenAI). */
const EXPIRY_TIMES = ["expires_at", "expired_at"];
/** Answer fields that hold an expiry as a lifetime in seconds (Deepgram, AssemblyAI). */
const EXPIRY_LIFETIMES = ["expires_in", "expires_in_seconds"];
/** Where the url-elsewhere fault moves a signed URL. */
export const ELSEWHERE_HOST = "elsewhere.example";
/** The start of a key-shaped JSON body, for the faults whose body is cut or never ends. */
const KEY_OPENING = '{"api_key":"temp:x","key_value":"x","token":"x","padding":"';

/** What the fault answers, or undefined when there is no such fault. */
export function planFault(fault: string, context: FaultContext): FaultPlan | undefined {
  const reply = (value: FaultReply): FaultPlan => ({ kind: "reply", reply: value });
  const status = STATUS_FAULT.exec(fault);
  if (status) {
    const [, code, retryAfter] = status as unknown as [string, string, RetryAfterForm | undefined];
    const error = context.errorReply(Number(code), `${FAULT_BODY_MARK}: ${quoteCredentials(context.received)}`);
    return reply(retryAfter ? withRetryAfter(error, retryAfter) : error);
  }
  switch (fault as Fault) {
    case "rate-limited":
      return reply(
        withRetryAfter(
          context.errorReply(429, "Requests per minute limit for temporary API key creation has been exceeded."),
          "seconds",
        ),
      );
    case "rate-limited-date":
      return reply(withRetryAfter(context.errorReply(429, "Too many requests"), "date"));
    case "server-error":
      return reply(context.errorReply(500, "The server encountered an error. Please try again."));
    case "rejected":
      return reply(context.errorReply(400, "Input should be less than or equal to 3600"));
    case "forbidden":
      return reply(context.errorReply(403, "Forbidden"));
    case "unprocessable":
      return reply(context.errorReply(422, "ttl: Input should be less than or equal to 3600"));
    case "echo-400":
    case "echo-401":
    case "echo-403":
    case "echo-404":
    case "echo-422":
      return reply(
        context.errorReply(Number(fault.slice(ECHO_FAULT_PREFIX.length)), echoCredentials(context.received)),
      );
    case "expiry-far":
    case "expiry-never":
    case "expiry-null":
    case "expiry-garbled":
      return reply(withExpiry(context.normal(), fault as ExpiryFault));
    case "url-elsewhere":
      return reply(withSignedUrlElsewhere(context.normal()));
    case "redirect":
    case "redirect-307":
      return reply({ status: 307, headers: { location: context.redirectTarget }, body: "" });
    case "redirect-302":
      return reply({ status: 302, headers: { location: context.redirectTarget }, body: "" });
    case "malformed":
      return reply(context.malformedReply);
    case "malformed-200":
    case "malformed-201":
      // JSON cut short, as a dropped proxy connection leaves it.
      return reply(jsonBody(Number(fault.slice(-3)), `{"api_key":"temp:${FAULT_BODY_MARK}`));
    case "empty-200":
    case "empty-201":
      return reply(jsonBody(Number(fault.slice(-3)), ""));
    case "html-200":
    case "html-502":
      return reply(htmlPage(Number(fault.slice(-3)), context.received));
    case "reset":
      return { kind: "reset" };
    case "reset-mid-body":
      return { kind: "partial", status: 201, opening: KEY_OPENING, closing: '"}', then: "reset" };
    case "stalled-body":
      return { kind: "partial", status: 201, opening: KEY_OPENING, closing: '"}', then: "stall" };
    case "oversized":
      return { kind: "partial", status: 201, opening: KEY_OPENING, closing: '"}', then: "oversized" };
    case "endless":
      return { kind: "partial", status: 201, opening: KEY_OPENING, closing: '"}', then: "endless" };
    case "slow":
      return { kind: "delayed", delayMs: SLOW_FAULT_DELAY_MS, reply: context.normal };
    default:
      return undefined;
  }
}

function withRetryAfter(reply: FaultReply, form: RetryAfterForm): FaultReply {
  const seconds = Number(FAULT_RETRY_AFTER_SECONDS);
  const value = form === "seconds" ? FAULT_RETRY_AFTER_SECONDS : new Date(Date.now() + seconds * 1000).toUTCString();
  return { ...reply, headers: { ...reply.headers, "retry-after": value } };
}

function jsonBody(status: number, body: string): FaultReply {
  return { status, headers: { "content-type": "application/json" }, body };
}

/** A load balancer's error page, quoting what it was sent. */
function htmlPage(status: number, received: FaultContext["received"]): FaultReply {
  const title = `${status} ${status === 200 ? "OK" : "Bad Gateway"}`;
  const body = [
    "<!DOCTYPE html>",
    `<html><head><title>${title}</title></head>`,
    `<body><h1>${title}</h1><p>${FAULT_BODY_MARK}</p>`,
    `<pre>${quoteCredentials(received)}</pre></body></html>`,
    "",
  ].join("\n");
  return { status, headers: { "content-type": "text/html; charset=utf-8" }, body };
}

/** The credentials a request carried (its credential headers and its body), quoted as sent. */
function quoteCredentials({ headers, rawBody }: FaultContext["received"]): string {
  const quoted = ["authorization", "xi-api-key", "ocp-apim-subscription-key", "x-gladia-key"]
    .filter((name) => headers[name] !== undefined)
    .map((name) => `${name}=${String(headers[name])}`);
  return `request ${quoted.join(" ")} body=${rawBody}`;
}

/**
 * Where the echo faults hide a control character in each quote: early, inside the
 * header's "Bearer" ("Bear\u0007er …"), so only a scrubber that removes control
 * characters before it searches still finds the bearer token.
 */
const HIDDEN_CONTROL_AT = 4;

/**
 * A careless vendor's error message that quotes the credentials it was sent
 * (header and body), with a control character hidden inside each quote, as a
 * test of the broker's scrubbing.
 */
function echoCredentials({ headers, rawBody }: FaultContext["received"]): string {
  const hide = (text: string) => `${text.slice(0, HIDDEN_CONTROL_AT)}\u0007${text.slice(HIDDEN_CONTROL_AT)}`;
  // ElevenLabs takes its key in xi-api-key, Azure in Ocp-Apim-Subscription-Key, Gemini in x-goog-api-key
  // and Gladia in x-gladia-key, with no Authorization header.
  const keyHeader = ["xi-api-key", "ocp-apim-subscription-key", "x-goog-api-key", "x-gladia-key"].find(
    (h) => typeof headers[h] === "string",
  );
  const [name, value] =
    headers.authorization === undefined && keyHeader !== undefined
      ? [keyHeader, String(headers[keyHeader])]
      : ["Authorization", String(headers.authorization ?? "")];
  return `Invalid credentials: ${name} ${hide(value)} in request ${hide(rawBody)}`;
}

type ExpiryFault = "expiry-far" | "expiry-never" | "expiry-null" | "expiry-garbled";

/**
 * The vendor's normal success with its expiry replaced, whether a time or a lifetime:
 *   expiry-far      far in the future, in the field's own form
 *   expiry-never    a time of null, which AceData documents as "never expires" (lifetimes kept)
 *   expiry-null     null, times and lifetimes alike, as Deepgram documents its expires_in may be
 *   expiry-garbled  text that is no time at all, beside a credential the vendor did issue
 */
function withExpiry(reply: FaultReply, fault: ExpiryFault): FaultReply {
  const body = jsonObject(reply);
  if (!body) return reply;
  for (const field of EXPIRY_TIMES) {
    if (!(field in body)) continue;
    const farTime = typeof body[field] === "number" ? Date.parse(FAR_EXPIRY) / 1000 : FAR_EXPIRY;
    body[field] = { "expiry-far": farTime, "expiry-never": null, "expiry-null": null, "expiry-garbled": "soon" }[fault];
  }
  for (const field of EXPIRY_LIFETIMES) {
    if (!(field in body) || fault === "expiry-never") continue;
    body[field] = { "expiry-far": FAR_LIFETIME_SECONDS, "expiry-null": null, "expiry-garbled": "soon" }[fault];
  }
  return { ...reply, body: JSON.stringify(body) };
}

/** The vendor's normal success with its signed URL (ElevenLabs agents) moved to another host, all else kept. */
function withSignedUrlElsewhere(reply: FaultReply): FaultReply {
  const body = jsonObject(reply);
  if (typeof body?.signed_url !== "string") return reply;
  const url = new URL(body.signed_url);
  url.host = ELSEWHERE_HOST;
  return { ...reply, body: JSON.stringify({ ...body, signed_url: url.toString() }) };
}

/** A JSON object answer's fields; undefined for any other answer (AmiVoice's plain text). */
function jsonObject(reply: FaultReply): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(reply.body);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
