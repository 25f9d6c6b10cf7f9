import { base64url } from "jose";
import * as fc from "fast-check";
import { vendorIds } from "../../src/vendors/registry";
import { ADMIN_TOKEN, AUDIENCE, HS256_SECRET, ISSUER } from "../helpers/broker";
import { publicJwks, signToken } from "../helpers/tokens";

/*
 * Generators for whole HTTP requests: documented routes and garbage paths, any
 * method workerd accepts, hostile headers (a 64 KiB Authorization, odd bytes,
 * duplicates, a wrong Content-Type, refused origins) and hostile bodies (random
 * bytes, deep JSON, huge numbers, wrong types, `__proto__`/`constructor`/
 * `prototype` keys). Every value stays a legal `Request`: header values are
 * ByteStrings without NUL, CR or LF, and GET and HEAD carry no body.
 */

/** One generated request; headers are appended in order, so a name may repeat. */
export interface RequestSpec {
  method: string;
  /** Path and query, starting with "/", appended to the broker's origin. */
  path: string;
  authorization?: string;
  contentType?: string;
  origin?: string;
  /** `Access-Control-Request-Method`: with OPTIONS and an allowed Origin, a CORS preflight. */
  preflight?: string;
  extra: [string, string][];
  /** Headers appended a second time; `Headers` joins the two values with ", ". */
  duplicates: [string, string][];
  /** Sent as bytes, so that no Content-Type is added for us. */
  body?: string | Uint8Array;
}

export const BROKER_ORIGIN = "https://broker.test";
export const ALLOWED_ORIGIN = "https://app.example.com";

export function buildRequest(spec: RequestSpec): Request {
  const headers = new Headers();
  const add = (name: string, value: string | undefined) => value !== undefined && headers.append(name, value);
  add("Authorization", spec.authorization);
  add("Content-Type", spec.contentType);
  add("Origin", spec.origin);
  add("Access-Control-Request-Method", spec.preflight);
  for (const [name, value] of [...spec.extra, ...spec.duplicates]) headers.append(name, value);
  const upper = spec.method.toUpperCase();
  const bodyless = upper === "GET" || upper === "HEAD" || spec.body === undefined;
  const body = bodyless ? undefined : typeof spec.body === "string" ? new TextEncoder().encode(spec.body) : spec.body;
  return new Request(BROKER_ORIGIN + spec.path, { method: spec.method, headers, body });
}

// ---------------------------------------------------------------- credentials

export interface Credentials {
  /** End-user tokens the broker must accept, one subject each so that the burst limit is spread out. */
  valid: string[];
  /** Tokens it must refuse, each with what is wrong with it. */
  invalid: { flaw: string; token: string }[];
  /** client_refs the admin deny calls act on: some of the valid subjects, and some nobody uses. */
  denyRefs: string[];
}

const VALID_TOKENS = 24;

const encodeJson = (value: unknown) => base64url.encode(JSON.stringify(value));

