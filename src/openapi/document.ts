import type * as z from "zod/mini";
// Only the version; this module runs at build time and in tests, never in the Worker bundle.
import { version as packageVersion } from "../../package.json";
import { EXPORT_SETTLE_SECONDS, MAX_EXPORT_KV_READS, MAX_EXPORT_RECORDS } from "../audit/export";
import { auditPageSchema, auditRecordSchema } from "../audit/record";
import { MAX_LISTING_KV_READS } from "../audit/store";
import {
  DEFAULT_AUDIT_PAGE_SIZE,
  DEFAULT_USERS_PAGE_SIZE,
  MAX_CLIENT_REF_CHARS,
  MAX_REQUEST_BODY_BYTES,
} from "../constants";
import { OPERATOR_PATH } from "../http/cors";
import { ISSUANCE_ID_PATTERN } from "../ids";
import { denyBodySchema } from "../routes/admin";
import { LIVEKIT_REFUSED_FIELDS, livekitTokenRequestSchema } from "../routes/livekit";
import { encodeUsersCursor, statsQuerySchema, usersQuerySchema } from "../routes/stats";
import { auditQuerySchema } from "../routes/audit";
import { auditExportQuerySchema } from "../routes/audit-export";
import { adapterFor, type VendorId, vendorIds } from "../vendors/registry";
import { requestSchema } from "../vendors/request-schema";
import {
  AUDIT_QUERY_DESCRIPTIONS,
  EXPORT_QUERY_DESCRIPTIONS,
  MINTED_KEY_DESCRIPTIONS,
  MINTED_KEY_EXTRA_DESCRIPTIONS,
  REQUEST_FIELD_DESCRIPTIONS,
  SCHEMA_DESCRIPTIONS,
  STATS_QUERY_DESCRIPTIONS,
  USERS_QUERY_DESCRIPTIONS,
} from "./descriptions";
import {
  AUDIT_RECORD_EXAMPLE,
  DENY_RECORD_EXAMPLE,
  EXAMPLE_ACTOR,
  EXAMPLE_CLIENT_REF,
  EXAMPLE_CONNECT,
  EXAMPLE_ISSUANCE_ID,
  EXAMPLE_LIST_FILTERS,
  EXAMPLE_REQUEST_ID,
  EXAMPLE_TIMES,
  exampleListCursor,
  MINT_EXAMPLES,
  STATS_EXAMPLE,
  USERS_ROW_EXAMPLE,
} from "./examples";
import {
  CALLER_REQUEST_ID_PARAMETER,
  type ErrorCases,
  errorResponseComponents,
  errorResponses,
  everyAnswerHeaders,
  HEADERS,
  LINKS,
  PREFLIGHT_PARAMETERS,
  PREFLIGHT_RESPONSE,
  SECURITY_SCHEMES,
} from "./http";
import { describeProperties, type Json, jsonSchema, type PropertyDescriptions } from "./json-schema";
import {
  degradedResponseSchema,
  denyStateSchema,
  errorResponseSchema,
  exportEndLineDocSchema,
  exportErrorLineDocSchema,
  healthResponseSchema,
  livekitTokenResponseSchema,
  mintedKeySchemas,
  openApiDocumentSchema,
  statsResponseSchema,
  usageResponseSchema,
  usersResponseSchema,
  vendorListSchema,
  vendorStatesSchema,
} from "./schemas";

/** The document's `info.version`: the package's version, so a release names both the same. */
export const API_VERSION: string = packageVersion;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
/** The deny state of a user with no deny in force: what GET and DELETE of a deny both answer then. */
const NO_DENY_EXAMPLE = {
  client_ref: EXAMPLE_CLIENT_REF,
  denied: false,
  reason: null,
  until: null,
  since: null,
  actor: null,
};

/** A JSON body: its schema and named examples. */
function jsonBody(schema: Json, examples: Record<string, { summary?: string; value: unknown }>) {
  return { "application/json": { schema, examples } };
}

/** A success answer, with the headers every answer carries. */
function answer(description: string, content: Json, extra: Json = {}): Json {
  return { description, headers: everyAnswerHeaders(), content, ...extra };
}

/** Every operation has exactly one of these tags; `x-displayName` is how API references name it. */
const TAGS = [
  {
    name: "keys",
    "x-displayName": "Keys",
    description: "For the signed-in end user: mint keys, list vendors, see usage.",
  },
  { name: "audit", "x-displayName": "Audit trail", description: "For the operator: read and export the audit trail." },
  { name: "admin", "x-displayName": "Deny", description: "For the operator: stop and restart new keys for a user." },
  {
    name: "stats",
    "x-displayName": "Counts",
    description: "For the operator: mint requests per hour, vendor and outcome, and each day's users.",
  },
  { name: "meta", "x-displayName": "Health and document", description: "Health and this document; no auth." },
  {
    name: "cors",
    "x-displayName": "CORS preflight",
    description:
      "CORS preflights (`OPTIONS`), answered the same on every path but the operator's (`/v1/admin/…`, `/v1/audit…`), which refuse them.",
  },
];

/**
 * The description's last section. The HTML comment is where Redoc renders the security schemes
 * (other renderers skip it and list them on their own).
 */
const AUTHENTICATION = [
  "## Authentication",
  "End users send their identity provider's token (`endUserJwt`); the operator sends `ADMIN_TOKEN` (`adminToken`) or comes through Cloudflare Access (`cloudflareAccess`). Each operation names the ones it takes; health, this document and preflights take none.",
  "<!-- ReDoc-Inject: <security-definitions> -->",
].join("\n\n");

/**
 * How API references group the tags in their navigation (Redoc's `x-tagGroups`): every tag in
 * exactly one group, and the preflights last, away from the operations a client calls.
 */
