import * as fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { type Credentials, makeCredentials, mintAttemptArb, requestArb } from "./arbitraries";
import {
  checkNoLeak,
  checkNoPollution,
  checkStatusAndShape,
  type PrototypeSnapshot,
  prototypeSnapshot,
} from "./checks";
import { fuzzParameters, fuzzRuns, fuzzSeed, PROPERTY_TIMEOUT_MS } from "./runs";
import { describe as describeExchange, type Exchange, send } from "./send";
import type { RequestSpec } from "./arbitraries";

/*
 * Any method, path, header set and body, through the real Worker entry point
 * with the production-like test configuration (JWKS auth, every vendor on the
 * loopback emulator, the real local KV). Replay a failure with the seed and
 * path fast-check prints: see test/fuzz/runs.ts.
 */

let credentials: Credentials;
let baseline: PrototypeSnapshot;

beforeAll(async () => {
  credentials = await makeCredentials(`fuzz-${fuzzSeed}-${crypto.randomUUID().slice(0, 8)}`);
  baseline = prototypeSnapshot();
});

/**
 * Sends `spec`; a Worker that throws instead of answering fails the run. The
 * prototypes are checked even then, and cleaned, so that one polluting request
 * does not fail every run after it.
 */
async function exchange(spec: RequestSpec): Promise<Exchange> {
  let answered: Exchange | undefined;
  try {
    answered = await send(spec);
    return answered;
  } catch (error) {
    throw new Error(`the Worker threw instead of answering ${spec.method} ${spec.path.slice(0, 200)}: ${error}`);
  } finally {
    checkNoPollution(baseline, answered ? describeExchange(answered) : `${spec.method} ${spec.path.slice(0, 200)}`);
  }
}

/** Statuses seen, so that a generator that stopped reaching a branch is noticed. */
function tally(seen: Map<number, number>, status: number) {
  seen.set(status, (seen.get(status) ?? 0) + 1);
}

describe("fuzzed requests", () => {
  it(
    "answer with a documented status and, on error, the documented error shape",
    async () => {
      const seen = new Map<number, number>();
      await fc.assert(
        fc.asyncProperty(requestArb(credentials), async (spec) => {
          const answer = await exchange(spec);
          tally(seen, answer.status);
          checkStatusAndShape(answer);
          checkNoLeak(answer, credentials);
        }),
        fuzzParameters(),
      );
      console.log("statuses seen", Object.fromEntries(seen));
      if (fuzzRuns >= 1000) {
        // The generators reach success, every refusal a client can cause, and CORS preflights.
        for (const status of [200, 201, 204, 400, 401, 403, 404, 405, 413, 415]) {
          expect(
            seen.get(status) ?? 0,
            `no ${status} in ${fuzzRuns} runs: ${JSON.stringify([...seen])}`,
          ).toBeGreaterThan(0);
        }
      }
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    "never show a stack trace, pollute a prototype or hand out a key without a valid JWT",
    async () => {
      const seen = new Map<number, number>();
      await fc.assert(
        fc.asyncProperty(mintAttemptArb(credentials), async (spec) => {
          const answer = await exchange(spec);
          tally(seen, answer.status);
          checkNoLeak(answer, credentials);
          checkStatusAndShape(answer);
        }),
        fuzzParameters(),
      );
      console.log("statuses seen", Object.fromEntries(seen));
      if (fuzzRuns >= 1000) {
        // Both sides were exercised: keys handed out to valid JWTs, and refusals of everything else.
        expect(seen.get(201) ?? 0, "no key was minted").toBeGreaterThan(0);
        expect(seen.get(401) ?? 0, "no token was refused").toBeGreaterThan(0);
      }
    },
    PROPERTY_TIMEOUT_MS,
  );

  // Found by the first property (seed 1168335076): SmartRouter falls back to Hono's TrieRouter for these
  // routes, and TrieRouter ran `app.use` middleware twice for a last path segment of a literal `*`.
  it.each(["/*", "/%2A", "/v1/*"])(
    "answer %s once, with one request id in the header, the body and the log",
    async (path) => {
      const answer = await exchange({ method: "GET", path, extra: [], duplicates: [] });
      checkStatusAndShape(answer);
      const requestLines = answer.logs.filter((line) => line.includes('"msg":"request"'));
      expect(requestLines).toHaveLength(1);
      expect(requestLines[0]).toContain(answer.headers.get("X-Request-Id"));
    },
  );
});
