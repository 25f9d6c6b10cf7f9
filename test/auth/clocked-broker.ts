import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import type { Env } from "../../src/env";
import { createApp } from "../../src/index";
import { brokerEnv } from "../helpers/broker";

/** A clock that moves only when the test moves it. */
export class ManualClock {
  private ms = Date.now();
  readonly now = (): Date => new Date(this.ms);

  advance(ms: number): void {
    this.ms += ms;
  }

  /** Unix seconds, for token claims. */
  seconds(): number {
    return Math.floor(this.ms / 1000);
  }
}

/**
 * The broker as `src/index.ts` builds it, but on `clock`: GET /v1/vendors (the cheapest
 * route that needs an end-user token) with `token`, on `brokerEnv(env)`.
 */
export function clockedBroker(clock: ManualClock, env: Partial<Env>) {
  const app = createApp({ now: clock.now, fetch: (input, init) => fetch(input, init) });
  return async (token: string, overrides: Partial<Env> = {}): Promise<Response> => {
    const request = new Request("https://broker.test/v1/vendors", { headers: { Authorization: `Bearer ${token}` } });
    const ctx = createExecutionContext();
    const response = await app.fetch(request, brokerEnv({ ...env, ...overrides }), ctx);
    await waitOnExecutionContext(ctx);
    return response;
  };
}