const TAG_GROUPS = [
  { name: "End user", tags: ["keys"] },
  { name: "Operator", tags: ["audit", "admin", "stats"] },
  { name: "Service", tags: ["meta"] },
  { name: "CORS preflight", tags: ["cors"] },
];

// ---------------------------------------------------------------------------------------------
// Why each error code is answered, per kind of operation. Every operation can meet the origin
// check (src/http/cors.ts runs before any route) and an unexpected failure.

const ORIGIN = "a browser `Origin` that is not in `ALLOWED_ORIGINS`, checked before anything else";
const OPERATOR_ORIGIN =
  "a browser `Origin` other than the broker's own, even one in `ALLOWED_ORIGINS`, checked before anything else";
const ADMIN_DISABLED = "the admin API is off because neither `ADMIN_TOKEN` nor Cloudflare Access (`ACCESS_*`) is set";
const INTERNAL = "an unexpected failure; the answer holds no details";
const settings = (names: string) =>
  `a setting or binding this operation reads is invalid (${names}); the message names it and \`GET /healthz\` lists it`;
const END_USER_AUTH =
  "no `Authorization: Bearer` token, or one that fails verification (signature, `iss`, `aud`, expiry, the provider's own checks)";
const ADMIN_AUTH =
  "neither a valid `Cf-Access-Jwt-Assertion` (signature, `iss`, `aud`, expiry) while Access is set, nor `Authorization: Bearer` with `ADMIN_TOKEN` while it is set";
const JWKS_DOWN = "the identity provider's keys (JWKS) could not be fetched and none are cached in this isolate";
const AUTH_SETTINGS =
  "`ALLOWED_ORIGINS` with an `Origin`, the `AUTH_*` and `CLIENT_REF_*` settings, `UPSTREAM_TIMEOUT_MS`";
const ADMIN_SETTINGS =
  "`ADMIN_TOKEN` (too short), `ACCESS_TEAM_DOMAIN`, `ACCESS_AUD` and `ACCESS_JWKS_URL`, `UPSTREAM_TIMEOUT_MS`";
const BODY_TOO_LARGE = `a body over ${MAX_REQUEST_BODY_BYTES} bytes`;
const NOT_JSON = "a non-empty body whose `Content-Type` is not `application/json`";

const PUBLIC_ERRORS: ErrorCases = {
  forbidden: ORIGIN,
  misconfigured: settings("`ALLOWED_ORIGINS`, read only when the request has an `Origin`"),
  internal_error: INTERNAL,
};

const ADMIN_ERRORS = (extraSettings: string): ErrorCases => ({
  unauthenticated: ADMIN_AUTH,
  forbidden: `${OPERATOR_ORIGIN}; or ${ADMIN_DISABLED}`,
  auth_unavailable: "Cloudflare Access's keys could not be fetched and none are cached in this isolate",
  misconfigured: settings(`${ADMIN_SETTINGS}, ${extraSettings}`),
  internal_error: INTERNAL,
});

const AUDIT_DOWN = "the audit store (KV) could not be read";

// ---------------------------------------------------------------------------------------------
// Request bodies.

/**
 * Cross-field rules of a vendor's body that JSON Schema can state; the rest is
 * in the operation's description. Each mirrors the adapter's `checkOptions`,
 * and a test holds the two to the same verdicts.
 */
const REQUEST_RULES: Partial<Record<VendorId, Json>> = {
  "aws-transcribe": {
    if: { properties: { identify_language: { const: true } }, required: ["identify_language"] },
    then: { required: ["language_options"], not: { required: ["language_code"] } },
    else: { not: { required: ["language_options"] } },
  },
  elevenlabs: {
    if: { properties: { kind: { const: "agent" } }, required: ["kind"] },
    then: { required: ["agent_id"] },
    else: { not: { required: ["agent_id"] } },
  },
};

function requestBodySchema(id: VendorId): Json {
  const adapter = adapterFor(id);
  const schema = jsonSchema(requestSchema(id, adapter), "input");
  const { min, max, default: fallback } = adapter.ttl;
  const ttl =
    min === max
      ? `Lifetime of the credential in seconds: ${id} credentials live a fixed ${min} seconds, so send ${min} or leave it out.`
      : "Lifetime of the key in seconds. Never clamped: a value outside the range, or `POLICY`'s narrower one, is `400`.";
  const properties = schema.properties as Record<string, Json>;
  properties.ttl_seconds = { ...properties.ttl_seconds, default: fallback };
  describeProperties(`${id}_key_request`, schema, { ttl_seconds: ttl, ...REQUEST_FIELD_DESCRIPTIONS[id] });
  return { ...schema, ...REQUEST_RULES[id] };
}

function mintedKeySchema(id: VendorId): Json {
  const schema = jsonSchema(mintedKeySchemas[id], "output");
  const descriptions: PropertyDescriptions = {
    ...MINTED_KEY_DESCRIPTIONS,
    ...REQUEST_FIELD_DESCRIPTIONS[id],
    ...MINTED_KEY_EXTRA_DESCRIPTIONS[id],
  };
  return describeProperties(`${id}_minted_key`, schema, descriptions);
}