/** Signs the token pool; `label` makes every subject unique to this run. */
export async function makeCredentials(label: string): Promise<Credentials> {
  const algs = ["RS256", "ES256", "EdDSA"] as const;
  const valid = await Promise.all(
    Array.from({ length: VALID_TOKENS }, (_, i) => signToken(`${label}-${i}`, { alg: algs[i % algs.length] })),
  );
  const now = Math.floor(Date.now() / 1000);
  const subject = `${label}-refused`;
  // A day: the properties may run for minutes on a loaded machine, and a valid token must stay valid.
  const claims = { iss: ISSUER, aud: AUDIENCE, sub: subject, iat: now, exp: now + 86_400 };
  const [header, , signature] = (valid[0] as string).split(".");
  const rsaPublic = publicJwks.keys.find((key) => key.kty === "RSA");
  const invalid: { flaw: string; token: string }[] = [
    { flaw: "expired", token: await signToken(subject, { claims: { iat: now - 7200, exp: now - 3600 } }) },
    { flaw: "not yet valid", token: await signToken(subject, { claims: { nbf: now + 3600 } }) },
    { flaw: "wrong issuer", token: await signToken(subject, { claims: { iss: "https://evil.example" } }) },
    { flaw: "wrong audience", token: await signToken(subject, { claims: { aud: "someone-else" } }) },
    { flaw: "no exp", token: await signToken(subject, { omit: ["exp"] }) },
    { flaw: "no sub", token: await signToken(subject, { omit: ["sub"] }) },
    { flaw: "empty sub", token: await signToken("", {}) },
    { flaw: "sub too long", token: await signToken("s".repeat(300)) },
    { flaw: "numeric sub", token: await signToken(subject, { claims: { sub: 12345 as unknown as string } }) },
    { flaw: "HS256 in JWKS mode", token: await signToken(subject, { alg: "HS256" }) },
    {
      flaw: "HS256 keyed with the public key",
      token: await signToken(subject, {
        alg: "HS256",
        secret: new TextEncoder().encode(JSON.stringify(rsaPublic ?? HS256_SECRET)),
      }),
    },
    { flaw: "unknown kid", token: await signToken(subject, { kid: "fuzz-unknown-kid" }) },
    { flaw: "alg none", token: `${encodeJson({ alg: "none", typ: "JWT" })}.${encodeJson(claims)}.` },
    { flaw: "alg none, upper case", token: `${encodeJson({ alg: "NONE" })}.${encodeJson(claims)}.` },
    { flaw: "payload swapped", token: `${header}.${encodeJson({ ...claims, sub: `${label}-0` })}.${signature}` },
    { flaw: "signature stripped", token: `${header}.${encodeJson(claims)}.` },
    { flaw: "two parts", token: `${header}.${encodeJson(claims)}` },
    { flaw: "five parts (JWE shape)", token: `${header}.a.b.c.d` },
    { flaw: "garbage", token: "not-a-jwt" },
    { flaw: "dots", token: "..." },
    { flaw: "JSON", token: JSON.stringify(claims) },
    {
      flaw: "header with __proto__",
      token: `${base64url.encode('{"alg":"RS256","__proto__":{"alg":"none"}}')}.${encodeJson(claims)}.${signature}`,
    },
    { flaw: "huge payload", token: `${header}.${"A".repeat(60_000)}.${signature}` },
  ];
  const denyRefs = [`${label}-0`, `${label}-1`, `${label}-denied-a`, `${label}-denied-b`];
  return { valid, invalid, denyRefs };
}

// ---------------------------------------------------------------- small pieces

/** Methods workerd accepts (it refuses some legal tokens, such as `M-SEARCH`), in a few spellings. */
const CANDIDATE_METHODS = [
  ...["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"],
  ...["TRACE", "PURGE", "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "SEARCH", "REPORT"],
  ...["QUERY", "CONNECT", "get", "post", "delete", "patch", "options", "head", "Put", "pOsT"],
];
export const ACCEPTED_METHODS = CANDIDATE_METHODS.filter((method) => {
  try {
    new Request(BROKER_ORIGIN, { method });
    return true;
  } catch {
    return false;
  }
});
const STANDARD_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"];

export const methodArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...STANDARD_METHODS) },
  { weight: 1, arbitrary: fc.constantFrom(...ACCEPTED_METHODS) },
);

/** ASCII a header value may hold: anything but NUL, LF and CR. */
export const headerAscii = fc
  .integer({ min: 1, max: 127 })
  .filter((code) => code !== 10 && code !== 13)
  .map((code) => String.fromCharCode(code));

/**
 * Non-ASCII header values. workerd encodes them as UTF-8 and prints a warning on
 * its own stderr each time, so they come from a short fixed set, drawn rarely:
 * Latin-1, mojibake, bidi and zero-width controls, a BOM, an emoji, CJK,
 * combining marks, a lone surrogate and the widest Latin-1 bytes.
 */
export const ODD_UNICODE_VALUES = [
  "é",
  "Ã©",
  "\u202eevil\u202c",
  "a\u200bb",
  "\ufeffBearer x",
  "🔑",
  "日本語",
  "e\u0301\u0301\u0301",
  "\ud800",
  "\u00ff\u00fe\u0080",
  "Bearer é.é.é",
];

export const headerValueArb = fc.oneof(
  { weight: 8, arbitrary: fc.string({ unit: headerAscii, maxLength: 64 }) },
  { weight: 1, arbitrary: fc.constantFrom(...ODD_UNICODE_VALUES) },
  { weight: 2, arbitrary: fc.constantFrom("", " ", "\t", "%00", "a, b", "\\", '"', "()<>@,;:", "\x7f") },
);

