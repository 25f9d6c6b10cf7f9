import { env } from "cloudflare:workers";
import type { Env } from "../../src/env";
import type { DailyLimits } from "../../src/user-state/types";

/**
 * A fresh `UserState` object. The pool keeps Durable Object storage across tests,
 * so every test takes its own object by a unique name.
 */
export function freshUserState() {
  const namespace = (env as unknown as Env).USER_STATE;
  return namespace.get(namespace.idFromName(`user-state-test-${crypto.randomUUID()}`));
}

/** 2026-03-02T12:00:00Z, the tests' clock. */
export const NOON = Date.parse("2026-03-02T12:00:00Z");
export const DAY = "2026-03-02";
export const NEXT_DAY = "2026-03-03";

export const NO_LIMITS: DailyLimits = { total: null, vendor: null };

/**
 * The error an RPC call rejects with. Awaiting inside an async function touches only `then`:
 * `expect(rpcPromise).rejects` would read other properties of the RPC promise, and each
 * read is a pipelined call that rejects on its own, unhandled.
 */
export async function rejection(call: () => Promise<unknown>): Promise<Error> {
  try {
    await call();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected the call to reject");
}
