import { Hono } from "hono";
import * as z from "zod/mini";
import type { AppEnv } from "../app-env";
import { auditReadFailure } from "../audit/read-failure";
import { configuredAuditStore } from "../audit/store";
import { requireAdmin } from "../auth/middleware";
import { DEFAULT_AUDIT_PAGE_SIZE, MAX_AUDIT_PAGE_SIZE, MAX_CLIENT_REF_CHARS } from "../constants";
import { brokerError } from "../errors";
import { parseOrThrow } from "../http/validation";
import { ISSUANCE_ID_PATTERN } from "../ids";
import { vendorIdSchema } from "../vendors/registry";
import { auditExport } from "./audit-export";

const limitMessage = `limit must be an integer from 1 to ${MAX_AUDIT_PAGE_SIZE}`;

export const auditQuerySchema = z.strictObject({
  client_ref: z.optional(z.string().check(z.minLength(1), z.maxLength(MAX_CLIENT_REF_CHARS))),
  vendor: z.optional(vendorIdSchema),
  since: z.optional(z.iso.datetime({ offset: true })),
  until: z.optional(z.iso.datetime({ offset: true })),
  limit: z.optional(
    z.pipe(
      z.pipe(z.string().check(z.regex(/^\d{1,9}$/, limitMessage)), z.transform(Number)),
      z.int().check(z.minimum(1, limitMessage), z.maximum(MAX_AUDIT_PAGE_SIZE, limitMessage)),
    ),
  ),
  cursor: z.optional(z.string().check(z.maxLength(2048))),
});

/**
 * GET /v1/audit, GET /v1/audit/export and GET /v1/audit/{issuance_id}, for the
 * operator (ADMIN_TOKEN). `/export` comes before `/:id`, which would otherwise
 * take "export" for an issuance id.
 */
export function auditRoutes() {
  return new Hono<AppEnv>()
    .get("/", requireAdmin, async (c) => {
      const audit = configuredAuditStore(c.var.config);
      const query = parseOrThrow(auditQuerySchema, c.req.query(), "audit query");
      const since = query.since === undefined ? undefined : new Date(query.since);
      const until = query.until === undefined ? undefined : new Date(query.until);
      if (since && until && since > until) {
        throw brokerError("invalid_request", "invalid audit query: since must not be after until");
      }
      const page = await readingStore(() =>
        audit.list({
          clientRef: query.client_ref,
          vendor: query.vendor,
          since,
          until,
          limit: query.limit ?? DEFAULT_AUDIT_PAGE_SIZE,
          cursor: query.cursor,
        }),
      );
      return c.json(page);
    })
    .get("/export", requireAdmin, auditExport)
    .get("/:id", requireAdmin, async (c) => {
      const audit = configuredAuditStore(c.var.config);
      const id = c.req.param("id");
      const record = ISSUANCE_ID_PATTERN.test(id) ? await readingStore(() => audit.get(id)) : null;
      if (!record) throw brokerError("not_found", "no audit record with that issuance_id");
      return c.json(record);
    });
}

/** Runs one read of the audit store; a failure is answered as `auditReadFailure` says. */
async function readingStore<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    throw auditReadFailure(error);
  }
}