/** What the mint description says beyond the schemas: rules between fields and against settings. */
const MINT_NOTES: Partial<Record<VendorId, string>> = {
  speechmatics:
    "`region` may go with either `type`: it is sent to Speechmatics with `rt` keys too, as Speechmatics' own SDK does. The broker always sends the user's `client_ref`, so a `batch` key reaches only that user's jobs.",
  amivoice:
    "The key is bound to the caller's IPv4 address (`CF-Connecting-IP`, never `X-Forwarded-For`) unless `bind_ip` is false; an IPv6 caller gets an unbound key, or `403` when `AMIVOICE_REQUIRE_IP_BINDING` is set.",
  acedata: "`limited_amount` may not exceed `ACEDATA_MAX_AMOUNT` (`400`), and defaults to it when the operator set it.",
  elevenlabs:
    "`agent_id` is required with `kind` `agent` and refused with any other kind (the schema's `if`/`then`/`else`). A token kind answers `single_use: true`; `agent` answers the signed `url` instead.",
  assemblyai: "Every token opens one streaming session, so the answer says `single_use: true`.",
};

/** Says that the vendor's secret is unset, which leaves it unconfigured. */
function unset(secrets: readonly string[]): string {
  const names = secrets.map((name) => `\`${name}\``);
  return names.length === 1
    ? `${names[0]} is not set on this broker`
    : `none of ${names.slice(0, -1).join(", ")} and ${names.at(-1)} is set on this broker`;
}

function mintOperation(id: VendorId): Json {
  const adapter = adapterFor(id);
  const examples = MINT_EXAMPLES[id];
  const forbidden = [
    ORIGIN,
    "the operator denied this user",
    `${id} is disabled by \`POLICY\`, the token fails its claim gate, or an option value \`POLICY\` forbids`,
    ...(id === "amivoice" ? ["an unbound key while `AMIVOICE_REQUIRE_IP_BINDING` is set"] : []),
  ];
  return {
    post: {
      operationId: `mint_${id}`,
      summary: `Mint a short-lived ${id} key for the signed-in user`,
      description: [
        `The credential: ${adapter.credential}.`,
        MINT_NOTES[id],
        "`POLICY` may narrow the TTL range and options, force values or disable the vendor; `GET /v1/vendors` shows what applies to the caller.",
        "Checked in order: origin, token, `AUDIT` binding, body size, type and JSON, `POLICY`, vendor configured and enabled, claim gate, body against this schema and the policy, the vendor's caller checks, remaining settings, burst limit, then the user's deny and quota; only then is the vendor called.",
        "The key is handed out only once its audit record is written.",
      ]
        .filter(Boolean)
        .join(" "),
      tags: ["keys"],
      security: [{ endUserJwt: [] }],
      parameters: [CALLER_REQUEST_ID_PARAMETER],
      requestBody: {
        required: false,
        description: `The options; an empty body or \`{}\` takes the defaults. Unknown fields, \`client_ref\` among them, are \`400\`. At most ${MAX_REQUEST_BODY_BYTES} bytes.`,
        content: jsonBody(
          ref(`${id}_key_request`),
          Object.fromEntries(
            Object.entries(examples).map(([name, { summary, request }]) => [name, { summary, value: request }]),
          ),
        ),
      },
      responses: {
        "201": answer(
          "The minted key and the options applied. Never cached (`Cache-Control: no-store`).",
          jsonBody(
            ref(`${id}_minted_key`),
            Object.fromEntries(
              Object.entries(examples).map(([name, { summary, response }]) => [name, { summary, value: response }]),
            ),
          ),
          { links: { audit_record: { $ref: "#/components/links/AuditRecordOfMint" } } },
        ),
        ...errorResponses({
          invalid_request:
            "the body is not a JSON object, or breaks this schema, the vendor's rules between fields or `POLICY`'s ranges; the message names the field",
          unauthenticated: END_USER_AUTH,
          forbidden: forbidden.join("; or "),
          vendor_not_configured: unset(adapter.secretVars),
          payload_too_large: BODY_TOO_LARGE,
          unsupported_media_type: NOT_JSON,
          rate_limited: "this user asked for too many keys in a short time (`MINT_RATE_LIMITER`); `Retry-After: 60`",
          quota_exceeded:
            "this user reached `DAILY_MINT_QUOTA` or the vendor's `daily_quota` for today (UTC); `Retry-After` counts to 00:00 UTC",
          upstream_rate_limited: `${id} rate limited key creation; its \`Retry-After\`, when it sent one, is passed on in seconds`,
          misconfigured: settings(
            `${AUTH_SETTINGS}, \`AUDIT\`, \`POLICY\`, the vendor's own settings, \`USER_STATE\`, \`DAILY_MINT_QUOTA\`, \`AUDIT_RETENTION_DAYS\``,
          ),
          internal_error: INTERNAL,
          upstream_auth_failed: `${id} rejected the broker's own credentials; the operator must check them`,
          upstream_rejected: `${id} refused the request as invalid; its message is passed on, scrubbed of secrets`,
          upstream_error: `${id} failed, or answered something unusable that held no credential`,
          vendor_credential_refused: `${id} issued a credential that the broker refused (it would outlive \`ttl_seconds\`, or the answer holding it broke the vendor's documented shape or, for a signed URL, its host and path rules), so it was not handed out; it counts against the quota, its audit record has its fingerprint, and a retry would issue another`,
          auth_unavailable: JWKS_DOWN,
          quota_unavailable: "the user's Durable Object (deny and quota) could not be reached; nothing was minted",
          audit_unavailable:
            "the audit record could not be written, so the key the vendor issued was not handed out (do not retry at once: each retry issues another credential)",
          upstream_timeout: `${id} did not answer within \`UPSTREAM_TIMEOUT_MS\``,
        }),
      },
    },
  };
}

