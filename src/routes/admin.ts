import { Hono } from "hono";
import * as z from "zod/mini";
import type { AppEnv } from "../app-env";
import { requireAdmin } from "../auth/middleware";
import { MAX_CLIENT_REF_CHARS, MAX_DENY_REASON_CHARS } from "../constants";
import type { Deps } from "../deps";
import { type AdminRequest, deny, denyAnswer, lift } from "../deny";
import { readJsonObject } from "../http/body";
import { parseOrThrow } from "../http/validation";
import { denyStateOf } from "../user-limits";

const clientRefSchema = z.string().check(z.minLength(1), z.maxLength(MAX_CLIENT_REF_CHARS));

export const denyBodySchema = z.strictObject({
  client_ref: clientRefSchema,
  reason: z.string().check(z.minLength(1), z.maxLength(MAX_DENY_REASON_CHARS)),
  until: z.optional(z.iso.datetime({ offset: true })),
});

/** POST /v1/admin/deny, GET and DELETE /v1/admin/deny/{client_ref}, for the operator (ADMIN_TOKEN). */
export function adminRoutes({ now }: Deps) {
  return new Hono<AppEnv>()
    .post("/deny", requireAdmin, async (c) => {
      const body = parseOrThrow(denyBodySchema, await readJsonObject(c.req.raw), "deny request");
      const until = body.until === undefined ? null : new Date(body.until).toISOString();
      c.var.logFields.client_ref = body.client_ref;
      return c.json(await deny(body.client_ref, { reason: body.reason, until }, adminRequest(c, now())));
    })
    .get("/deny/:client_ref", requireAdmin, async (c) => {
      const clientRef = parseOrThrow(clientRefSchema, c.req.param("client_ref"), "client_ref");
      const state = await denyStateOf(c.var.config.userStateNamespace(), clientRef, now());
      return c.json(denyAnswer(clientRef, state));
    })
    .delete("/deny/:client_ref", requireAdmin, async (c) => {
      const clientRef = parseOrThrow(clientRefSchema, c.req.param("client_ref"), "client_ref");
      c.var.logFields.client_ref = clientRef;
      return c.json(await lift(clientRef, adminRequest(c, now())));
    });
}

function adminRequest(
  c: { var: AppEnv["Variables"]; req: { header(name: string): string | undefined } },
  at: Date,
): AdminRequest {
  return {
    config: c.var.config,
    now: at,
    requestId: c.var.requestId,
    callerRequestId: c.var.callerRequestId,
    ip: c.req.header("CF-Connecting-IP") ?? null,
    origin: c.req.header("Origin") ?? null,
    userAgent: c.req.header("User-Agent") ?? null,
  };
}