const tokenChars = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,16}$/;
const headerNameArb = fc.oneof(
  fc.constantFrom(
    ...["X-Request-Id", "User-Agent", "CF-Connecting-IP", "Accept", "Accept-Encoding", "X-Forwarded-For"],
    ...["Cookie", "If-None-Match", "Range", "Content-Length", "Transfer-Encoding", "Host", "Content-Encoding"],
  ),
  fc.stringMatching(tokenChars).map((name) => `X-Fuzz-${name}`),
);

const extraHeaderArb: fc.Arbitrary<[string, string]> = fc.oneof(
  fc.tuple(headerNameArb, headerValueArb),
  fc.tuple(
    fc.constant("X-Request-Id"),
    fc.oneof(fc.stringMatching(/^[A-Za-z0-9._:-]{8,128}$/), fc.string({ unit: headerAscii, maxLength: 300 })),
  ),
  fc.tuple(
    fc.constant("CF-Connecting-IP"),
    fc.oneof(fc.ipV4(), fc.ipV6(), fc.constantFrom("", "::ffff:192.0.2.1", "999.1.1.1", "localhost")),
  ),
  fc.tuple(
    fc.constant("User-Agent"),
    fc.integer({ min: 0, max: 4096 }).map((n) => "Mozilla/5.0 ".repeat(n)),
  ),
);

export const contentTypeArb = fc.oneof(
  fc.constantFrom(
    ...["application/json", "application/json; charset=utf-8", "APPLICATION/JSON", "application/json;charset=latin1"],
    ...[
      "text/plain",
      "text/plain;charset=UTF-8",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
    ],
    ...["application/jsonx", "application/json-patch+json", "application/problem+json", "json", "application/", ""],
    ...[" application/json", "application/json ,text/plain", "*/*", "application/x-ndjson"],
  ),
  headerValueArb,
);

export const originArb = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(ALLOWED_ORIGIN, "http://localhost:5173") },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      ...["https://evil.example", "null", "", "https://app.example.com.evil.example", "HTTPS://APP.EXAMPLE.COM"],
      ...["https://app.example.com/", "*", "https://app.example.com:443", "http://app.example.com", "file://"],
    ),
  },
  { weight: 1, arbitrary: headerValueArb },
);

/** A huge Authorization value, up to 64 KiB, shaped like a bearer token or not. */
const hugeAuthorizationArb = fc
  .tuple(
    fc.integer({ min: 1024, max: 64 * 1024 }),
    fc.constantFrom("Bearer ", "Bearer a.", "", "Basic "),
    fc.constantFrom("A", "ab.", "%", " ", "\t"),
  )
  .map(([size, prefix, unit]) => prefix + unit.repeat(Math.ceil(size / unit.length)).slice(0, size));

export function authorizationArb(credentials: Credentials): fc.Arbitrary<string | undefined> {
  const schemes = fc.constantFrom(
    "Bearer ",
    "bearer ",
    "BEARER ",
    "Bearer  ",
    "Bearer\t",
    "Token ",
    "Basic ",
    "Bearer:",
    "",
    " Bearer ",
  );
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant(undefined) },
    { weight: 4, arbitrary: fc.constantFrom(...credentials.valid).map((token) => `Bearer ${token}`) },
    { weight: 4, arbitrary: fc.constantFrom(...credentials.invalid).map(({ token }) => `Bearer ${token}`) },
    { weight: 3, arbitrary: fc.constant(`Bearer ${ADMIN_TOKEN}`) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        ...[`Bearer ${ADMIN_TOKEN}x`, `Bearer ${ADMIN_TOKEN.slice(0, -1)}`, `Bearer ${ADMIN_TOKEN.toUpperCase()}`],
        ...[`Basic ${btoa(`admin:${ADMIN_TOKEN}`)}`, `Bearer ${ADMIN_TOKEN} extra`, "Bearer", "Bearer ", ADMIN_TOKEN],
      ),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(
          schemes,
          fc.constantFrom(...credentials.valid, ...credentials.invalid.map(({ token }) => token), ADMIN_TOKEN),
        )
        .map(([scheme, token]) => scheme + token),
    },
    { weight: 2, arbitrary: hugeAuthorizationArb },
    { weight: 1, arbitrary: headerValueArb },
  );
}

// ---------------------------------------------------------------- paths and queries

/** Every documented route as a concrete path. */
export const DOCUMENTED_PATHS = [
  ...["/healthz", "/openapi.json", "/v1/vendors", "/v1/audit", "/v1/audit/export", "/v1/me/usage", "/v1/admin/deny"],
  ...vendorIds.map((id) => `/v1/keys/${id}`),
];

