import * as z from "zod/mini";
import {
  EXPORT_SETTLE_SECONDS,
  exportEndLineSchema,
  exportErrorLineSchema,
  MAX_EXPORT_KV_READS,
  MAX_EXPORT_RECORDS,
} from "../audit/export";
import { auditPageSchema, auditRecordSchema } from "../audit/record";
import { ERROR_CODES, type ErrorCode } from "../errors";
import { denyBodySchema } from "../routes/admin";
import { auditQuerySchema } from "../routes/audit";
import { auditExportQuerySchema } from "../routes/audit-export";
import { adapterFor, vendorIds } from "../vendors/registry";
import { requestSchema } from "../vendors/request-schema";
import {
  degradedResponseSchema,
  denyStateSchema,
  errorResponseSchema,
  healthResponseSchema,
  mintedKeySchema,
  usageResponseSchema,
  vendorListSchema,
} from "./schemas";

/**
 * Builds the OpenAPI 3.1 document from the zod schemas that validate requests.
 * `npm run openapi` writes it to src/generated/openapi.json at build time, so
 * the Worker serves it without carrying zod's JSON Schema converter; a test
 * rebuilds it and compares, so it cannot drift.
 */
export const API_VERSION = "1.0.0";

type Json = Record<string, unknown>;

function jsonSchema(schema: z.ZodMiniType, io: "input" | "output" = "output"): Json {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as Json;
  return rest;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Json) => ({ "application/json": { schema } });

function errorResponses(codes: ErrorCode[]): Record<string, Json> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) byStatus.set(ERROR_CODES[code], [...(byStatus.get(ERROR_CODES[code]) ?? []), code]);
  return Object.fromEntries(
    [...byStatus].map(([status, list]) => [
      String(status),
      { description: list.join(", "), content: json(ref("Error")) },
    ]),
  );
}

/** Errors any route can answer with. */
const COMMON_ERRORS: ErrorCode[] = ["forbidden", "method_not_allowed", "misconfigured", "internal_error"];
const END_USER_ERRORS: ErrorCode[] = [...COMMON_ERRORS, "unauthenticated", "auth_unavailable"];
const MINT_ERRORS: ErrorCode[] = [
  ...END_USER_ERRORS,
  "invalid_request",
  "unknown_vendor",
  "vendor_not_configured",
  "payload_too_large",
  "unsupported_media_type",
  "rate_limited",
  "quota_exceeded",
  "quota_unavailable",
  "upstream_rate_limited",
  "upstream_auth_failed",
  "upstream_rejected",
  "upstream_error",
  "upstream_timeout",
  "audit_unavailable",
];
const ADMIN_ERRORS: ErrorCode[] = [
  ...COMMON_ERRORS,
  "unauthenticated",
  "invalid_request",
  "not_found",
  "audit_unavailable",
];
/** The export answers no 404: an empty range is an empty export. */
const EXPORT_ERRORS: ErrorCode[] = [...COMMON_ERRORS, "unauthenticated", "invalid_request", "audit_unavailable"];
/** What each export query parameter means; the schema gives its type. */
const EXPORT_PARAMETERS: Record<string, string> = {
  since: "Start of the range, inclusive (ISO 8601). Required unless `cursor` is given.",
  until: `End of the range, exclusive (ISO 8601). Defaults to, and may not be later than, ${EXPORT_SETTLE_SECONDS} seconds ago.`,
  cursor:
    "Resume strictly after this position: the `cursor` of the last line, or the `id` of the last record received.",
  client_ref: "Only this user's records.",
  vendor: "Only this vendor's records.",
  limit: `Records in this response, 1 to ${MAX_EXPORT_RECORDS} (the default).`,
};
/** The deny routes read and write the user's Durable Object; only POST has a body, only DELETE and POST write audit records. */
const DENY_STATE_ERRORS: ErrorCode[] = [...COMMON_ERRORS, "unauthenticated", "invalid_request", "quota_unavailable"];
const DENY_WRITE_ERRORS: ErrorCode[] = [...DENY_STATE_ERRORS, "audit_unavailable"];
const DENY_POST_ERRORS: ErrorCode[] = [...DENY_WRITE_ERRORS, "payload_too_large", "unsupported_media_type"];
const clientRefParameter = { name: "client_ref", in: "path", required: true, schema: { type: "string" } };

function queryParameters(schema: z.ZodMiniType, descriptions: Record<string, string> = {}): Json[] {
  const { properties = {} } = jsonSchema(schema, "input") as { properties?: Record<string, Json> };
  return Object.entries(properties).map(([name, schema]) => ({
    name,
    in: "query",
    required: false,
    ...(descriptions[name] === undefined ? {} : { description: descriptions[name] }),
    schema,
  }));
}

