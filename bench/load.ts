/**
 * Child process: the load generator. It runs autocannon, one phase at a
 * time as the orchestrator asks, in a process of its own so that no server
 * and no Miniflare log handling shares its event loop.
 *
 * IPC: `{type:"tokens", set, tokens}` → `{type:"tokens-set"}`: bearer tokens to cycle through, one per request;
 *      `{type:"run", phase}` → `{type:"result", result}` (see PhaseRequest and PhaseResult).
 */
import { createRequire } from "node:module";
import type { PhaseRequest, PhaseResult, TokenSet } from "./load-protocol";

interface AutocannonRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  setupRequest?: (request: AutocannonRequest) => AutocannonRequest;
}

interface AutocannonResult {
  errors: number;
  timeouts: number;
}

interface AutocannonInstance {
  on(event: "response", listener: (client: unknown, status: number, bytes: number, ms: number) => void): void;
  on(event: "reqError", listener: (error: Error) => void): void;
  on(event: "done", listener: (result: AutocannonResult) => void): void;
}

type Autocannon = (options: {
  url: string;
  connections: number;
  duration?: number;
  amount?: number;
  timeout: number;
  sampleInt: number;
  requests: AutocannonRequest[];
}) => AutocannonInstance;

const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;

/** How often autocannon samples, and so checks whether a phase is over. */
const SAMPLE_INTERVAL_MS = 100;
/** Seconds before autocannon counts a request as timed out (an error). */
const REQUEST_TIMEOUT_SECONDS = 10;

/** Each set's tokens, and the next one to use: shared by all connections and phases, so consecutive requests go to different users. */
const tokenSets = new Map<TokenSet, { tokens: string[]; next: number }>();

function run(phase: PhaseRequest): Promise<PhaseResult> {
  const url = new URL(phase.url);
  const request: AutocannonRequest = {
    method: phase.method,
    path: url.pathname,
    headers: phase.headers,
    ...(phase.body === undefined ? {} : { body: phase.body }),
  };
  if (phase.bearer) {
    const set = tokenSets.get(phase.bearer);
    if (!set || set.tokens.length === 0) throw new Error(`no ${phase.bearer} tokens to cycle through`);
    request.setupRequest = (built) => {
      built.headers.authorization = `Bearer ${set.tokens[set.next++ % set.tokens.length]}`;
      return built;
    };
  }
  return new Promise((resolve) => {
    // Raw latencies of 2xx answers, in ms with sub-ms precision: autocannon's
    // own histogram keeps whole milliseconds, too coarse at these speeds.
    const latencies: number[] = [];
    let ok = 0;
    let non2xx = 0;
    const failures: Record<string, number> = {};
    const started = performance.now();
    const instance = autocannon({
      url: url.origin,
      connections: phase.connections,
      ...(phase.amount === undefined ? { duration: phase.seconds } : { amount: phase.amount }),
      // autocannon notices the end of a phase only when it samples, every second by default,
      // which would stretch a 1.5 s phase to 2 s.
      sampleInt: SAMPLE_INTERVAL_MS,
      timeout: REQUEST_TIMEOUT_SECONDS,
      requests: [request],
    });
    instance.on("response", (_client, status, _bytes, ms) => {
      if (status >= 200 && status < 300) {
        ok++;
        latencies.push(Math.round(ms * 1000) / 1000);
      } else {
        non2xx++;
        failures[`HTTP ${status}`] = (failures[`HTTP ${status}`] ?? 0) + 1;
      }
    });
    instance.on("reqError", (error) => {
      failures[error.message] = (failures[error.message] ?? 0) + 1;
    });
    instance.on("done", (result) => {
      resolve({
        ok,
        non2xx,
        socketErrors: result.errors,
        timeouts: result.timeouts,
        failures,
        seconds: (performance.now() - started) / 1000,
        latencies,
      });
    });
  });
}

process.on("message", (message: { type: string; set?: TokenSet; tokens?: string[]; phase?: PhaseRequest }) => {
  if (message.type === "tokens" && message.set) {
    tokenSets.set(message.set, { tokens: message.tokens ?? [], next: 0 });
    process.send?.({ type: "tokens-set" });
  } else if (message.type === "run" && message.phase) {
    run(message.phase).then(
      (result) => process.send?.({ type: "result", result }),
      (error: Error) => process.send?.({ type: "error", error: error.message }),
    );
  }
});
process.on("disconnect", () => process.exit(0));
process.send?.({ type: "ready" });
