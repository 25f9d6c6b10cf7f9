import { createConnection } from "node:net";
import OpenAI from "openai";
import type { OpenAIRealtimeError } from "openai/realtime/internal-base";
import { OpenAIRealtimeWebSocket } from "openai/realtime/websocket";
import { OpenAIRealtimeWS } from "openai/realtime/ws";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type OpenAIApiKey, openaiApiKey } from "../../src/client/index";
import { installBrowserWebSocket } from "./browser-websocket";
import { keyClientFor, stack } from "./stack";

/**
 * `openaiApiKey` as the `apiKey` of the `openai` SDK, opening the SDK's
 * browser Realtime socket (`OpenAIRealtimeWebSocket`, the key in the
 * `openai-insecure-api-key.` subprotocol) on the emulator with client secrets
 * minted through the broker; and once its Node socket (`OpenAIRealtimeWS`,
 * the key in `Authorization: Bearer`).
 */
const MODEL = "gpt-realtime";
/** The shortest life OpenAI gives a client secret. */
const SHORTEST_TTL_SECONDS = 10;

let uninstallWebSocket: () => void;
beforeAll(() => {
  uninstallWebSocket = installBrowserWebSocket();
});
afterAll(() => uninstallWebSocket());
afterEach(() => {
  vi.restoreAllMocks();
});

/**
 * How `ws` opens the TCP connection for `OpenAIRealtimeWS`: the SDK always connects to `wss:`, and the
 * emulator's loopback socket is plain, so the connection skips TLS (`path` is the URL's, not a socket's).
 */
const plainTcp = ((options: { host?: string; port?: number | string }) =>
  createConnection({ host: options.host ?? "127.0.0.1", port: Number(options.port) })) as typeof createConnection;

type Outcome = { opened: true } | { error: OpenAIRealtimeError };

/** Opens a Realtime socket the SDK's way: opened once `session.created` arrives, or the error the SDK reported. */
async function connect(apiKey: OpenAIApiKey, baseURL = `${stack.emulatorUrl}/v1`): Promise<Outcome> {
  const client = new OpenAI({ apiKey, baseURL, dangerouslyAllowBrowser: true, maxRetries: 0 });
  const rt = await OpenAIRealtimeWebSocket.create(client, { model: MODEL });
  return new Promise((resolve) => {
    rt.on("session.created", () => {
      resolve({ opened: true });
      rt.close();
    });
    rt.on("error", (error) => resolve({ error }));
  });
}

function errorOf(outcome: Outcome): OpenAIRealtimeError {
  if (!("error" in outcome)) throw new Error("the socket opened");
  return outcome.error;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("openaiApiKey with the openai SDK's OpenAIRealtimeWebSocket", () => {
  it("opens the Realtime socket with a client secret from the broker, reused for the next connection", async () => {
    const { keys, mints } = await keyClientFor("openai-connects");
    const apiKey = openaiApiKey(keys, { model: MODEL });
    expect(await connect(apiKey)).toEqual({ opened: true });
    expect(await connect(apiKey)).toEqual({ opened: true });
    expect(mints()).toBe(1);
    expect(await apiKey()).toMatch(/^ek_/);
  });

  it("forgets a secret OpenAI refused, so the next connection mints a new one", { timeout: 40_000 }, async () => {
    const { keys, mints } = await keyClientFor("openai-refused");
    const apiKey = openaiApiKey(keys, { model: MODEL, ttl_seconds: SHORTEST_TTL_SECONDS });
    expect(await connect(apiKey)).toEqual({ opened: true });
    // The page's clock stops, so the client keeps offering the cached secret after OpenAI let it expire.
    const frozen = Date.now();
    vi.spyOn(Date, "now").mockReturnValue(frozen);
    await sleep(SHORTEST_TTL_SECONDS * 1000 + 500);

    const refusal = errorOf(await connect(apiKey));
    expect(mints()).toBe(1);
    expect(refusal.error?.code).toBe("invalid_api_key");
    expect(refusal.error?.message).toBe("The client secret provided has expired.");
    expect(apiKey.refused(refusal)).toBe(true);

    expect(await connect(apiKey)).toEqual({ opened: true });
    expect(mints()).toBe(2);
  });

  it("gives Node's OpenAIRealtimeWS the same kind of secret, which it sends as a bearer token", async () => {
    const { keys, mints } = await keyClientFor("openai-node");
    const apiKey = openaiApiKey(keys, { model: MODEL });
    const client = new OpenAI({ apiKey, baseURL: `${stack.emulatorUrl}/v1`, maxRetries: 0 });
    const rt = await OpenAIRealtimeWS.create(client, {
      model: MODEL,
      options: { createConnection: plainTcp },
    });
    const outcome = await new Promise<Outcome>((resolve) => {
      rt.on("session.created", () => resolve({ opened: true }));
      rt.on("error", (error) => resolve({ error }));
    });
    rt.close();
    expect(outcome).toEqual({ opened: true });
    expect(mints()).toBe(1);
  });

  it("keeps the secret when the error is not a refusal", async () => {
    const { keys, mints } = await keyClientFor("openai-unreachable");
    const apiKey = openaiApiKey(keys, { model: MODEL });
    // Nothing listens on port 9: the SDK reports the socket's own error, not OpenAI's.
    const unreachable = errorOf(await connect(apiKey, "http://127.0.0.1:9/v1"));
    expect(unreachable.error).toBeUndefined();
    expect(apiKey.refused(unreachable)).toBe(false);
    expect(await connect(apiKey)).toEqual({ opened: true });
    expect(mints()).toBe(1);
  });
});
