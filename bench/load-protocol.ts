/** What the orchestrator asks the load generator (load.ts) to run, and what it answers, over IPC. */

/**
 * Signed-in users' tokens: `users` are the ones every target is warmed up with;
 * `new-users` have never been seen, so each one's first mint starts a new Durable Object.
 */
export type TokenSet = "users" | "new-users";

export interface PhaseRequest {
  url: string;
  method: "GET" | "POST";
  headers: Record<string, string>;
  body?: string;
  /** Send `Authorization: Bearer <token>`, cycling through this set's tokens one per request. */
  bearer: TokenSet | false;
  connections: number;
  /** Run this long… */
  seconds?: number;
  /** …or for this many requests (the warm-ups). */
  amount?: number;
}

export interface PhaseResult {
  /** 2xx answers. */
  ok: number;
  /** Answers with any other status: errors. */
  non2xx: number;
  /** Socket errors, timeouts included: errors. */
  socketErrors: number;
  timeouts: number;
  /** What the errors were: `HTTP <status>` or the socket error's message, with how many times each. */
  failures: Record<string, number>;
  /** Wall time of the phase. */
  seconds: number;
  /** Each 2xx answer's latency, ms. */
  latencies: number[];
}