/** encodeURIComponent, which throws on a lone surrogate; such a surrogate becomes U+FFFD here. */
export function encodeSegment(text: string): string {
  return encodeURIComponent(
    text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd"),
  );
}

export const issuanceIdArb = fc.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/);

/** A path segment made to confuse routers and decoders; it may hold raw `/`, `..` and stray `%`. */
export const segmentArb = fc.oneof(
  fc.webSegment(),
  fc.string({ unit: "grapheme", maxLength: 16 }).map((text) => text.replace(/[?#]/g, "")),
  fc.string({ unit: "binary", maxLength: 16 }).map(encodeSegment),
  fc
    .array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 8 })
    .map((bytes) => bytes.map((byte) => `%${byte.toString(16).padStart(2, "0")}`).join("")),
  fc.constantFrom(
    ...["..", "%2e%2e", "%2E%2E%2F", ".", "%00", "%ZZ", "%", "%E0%A4", "%C0%AF", "%F0%9F%92%A9", "%2F", "%5C"],
    ...[";", "a;b=c", "%20", "+", "~", "*", "export", "deny", ":vendor", "{vendor}", "soniox%00", "SONIOX"],
    ...["soniox ", "é", "日本語", "🔑", "\u202e", "\ufeff", "__proto__", "constructor", "prototype"],
    // A literal `*` once made Hono's TrieRouter run every middleware twice (two request ids).
    ...["*", "%2A", "**"],
  ),
  fc.integer({ min: 200, max: 8192 }).map((n) => "a".repeat(n)),
  issuanceIdArb,
);

/** A documented path spelled wrongly: trailing or doubled slashes, case, dot segments, extra segments. */
const variedPathArb = fc
  .tuple(
    fc.constantFrom(...DOCUMENTED_PATHS),
    fc.constantFrom<(path: string) => string>(
      (p) => `${p}/`,
      (p) => p.toUpperCase(),
      (p) => `/${p}`,
      (p) => p.replace(/\//g, "//"),
      (p) => `/v1/..${p}`,
      (p) => `${p}/..`,
      (p) => `${p}%2F`,
      (p) => `${p}/%2e%2e/x`,
      (p) => `${p};x`,
      (p) => `${p}/extra`,
      (p) => p.replace("/v1/", "/v2/"),
      (p) => p.replace(/[a-z]/, (c) => `%${c.charCodeAt(0).toString(16)}`),
      (p) => `${p}%00`,
      (p) => `${p}\\`,
    ),
  )
  .map(([path, vary]) => vary(path));

const pathOnlyArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...DOCUMENTED_PATHS) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.constantFrom("/v1/keys/", "/v1/audit/", "/v1/admin/deny/"),
        fc.oneof(segmentArb, fc.constantFrom(...vendorIds)),
      )
      .map(([base, segment]) => base + segment),
  },
  { weight: 2, arbitrary: variedPathArb },
  { weight: 2, arbitrary: fc.array(segmentArb, { maxLength: 6 }).map((segments) => `/${segments.join("/")}`) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 4000 }).map((n) => `/v1/${"a/".repeat(n)}`) },
);

const QUERY_KEYS = ["client_ref", "vendor", "since", "until", "limit", "cursor"];

const isoArb = fc.oneof(
  fc
    .date({ min: new Date(Date.UTC(1970, 0, 1)), max: new Date(Date.UTC(2100, 0, 1)), noInvalidDate: true })
    .map((date) => date.toISOString()),
  fc.constantFrom(
    ...["2026-02-30T00:00:00Z", "1970-01-01T00:00:00Z", "2001-01-01T00:00:00+02:00", "2001-01-01T00:00:00%2B02:00"],
    ...["9999-12-31T23:59:59.999Z", "+275760-09-13T00:00:00Z", "yesterday", "2026-03-01", "2026-03-01T00:00:00"],
    ...["2026-03-01T24:00:00Z", "2026-03-01T00:00:00.123456789Z", "0000-01-01T00:00:00Z", "2026-03-01T00:00:00-23:59"],
  ),
);

