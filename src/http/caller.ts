import type { Context } from "hono";
import type { AppEnv } from "../app-env";

/** Who sent a request, as the audit trail records it. */
export interface Caller {
  /** The broker's own id for this request. */
  requestId: string;
  /** The caller's `X-Request-Id`, when it sent a usable one. */
  callerRequestId: string | null;
  /** `CF-Connecting-IP`, set by Cloudflare; never `X-Forwarded-For`, which the caller controls. */
  ip: string | null;
  origin: string | null;
  userAgent: string | null;
}

export function callerOf(c: Context<AppEnv>): Caller {
  return {
    requestId: c.var.requestId,
    callerRequestId: c.var.callerRequestId,
    ip: c.req.header("CF-Connecting-IP") ?? null,
    origin: c.req.header("Origin") ?? null,
    userAgent: c.req.header("User-Agent") ?? null,
  };
}
