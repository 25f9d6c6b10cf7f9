import { DeepgramClient } from "@deepgram/sdk";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type DeepgramAccessToken, deepgramAccessToken } from "../../src/client/index";
import { keyClientFor, stack } from "./stack";

/**
 * `deepgramAccessToken` as the `accessToken` of `@deepgram/sdk`'s
 * `DeepgramClient`, streaming to the emulator's live `/v1/listen` socket with
 * tokens minted through the broker. In Node the SDK sends the token as
 * `Authorization: Bearer`, through the `ws` package.
 */
const TRANSCRIPT = "Hello from the speech emulator.";

afterEach(() => {
  vi.restoreAllMocks();
});

type Outcome = { transcript: string } | { error: Error };

/** One live connection the SDK's way: the transcript, or the error the SDK reported before it opened. */
async function listen(accessToken: DeepgramAccessToken, wsBase = stack.emulatorWsUrl): Promise<Outcome> {
  const client = new DeepgramClient({
    accessToken,
    environment: { base: stack.emulatorUrl, production: wsBase, agent: "", agentRest: "" },
    reconnect: false,
  });
  const socket = await client.listen.v1.connect({ model: "nova-3", reconnectAttempts: 0 });
  const words: string[] = [];
  return new Promise((resolve) => {
    socket.on("message", (message) => {
      if (message.type === "Results") words.push(message.channel.alternatives[0]?.transcript ?? "");
    });
    socket.on("open", () => socket.sendMedia(new ArrayBuffer(3200)));
    socket.on("error", (error) => resolve({ error }));
    // The SDK reports a failed connection as a close, then the error, in the same turn: the error wins.
    socket.on("close", () => queueMicrotask(() => resolve({ transcript: words.join(" ") })));
    socket.connect();
  });
}

function errorOf(outcome: Outcome): Error {
  if (!("error" in outcome)) throw new Error(`the socket opened: ${outcome.transcript}`);
  return outcome.error;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("deepgramAccessToken with @deepgram/sdk's live client", () => {
  it("streams with a token from the broker, reused for the next connection", async () => {
    const { keys, mints } = await keyClientFor("deepgram-connects");
    const accessToken = deepgramAccessToken(keys, { ttl_seconds: 60 });
    expect(await listen(accessToken)).toEqual({ transcript: TRANSCRIPT });
    expect(await listen(accessToken)).toEqual({ transcript: TRANSCRIPT });
    expect(mints()).toBe(1);
  });

  it("forgets a token Deepgram refused, so the next connect() mints a new one", async () => {
    const { keys, mints } = await keyClientFor("deepgram-refused");
    const ttlSeconds = 2;
    const accessToken = deepgramAccessToken(keys, { ttl_seconds: ttlSeconds });
    expect(await listen(accessToken)).toEqual({ transcript: TRANSCRIPT });
    // The page's clock stops, so the client keeps offering the cached token after Deepgram let it expire.
    const frozen = Date.now();
    vi.spyOn(Date, "now").mockReturnValue(frozen);
    await sleep(ttlSeconds * 1000 + 200);

    const refusal = errorOf(await listen(accessToken));
    expect(mints()).toBe(1);
    expect(refusal.message).toMatch(/\b401\b/);
    expect(accessToken.refused(refusal)).toBe(true);

    expect(await listen(accessToken)).toEqual({ transcript: TRANSCRIPT });
    expect(mints()).toBe(2);
  });

  it("keeps the token when the error is not a refusal", async () => {
    const { keys, mints } = await keyClientFor("deepgram-unreachable");
    const accessToken = deepgramAccessToken(keys, { ttl_seconds: 60 });
    // Nothing listens on port 9: the socket fails without Deepgram ever seeing the token.
    const unreachable = errorOf(await listen(accessToken, "ws://127.0.0.1:9"));
    expect(unreachable.message).toMatch(/ECONNREFUSED/);
    expect(accessToken.refused(unreachable)).toBe(false);
    expect(await listen(accessToken)).toEqual({ transcript: TRANSCRIPT });
    expect(mints()).toBe(1);
  });

  it("treats a socket error that names no cause, as browsers report a refused handshake, as a refusal", async () => {
    const { keys, mints } = await keyClientFor("deepgram-browser-error");
    const accessToken = deepgramAccessToken(keys, { ttl_seconds: 60 });
    await accessToken();
    // What the SDK hands its error listeners in a browser: `new Error(event.message)`, the message undefined.
    expect(accessToken.refused(new Error(undefined))).toBe(true);
    await accessToken();
    expect(mints()).toBe(2);
  });
});
