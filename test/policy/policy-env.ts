import type { Env } from "../../src/env";

/** Broker env overrides that set `POLICY`: a value is sent as JSON text, a string as is. */
export function withPolicy(policy: unknown, overrides: Partial<Env> = {}): Partial<Env> {
  const text = typeof policy === "string" ? policy : JSON.stringify(policy);
  return { ...overrides, POLICY: text } as Partial<Env>;
}
