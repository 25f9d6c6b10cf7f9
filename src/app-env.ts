import type { Admin } from "./auth/admin";
import type { EndUser } from "./auth/end-user";
import type { BrokerConfig } from "./config";
import type { Deps } from "./deps";
import type { Env } from "./env";

/** Hono's typing for this app: the Worker env plus per-request variables. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    /** The broker's own id for this request; never taken from the caller. */
    requestId: string;
    /** The caller's `X-Request-Id`, kept for correlation when it is short and plain. */
    callerRequestId: string | null;
    config: BrokerConfig;
    /** The app's clock and `fetch`, set by `createApp` for middleware that needs them. */
    deps: Deps;
    /** Set by `requireEndUser` on routes that need an end-user JWT. */
    user: EndUser;
    /** Set by `requireAdmin` on every admin route: who is acting, for audit records and the deny list. */
    admin: Admin;
    /** Safe facts for the request's log line; never a token, key or secret. */
    logFields: Record<string, string | number | null | undefined>;
  };
}