/** Cursors: malformed, made for other filters, holding a polluting key, or a bare issuance id. */
const cursorArb = fc.oneof(
  fc.constantFrom(
    base64url.encode(JSON.stringify({ f: "0123456789abcdef" })),
    base64url.encode(JSON.stringify({ f: "0123456789abcdef", page: "AAAA", after: "idx2:all:0" })),
    base64url.encode('{"f":"0123456789abcdef","__proto__":{"page":"x"}}'),
    base64url.encode('{"f":"0123456789abcdef","constructor":{"prototype":{"polluted":1}}}'),
    base64url.encode("[]"),
    base64url.encode("null"),
    "!!!",
    "=",
    "",
  ),
  fc.string({ unit: "binary-ascii", maxLength: 40 }).map((text) => base64url.encode(text)),
  issuanceIdArb,
  fc.integer({ min: 2000, max: 4000 }).map((n) => "A".repeat(n)),
);

const queryValueArb = fc.oneof(
  fc.constantFrom(...["", "0", "1", "7", "100", "1000", "1001", "10000", "10001", "-1", "1e3", "01", "0x10", "%201"]),
  fc.constantFrom(...["999999999", "9999999999", "1.5", "NaN", "Infinity"]),
  fc.constantFrom(...vendorIds, "SONIOX", "acme", "__proto__"),
  isoArb,
  cursorArb,
  segmentArb,
);

export const queryArb = fc
  .array(
    fc.tuple(
      fc.oneof(fc.constantFrom(...QUERY_KEYS, "__proto__", "constructor", "sort", "limit[]"), segmentArb),
      queryValueArb,
    ),
    { maxLength: 6 },
  )
  .map((pairs) => (pairs.length === 0 ? "" : `?${pairs.map(([key, value]) => `${key}=${value}`).join("&")}`));

export const pathArb = fc
  .tuple(pathOnlyArb, fc.option(queryArb, { freq: 2 }))
  .map(([path, query]) => path + (query ?? ""));

// ---------------------------------------------------------------- bodies

const FIELD_NAMES = [
  ...["ttl_seconds", "single_use", "usage_type", "max_session_duration_seconds", "type", "region", "bind_ip"],
  ...["limited_amount", "session_type", "model", "kind", "agent_id", "client_ref", "reason", "until", "vendor", "key"],
];
const POLLUTION_KEYS = ["__proto__", "constructor", "prototype"];

/** Numbers at the edges of what JSON and doubles hold, as JSON text. */
export const hugeNumberArb = fc.constantFrom(
  ...["1e308", "-1e308", "1e309", "-1e309", "-0", "0", "-0.0", "9007199254740993", "-9007199254740993"],
  ...[`1${"0".repeat(400)}`, `0.${"0".repeat(400)}1`, "1e-400", "4.9e-324", "60.0", "60.5", "1E2", "2147483648"],
  ...["3600.0000000000001", "18446744073709551616", "-1", "1e3"],
);

const wrongTypeArb = fc.constantFrom(
  '"60"',
  "true",
  "false",
  "null",
  "[]",
  "{}",
  "[60]",
  '{"value":60}',
  '""',
  '"true"',
  '"\\u0000"',
);