export function buildOpenApiDocument(): Json {
  const mintPaths = Object.fromEntries(
    vendorIds.map((id) => [
      `/v1/keys/${id}`,
      {
        post: {
          operationId: `mint_${id}`,
          summary: `Mint a short-lived ${id} key for the signed-in user`,
          security: [{ endUserJwt: [] }],
          requestBody: { required: false, content: json(ref(`${id}_key_request`)) },
          responses: {
            "201": { description: "The minted key and the options applied", content: json(ref("MintedKey")) },
            ...errorResponses(MINT_ERRORS),
          },
        },
      },
    ]),
  );

  return {
    openapi: "3.1.0",
    info: {
      title: "edge-key-broker",
      version: API_VERSION,
      description: "Mints short-lived vendor keys for authenticated end users and records every issuance.",
    },
    paths: {
      "/healthz": {
        get: {
          operationId: "health",
          summary: "Liveness and configuration check",
          responses: {
            "200": { description: "The broker is up and fully configured", content: json(ref("Health")) },
            "503": {
              description: "Some setting or binding is wrong; routes that do not use it keep working",
              content: json(ref("Degraded")),
            },
          },
        },
      },
      "/openapi.json": {
        get: {
          operationId: "openapi",
          summary: "This document",
          responses: { "200": { description: "OpenAPI 3.1 document", content: json({ type: "object" }) } },
        },
      },
      "/v1/vendors": {
        get: {
          operationId: "list_vendors",
          summary: "The vendors this caller may use under POLICY, with effective TTL ranges, options and credentials",
          security: [{ endUserJwt: [] }],
          responses: {
            "200": { description: "Configured vendors enabled for this caller", content: json(ref("VendorList")) },
            ...errorResponses(END_USER_ERRORS),
          },
        },
      },
      ...mintPaths,
      "/v1/me/usage": {
        get: {
          operationId: "my_usage",
          summary: "The caller's own mints today (UTC) against the daily quotas",
          security: [{ endUserJwt: [] }],
          responses: {
            "200": { description: "Today's usage", content: json(ref("Usage")) },
            ...errorResponses([...END_USER_ERRORS, "quota_unavailable"]),
          },
        },
      },
      "/v1/admin/deny": {
        post: {
          operationId: "deny_user",
          summary: "Stop new keys for one client_ref, until lifted or until `until`",
          security: [{ adminToken: [] }],
          requestBody: { required: true, content: json(ref("DenyRequest")) },
          responses: {
            "200": {
              description: "The deny now in force (denied is false when until has passed)",
              content: json(ref("DenyState")),
            },
            ...errorResponses(DENY_POST_ERRORS),
          },
        },
      },
      "/v1/admin/deny/{client_ref}": {
        get: {
          operationId: "get_deny",
          summary: "Whether new keys are refused for this client_ref",
          security: [{ adminToken: [] }],
          parameters: [clientRefParameter],
          responses: {
            "200": { description: "The deny in force, if any", content: json(ref("DenyState")) },
            ...errorResponses(DENY_STATE_ERRORS),
          },
        },
        delete: {
          operationId: "lift_deny",
          summary: "Allow new keys for this client_ref again",
          security: [{ adminToken: [] }],
          parameters: [clientRefParameter],
          responses: {
            "200": { description: "No deny is in force any more", content: json(ref("DenyState")) },
            ...errorResponses(DENY_WRITE_ERRORS),
          },
        },
      },
      "/v1/audit": {
        get: {
          operationId: "list_audit",
          summary: "Audit records, newest first",
          security: [{ adminToken: [] }],
          parameters: queryParameters(auditQuerySchema),
          responses: {
            "200": { description: "A page of records", content: json(ref("AuditPage")) },
            ...errorResponses(ADMIN_ERRORS),
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
            "Send that line's `cursor` as `cursor` to go on: at once when `complete` is false, later (without `until`)",
            "for newer records when it is true. After a cut connection, resume with the `id` of the last complete line",
            `as \`cursor\`. One response streams at most \`limit\` records and makes at most ${MAX_EXPORT_KV_READS} KV reads.`,
          ].join(" "),
          security: [{ adminToken: [] }],
          parameters: queryParameters(auditExportQuerySchema, EXPORT_PARAMETERS),
          responses: {
            "200": {
              description: "Newline-delimited JSON: records, then an end line or an error line",
              content: {
                "application/x-ndjson": {
                  schema: { oneOf: [ref("AuditRecord"), ref("AuditExportEnd"), ref("AuditExportError")] },
                },
              },
            },
            ...errorResponses(EXPORT_ERRORS),
          },
        },
      },
      "/v1/audit/{issuance_id}": {
        get: {
          operationId: "get_audit_record",
          summary: "One audit record",
          security: [{ adminToken: [] }],
          parameters: [{ name: "issuance_id", in: "path", required: true, schema: { type: "string" } }],
          responses: {
            "200": { description: "The record", content: json(ref("AuditRecord")) },
            ...errorResponses(ADMIN_ERRORS),
          },
        },
      },
    },
    components: {
      securitySchemes: {
        endUserJwt: { type: "http", scheme: "bearer", bearerFormat: "JWT", description: "The end user's ID token" },
        adminToken: { type: "http", scheme: "bearer", description: "ADMIN_TOKEN" },
      },
      schemas: {
        Error: jsonSchema(errorResponseSchema),
        Health: jsonSchema(healthResponseSchema),
        Degraded: jsonSchema(degradedResponseSchema),
        MintedKey: jsonSchema(mintedKeySchema),
        VendorList: jsonSchema(vendorListSchema),
        AuditRecord: jsonSchema(auditRecordSchema),
        AuditPage: jsonSchema(auditPageSchema),
        AuditExportEnd: jsonSchema(exportEndLineSchema),
        AuditExportError: jsonSchema(exportErrorLineSchema),
        Usage: jsonSchema(usageResponseSchema),
        DenyRequest: jsonSchema(denyBodySchema, "input"),
        DenyState: jsonSchema(denyStateSchema),
        ...Object.fromEntries(
          vendorIds.map((id) => [`${id}_key_request`, jsonSchema(requestSchema(id, adapterFor(id)), "input")]),
        ),
      },
    },
  };
}
