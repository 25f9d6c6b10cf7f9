import { type Context, Hono } from "hono";
import * as z from "zod/mini";
import type { AppEnv } from "../app-env";
import { recordDeadline } from "../audit/store";
import { requireAdmin } from "../auth/middleware";
import type { BrokerConfig } from "../config";
import { MAX_CLIENT_REF_CHARS, MAX_DENY_REASON_CHARS } from "../constants";
import type { Deps } from "../deps";
import { brokerError } from "../errors";
import { callerOf } from "../http/caller";
import { readJsonObject } from "../http/body";
import { parseOrThrow } from "../http/validation";
import { currentDeny } from "../user-state/client";
import { type AdminAction, deny, denyAnswer, lift } from "../user-state/deny";

const clientRefSchema = z.string().check(z.minLength(1), z.maxLength(MAX_CLIENT_REF_CHARS));

export const denyBodySchema = z.strictObject({
  client_ref: clientRefSchema,
  reason: z.string().check(z.minLength(1), z.maxLength(MAX_DENY_REASON_CHARS)),
  until: z.optional(z.iso.datetime({ offset: true })),
});

/** What a pseudonymous client_ref looks like (see src/auth/end-user.ts). */
const PSEUDONYM = /^u_[A-Za-z0-9_-]{22}$/;

/** POST /v1/admin/deny, GET and DELETE /v1/admin/deny/{client_ref}, for the operator (`requireAdmin`). */
export function adminRoutes({ now }: Deps) {
  return new Hono<AppEnv>()
    .post("/deny", requireAdmin, async (c) => {
      const body = parseOrThrow(denyBodySchema, await readJsonObject(c.req.raw), "deny request");
      const clientRef = checkedClientRef(body.client_ref, c.var.config);
      const until = body.until === undefined ? null : new Date(body.until).toISOString();
      c.var.logFields.client_ref = clientRef;
      const action = adminAction(c, now());
      return c.json(await deny(clientRef, { reason: body.reason, until }, action));
    })
    .get("/deny/:client_ref", requireAdmin, async (c) => {
      const clientRef = checkedClientRef(c.req.param("client_ref"), c.var.config);
      return c.json(denyAnswer(clientRef, await currentDeny(c.var.config.userStateNamespace(), clientRef, now())));
    })
    .delete("/deny/:client_ref", requireAdmin, async (c) => {
      const clientRef = checkedClientRef(c.req.param("client_ref"), c.var.config);
      c.var.logFields.client_ref = clientRef;
      return c.json(await lift(clientRef, adminAction(c, now())));
    });
}

/** An action taken at `now`, whose audit record's deadline starts with it. */
function adminAction(c: Context<AppEnv>, now: Date): AdminAction {
  return { config: c.var.config, now, deadline: recordDeadline(), caller: callerOf(c), actor: c.var.admin.actor };
}

/**
 * With pseudonyms on, every client_ref the broker uses is one, so anything else
 * (an app's own user id, say) would silently act on nobody: refuse it.
 */
function checkedClientRef(value: string, config: BrokerConfig): string {
  const clientRef = parseOrThrow(clientRefSchema, value, "client_ref");
  if (config.clientRefSecret() !== undefined && !PSEUDONYM.test(clientRef)) {
    throw brokerError(
      "invalid_request",
      "client_ref must be a pseudonym (u_ and 22 characters) because CLIENT_REF_SECRET is set; take it from the audit trail",
    );
  }
  return clientRef;
}