/** JSON nested 1 to 6,000 levels deep; the deeper ones also pass the 16 KiB body limit. */
export const deepJsonArb = fc
  .tuple(fc.integer({ min: 1, max: 6000 }), fc.constantFrom("array", "object", "mixed", "pollution"))
  .map(([depth, kind]) => {
    switch (kind) {
      case "array":
        return "[".repeat(depth) + "]".repeat(depth);
      case "object":
        return `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
      case "mixed":
        return `${'[{"a":'.repeat(depth)}0${"}]".repeat(depth)}`;
      default:
        return `${'{"__proto__":'.repeat(depth)}{"polluted":true}${"}".repeat(depth)}`;
    }
  });

/** Objects built as text, so that `__proto__` stays an own key and a key may repeat. */
export const pollutionJsonArb = fc.oneof(
  fc.constantFrom(
    '{"__proto__":{"polluted":"yes"}}',
    '{"constructor":{"prototype":{"polluted":"yes"}}}',
    '{"prototype":{"polluted":"yes"}}',
    '{"ttl_seconds":120,"__proto__":{"ttl_seconds":1,"polluted":"yes"}}',
    '{"__proto__":{"client_ref":"someone-else"}}',
    '{"options":{"__proto__":{"polluted":"yes"}}}',
    '{"client_ref":"x","reason":"y","__proto__":{"isAdmin":true,"polluted":"yes"}}',
    '[{"__proto__":{"polluted":"yes"}}]',
    '{"__proto__":null}',
    '{"__proto__":[]}',
    '{"constructor":"polluted"}',
  ),
  fc
    .tuple(fc.constantFrom(...POLLUTION_KEYS), fc.json({ maxDepth: 2 }))
    .map(([key, value]) => `{${JSON.stringify(key)}:${value}}`),
);

const fieldValueArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: -10, max: 100_000 }).map(String) },
  { weight: 1, arbitrary: fc.boolean().map(String) },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom(
        ...["transcribe_websocket", "tts_rt", "rt", "batch", "eu", "usa", "au", "realtime", "transcription"],
        ...[
          "realtime_scribe",
          "tts_websocket",
          "agent",
          "agent_fuzz",
          "gpt-realtime",
          "fuzz-someone",
          "2099-01-01T00:00:00Z",
        ],
      )
      .map((text) => JSON.stringify(text)),
  },
  { weight: 2, arbitrary: hugeNumberArb },
  { weight: 2, arbitrary: wrongTypeArb },
  { weight: 1, arbitrary: deepJsonArb },
  { weight: 1, arbitrary: pollutionJsonArb },
  { weight: 1, arbitrary: fc.json({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 40 }).map((text) => JSON.stringify(text)) },
);

export const objectBodyArb = fc
  .array(
    fc.tuple(
      fc.oneof(
        { weight: 5, arbitrary: fc.constantFrom(...FIELD_NAMES) },
        { weight: 1, arbitrary: fc.constantFrom(...POLLUTION_KEYS) },
        { weight: 1, arbitrary: fc.string({ maxLength: 10 }) },
      ),
      fieldValueArb,
    ),
    { maxLength: 6 },
  )
  .map((entries) => `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${value}`).join(",")}}`);

/** Mint bodies each vendor accepts (sent to other vendors, they are unknown fields). */
export const VALID_MINT_BODIES = [
  ...["{}", '{"ttl_seconds":120}', '{"single_use":true,"ttl_seconds":60}', '{"usage_type":"tts_rt"}'],
  ...[
    '{"type":"batch","region":"eu","ttl_seconds":600}',
    '{"bind_ip":false}',
    '{"ttl_seconds":3600,"limited_amount":5}',
  ],
  ...['{"session_type":"transcription"}', '{"max_session_duration_seconds":1800,"ttl_seconds":60}'],
  ...['{"kind":"tts_websocket"}', '{"kind":"agent","agent_id":"agent_fuzz"}', '{"ttl_seconds":900}', ""],
];

const randomBytesArb = fc.oneof(
  fc.uint8Array({ maxLength: 512 }),
  // Around the 16 KiB limit, on both sides.
  fc
    .tuple(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.integer({ min: 8 * 1024, max: 24 * 1024 }))
    .map(([chunk, size]) => Uint8Array.from({ length: size }, (_, i) => chunk[i % chunk.length] as number)),
  // Invalid UTF-8 inside a JSON string.
  fc
    .uint8Array({ minLength: 1, maxLength: 16 })
    .map((bytes) =>
      Uint8Array.from([...new TextEncoder().encode('{"model":"'), ...bytes, ...new TextEncoder().encode('"}')]),
    ),
);

const oddBodyArb = fc.constantFrom(
  ...["", " ", "\n\t", "null", "[]", "0", '"x"', "{", "{}", "\ufeff{}", "{}garbage", "{'a':1}", "NaN"],
  ...["Infinity", "[1,2,", '{"a":1,}', '{"ttl_seconds":60,"ttl_seconds":"x"}', "{}{}", "\u0000"],
);

/** Bodies meant to break a parser or a merge: what a route that reads the body must survive. */
export const hostileBodyArb: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  { weight: 1, arbitrary: oddBodyArb },
  { weight: 2, arbitrary: randomBytesArb },
  { weight: 1, arbitrary: fc.json() },
  { weight: 4, arbitrary: objectBodyArb },
  { weight: 1, arbitrary: deepJsonArb },
  { weight: 3, arbitrary: pollutionJsonArb },
);

export function bodyArb(credentials: Credentials): fc.Arbitrary<string | Uint8Array | undefined> {
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant(undefined) },
    { weight: 8, arbitrary: hostileBodyArb },
    { weight: 2, arbitrary: fc.constantFrom(...VALID_MINT_BODIES) },
    { weight: 1, arbitrary: denyBodyArb(credentials) },
  );
}

