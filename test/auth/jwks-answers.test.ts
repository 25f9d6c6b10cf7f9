import { describe, expect, it } from "vitest";
import { JWKS_MAX_AGE_MS } from "../../src/constants";
import { captureLogs, expectError } from "../helpers/broker";
import { ManualClock } from "./clocked-broker";
import { clockedMint, type ProviderKey, providerKey } from "./clocked-mint";

/**
 * How an identity provider's key-set URL answers. The emulator's identity provider
 * (test/auth/identity-provider.ts) is up, down or oversized; these answers are the
 * broker's own `fetch` answering for that one URL, everything else going to the network.
 */
type Answer = (signal: AbortSignal | undefined) => Promise<Response>;

/** Short, to keep the tests quick. */
const TIMEOUT_MS = 300;

const ok =
  (body: string, contentType = "application/json"): Answer =>
  async () =>
    new Response(body, { status: 200, headers: { "content-type": contentType } });

const keySet = (keys: ProviderKey[]) => ok(JSON.stringify({ keys: keys.map((key) => key.publicJwk) }));

/** Never answers; gives up, as fetch does, when its signal aborts. */
const silent: Answer = (signal) =>
  new Promise((_, reject) => signal?.addEventListener("abort", () => reject(signal.reason)));

/** Answers 200 at once with the start of a key set, then sends nothing more until its signal aborts. */
const stalledBody: Answer = async (signal) => {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode('{"keys":[{"kty":"RSA",'));
      signal?.addEventListener("abort", () => controller.error(signal.reason));
    },
  });
  return new Response(body, { status: 200, headers: { "content-type": "application/json" } });
};

const delayed =
  (ms: number, then: Answer): Answer =>
  async (signal) => {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return then(signal);
  };

const LOGIN_PAGE = "<!DOCTYPE html><html><head><title>Sign in</title></head><body><form></form></body></html>";

/** Bad answers, and the internal reason the broker logs for each. */
const BAD_ANSWERS: [string, Answer, string][] = [
  ["an HTML page", ok(LOGIN_PAGE, "text/html; charset=utf-8"), "JWKS body is not JSON"],
  ["an HTML page labelled as JSON", ok(LOGIN_PAGE), "JWKS body is not JSON"],
  ["truncated JSON", ok('{"keys":[{"kty":"RSA","kid":"rs-1",'), "JWKS body is not JSON"],
  ["JSON with a trailing comma", ok('{"keys":[],}'), "JWKS body is not JSON"],
  ["an empty body", ok(""), "JWKS body is not JSON"],
  ["JSON null", ok("null"), "JWKS body is not a JSON Web Key Set"],
  ["a JSON array", ok("[]"), "JWKS body is not a JSON Web Key Set"],
  ['"keys" that is not an array', ok('{"keys":"rs-1"}'), "JWKS body is not a JSON Web Key Set"],
  ["a key without kty", ok('{"keys":[{"kid":"rs-1"}]}'), "JWKS body is not a JSON Web Key Set"],
  [
    "a redirect to a login page",
    async () => new Response(null, { status: 302, headers: { location: "https://idp.test.example/login" } }),
    "JWKS answered 302",
  ],
  ["nothing, ever", silent, `timeout after ${TIMEOUT_MS} ms`],
  ["headers, then a body that stalls", stalledBody, `timeout after ${TIMEOUT_MS} ms`],
];

/** An identity provider whose key-set URL answers as the test says, and the broker using it. */
function setup(first: Answer, timeoutMs = TIMEOUT_MS) {
  const clock = new ManualClock();
  const jwksUrl = `https://idp-${crypto.randomUUID()}.test.example/.well-known/jwks.json`;
  const provider = { answer: first, fetches: 0 };
  const network: typeof fetch = (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (url !== jwksUrl) return fetch(input, init);
    provider.fetches++;
    return provider.answer(init?.signal ?? undefined);
  };
  const mintWith = clockedMint(clock, { AUTH_JWKS_URL: jwksUrl, UPSTREAM_TIMEOUT_MS: String(timeoutMs) }, network);
  return { clock, provider, mintWith };
}

/**
 * Runs `request`, keeping its log lines, parsed. A dependency that hangs is never
 * timed here: without its bound the request would hang and the test time out.
 */
async function logged(request: () => Promise<Response>) {
  const { result, lines } = await captureLogs(request);
  return { response: result, logs: lines.map((line) => JSON.parse(line)) };
}

describe("an identity provider whose key set is unusable, before any key set was fetched", () => {
  it.each(BAD_ANSWERS)(
    "answers 503 auth_unavailable, not 401, to a valid token when it answers %s",
    async (_case, answer, reason) => {
      const key = await providerKey("RS256");
      const { clock, mintWith } = setup(answer);
      const { response, logs } = await logged(async () => mintWith(await key.sign(clock)));
      const error = await expectError(response, 503, "auth_unavailable");
      expect(error.message).toBe("the identity provider's keys could not be fetched; retry later");
      expect(logs.find((line) => line.msg === "request")).toMatchObject({ code: "auth_unavailable", reason });
    },
  );

  it("answers every concurrent request 503 auth_unavailable after one slow fetch, within the timeout", async () => {
    const key = await providerKey("ES256");
    const { clock, provider, mintWith } = setup(silent);
    const token = await key.sign(clock);
    const responses = await Promise.all(Array.from({ length: 10 }, () => mintWith(token)));
    for (const response of responses) await expectError(response, 503, "auth_unavailable");
    expect(provider.fetches).toBe(1);
  });

  it("accepts the key set when it is slow but within the timeout", async () => {
    const key = await providerKey("EdDSA");
    // Slower than TIMEOUT_MS, within this test's own timeout.
    const { clock, mintWith } = setup(delayed(TIMEOUT_MS * 2, keySet([key])), TIMEOUT_MS * 50);
    expect((await mintWith(await key.sign(clock))).status).toBe(201);
  });
});

describe("an identity provider whose key set turns unusable after one was fetched", () => {
  it.each(BAD_ANSWERS)(
    "keeps the last good keys when the refresh answers %s: a valid token passes, a forged one does not",
    async (_case, answer) => {
      const [key, forger] = [await providerKey("RS256"), await providerKey("RS256")];
      const { clock, provider, mintWith } = setup(keySet([key]));
      expect((await mintWith(await key.sign(clock))).status).toBe(201);

      provider.answer = answer;
      clock.advance(JWKS_MAX_AGE_MS);
      const { response } = await logged(async () => mintWith(await key.sign(clock)));
      expect(response.status).toBe(201);
      expect(provider.fetches).toBe(2);

      const forged = await expectError(await mintWith(await forger.sign(clock)), 401, "unauthenticated");
      expect(forged.message).toBe("token was signed by an unknown key");
      const stolenKid = await expectError(
        await mintWith(await forger.sign(clock, { kid: key.kid })),
        401,
        "unauthenticated",
      );
      expect(stolenKid.message).toBe("token signature is invalid");
    },
  );
});