/** LiveKit's standard token endpoint: the `livekit` mint in LiveKit's request and answer shapes. */
function livekitTokenOperation(): Record<string, Json> {
  const mint = mintOperation("livekit").post as { responses: Record<string, Json> };
  const { "201": _minted, ...errors } = mint.responses;
  const refused = Object.entries(LIVEKIT_REFUSED_FIELDS)
    .map(([field, why]) => `\`${field}\` (${why})`)
    .join(", ");
  return {
    post: {
      operationId: "livekit_token",
      summary: "LiveKit's standard token endpoint, for the client SDKs' endpoint TokenSource",
      description: [
        "Takes LiveKit's token request and answers LiveKit's `201 {server_url, participant_token}`, so that `TokenSource.endpoint(url, {headers: {Authorization}})` in any LiveKit client SDK gets its token here.",
        "It is `POST /v1/keys/livekit` under another shape: the same sign-in, `POLICY` (its `livekit` rules and TTL), claim gate, burst limit, quota, deny and audit record; `room_name`, `participant_name` and `participant_metadata` are the options `room`, `name` and `metadata`, and the TTL is `POLICY`'s default.",
        `A field the client may not set is \`400\`, as LiveKit asks, unless it is an empty object: ${refused}.`,
      ].join(" "),
      tags: ["keys"],
      security: [{ endUserJwt: [] }],
      parameters: [CALLER_REQUEST_ID_PARAMETER],
      requestBody: {
        required: false,
        description: `LiveKit's \`TokenSourceRequest\`; an empty body or \`{}\` takes the defaults. At most ${MAX_REQUEST_BODY_BYTES} bytes.`,
        content: jsonBody(ref("LiveKitTokenRequest"), {
          room: { summary: "Join one room", value: { room_name: "support-4711", participant_name: "Alice" } },
        }),
      },
      responses: {
        "201": answer(
          "The server URL and the token. Never cached (`Cache-Control: no-store`).",
          jsonBody(ref("LiveKitToken"), {
            token: {
              value: {
                server_url: EXAMPLE_CONNECT.livekit.endpoint,
                participant_token: MINT_EXAMPLES.livekit.room?.response?.key,
              },
            },
          }),
        ),
        ...errors,
      },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Parameters.

function queryParameters(
  schema: z.ZodMiniType,
  descriptions: Record<string, string>,
  examples: Record<string, unknown>,
  defaults: Record<string, unknown> = {},
): Json[] {
  // The output side: what the broker takes after parsing, so `limit` is an integer with its bounds.
  const { properties = {} } = jsonSchema(schema, "output") as { properties?: Record<string, Json> };
  return Object.entries(properties).map(([name, property]) => {
    if (descriptions[name] === undefined) throw new Error(`query parameter ${name} has no description`);
    return {
      name,
      in: "query",
      required: false,
      description: descriptions[name],
      schema: defaults[name] === undefined ? property : { ...property, default: defaults[name] },
      example: examples[name],
    };
  });
}

const issuanceIdParameter = {
  name: "issuance_id",
  in: "path",
  required: true,
  description:
    "The record's issuance id, as a mint answered it: 26 characters of Crockford base32. Anything else is `404`.",
  schema: { type: "string", pattern: ISSUANCE_ID_PATTERN.source },
  example: EXAMPLE_ISSUANCE_ID,
};

const clientRefParameter = {
  name: "client_ref",
  in: "path",
  required: true,
  description: `The user, as the audit trail names them: 1 to ${MAX_CLIENT_REF_CHARS} characters, a pseudonym (\`u_\` and 22 characters) when \`CLIENT_REF_SECRET\` is set.`,
  schema: { type: "string", minLength: 1, maxLength: MAX_CLIENT_REF_CHARS },
  example: EXAMPLE_CLIENT_REF,
};

// ---------------------------------------------------------------------------------------------
// The paths.

/**
 * The CORS preflight of one path: every path answers it the same way (src/http/cors.ts), but
 * the operator's paths, which refuse every origin but the broker's own, whose pages send none.
 */
function preflightOperation(path: string, allowed: string, pathParameters: Json[]): Json {
  const name = path.replace(/^\//, "").replace(/[{}]/g, "").replace(/[/.]/g, "_");
  const notPreflight = `An \`OPTIONS\` request that is not a preflight (no \`Origin\`, or no or an empty \`Access-Control-Request-Method\`) gets \`405\` with \`Allow: ${allowed}\`, as does any method this path does not answer.`;
  const operatorPath = OPERATOR_PATH.test(path);
  return {
    operationId: `preflight_${name}`,
    summary: `CORS preflight of ${path}`,
    description: operatorPath
      ? `Always refused: only the broker's own pages (the console) may call the operator's paths, and they are not cross-origin. ${notPreflight}`
      : `A browser's preflight: \`Origin\` must be one of \`ALLOWED_ORIGINS\`. ${notPreflight}`,
    tags: ["cors"],
    security: [],
    parameters: [
      ...pathParameters.map(anyPathValue),
      ...PREFLIGHT_PARAMETERS.map((parameter) =>
        parameter.name === "Access-Control-Request-Method"
          ? { ...parameter, example: allowed.split(", ")[0] }
          : parameter.name === "Origin" && operatorPath
            ? { ...parameter, description: "The page's origin; on this path every one is `403`." }
            : parameter,
      ),
    ],
    responses: {
      ...(operatorPath ? {} : { "204": PREFLIGHT_RESPONSE }),
      ...errorResponses({
        forbidden: operatorPath ? OPERATOR_ORIGIN : ORIGIN,
        method_not_allowed: `not a preflight; \`Allow: ${allowed}\``,
        ...(operatorPath ? {} : { misconfigured: settings("`ALLOWED_ORIGINS`") }),
        internal_error: INTERNAL,
      }),
    },
  };
}

/**
 * A route's path parameter as its preflight takes it: the broker answers a preflight before
 * any route runs, so the value is not checked there (an empty one would name another path).
 */
function anyPathValue(parameter: Json): Json {
  return {
    name: parameter.name,
    in: "path",
    required: true,
    description: "Any value: a preflight gets the same answer whatever the path holds.",
    schema: { type: "string", minLength: 1 },
    example: parameter.example,
  };
}

/** Adds its CORS preflight to every path; `Allow` names the methods the path documents. */
function withPreflights(paths: Record<string, Record<string, Json>>): Record<string, Record<string, Json>> {
  return Object.fromEntries(
    Object.entries(paths).map(([path, operations]) => {
      const allowed = Object.keys(operations)
        .map((method) => method.toUpperCase())
        .join(", ");
      const first = Object.values(operations)[0] as { parameters?: Json[] };
      const pathParameters = (first.parameters ?? []).filter((parameter) => parameter.in === "path");
      return [path, { ...operations, options: preflightOperation(path, allowed, pathParameters) }];
    }),
  );
}

/** A page's records are AuditRecords: it refers to that one schema instead of repeating it. */
function pageOfRecords(page: Json): Json {
  const properties = page.properties as Record<string, Json>;
  return { ...page, properties: { ...properties, records: { type: "array", items: ref("AuditRecord") } } };
}

/**
 * Builds the OpenAPI 3.1 document from the zod schemas that validate requests
 * and describe answers. `npm run openapi` writes it to src/generated/assets/openapi.json
 * at build time, so the Worker serves it without carrying zod's JSON Schema
 * converter; a test rebuilds it and compares, so it cannot drift.
 */
export async function buildOpenApiDocument(): Promise<Json> {
  // Either scheme admits (OpenAPI lists alternatives).
  const adminSecurity = [{ adminToken: [] }, { cloudflareAccess: [] }];
  const endUserSecurity = [{ endUserJwt: [] }];
  const callerId = [CALLER_REQUEST_ID_PARAMETER];
  const listCursor = await exampleListCursor();
  const usersCursor = encodeUsersCursor("2026-03-02", EXAMPLE_CLIENT_REF);

  const paths = withPreflights({
    "/healthz": {
      get: {
        operationId: "health",
        summary: "Liveness and configuration check",
        description:
          "Checks every setting and binding without auth or network calls. `503` lists each broken one, never its value; the routes that do not use it keep working.",
        tags: ["meta"],
        security: [],
        parameters: callerId,
        responses: {
          "200": answer(
            "The broker is up and fully configured",
            jsonBody(ref("Health"), { ok: { value: { status: "ok" } } }),
          ),
          "503": answer(
            "Some setting or binding is wrong; routes that do not use it keep working",
            jsonBody(ref("Degraded"), {
              degraded: {
                value: {
                  status: "degraded",
                  problems: [{ variable: "AUDIT", problem: "the AUDIT KV namespace is not bound" }],
                },
              },
            }),
          ),
          ...errorResponses(PUBLIC_ERRORS),
        },
      },
    },
    "/openapi.json": {
      get: {
        operationId: "openapi",
        summary: "This document",
        description: "The OpenAPI 3.1 document, generated at build time from the schemas that validate requests.",
        tags: ["meta"],
        security: [],
        parameters: callerId,
        responses: {
          "200": answer(
            "OpenAPI 3.1 document",
            jsonBody(ref("OpenApiDocument"), {
              document: {
                summary: "The top of this document",
                value: {
                  openapi: "3.1.0",
                  info: { title: "edge-key-broker", version: API_VERSION },
                  paths: {},
                  components: {},
                },
              },
            }),
          ),
          ...errorResponses(PUBLIC_ERRORS),
        },
      },
    },
    "/v1/vendors": {
      get: {
        operationId: "list_vendors",
        summary: "The vendors this caller may use under POLICY, with effective TTL ranges, options and credentials",
        description:
          "Only vendors configured on this broker, enabled by `POLICY` and whose claim gate the caller's token passes. A vendor whose own settings are invalid is left out (minting for it names the problem).",
        tags: ["keys"],
        security: endUserSecurity,
        parameters: callerId,
        responses: {
          "200": answer(
            "Configured vendors enabled for this caller",
            jsonBody(ref("VendorList"), {
              two_vendors: {
                value: {
                  vendors: [
                    {
                      id: "soniox",
                      ttl_seconds: { min: 1, max: 3600, default: 300 },
                      credential: adapterFor("soniox").credential,
                      options: {
                        usage_type: {
                          type: "string",
                          enum: ["transcribe_websocket", "tts_rt"],
                          default: "transcribe_websocket",
                        },
                        single_use: { type: "boolean", const: true, default: true },
                        max_session_duration_seconds: { type: "integer", minimum: 1, maximum: 18000 },
                      },
                      connect: EXAMPLE_CONNECT.soniox,
                    },
                    {
                      id: "deepgram",
                      ttl_seconds: { min: 1, max: 3600, default: 60 },
                      credential: adapterFor("deepgram").credential,
                      options: {},
                      connect: EXAMPLE_CONNECT.deepgram,
                    },
                  ],
                },
              },
            }),
          ),
          ...errorResponses({
            unauthenticated: END_USER_AUTH,
            forbidden: ORIGIN,
            misconfigured: settings(`${AUTH_SETTINGS}, \`POLICY\``),
            internal_error: INTERNAL,
            auth_unavailable: JWKS_DOWN,
          }),
        },
      },
    },
    ...Object.fromEntries(vendorIds.map((id) => [`/v1/keys/${id}`, mintOperation(id)])),
    "/v1/livekit/token": livekitTokenOperation(),
    "/v1/me/usage": {
      get: {
        operationId: "my_usage",
        summary: "The caller's own mints today (UTC) against the daily quotas",
        description: "Counts keys the vendors issued to the caller since 00:00 UTC; never another user's.",
        tags: ["keys"],
        security: endUserSecurity,
        parameters: callerId,
        responses: {
          "200": answer(
            "Today's usage",
            jsonBody(ref("Usage"), {
              usage: {
                value: {
                  client_ref: EXAMPLE_CLIENT_REF,
                  day: EXAMPLE_TIMES.mint.slice(0, 10),
                  mints: 12,
                  quota: 500,
                  remaining: 488,
                  vendors: { soniox: { mints: 9, quota: null }, openai: { mints: 3, quota: 20 } },
                },
              },
            }),
          ),
          ...errorResponses({
            unauthenticated: END_USER_AUTH,
            forbidden: ORIGIN,
            misconfigured: settings(`${AUTH_SETTINGS}, \`DAILY_MINT_QUOTA\`, \`USER_STATE\`, \`POLICY\``),
            internal_error: INTERNAL,
            auth_unavailable: JWKS_DOWN,
            quota_unavailable: "the user's Durable Object could not be reached",
          }),
        },
      },
    },
    "/v1/admin/deny": {
      post: {
        operationId: "deny_user",
        summary: "Stop new keys for one client_ref, until lifted or until a given time",
        description:
          "Takes effect from the user's next request, then is recorded in the audit trail (`outcome: denied`). Keys already issued keep working until they expire. With `CLIENT_REF_SECRET` set, `client_ref` must be a pseudonym.",
        tags: ["admin"],
        security: adminSecurity,
        parameters: callerId,
        requestBody: {
          required: true,
          description: `Who, why and until when. At most ${MAX_REQUEST_BODY_BYTES} bytes.`,
          content: jsonBody(ref("DenyRequest"), {
            for_a_day: {
              summary: "Deny alice for a day",
              value: { client_ref: EXAMPLE_CLIENT_REF, reason: "abuse report 1432", until: EXAMPLE_TIMES.denyUntil },
            },
            until_lifted: {
              summary: "Deny until lifted",
              value: { client_ref: EXAMPLE_CLIENT_REF, reason: "chargeback" },
            },
          }),
        },
        responses: {
          "200": answer(
            "The deny now in force (`denied` is false when `until` has already passed)",
            jsonBody(ref("DenyState"), {
              denied: {
                value: {
                  client_ref: EXAMPLE_CLIENT_REF,
                  denied: true,
                  reason: "abuse report 1432",
                  until: EXAMPLE_TIMES.denyUntil,
                  since: EXAMPLE_TIMES.deny,
                  actor: EXAMPLE_ACTOR,
                },
              },
            }),
          ),
          ...errorResponses({
            ...ADMIN_ERRORS("`AUDIT`, `AUDIT_RETENTION_DAYS`, `USER_STATE`, `CLIENT_REF_SECRET`"),
            invalid_request:
              "the body is not a JSON object or breaks `DenyRequest`, or `client_ref` is not a pseudonym while `CLIENT_REF_SECRET` is set",
            payload_too_large: BODY_TOO_LARGE,
            unsupported_media_type: NOT_JSON,
            quota_unavailable: "the user's Durable Object could not be reached; nothing changed",
            audit_unavailable: "the deny took effect but could not be recorded; repeat the call once KV is back",
          }),
        },
      },
    },
    "/v1/admin/deny/{client_ref}": {
      get: {
        operationId: "get_deny",
        summary: "Whether new keys are refused for this client_ref",
        description: "Reads the user's Durable Object; nothing is recorded.",
        tags: ["admin"],
        security: adminSecurity,
        parameters: [clientRefParameter, ...callerId],
        responses: {
          "200": answer(
            "The deny in force, if any",
            jsonBody(ref("DenyState"), {
              not_denied: {
                value: NO_DENY_EXAMPLE,
              },
            }),
          ),
          ...errorResponses({
            ...ADMIN_ERRORS("`USER_STATE`, `CLIENT_REF_SECRET`"),
            invalid_request: "`client_ref` is longer than allowed, or not a pseudonym while `CLIENT_REF_SECRET` is set",
            quota_unavailable: "the user's Durable Object could not be reached",
          }),
        },
      },
      delete: {
        operationId: "lift_deny",
        summary: "Allow new keys for this client_ref again",
        description:
          "Records the lift (`outcome: deny_lifted`) before lifting, so a failed audit write leaves the deny in force. Lifting when no deny is in force changes and records nothing.",
        tags: ["admin"],
        security: adminSecurity,
        parameters: [clientRefParameter, ...callerId],
        responses: {
          "200": answer(
            "No deny is in force any more",
            jsonBody(ref("DenyState"), {
              lifted: {
                value: NO_DENY_EXAMPLE,
              },
            }),
          ),
          ...errorResponses({
            ...ADMIN_ERRORS("`AUDIT`, `AUDIT_RETENTION_DAYS`, `USER_STATE`, `CLIENT_REF_SECRET`"),
            invalid_request: "`client_ref` is longer than allowed, or not a pseudonym while `CLIENT_REF_SECRET` is set",
            quota_unavailable: "the user's Durable Object could not be reached",
            audit_unavailable: "the lift could not be recorded, so the deny stays in force; retry later",
          }),
        },
      },
    },
    "/v1/admin/stats": {
      get: {
        operationId: "get_stats",
        summary: "Mint requests per hour, vendor and outcome, and distinct users per day",
        description: [
          "Every finished `POST /v1/keys/{vendor}` request is counted once, after its answer (a request refused for its `Origin` never reaches the route and is not).",
          "The counts are read from every shard of `MINT_STATS` and merged; they are kept for `AUDIT_RETENTION_DAYS`.",
          "A window over 7 days, `since` not before `until`, or an unknown parameter is `400`.",
        ].join(" "),
        tags: ["stats"],
        security: adminSecurity,
        parameters: [
          ...queryParameters(statsQuerySchema, STATS_QUERY_DESCRIPTIONS, {
            since: STATS_EXAMPLE.since,
            until: STATS_EXAMPLE.until,
            vendor: "soniox",
          }),
          ...callerId,
        ],
        responses: {
          "200": answer("The counts", jsonBody(ref("Stats"), { afternoon: { value: STATS_EXAMPLE } })),
          ...errorResponses({
            ...ADMIN_ERRORS("`MINT_STATS`"),
            invalid_request:
              "a parameter is malformed or unknown, `since` is not before `until`, or they are over 7 days apart",
            stats_unavailable: "a shard of `MINT_STATS` could not be read",
          }),
        },
      },
    },
    "/v1/admin/users": {
      get: {
        operationId: "list_users",
        summary: "A day's users: keys issued, refusals, last mint, vendors, quota and deny",
        description:
          "Read from the mint counts, never the audit trail; each row's `deny` comes from the deny list (the user's Durable Object). Pages are in `client_ref` order; follow `cursor` until it is null. A cursor works only with the `day` it was returned for; otherwise, or when it is malformed, the answer is `400`.",
        tags: ["stats"],
        security: adminSecurity,
        parameters: [
          ...queryParameters(
            usersQuerySchema,
            USERS_QUERY_DESCRIPTIONS,
            { day: "2026-03-02", limit: 50, cursor: usersCursor },
            { limit: DEFAULT_USERS_PAGE_SIZE },
          ),
          ...callerId,
        ],
        responses: {
          "200": answer(
            "A page of users",
            jsonBody(ref("Users"), {
              page: { value: { day: "2026-03-02", users: [USERS_ROW_EXAMPLE], cursor: usersCursor } },
              last_page: { value: { day: "2026-03-02", users: [], cursor: null } },
            }),
          ),
          ...errorResponses({
            ...ADMIN_ERRORS("`MINT_STATS`, `USER_STATE`, `DAILY_MINT_QUOTA`"),
            invalid_request:
              "a parameter is malformed or unknown, or `cursor` was returned for another day or is malformed",
            stats_unavailable: "a shard of `MINT_STATS` could not be read",
            quota_unavailable: "a user's Durable Object (the deny list) could not be reached",
          }),
        },
      },
    },
    "/v1/admin/vendors": {
      get: {
        operationId: "vendor_states",
        summary: "Each vendor's state: configured, not configured, misconfigured or disabled by POLICY",
        description:
          "For the operator console's health panel. Read from the settings as a mint reads them, with no network call; never a value. `GET /v1/vendors` lists only what one user may mint.",
        tags: ["admin"],
        security: adminSecurity,
        parameters: callerId,
        responses: {
          "200": answer(
            "Every vendor's state",
            jsonBody(ref("VendorStates"), {
              states: {
                value: {
                  vendors: [
                    { id: "soniox", state: "configured", loopback: false },
                    { id: "amivoice", state: "not_configured", loopback: false },
                    { id: "openai", state: "disabled", loopback: false },
                  ],
                },
              },
            }),
          ),
          ...errorResponses(ADMIN_ERRORS("`POLICY`")),
        },
      },
    },
    "/v1/audit": {
      get: {
        operationId: "list_audit",
        summary: "Audit records, newest first",
        description: [
          "Newest first by issuance id. `since` must not be after `until` (`400`); both are inclusive.",
          `One request reads at most 5,000 index keys and makes at most ${MAX_LISTING_KV_READS} KV reads, so a page may hold fewer than \`limit\` records, or none, while \`cursor\` is not null: follow \`cursor\` until it is null.`,
          "A cursor works only with the filters it was returned for (`limit` may change); otherwise, or when it is malformed or no longer accepted, the answer is `400`. Unknown parameters are `400`.",
        ].join(" "),
        tags: ["audit"],
        security: adminSecurity,
        parameters: [
          ...queryParameters(
            auditQuerySchema,
            AUDIT_QUERY_DESCRIPTIONS,
            {
              ...EXAMPLE_LIST_FILTERS,
              limit: 50,
              cursor: listCursor,
            },
            { limit: DEFAULT_AUDIT_PAGE_SIZE },
          ),
          ...callerId,
        ],
        responses: {
          "200": answer(
            "A page of records",
            jsonBody(ref("AuditPage"), {
              page: {
                summary: "A page of the example filters' listing",
                value: { records: [AUDIT_RECORD_EXAMPLE], cursor: listCursor },
              },
              last_page: { value: { records: [], cursor: null } },
            }),
          ),
          ...errorResponses({
            ...ADMIN_ERRORS("`AUDIT`, `AUDIT_RETENTION_DAYS`"),
            invalid_request:
              "a parameter is malformed or unknown, `since` is after `until`, or `cursor` was returned for other filters, is malformed or is no longer accepted",
            audit_unavailable: AUDIT_DOWN,
          }),
        },
      },
    },
    "/v1/audit/export": {
      get: {
        operationId: "export_audit",
        summary: "Audit records in a time range, oldest first, streamed as NDJSON",
        description: [
          "One audit record per line, oldest first by issuance id, then one last line without an `id`:",
          '`{"cursor","complete"}`, or `{"error","cursor"}` when the audit store failed after the body started.',
          "The schema describes one line. Send the last line's `cursor` as `cursor` to go on: at once when `complete` is false, later (without `until`)",
          "for newer records when it is true. After a cut connection, resume with the `id` of the last complete line",
          `as \`cursor\`. One response streams at most \`limit\` records and makes at most ${MAX_EXPORT_KV_READS} KV reads.`,
          `\`since\` is required unless \`cursor\` is given; \`until\` must be after \`since\` and at least ${EXPORT_SETTLE_SECONDS} seconds ago (\`400\` otherwise). Unknown parameters are \`400\`.`,
        ].join(" "),
        tags: ["audit"],
        security: adminSecurity,
        parameters: [
          ...queryParameters(
            auditExportQuerySchema,
            EXPORT_QUERY_DESCRIPTIONS,
            {
              since: EXAMPLE_TIMES.dayStart,
              until: EXAMPLE_TIMES.dayEnd,
              cursor: EXAMPLE_ISSUANCE_ID,
              client_ref: EXAMPLE_CLIENT_REF,
              vendor: "soniox",
              limit: 1000,
            },
            { limit: MAX_EXPORT_RECORDS },
          ),
          ...callerId,
        ],
        responses: {
          "200": answer("Newline-delimited JSON: records, then an end line or an error line", {
            "application/x-ndjson": {
              schema: { oneOf: [ref("AuditRecord"), ref("AuditExportEnd"), ref("AuditExportError")] },
              examples: {
                record_line: { summary: "A record", value: AUDIT_RECORD_EXAMPLE },
                end_line: {
                  summary: "The last line: all sent",
                  value: { cursor: EXAMPLE_ISSUANCE_ID, complete: true },
                },
                error_line: {
                  summary: "The last line: the store failed mid-stream",
                  value: {
                    error: {
                      code: "audit_unavailable",
                      message: "the audit store could not be read; retry later",
                      request_id: EXAMPLE_REQUEST_ID,
                    },
                    cursor: EXAMPLE_ISSUANCE_ID,
                  },
                },
              },
            },
          }),
          ...errorResponses({
            ...ADMIN_ERRORS("`AUDIT`, `AUDIT_RETENTION_DAYS`"),
            invalid_request:
              "a parameter is malformed or unknown, `since` is missing without `cursor`, or `until` is not after `since` or later than allowed",
            audit_unavailable: `${AUDIT_DOWN} before the body started`,
          }),
        },
      },
    },
    "/v1/audit/{issuance_id}": {
      get: {
        operationId: "get_audit_record",
        summary: "One audit record",
        description: "The record a mint answered `issuance_id` for, or an operator action's record.",
        tags: ["audit"],
        security: adminSecurity,
        parameters: [issuanceIdParameter, ...callerId],
        responses: {
          "200": answer(
            "The record",
            jsonBody(ref("AuditRecord"), {
              issued: { value: AUDIT_RECORD_EXAMPLE },
              denied: { value: DENY_RECORD_EXAMPLE },
            }),
          ),
          ...errorResponses({
            ...ADMIN_ERRORS("`AUDIT`, `AUDIT_RETENTION_DAYS`"),
            not_found: "no record has this id (or it is not an issuance id, or its retention ended)",
            audit_unavailable: AUDIT_DOWN,
          }),
        },
      },
    },
  });

  const schemas: Record<string, Json> = {
    Error: jsonSchema(errorResponseSchema, "output"),
    Health: jsonSchema(healthResponseSchema, "output"),
    Degraded: jsonSchema(degradedResponseSchema, "output"),
    OpenApiDocument: jsonSchema(openApiDocumentSchema, "output"),
    VendorList: jsonSchema(vendorListSchema, "output"),
    AuditRecord: jsonSchema(auditRecordSchema, "output"),
    AuditPage: pageOfRecords(jsonSchema(auditPageSchema, "output")),
    AuditExportEnd: jsonSchema(exportEndLineDocSchema, "output"),
    AuditExportError: jsonSchema(exportErrorLineDocSchema, "output"),
    Usage: jsonSchema(usageResponseSchema, "output"),
    LiveKitTokenRequest: jsonSchema(livekitTokenRequestSchema, "input"),
    LiveKitToken: jsonSchema(livekitTokenResponseSchema, "output"),
    DenyRequest: jsonSchema(denyBodySchema, "input"),
    DenyState: jsonSchema(denyStateSchema, "output"),
    VendorStates: jsonSchema(vendorStatesSchema, "output"),
    Stats: jsonSchema(statsResponseSchema, "output"),
    Users: jsonSchema(usersResponseSchema, "output"),
  };
  for (const [name, schema] of Object.entries(schemas)) {
    describeProperties(name, schema, SCHEMA_DESCRIPTIONS[name] ?? {});
  }

  return {
    openapi: "3.1.0",
    info: {
      title: "edge-key-broker",
      version: API_VERSION,
      description: `${[
        "Mints short-lived vendor keys for authenticated end users and records every issuance.",
        'Every answer carries `X-Request-Id` and `Cache-Control: no-store`; errors are `{"error":{"code","message","request_id"}}`.',
        "A path the broker does not have is `404 not_found`; a method a path does not answer is `405 method_not_allowed` with `Allow`.",
        "Browsers: an `Origin` not in `ALLOWED_ORIGINS` is `403` on every path, preflight included.",
      ].join(" ")}\n\n${AUTHENTICATION}`,
    },
    tags: TAGS,
    "x-tagGroups": TAG_GROUPS,
    paths,
    components: {
      securitySchemes: SECURITY_SCHEMES,
      headers: HEADERS,
      responses: errorResponseComponents(),
      links: LINKS,
      schemas: {
        ...schemas,
        ...Object.fromEntries(
          vendorIds.flatMap((id) => [
            [`${id}_key_request`, requestBodySchema(id)],
            [`${id}_minted_key`, mintedKeySchema(id)],
          ]),
        ),
      },
    },
  };
}