export function denyBodyArb(credentials: Credentials): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.constantFrom(...credentials.denyRefs),
      fc.option(fc.constantFrom("2099-01-01T00:00:00Z", "2000-01-01T00:00:00Z", "2099-01-01T00:00:00+09:00")),
    )
    .map(([clientRef, until]) =>
      JSON.stringify({ client_ref: clientRef, reason: "fuzz", ...(until ? { until } : {}) }),
    );
}

// ---------------------------------------------------------------- whole requests

/** Anything at all, each part drawn on its own. */
export function chaoticRequestArb(credentials: Credentials): fc.Arbitrary<RequestSpec> {
  const maybe = <T>(arbitrary: fc.Arbitrary<T>, freq = 2) => fc.option(arbitrary, { nil: undefined, freq });
  return fc.record({
    method: methodArb,
    path: pathArb,
    authorization: authorizationArb(credentials),
    contentType: maybe(contentTypeArb),
    origin: maybe(originArb),
    preflight: maybe(fc.constantFrom("POST", "GET", "DELETE", "PUT", "post", "")),
    extra: fc.array(extraHeaderArb, { maxLength: 4 }),
    duplicates: fc.array(
      fc.oneof(
        fc.tuple(
          fc.constant("Authorization"),
          authorizationArb(credentials).map((value) => value ?? ""),
        ),
        fc.tuple(fc.constant("Content-Type"), contentTypeArb),
        fc.tuple(fc.constant("Origin"), originArb),
        fc.tuple(fc.constantFrom("X-Request-Id", "CF-Connecting-IP", "Accept"), headerValueArb),
      ),
      { maxLength: 2 },
    ),
    body: bodyArb(credentials),
  });
}

/** A request a real client would send to one documented route, with the right credentials. */
export function wellFormedRequestArb(credentials: Credentials): fc.Arbitrary<RequestSpec> {
  const user = fc.constantFrom(...credentials.valid).map((token) => `Bearer ${token}`);
  const admin = fc.constant(`Bearer ${ADMIN_TOKEN}`);
  const json = "application/json";
  const base = { extra: [] as [string, string][], duplicates: [] as [string, string][] };
  const endUserIp = fc.constantFrom<[string, string][]>(
    [],
    [["CF-Connecting-IP", "192.0.2.10"]],
    [["CF-Connecting-IP", "2001:db8::1"]],
  );
  return fc.oneof(
    {
      weight: 6,
      arbitrary: fc
        .record({
          vendor: fc.constantFrom(...vendorIds),
          authorization: user,
          body: fc.oneof(
            { weight: 3, arbitrary: fc.constantFrom<string | Uint8Array>(...VALID_MINT_BODIES) },
            { weight: 2, arbitrary: hostileBodyArb },
          ),
          origin: fc.option(fc.constantFrom(ALLOWED_ORIGIN, "http://localhost:5173"), { nil: undefined }),
          extra: endUserIp,
        })
        .map(({ vendor, ...rest }) => ({
          ...base,
          ...rest,
          method: "POST",
          path: `/v1/keys/${vendor}`,
          contentType: json,
        })),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.constantFrom("/v1/vendors", "/v1/me/usage"), user)
        .map(([path, authorization]) => ({ ...base, method: "GET", path, authorization })),
    },
    {
      weight: 3,
      arbitrary: fc
        .tuple(fc.constantFrom("/v1/audit", "/v1/audit/export"), queryArb, admin)
        .map(([path, query, authorization]) => ({ ...base, method: "GET", path: path + query, authorization })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(issuanceIdArb, admin)
        .map(([id, authorization]) => ({ ...base, method: "GET", path: `/v1/audit/${id}`, authorization })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.oneof({ weight: 2, arbitrary: denyBodyArb(credentials) }, { weight: 1, arbitrary: hostileBodyArb }),
          admin,
        )
        .map(([body, authorization]) => ({
          ...base,
          method: "POST",
          path: "/v1/admin/deny",
          authorization,
          contentType: json,
          body,
        })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom("GET", "DELETE"), fc.constantFrom(...credentials.denyRefs), admin)
        .map(([method, ref, authorization]) => ({
          ...base,
          method,
          path: `/v1/admin/deny/${encodeSegment(ref)}`,
          authorization,
        })),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom("/healthz", "/openapi.json").map((path) => ({ ...base, method: "GET", path })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom(...DOCUMENTED_PATHS), fc.constantFrom("POST", "GET", "DELETE"))
        .map(([path, preflight]) => ({ ...base, method: "OPTIONS", path, origin: ALLOWED_ORIGIN, preflight })),
    },
  );
}

