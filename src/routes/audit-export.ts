import type { Context } from "hono";
import * as z from "zod/mini";
import type { AppEnv } from "../app-env";
import { AuditExport, EXPORT_SETTLE_SECONDS, type ExportRange, MAX_EXPORT_RECORDS } from "../audit/export";
import { auditReadFailure } from "../audit/read-failure";
import { configuredAuditStore } from "../audit/store";
import { MAX_CLIENT_REF_CHARS } from "../constants";
import { brokerError } from "../errors";
import { parseOrThrow } from "../http/validation";
import { ISSUANCE_ID_PATTERN } from "../ids";
import { logLine } from "../log";
import { vendorIdSchema } from "../vendors/registry";

const limitMessage = `limit must be an integer from 1 to ${MAX_EXPORT_RECORDS}`;

export const auditExportQuerySchema = z.strictObject({
  /** Inclusive; required unless `cursor` is given. */
  since: z.optional(z.iso.datetime({ offset: true })),
  /** Exclusive; defaults to, and may not be later than, now minus EXPORT_SETTLE_SECONDS. */
  until: z.optional(z.iso.datetime({ offset: true })),
  /** Resume after this position: the last line's cursor, or the `id` of the last record received. */
  cursor: z.optional(
    z.string().check(z.regex(ISSUANCE_ID_PATTERN, "cursor must be an issuance id or a cursor this API returned")),
  ),
  client_ref: z.optional(z.string().check(z.minLength(1), z.maxLength(MAX_CLIENT_REF_CHARS))),
  vendor: z.optional(vendorIdSchema),
  limit: z.optional(
    z.pipe(
      z.pipe(z.string().check(z.regex(/^\d{1,9}$/, limitMessage)), z.transform(Number)),
      z.int().check(z.minimum(1, limitMessage), z.maximum(MAX_EXPORT_RECORDS, limitMessage)),
    ),
  ),
});

/** Records written per chunk of the body; the next chunk is read from KV only when the reader asks for it. */
export const EXPORT_CHUNK_RECORDS = 100;

const ndjsonLine = (value: unknown) => `${JSON.stringify(value)}\n`;

/**
 * GET /v1/audit/export: the records in `[since, until)`, oldest first, as NDJSON,
 * one record a line, then one last line: `{"cursor","complete"}`, or, when KV
 * fails after the body started, `{"error":{…},"cursor"}`. Everything before the
 * first chunk (auth, the query, the first KV reads) answers a JSON error instead.
 */
export async function auditExport(c: Context<AppEnv>): Promise<Response> {
  const audit = configuredAuditStore(c.var.config);
  const range = exportRange(c);
  const exporter = new AuditExport(audit, range);
  const records = exporter.records();
  const encoder = new TextEncoder();
  const requestId = c.var.requestId;
  let finished = false;

  /** The next lines of the body; once the body has started, a failure becomes its last line. */
  async function chunk(started: boolean): Promise<string> {
    let text = "";
    try {
      for (let n = 0; n < EXPORT_CHUNK_RECORDS; n++) {
        const next = await records.next();
        if (next.done) {
          finished = true;
          return text + ndjsonLine({ cursor: exporter.position, complete: exporter.complete });
        }
        text += ndjsonLine(next.value);
      }
      return text;
    } catch (error) {
      const failure = auditReadFailure(error);
      if (!started) throw failure;
      finished = true;
      logLine("error", {
        msg: "audit export failed after it started streaming",
        request_id: requestId,
        code: failure.code,
        reason: failure.internal,
        cursor: exporter.position,
      });
      const body = { code: failure.code, message: failure.message, request_id: requestId };
      return text + ndjsonLine({ error: body, cursor: exporter.position });
    }
  }

  let pending: string | null = await chunk(false);
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const text = pending ?? (await chunk(true));
        pending = null;
        controller.enqueue(encoder.encode(text));
        if (finished) controller.close();
      },
      async cancel() {
        await records.return();
      },
    },
    // Nothing is read ahead of the reader: a chunk is made when it is asked for.
    { highWaterMark: 0 },
  );
  return new Response(body, { headers: { "Content-Type": "application/x-ndjson" } });
}

/** The validated query as a range; `400 invalid_request` for a range that cannot be exported (yet). */
function exportRange(c: Context<AppEnv>): ExportRange {
  const query = parseOrThrow(auditExportQuerySchema, c.req.query(), "audit export query");
  const invalid = (problem: string) => brokerError("invalid_request", `invalid audit export query: ${problem}`);
  if (query.since === undefined && query.cursor === undefined) {
    throw invalid("since is required unless cursor is given");
  }
  const latest = c.var.deps.now().getTime() - EXPORT_SETTLE_SECONDS * 1000;
  const since = query.since === undefined ? undefined : Date.parse(query.since);
  const until = query.until === undefined ? latest : Date.parse(query.until);
  if (until > latest) {
    throw invalid(
      `until must be at least ${EXPORT_SETTLE_SECONDS} seconds in the past, so that every record before it can be read; leave it out to export up to that point`,
    );
  }
  if (query.until !== undefined && since !== undefined && until <= since) {
    throw invalid("until must be after since");
  }
  return {
    since,
    until,
    after: query.cursor,
    clientRef: query.client_ref,
    vendor: query.vendor,
    limit: query.limit ?? MAX_EXPORT_RECORDS,
  };
}