const SPEC_PARTS = ["method", "path", "authorization", "contentType", "origin", "extra", "duplicates", "body"] as const;

/** A well-formed request with one to three of its parts replaced by chaotic ones. */
export function mixedRequestArb(credentials: Credentials): fc.Arbitrary<RequestSpec> {
  return fc
    .tuple(
      wellFormedRequestArb(credentials),
      chaoticRequestArb(credentials),
      fc.subarray([...SPEC_PARTS], { minLength: 1, maxLength: 3 }),
    )
    .map(([good, chaotic, parts]) => {
      const spec: RequestSpec = { ...good };
      for (const part of parts) Object.assign(spec, { [part]: chaotic[part] });
      return spec;
    });
}

/** The mix the request properties draw from. */
export function requestArb(credentials: Credentials): fc.Arbitrary<RequestSpec> {
  return fc.oneof(
    { weight: 3, arbitrary: wellFormedRequestArb(credentials) },
    { weight: 4, arbitrary: chaoticRequestArb(credentials) },
    { weight: 3, arbitrary: mixedRequestArb(credentials) },
  );
}

/** Valid tokens spoiled in ways a careless verifier might still accept. */
function spoiledTokenArb(credentials: Credentials): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.constantFrom(...credentials.valid),
      fc.integer({ min: 0, max: 1_000_000 }),
      fc.integer({ min: 0, max: 6 }),
    )
    .map(([token, at, how]) => {
      const [header = "", payload = "", signature = ""] = token.split(".");
      // A character inside the signature: the last one may carry unused bits, so changing it proves nothing.
      const i = at % Math.max(1, signature.length - 2);
      const flipped = signature.slice(0, i) + (signature[i] === "A" ? "B" : "A") + signature.slice(i + 1);
      const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload))) as Record<string, unknown>;
      switch (how) {
        case 0:
          return `${header}.${payload}.${flipped}`;
        case 1:
          return `${header}.${payload}.${signature.slice(0, -4)}`;
        case 2:
          return `${encodeJson({ alg: "none", typ: "JWT" })}.${payload}.`;
        case 3:
          return `${header}.${encodeJson({ ...claims, exp: Math.floor(Date.now() / 1000) + 86_400 })}.${signature}`;
        case 4:
          return `${header}.${payload}.${signature}.${signature}`;
        case 5:
          return `${header}.${payload}`;
        default:
          return `${token}, Bearer ${token}`;
      }
    });
}

/**
 * Attempts to get a key: POST /v1/keys/{vendor} with a body the vendor takes,
 * mostly without a valid JWT (none, a refused one, a spoiled valid one, the
 * admin token, a huge one), sometimes with one so that minting happens too.
 */
export function mintAttemptArb(credentials: Credentials): fc.Arbitrary<RequestSpec> {
  const authorization = fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom(...credentials.valid).map((token) => `Bearer ${token}`) },
    { weight: 4, arbitrary: spoiledTokenArb(credentials).map((token) => `Bearer ${token}`) },
    { weight: 4, arbitrary: authorizationArb(credentials) },
  );
  return fc.record({
    method: fc.constantFrom("POST", "post", "POST", "PUT", "PATCH"),
    path: fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...vendorIds).map((vendor) => `/v1/keys/${vendor}`) },
      { weight: 1, arbitrary: pathArb },
    ),
    authorization,
    contentType: fc.oneof(
      { weight: 4, arbitrary: fc.constant("application/json") },
      { weight: 1, arbitrary: contentTypeArb },
    ),
    origin: fc.option(originArb, { nil: undefined, freq: 2 }),
    extra: fc.array(extraHeaderArb, { maxLength: 2 }),
    duplicates: fc.oneof(
      { weight: 4, arbitrary: fc.constant<[string, string][]>([]) },
      {
        weight: 1,
        arbitrary: fc
          .constantFrom(...credentials.valid)
          .map<[string, string][]>((token) => [["Authorization", `Bearer ${token}`]]),
      },
    ),
    body: fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom<string | Uint8Array | undefined>(...VALID_MINT_BODIES) },
      { weight: 2, arbitrary: bodyArb(credentials) },
    ),
  });
}
